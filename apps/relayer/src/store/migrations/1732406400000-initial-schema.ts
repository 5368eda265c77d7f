import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/** The relayer's first schema (see entities.ts); driver-neutral through TypeORM's Table API. */
export class InitialSchema1732406400000 implements MigrationInterface {
  name = 'InitialSchema1732406400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'relayer_validators',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'public_key', type: 'varchar', length: '98', isUnique: true },
          { name: 'api', type: 'varchar', length: '8' },
          { name: 'vault', type: 'varchar', length: '42', isNullable: true },
          { name: 'validator_type', type: 'varchar', length: '4', isNullable: true },
          { name: 'amount_gwei', type: 'bigint', isNullable: true },
          { name: 'validator_index', type: 'bigint' },
          { name: 'exit_epoch', type: 'bigint' },
          { name: 'threshold', type: 'integer' },
          { name: 'exit_signing_root', type: 'varchar', length: '66' },
          { name: 'deposit_signing_root', type: 'varchar', length: '66', isNullable: true },
          { name: 'exit_signature', type: 'varchar', length: '194', isNullable: true },
          { name: 'deposit_signature', type: 'varchar', length: '194', isNullable: true },
          { name: 'oracle_set_id', type: 'varchar', length: '66', isNullable: true },
          { name: 'oracle_public_key_shards', type: 'text', isNullable: true },
          { name: 'oracle_encrypted_exit_signatures', type: 'text', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'requested_at', type: 'bigint' },
          { name: 'ready_at', type: 'bigint', isNullable: true },
        ],
      }),
      true,
    );
    await queryRunner.createIndex('relayer_validators', new TableIndex({ name: 'relayer_validators_api_requested', columnNames: ['api', 'requested_at'] }));
    await queryRunner.createTable(
      new Table({
        name: 'relayer_partial_signatures',
        columns: [
          { name: 'validator_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'share_index', type: 'bigint', isPrimary: true },
          { name: 'exit_signature', type: 'varchar', length: '194' },
          { name: 'deposit_signature', type: 'varchar', length: '194', isNullable: true },
          { name: 'verified', type: 'boolean' },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
      true,
    );
    await queryRunner.createForeignKey(
      'relayer_partial_signatures',
      new TableForeignKey({
        name: 'relayer_partial_signatures_validator',
        columnNames: ['validator_id'],
        referencedTableName: 'relayer_validators',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'relayer_public_key_shares',
        columns: [
          { name: 'public_key', type: 'varchar', length: '98', isPrimary: true },
          { name: 'shares', type: 'text' },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('relayer_public_key_shares', true);
    await queryRunner.dropTable('relayer_partial_signatures', true);
    await queryRunner.dropTable('relayer_validators', true);
  }
}
