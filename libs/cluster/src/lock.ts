/**
 * The cluster definition and lock: Obol/Charon field names (cluster-lock.json v1.8+ layout).
 *
 * Hashing: Charon derives config_hash, definition_hash and lock_hash from SSZ hash-tree-roots.
 * Locks written by this suite (version {@link LOCK_VERSION}) instead hash a canonical JSON
 * encoding (sorted keys, no whitespace, see canonical-json.ts) with SHA-256, domain-separated:
 *
 *   H(tag, value) = sha256(utf8(tag) ‖ 0x0a ‖ utf8(canonicalJson(value)))
 *   config_hash     = H("dvt/cluster/config_hash/v1",     definition without config_hash, definition_hash,
 *                                                         operators' enr / signatures and creator's signature)
 *   definition_hash = H("dvt/cluster/definition_hash/v1", definition without definition_hash)
 *   lock_hash       = H("dvt/cluster/lock_hash/v1",       {cluster_definition, distributed_validators})
 *
 * node_signatures[i] is operator i's secp256k1 signature (r ‖ s ‖ v) over lock_hash, by the key of
 * its ENR; signature_aggregate is the BLS aggregate of every distributed key's signature over
 * lock_hash (proof that the dealer held each key). Locks with a Charon version are parsed and
 * their keys, shares, ENRs and node signatures checked, but their SSZ hashes are not recomputed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeCanonicalJson } from './canonical-json.js';
import { ClusterError } from './errors.js';

export const LOCK_VERSION = 'dvt/v1';

export interface LockOperator {
  /** operator's Ethereum address; "" in a trusted-dealer cluster (no operator accounts) */
  address: string;
  enr: string;
  config_signature: string;
  enr_signature: string;
}

export interface LockCreator {
  address: string;
  config_signature: string;
}

export interface ValidatorAddresses {
  fee_recipient_address: string;
  withdrawal_address: string;
}

export interface ClusterDefinition {
  name: string;
  creator?: LockCreator;
  operators: LockOperator[];
  uuid: string;
  version: string;
  timestamp: string;
  num_validators: number;
  threshold: number;
  validators?: ValidatorAddresses[];
  dkg_algorithm: string;
  /** genesis fork version of the network, 0x hex (4 bytes) */
  fork_version: string;
  /** gwei as decimal strings; every validator gets one deposit per amount */
  deposit_amounts?: string[];
  consensus_protocol?: string;
  target_gas_limit?: number;
  /** true: 0x02 (compounding) withdrawal credentials, false: 0x01 */
  compounding?: boolean;
  config_hash?: string;
  definition_hash: string;
}

/** A deposit signed by the full (distributed) key. Hex with 0x; amount in gwei as a decimal string. */
export interface LockDepositData {
  pubkey: string;
  withdrawal_credentials: string;
  amount: string;
  signature: string;
}

export interface BuilderRegistration {
  message: { fee_recipient: string; gas_limit: number; timestamp: number; pubkey: string };
  signature: string;
}

export interface DistributedValidator {
  distributed_public_key: string;
  /** public_shares[i] is the public key of the share at x = i + 1 (node i) */
  public_shares: string[];
  builder_registration?: BuilderRegistration;
  partial_deposit_data?: LockDepositData[];
  /** lock versions before v1.8 carried one deposit here */
  deposit_data?: LockDepositData;
}

export interface ClusterLock {
  cluster_definition: ClusterDefinition;
  distributed_validators: DistributedValidator[];
  signature_aggregate: string;
  lock_hash: string;
  node_signatures?: string[];
}

const hex = (bytes?: number) =>
  z.string().regex(bytes === undefined ? /^0x([0-9a-fA-F]{2})*$/ : new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), {
    message: bytes === undefined ? 'expected 0x hex' : `expected 0x + ${bytes} bytes of hex`,
  });
const optionalHex = z.union([z.literal(''), hex()]);
const gweiString = z.string().regex(/^\d{1,20}$/, { message: 'expected gwei as a decimal string' });
const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const depositDataSchema = z.object({
  pubkey: hex(48),
  withdrawal_credentials: hex(32),
  amount: gweiString,
  signature: hex(96),
});

const lockSchema = z.object({
  cluster_definition: z.object({
    name: z.string().default(''),
    creator: z.object({ address: optionalHex, config_signature: optionalHex }).optional(),
    operators: z
      .array(z.object({ address: optionalHex.default(''), enr: z.string(), config_signature: optionalHex.default(''), enr_signature: optionalHex.default('') }))
      .min(1),
    uuid: z.string(),
    version: z.string().min(1),
    timestamp: z.string().default(''),
    num_validators: uint,
    threshold: uint,
    validators: z.array(z.object({ fee_recipient_address: optionalHex, withdrawal_address: optionalHex })).optional(),
    dkg_algorithm: z.string().default(''),
    fork_version: hex(4),
    deposit_amounts: z.array(gweiString).nullish().transform((v) => v ?? undefined),
    consensus_protocol: z.string().optional(),
    target_gas_limit: uint.optional(),
    compounding: z.boolean().optional(),
    config_hash: hex(32).optional(),
    definition_hash: hex(32),
  }),
  distributed_validators: z.array(
    z.object({
      distributed_public_key: hex(48),
      public_shares: z.array(hex(48)).min(1),
      builder_registration: z
        .object({
          message: z.object({ fee_recipient: hex(20), gas_limit: uint, timestamp: uint, pubkey: hex(48) }),
          signature: hex(96),
        })
        .optional(),
      partial_deposit_data: z.array(depositDataSchema).optional(),
      deposit_data: depositDataSchema.optional(),
    }),
  ),
  signature_aggregate: optionalHex,
  lock_hash: hex(32),
  node_signatures: z.array(hex()).optional(),
});

/** Validates the shape of a cluster lock (object or JSON text); `source` names it in errors. */
export function parseClusterLock(json: unknown, source = 'cluster lock'): ClusterLock {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new ClusterError('LOCK_INVALID', `${source}: not JSON (${(err as Error).message})`);
    }
  }
  const parsed = lockSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : '';
    throw new ClusterError('LOCK_INVALID', `${source}: ${issues.join('; ')}${more}`, { issues: parsed.error.issues.length });
  }
  return parsed.data as ClusterLock;
}

/** Reads and parses a cluster-lock.json (no verification: see verifyClusterLock). */
export async function loadClusterLock(path: string): Promise<ClusterLock> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ClusterError('LOCK_INVALID', `cannot read cluster lock ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      path,
    });
  }
  return parseClusterLock(text, path);
}

const HASH_CHUNK = 1 << 16;

function taggedHash(tag: string, value: unknown): string {
  const hash = createHash('sha256').update(tag + '\n');
  let pending: string[] = [];
  let pendingLength = 0;
  writeCanonicalJson(value, (piece) => {
    pending.push(piece);
    pendingLength += piece.length;
    if (pendingLength >= HASH_CHUNK) {
      hash.update(pending.join(''));
      pending = [];
      pendingLength = 0;
    }
  });
  return '0x' + hash.update(pending.join('')).digest('hex');
}

export function computeConfigHash(definition: ClusterDefinition): string {
  const { config_hash: _c, definition_hash: _d, operators, creator, ...rest } = definition;
  return taggedHash('dvt/cluster/config_hash/v1', {
    ...rest,
    operators: operators.map((o) => ({ address: o.address })),
    creator: creator === undefined ? undefined : { address: creator.address },
  });
}

export function computeDefinitionHash(definition: ClusterDefinition): string {
  const { definition_hash: _d, ...rest } = definition;
  return taggedHash('dvt/cluster/definition_hash/v1', rest);
}

export function computeLockHash(lock: Pick<ClusterLock, 'cluster_definition' | 'distributed_validators'>): string {
  return taggedHash('dvt/cluster/lock_hash/v1', {
    cluster_definition: lock.cluster_definition,
    distributed_validators: lock.distributed_validators,
  });
}

/** True for locks whose hashes this suite can recompute (written by it). */
export function isSuiteLock(lock: ClusterLock): boolean {
  return lock.cluster_definition.version === LOCK_VERSION;
}

/** The deposits of a validator whatever the lock version. */
export function lockDeposits(dv: DistributedValidator): LockDepositData[] {
  if (dv.partial_deposit_data !== undefined) return dv.partial_deposit_data;
  return dv.deposit_data === undefined ? [] : [dv.deposit_data];
}
