import Database from 'better-sqlite3';
import { SlashingProtectionError } from './errors.js';
import { type Interchange, INTERCHANGE_FORMAT_VERSION, parseInterchange } from './interchange.js';

export const SCHEMA_VERSION = 1;

/** Same shape as SlashingVerdict of @dvt/dv core. */
export type SlashingVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface OpenOptions {
  /** SQLite file; omit (or ':memory:') for an in-memory database (tests). */
  file?: string;
  /** 0x-hex genesis validators root of the node's network; the file is bound to it. */
  genesisValidatorsRoot: string;
}

export interface AttestationRecordEntry {
  pubkey: string;
  sourceEpoch: number;
  targetEpoch: number;
  signingRoot: Uint8Array;
}

export type BatchVerdict = SlashingVerdict & { readonly pubkey: string };

const UNKNOWN_ROOT = '';

function rootKey(root: Uint8Array | string | undefined): string {
  if (root === undefined) return UNKNOWN_ROOT;
  const hex = typeof root === 'string' ? root.toLowerCase() : '0x' + Buffer.from(root).toString('hex');
  if (!/^0x[0-9a-f]{64}$/.test(hex)) {
    throw new SlashingProtectionError('INVALID_INTERCHANGE', `signing root: expected 32 bytes, got ${hex}`);
  }
  return hex;
}

function normalisePubkey(pubkey: string): string {
  const key = pubkey.toLowerCase();
  if (!/^0x[0-9a-f]{96}$/.test(key)) {
    throw new SlashingProtectionError('INVALID_PUBKEY', `expected a 48-byte 0x-hex public key, got ${pubkey}`);
  }
  return key;
}

function checkEpoch(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SlashingProtectionError('INVALID_INTERCHANGE', `${name}: expected a non-negative integer, got ${value}`);
  }
}

/**
 * EIP-3076 slashing protection for every DV key of one node, in one SQLite file (WAL,
 * synchronous = FULL). Exact rules against recorded history plus low watermarks (minimal
 * protection) so that a pruned or imported history stays safe.
 */
export class SlashingProtectionDb {
  readonly genesisValidatorsRoot: string;
  private readonly db: Database.Database;
  private readonly stmt;

  private constructor(db: Database.Database, genesisValidatorsRoot: string) {
    this.db = db;
    this.genesisValidatorsRoot = genesisValidatorsRoot;
    this.stmt = {
      validatorId: db.prepare<[string], { id: number }>('SELECT id FROM validators WHERE pubkey = ?'),
      insertValidator: db.prepare('INSERT OR IGNORE INTO validators (pubkey) VALUES (?)'),
      attAtTarget: db.prepare<[number, number], { source: number; signing_root: string }>(
        'SELECT source, signing_root FROM attestations WHERE validator_id = ? AND target = ?',
      ),
      surrounding: db.prepare<[number, number, number], { source: number; target: number }>(
        'SELECT source, target FROM attestations WHERE validator_id = ? AND source < ? AND target > ? LIMIT 1',
      ),
      surrounded: db.prepare<[number, number, number], { source: number; target: number }>(
        'SELECT source, target FROM attestations WHERE validator_id = ? AND source > ? AND target < ? LIMIT 1',
      ),
      attWatermark: db.prepare<[number], { minSource: number | null; minTarget: number | null }>(
        'SELECT MIN(source) AS minSource, MIN(target) AS minTarget FROM attestations WHERE validator_id = ?',
      ),
      insertAtt: db.prepare(
        'INSERT OR IGNORE INTO attestations (validator_id, source, target, signing_root) VALUES (?, ?, ?, ?)',
      ),
      blocksAtSlot: db.prepare<[number, number], { signing_root: string }>(
        'SELECT signing_root FROM blocks WHERE validator_id = ? AND slot = ?',
      ),
      blockWatermark: db.prepare<[number], { minSlot: number | null }>(
        'SELECT MIN(slot) AS minSlot FROM blocks WHERE validator_id = ?',
      ),
      insertBlock: db.prepare('INSERT OR IGNORE INTO blocks (validator_id, slot, signing_root) VALUES (?, ?, ?)'),
    };
  }

  static open(options: OpenOptions): SlashingProtectionDb {
    const root = options.genesisValidatorsRoot.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(root)) {
      throw new SlashingProtectionError('INVALID_GENESIS_VALIDATORS_ROOT', `expected 32-byte 0x-hex, got ${root}`);
    }
    const db = new Database(options.file ?? ':memory:');
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS validators (id INTEGER PRIMARY KEY, pubkey TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS blocks (
          validator_id INTEGER NOT NULL REFERENCES validators(id),
          slot INTEGER NOT NULL,
          signing_root TEXT NOT NULL,
          UNIQUE (validator_id, slot, signing_root));
        CREATE TABLE IF NOT EXISTS attestations (
          validator_id INTEGER NOT NULL REFERENCES validators(id),
          source INTEGER NOT NULL,
          target INTEGER NOT NULL,
          signing_root TEXT NOT NULL,
          UNIQUE (validator_id, target, source, signing_root));
        CREATE INDEX IF NOT EXISTS attestations_by_source ON attestations (validator_id, source);
      `);
      const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
      const version = get.get('schema_version')?.value;
      if (version === undefined) {
        db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run(
          'schema_version',
          String(SCHEMA_VERSION),
          'genesis_validators_root',
          root,
        );
      } else if (version !== String(SCHEMA_VERSION)) {
        throw new SlashingProtectionError('DATABASE_ERROR', `unknown schema version ${version} (expected ${SCHEMA_VERSION})`);
      } else {
        const stored = get.get('genesis_validators_root')?.value;
        if (stored !== root) {
          throw new SlashingProtectionError(
            'INVALID_GENESIS_VALIDATORS_ROOT',
            `database belongs to genesis validators root ${stored}, the node's network has ${root}`,
            { stored, expected: root },
          );
        }
      }
    } catch (err) {
      db.close();
      throw err;
    }
    return new SlashingProtectionDb(db, root);
  }

  close(): void {
    this.db.close();
  }

  private validatorId(pubkey: string, create: boolean): number | undefined {
    const key = normalisePubkey(pubkey);
    const found = this.stmt.validatorId.get(key);
    if (found !== undefined || !create) return found?.id;
    this.stmt.insertValidator.run(key);
    return this.stmt.validatorId.get(key)!.id;
  }

  checkAttestation(pubkey: string, sourceEpoch: number, targetEpoch: number, signingRoot: Uint8Array): SlashingVerdict {
    checkEpoch(sourceEpoch, 'source epoch');
    checkEpoch(targetEpoch, 'target epoch');
    const root = rootKey(signingRoot);
    if (sourceEpoch > targetEpoch) {
      return { ok: false, reason: `source epoch ${sourceEpoch} is greater than target epoch ${targetEpoch}` };
    }
    const id = this.validatorId(pubkey, false);
    if (id === undefined) return { ok: true };
    const sameTarget = this.stmt.attAtTarget.all(id, targetEpoch);
    if (sameTarget.length > 0) {
      if (root !== UNKNOWN_ROOT && sameTarget.every((a) => a.signing_root === root && a.source === sourceEpoch)) {
        return { ok: true };
      }
      return { ok: false, reason: `double vote: an attestation with target epoch ${targetEpoch} and another signing root was signed` };
    }
    const surrounding = this.stmt.surrounding.get(id, sourceEpoch, targetEpoch);
    if (surrounding !== undefined) {
      return {
        ok: false,
        reason: `surrounded vote: (${sourceEpoch}, ${targetEpoch}) is surrounded by the signed (${surrounding.source}, ${surrounding.target})`,
      };
    }
    const surrounded = this.stmt.surrounded.get(id, sourceEpoch, targetEpoch);
    if (surrounded !== undefined) {
      return {
        ok: false,
        reason: `surrounding vote: (${sourceEpoch}, ${targetEpoch}) surrounds the signed (${surrounded.source}, ${surrounded.target})`,
      };
    }
    const { minSource, minTarget } = this.stmt.attWatermark.get(id)!;
    if (minSource !== null && sourceEpoch < minSource) {
      return { ok: false, reason: `source epoch ${sourceEpoch} is below the low watermark (minimum source ${minSource})` };
    }
    if (minTarget !== null && targetEpoch <= minTarget) {
      return { ok: false, reason: `target epoch ${targetEpoch} is at or below the low watermark (minimum target ${minTarget})` };
    }
    return { ok: true };
  }

  checkBlock(pubkey: string, slot: number, signingRoot: Uint8Array): SlashingVerdict {
    checkEpoch(slot, 'slot');
    const root = rootKey(signingRoot);
    const id = this.validatorId(pubkey, false);
    if (id === undefined) return { ok: true };
    const atSlot = this.stmt.blocksAtSlot.all(id, slot);
    if (atSlot.length > 0) {
      if (root !== UNKNOWN_ROOT && atSlot.every((b) => b.signing_root === root)) return { ok: true };
      return { ok: false, reason: `double proposal: a block with another signing root was signed at slot ${slot}` };
    }
    const { minSlot } = this.stmt.blockWatermark.get(id)!;
    if (minSlot !== null && slot <= minSlot) {
      return { ok: false, reason: `slot ${slot} is at or below the low watermark (minimum slot ${minSlot})` };
    }
    return { ok: true };
  }

  /** Atomic check-then-write; resolves once the write is durable, rejects with SLASHABLE_ATTESTATION. */
  async recordAttestation(pubkey: string, sourceEpoch: number, targetEpoch: number, signingRoot: Uint8Array): Promise<void> {
    const verdict = this.db
      .transaction(() => this.checkAndInsertAttestation(pubkey, sourceEpoch, targetEpoch, signingRoot))
      .immediate();
    if (!verdict.ok) {
      throw new SlashingProtectionError('SLASHABLE_ATTESTATION', `refused attestation of ${pubkey}: ${verdict.reason}`, {
        pubkey,
        sourceEpoch,
        targetEpoch,
        reason: verdict.reason,
      });
    }
  }

  /** Records many DVs' attestations in one transaction; refused entries are not written. */
  async recordAttestations(entries: readonly AttestationRecordEntry[]): Promise<BatchVerdict[]> {
    return this.db
      .transaction(() =>
        entries.map((e) => ({
          pubkey: e.pubkey,
          ...this.checkAndInsertAttestation(e.pubkey, e.sourceEpoch, e.targetEpoch, e.signingRoot),
        })),
      )
      .immediate();
  }

  async recordBlock(pubkey: string, slot: number, signingRoot: Uint8Array): Promise<void> {
    const verdict = this.db
      .transaction((): SlashingVerdict => {
        const result = this.checkBlock(pubkey, slot, signingRoot);
        if (result.ok) this.stmt.insertBlock.run(this.validatorId(pubkey, true), slot, rootKey(signingRoot));
        return result;
      })
      .immediate();
    if (!verdict.ok) {
      throw new SlashingProtectionError('SLASHABLE_BLOCK', `refused block of ${pubkey}: ${verdict.reason}`, {
        pubkey,
        slot,
        reason: verdict.reason,
      });
    }
  }

  private checkAndInsertAttestation(pubkey: string, source: number, target: number, signingRoot: Uint8Array): SlashingVerdict {
    const verdict = this.checkAttestation(pubkey, source, target, signingRoot);
    if (verdict.ok) this.stmt.insertAtt.run(this.validatorId(pubkey, true), source, target, rootKey(signingRoot));
    return verdict;
  }

  /** Merges an EIP-3076 v5 interchange (JSON text or parsed) into the history, all or nothing. */
  importInterchange(input: string | unknown): { validators: number; blocks: number; attestations: number } {
    let json: unknown = input;
    if (typeof input === 'string') {
      try {
        json = JSON.parse(input);
      } catch (err) {
        throw new SlashingProtectionError('INVALID_INTERCHANGE', `not JSON: ${(err as Error).message}`);
      }
    }
    const interchange = parseInterchange(json);
    const root = interchange.metadata.genesis_validators_root;
    if (root !== this.genesisValidatorsRoot) {
      throw new SlashingProtectionError(
        'INVALID_GENESIS_VALIDATORS_ROOT',
        `interchange genesis_validators_root ${root} does not match the node's network ${this.genesisValidatorsRoot}`,
        { interchange: root, expected: this.genesisValidatorsRoot },
      );
    }
    return this.db
      .transaction(() => {
        let blocks = 0;
        let attestations = 0;
        for (const v of interchange.data) {
          const id = this.validatorId(v.pubkey, true)!;
          for (const b of v.signed_blocks) blocks += this.stmt.insertBlock.run(id, Number(b.slot), rootKey(b.signing_root)).changes;
          for (const a of v.signed_attestations) {
            attestations += this.stmt.insertAtt.run(
              id,
              Number(a.source_epoch),
              Number(a.target_epoch),
              rootKey(a.signing_root),
            ).changes;
          }
        }
        return { validators: new Set(interchange.data.map((v) => v.pubkey)).size, blocks, attestations };
      })
      .immediate();
  }

  /** The recorded history as EIP-3076 v5 (all DVs, or the given ones). */
  exportInterchange(pubkeys?: readonly string[]): Interchange {
    const all = this.db.prepare<[], { id: number; pubkey: string }>('SELECT id, pubkey FROM validators ORDER BY pubkey').all();
    const wanted = pubkeys === undefined ? undefined : new Set(pubkeys.map(normalisePubkey));
    const blocksOf = this.db.prepare<[number], { slot: number; signing_root: string }>(
      'SELECT slot, signing_root FROM blocks WHERE validator_id = ? ORDER BY slot, signing_root',
    );
    const attsOf = this.db.prepare<[number], { source: number; target: number; signing_root: string }>(
      'SELECT source, target, signing_root FROM attestations WHERE validator_id = ? ORDER BY target, source, signing_root',
    );
    const withRoot = (root: string) => (root === UNKNOWN_ROOT ? {} : { signing_root: root });
    return this.db.transaction(() => ({
      metadata: { interchange_format_version: INTERCHANGE_FORMAT_VERSION, genesis_validators_root: this.genesisValidatorsRoot },
      data: all
        .filter((v) => wanted === undefined || wanted.has(v.pubkey))
        .map((v) => ({
          pubkey: v.pubkey,
          signed_blocks: blocksOf.all(v.id).map((b) => ({ slot: String(b.slot), ...withRoot(b.signing_root) })),
          signed_attestations: attsOf.all(v.id).map((a) => ({
            source_epoch: String(a.source),
            target_epoch: String(a.target),
            ...withRoot(a.signing_root),
          })),
        })),
    }))();
  }
}
