/**
 * The statements every stored share runs (lock the validator row, read its partials, insert one,
 * pin the public key shares sent along) and the rebuild's read and write, as plain SQL. TypeORM's
 * query builder costs about 5× the statement itself on this path (≈ 240 µs against ≈ 45 µs per
 * SQLite lookup, measured here), and the relayer's event loop runs four of them per share. Rows are
 * hydrated and values prepared through TypeORM's own column metadata and driver (types,
 * transformers, SQLite booleans), so results equal those of the entity API.
 */
import { type DataSource, type EntityManager, type EntityMetadata, type ObjectLiteral } from 'typeorm';
import { PartialEntity, type PartialRecord, PublicKeySharesEntity, type PublicKeySharesRecord, ValidatorEntity, type ValidatorRecord } from './entities.js';

export class HotStatements {
  private readonly validator: EntityMetadata;
  private readonly partial: EntityMetadata;
  private readonly pinnedSet: EntityMetadata;
  private readonly param: (i: number) => string;
  private readonly validatorTable: string;
  private readonly validatorId: string;
  private readonly selectValidator: string;
  private readonly lockValidator: string;
  private readonly selectPartials: string;
  private readonly insertPartial: string;
  private readonly selectPinned: string;
  private readonly pin: string;

  constructor(private readonly dataSource: DataSource) {
    const postgres = dataSource.options.type === 'postgres';
    const param = (i: number) => (postgres ? `$${i}` : '?');
    const escape = (name: string) => dataSource.driver.escape(name);
    const table = (m: EntityMetadata) => (m.schema ? `${escape(m.schema)}.${escape(m.tableName)}` : escape(m.tableName));
    const column = (m: EntityMetadata, property: string) => escape(m.findColumnWithPropertyName(property)!.databaseName);
    /** every column, in metadata order (the order of `persistentValues`) */
    const insertInto = (m: EntityMetadata) =>
      `INSERT INTO ${table(m)} (${m.columns.map((c) => escape(c.databaseName)).join(', ')}) VALUES (${m.columns.map((_, i) => param(i + 1)).join(', ')})`;
    this.param = param;
    const v = (this.validator = dataSource.getMetadata(ValidatorEntity));
    const p = (this.partial = dataSource.getMetadata(PartialEntity));
    const k = (this.pinnedSet = dataSource.getMetadata(PublicKeySharesEntity));
    this.validatorTable = table(v);
    this.validatorId = column(v, 'id');
    this.selectValidator = `SELECT * FROM ${table(v)} WHERE ${column(v, 'publicKey')} = ${param(1)}`;
    this.lockValidator = this.selectValidator + (postgres ? ' FOR UPDATE' : '');
    this.selectPartials =
      `SELECT * FROM ${table(p)} WHERE ${column(p, 'validatorId')} = ${param(1)} ` +
      `ORDER BY ${column(p, 'createdAt')} ASC, ${column(p, 'shareIndex')} ASC`;
    this.insertPartial = insertInto(p);
    this.selectPinned = `SELECT * FROM ${table(k)} WHERE ${column(k, 'publicKey')} = ${param(1)}`;
    // the first set pinned for a key stays (both dialects know ON CONFLICT … DO NOTHING)
    this.pin = `${insertInto(k)} ON CONFLICT (${column(k, 'publicKey')}) DO NOTHING`;
  }

  /** The validator row of `publicKey`; on PostgreSQL with `lock`, locked until the transaction ends. */
  async validatorRow(manager: EntityManager, publicKey: string, lock: boolean): Promise<ValidatorRecord | null> {
    const rows = (await manager.query(lock ? this.lockValidator : this.selectValidator, [publicKey])) as ObjectLiteral[];
    return rows.length === 0 ? null : this.hydrate<ValidatorRecord>(this.validator, rows[0]!);
  }

  /** A validator's partials, oldest first (ties by share index). */
  async partials(manager: EntityManager, validatorId: string): Promise<PartialRecord[]> {
    const rows = (await manager.query(this.selectPartials, [validatorId])) as ObjectLiteral[];
    return rows.map((row) => this.hydrate<PartialRecord>(this.partial, row));
  }

  async insert(manager: EntityManager, record: PartialRecord): Promise<void> {
    await manager.query(this.insertPartial, this.persistentValues(this.partial, record));
  }

  /** Updates the given fields of a validator row. */
  async updateValidator(manager: EntityManager, id: string, patch: Partial<ValidatorRecord>): Promise<void> {
    const driver = this.dataSource.driver;
    // undefined fields are left alone, as TypeORM's update does
    const fields = Object.keys(patch).filter((property) => (patch as ObjectLiteral)[property] !== undefined);
    const columns = fields.map((property) => {
      const column = this.validator.findColumnWithPropertyName(property);
      if (column === undefined) throw new Error(`validator update: unknown field ${property}`);
      return column;
    });
    if (columns.length === 0) return;
    const assignments = columns.map((c, i) => `${driver.escape(c.databaseName)} = ${this.param(i + 1)}`).join(', ');
    const values = columns.map((c) => driver.preparePersistentValue((patch as ObjectLiteral)[c.propertyName], c));
    await manager.query(`UPDATE ${this.validatorTable} SET ${assignments} WHERE ${this.validatorId} = ${this.param(columns.length + 1)}`, [...values, id]);
  }

  async pinnedShares(manager: EntityManager, publicKey: string): Promise<PublicKeySharesRecord['shares'] | undefined> {
    const rows = (await manager.query(this.selectPinned, [publicKey])) as ObjectLiteral[];
    return rows.length === 0 ? undefined : this.hydrate<PublicKeySharesRecord>(this.pinnedSet, rows[0]!).shares;
  }

  /** Pins `record.shares` unless a set is pinned for the key already; returns the pinned set. */
  async pinShares(manager: EntityManager, record: PublicKeySharesRecord): Promise<PublicKeySharesRecord['shares']> {
    await manager.query(this.pin, this.persistentValues(this.pinnedSet, record));
    return (await this.pinnedShares(manager, record.publicKey))!;
  }

  /** A record's column values for an INSERT built by `insertInto`. */
  private persistentValues(metadata: EntityMetadata, record: object): unknown[] {
    return metadata.columns.map((c) => this.dataSource.driver.preparePersistentValue((record as ObjectLiteral)[c.propertyName], c));
  }

  private hydrate<T>(metadata: EntityMetadata, raw: ObjectLiteral): T {
    const out: ObjectLiteral = {};
    for (const c of metadata.columns) out[c.propertyName] = this.dataSource.driver.prepareHydratedValue(raw[c.databaseName], c);
    return out as T;
  }
}
