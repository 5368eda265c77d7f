/**
 * The relayer's database: PostgreSQL (production) or a SQLite file (better-sqlite3, the default),
 * through TypeORM with migrations run at start.
 *
 * Concurrency: every change to a validator happens in a transaction that first locks its row
 * (SELECT … FOR UPDATE on PostgreSQL), so pushes of the same validator from several sidecars are
 * serialised: each partial is stored exactly once and only one transaction rebuilds. SQLite has
 * one connection per process (TypeORM shares one query runner), so transactions are queued in
 * process instead — which is the same guarantee for the single process that can use the file.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { type DatabaseConfig } from '../config.js';
import { RelayerError } from '../errors.js';
import {
  ENTITIES,
  PartialEntity,
  type PartialRecord,
  PublicKeySharesEntity,
  type PublicKeySharesRecord,
  type RelayerApi,
  ValidatorEntity,
  type ValidatorRecord,
} from './entities.js';
import { HotStatements } from './hot-statements.js';
import { InitialSchema1732406400000 } from './migrations/1732406400000-initial-schema.js';

export const MIGRATIONS = [InitialSchema1732406400000];

/** A validator's binding: any change of it discards the partial signatures collected so far. */
export interface ValidatorBinding {
  publicKey: string;
  api: RelayerApi;
  vault: string | null;
  validatorType: '0x01' | '0x02' | null;
  amountGwei: number | null;
  validatorIndex: number;
  exitEpoch: number;
}

export type NewValidator = ValidatorBinding &
  Pick<ValidatorRecord, 'threshold' | 'exitSigningRoot' | 'depositSigningRoot'>;

export function sameBinding(row: ValidatorRecord, b: ValidatorBinding): boolean {
  return (
    row.api === b.api &&
    row.vault === b.vault &&
    row.validatorType === b.validatorType &&
    row.amountGwei === b.amountGwei &&
    row.validatorIndex === b.validatorIndex &&
    row.exitEpoch === b.exitEpoch
  );
}

/** Operations inside one transaction. */
export class StoreTx {
  constructor(
    readonly manager: EntityManager,
    private readonly locking: boolean,
    private readonly hot: HotStatements,
  ) {}

  /** The validator row of `publicKey`, locked until the transaction ends. */
  async lockValidator(publicKey: string): Promise<ValidatorRecord | null> {
    return (await this.lockValidators([publicKey])).get(publicKey) ?? null;
  }

  /** The validator rows of `publicKeys` (those that exist), by key, locked until the transaction ends. */
  async lockValidators(publicKeys: readonly string[]): Promise<Map<string, ValidatorRecord>> {
    return this.hot.validatorRows(this.manager, publicKeys, this.locking);
  }

  /**
   * Returns the validator bound as `wanted`, creating it or replacing an older binding (whose
   * partial signatures and signatures are dropped). `replaced` tells whether an old binding went.
   */
  async bindValidator(wanted: NewValidator, now: number): Promise<{ row: ValidatorRecord; created: boolean; replaced: boolean }> {
    let row = await this.lockValidator(wanted.publicKey);
    if (row === null) {
      // a concurrent binder may insert first: ignore the conflict, then lock what is there
      await this.manager
        .createQueryBuilder()
        .insert()
        .into(ValidatorEntity)
        .values(newRecord(wanted, now))
        .orIgnore()
        .execute();
      row = await this.lockValidator(wanted.publicKey);
      if (row === null) throw new RelayerError('INTERNAL', `validator ${wanted.publicKey}: row vanished after insert`);
      if (sameBinding(row, wanted)) return { row, created: row.createdAt === now, replaced: false };
    }
    if (sameBinding(row, wanted)) {
      await this.manager.update(ValidatorEntity, { id: row.id }, { requestedAt: now });
      return { row: { ...row, requestedAt: now }, created: false, replaced: false };
    }
    await this.manager.delete(PartialEntity, { validatorId: row.id });
    await this.manager.delete(ValidatorEntity, { id: row.id });
    const fresh = newRecord(wanted, now);
    await this.manager.insert(ValidatorEntity, fresh);
    return { row: fresh, created: true, replaced: true };
  }

  async updateValidator(id: string, patch: Partial<ValidatorRecord>): Promise<void> {
    await this.hot.updateValidator(this.manager, id, patch);
  }

  /** The validator's partials, oldest first (ties by share index). */
  async partials(validatorId: string): Promise<PartialRecord[]> {
    return (await this.partialsOf([validatorId])).get(validatorId)!;
  }

  /** Each validator's partials (every id present), oldest first (ties by share index). */
  async partialsOf(validatorIds: readonly string[]): Promise<Map<string, PartialRecord[]>> {
    return this.hot.partials(this.manager, validatorIds);
  }

  /** Inserts new partials (a filled share index fails the statement: primary key). */
  async insertPartials(records: readonly PartialRecord[]): Promise<void> {
    if (records.length > 0) await this.hot.insert(this.manager, records);
  }

  async replacePartial(record: PartialRecord): Promise<void> {
    await this.manager.delete(PartialEntity, { validatorId: record.validatorId, shareIndex: record.shareIndex });
    await this.manager.insert(PartialEntity, record);
  }

  async deletePartials(validatorId: string, shareIndexes: number[]): Promise<void> {
    for (const shareIndex of shareIndexes) await this.manager.delete(PartialEntity, { validatorId, shareIndex });
  }

  async pinnedShares(publicKey: string): Promise<PublicKeySharesRecord['shares'] | undefined> {
    return (await this.pinnedSharesOf([publicKey])).get(publicKey);
  }

  /** The pinned public key share set of each key that has one. */
  async pinnedSharesOf(publicKeys: readonly string[]): Promise<Map<string, PublicKeySharesRecord['shares']>> {
    return publicKeys.length === 0 ? new Map() : this.hot.pinnedShares(this.manager, publicKeys);
  }

  /** Pins each set for its key unless one is pinned already (the first of a key wins); read them back with `pinnedSharesOf`. */
  async pinPublicKeySharesOf(records: readonly PublicKeySharesRecord[]): Promise<void> {
    if (records.length > 0) await this.hot.pinShares(this.manager, records);
  }
}

function newRecord(b: NewValidator, now: number): ValidatorRecord {
  return {
    id: randomUUID(),
    publicKey: b.publicKey,
    api: b.api,
    vault: b.vault,
    validatorType: b.validatorType,
    amountGwei: b.amountGwei,
    validatorIndex: b.validatorIndex,
    exitEpoch: b.exitEpoch,
    threshold: b.threshold,
    exitSigningRoot: b.exitSigningRoot,
    depositSigningRoot: b.depositSigningRoot,
    exitSignature: null,
    depositSignature: null,
    oracleSetId: null,
    oraclePublicKeyShards: null,
    oracleEncryptedExitSignatures: null,
    createdAt: now,
    requestedAt: now,
    readyAt: null,
  };
}

export class RelayerStore {
  private queue: Promise<unknown> = Promise.resolve();

  private readonly hot: HotStatements;

  private constructor(
    readonly dataSource: DataSource,
    readonly kind: DatabaseConfig['kind'],
  ) {
    this.hot = new HotStatements(dataSource);
  }

  /** Connects, creates the PostgreSQL schema if missing, runs pending migrations. */
  static async open(config: DatabaseConfig): Promise<RelayerStore> {
    const dataSource =
      config.kind === 'postgres'
        ? new DataSource({
            type: 'postgres',
            url: config.url,
            schema: config.schema,
            entities: ENTITIES,
            migrations: MIGRATIONS,
            migrationsTableName: 'relayer_migrations',
            extra: { max: 16, connectionTimeoutMillis: 10_000 },
          })
        : new DataSource({
            type: 'better-sqlite3',
            database: config.file,
            entities: ENTITIES,
            migrations: MIGRATIONS,
            migrationsTableName: 'relayer_migrations',
            enableWAL: true,
          });
    try {
      await dataSource.initialize();
    } catch (err) {
      const where = config.kind === 'postgres' ? redactUrl(config.url) : config.file;
      throw new RelayerError('DATABASE_UNAVAILABLE', `database ${where}: ${(err as Error).message}`);
    }
    try {
      if (config.kind === 'postgres' && config.schema !== undefined) {
        await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${config.schema}"`);
      }
      await dataSource.runMigrations({ transaction: 'all' });
    } catch (err) {
      await dataSource.destroy();
      throw new RelayerError('DATABASE_UNAVAILABLE', `database migrations failed: ${(err as Error).message}`);
    }
    return new RelayerStore(dataSource, config.kind);
  }

  /** Runs `fn` in a transaction (queued in process on SQLite, see the module comment). */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const run = () => this.dataSource.transaction((manager) => fn(new StoreTx(manager, this.kind === 'postgres', this.hot)));
    if (this.kind === 'postgres') return run();
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async findValidator(publicKey: string): Promise<ValidatorRecord | null> {
    return this.dataSource.manager.findOne(ValidatorEntity, { where: { publicKey } });
  }

  async findValidators(publicKeys: string[]): Promise<Map<string, ValidatorRecord>> {
    const out = new Map<string, ValidatorRecord>();
    for (let i = 0; i < publicKeys.length; i += 500) {
      const chunk = publicKeys.slice(i, i + 500);
      const rows = await this.dataSource.manager
        .getRepository(ValidatorEntity)
        .createQueryBuilder('v')
        .where('v.public_key IN (:...keys)', { keys: chunk })
        .getMany();
      for (const row of rows) out.set(row.publicKey, row);
    }
    return out;
  }

  /** Validators of one API generation requested since `since` (ms), oldest binding first. */
  async listValidators(api: RelayerApi, since: number): Promise<ValidatorRecord[]> {
    return this.dataSource.manager
      .getRepository(ValidatorEntity)
      .createQueryBuilder('v')
      .where('v.api = :api AND v.requested_at >= :since', { api, since })
      .orderBy('v.created_at', 'ASC')
      .addOrderBy('v.validator_index', 'ASC')
      .getMany();
  }

  /** Validators with a signature still missing. */
  async incompleteValidators(): Promise<ValidatorRecord[]> {
    return this.dataSource.manager
      .getRepository(ValidatorEntity)
      .createQueryBuilder('v')
      .where("v.exit_signature IS NULL OR (v.api = 'current' AND v.deposit_signature IS NULL)")
      .getMany();
  }

  /** Share indexes stored per validator id. */
  async shareIndexes(validatorIds: string[]): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>(validatorIds.map((id) => [id, []]));
    for (let i = 0; i < validatorIds.length; i += 500) {
      const chunk = validatorIds.slice(i, i + 500);
      if (chunk.length === 0) continue;
      const rows = await this.dataSource.manager
        .getRepository(PartialEntity)
        .createQueryBuilder('p')
        .select(['p.validatorId', 'p.shareIndex'])
        .where('p.validator_id IN (:...ids)', { ids: chunk })
        .getMany();
      for (const row of rows) out.get(row.validatorId)!.push(row.shareIndex);
    }
    for (const list of out.values()) list.sort((a, b) => a - b);
    return out;
  }

  async pinnedPublicKeyShares(publicKeys: string[]): Promise<Map<string, PublicKeySharesRecord['shares']>> {
    const out = new Map<string, PublicKeySharesRecord['shares']>();
    for (let i = 0; i < publicKeys.length; i += 500) {
      const chunk = publicKeys.slice(i, i + 500);
      if (chunk.length === 0) continue;
      const rows = await this.dataSource.manager
        .getRepository(PublicKeySharesEntity)
        .createQueryBuilder('s')
        .where('s.public_key IN (:...keys)', { keys: chunk })
        .getMany();
      for (const row of rows) out.set(row.publicKey, row.shares);
    }
    return out;
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
