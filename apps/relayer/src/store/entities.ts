/**
 * Persistent state (TypeORM entity schemas; the tables are created by migrations/, never synchronised):
 *  - relayer_validators: one row per validator key, bound to (public key, API, vault, type, amount,
 *    validator index). A new binding replaces the row's id and drops its partial signatures.
 *  - relayer_partial_signatures: one row per (validator binding, share index).
 *  - relayer_public_key_shares: the public key shares first sent by a sidecar for a key (pinned).
 * Hex is lowercase 0x; times are unix milliseconds.
 */
import { EntitySchema, type ValueTransformer } from 'typeorm';

/** bigint columns come back as strings from PostgreSQL and numbers from SQLite. */
const numeric: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (value === null || value === undefined ? value : Number(value)),
};

const json: ValueTransformer = {
  to: (value: unknown) => (value === null || value === undefined ? value : JSON.stringify(value)),
  from: (value: unknown) => (value === null || value === undefined ? value : JSON.parse(String(value))),
};

export type RelayerApi = 'current' | 'legacy';

export interface ValidatorRecord {
  id: string;
  publicKey: string;
  api: RelayerApi;
  /** current API only */
  vault: string | null;
  validatorType: '0x01' | '0x02' | null;
  amountGwei: number | null;
  validatorIndex: number;
  exitEpoch: number;
  threshold: number;
  exitSigningRoot: string;
  depositSigningRoot: string | null;
  /** the rebuilt, verified exit signature: stored to re-share it if the oracle set changes; never served */
  exitSignature: string | null;
  depositSignature: string | null;
  oracleSetId: string | null;
  oraclePublicKeyShards: string[] | null;
  oracleEncryptedExitSignatures: string[] | null;
  createdAt: number;
  requestedAt: number;
  readyAt: number | null;
}

export interface PartialRecord {
  validatorId: string;
  shareIndex: number;
  exitSignature: string;
  depositSignature: string | null;
  /** checked against the share's public key before storing; false when that key was unknown */
  verified: boolean;
  createdAt: number;
}

export interface PublicKeySharesRecord {
  publicKey: string;
  shares: { index: number; publicKey: string }[];
  createdAt: number;
}

export const ValidatorEntity = new EntitySchema<ValidatorRecord>({
  name: 'Validator',
  tableName: 'relayer_validators',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    publicKey: { name: 'public_key', type: 'varchar', length: 98, unique: true },
    api: { type: 'varchar', length: 8 },
    vault: { type: 'varchar', length: 42, nullable: true },
    validatorType: { name: 'validator_type', type: 'varchar', length: 4, nullable: true },
    amountGwei: { name: 'amount_gwei', type: 'bigint', nullable: true, transformer: numeric },
    validatorIndex: { name: 'validator_index', type: 'bigint', transformer: numeric },
    exitEpoch: { name: 'exit_epoch', type: 'bigint', transformer: numeric },
    threshold: { type: 'integer' },
    exitSigningRoot: { name: 'exit_signing_root', type: 'varchar', length: 66 },
    depositSigningRoot: { name: 'deposit_signing_root', type: 'varchar', length: 66, nullable: true },
    exitSignature: { name: 'exit_signature', type: 'varchar', length: 194, nullable: true },
    depositSignature: { name: 'deposit_signature', type: 'varchar', length: 194, nullable: true },
    oracleSetId: { name: 'oracle_set_id', type: 'varchar', length: 66, nullable: true },
    oraclePublicKeyShards: { name: 'oracle_public_key_shards', type: 'text', nullable: true, transformer: json },
    oracleEncryptedExitSignatures: { name: 'oracle_encrypted_exit_signatures', type: 'text', nullable: true, transformer: json },
    createdAt: { name: 'created_at', type: 'bigint', transformer: numeric },
    requestedAt: { name: 'requested_at', type: 'bigint', transformer: numeric },
    readyAt: { name: 'ready_at', type: 'bigint', nullable: true, transformer: numeric },
  },
});

export const PartialEntity = new EntitySchema<PartialRecord>({
  name: 'PartialSignature',
  tableName: 'relayer_partial_signatures',
  columns: {
    validatorId: { name: 'validator_id', type: 'varchar', length: 36, primary: true },
    shareIndex: { name: 'share_index', type: 'bigint', primary: true, transformer: numeric },
    exitSignature: { name: 'exit_signature', type: 'varchar', length: 194 },
    depositSignature: { name: 'deposit_signature', type: 'varchar', length: 194, nullable: true },
    verified: { type: 'boolean' },
    createdAt: { name: 'created_at', type: 'bigint', transformer: numeric },
  },
});

export const PublicKeySharesEntity = new EntitySchema<PublicKeySharesRecord>({
  name: 'PublicKeyShares',
  tableName: 'relayer_public_key_shares',
  columns: {
    publicKey: { name: 'public_key', type: 'varchar', length: 98, primary: true },
    shares: { type: 'text', transformer: json },
    createdAt: { name: 'created_at', type: 'bigint', transformer: numeric },
  },
});

export const ENTITIES = [ValidatorEntity, PartialEntity, PublicKeySharesEntity];
