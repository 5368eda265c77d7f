/**
 * The Obol/Charon on-disk layout, per node:
 *
 *   node{i}/cluster-lock.json
 *   node{i}/charon-enr-private-key          secp256k1 identity key, hex (mode 0600)
 *   node{i}/deposit_data.json               staking-deposit-cli format, full-key signatures
 *   node{i}/validator_keys/keystore-N.json  EIP-2335 keystore of node i's share of the N-th validator
 *   node{i}/validator_keys/keystore-N.txt   its password (mode 0600)
 *
 * Node i holds the share at x = i + 1 (`public_shares[i]` of the lock).
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToBareHex, bytesToHex, equalBytes } from '@dvt/common';
import { type NetworkConfig, serializeDepositDataFile } from '@dvt/eth2';
import { TblsError, decryptKeystore, encryptKeystore, secretKeyToPublicKey } from '@dvt/tbls';
import { type CreatedCluster } from './create.js';
import { ClusterError } from './errors.js';
import { formatIdentityKeyFile, identityPublicKey, parseIdentityKeyFile } from './identity.js';
import { type ClusterLock, loadClusterLock } from './lock.js';
import { mapWithConcurrency } from './pool.js';
import { type VerifiedClusterLock, verifyClusterLock } from './verify.js';

export const LOCK_FILE = 'cluster-lock.json';
export const IDENTITY_KEY_FILE = 'charon-enr-private-key';
export const DEPOSIT_DATA_FILE = 'deposit_data.json';
export const VALIDATOR_KEYS_DIR = 'validator_keys';

export function nodeDirName(nodeIndex: number): string {
  return `node${nodeIndex}`;
}

export interface KeystoreProgress {
  done: number;
  total: number;
  /** path of the file just written or read */
  file: string;
}

export interface WriteClusterOptions {
  /** keystore KDF (default scrypt, as Charon and the deposit CLI) */
  kdf?: 'scrypt' | 'pbkdf2';
  /** cheap KDF parameters: tests and benchmarks only */
  fastKdfForTests?: boolean;
  /** only these node indexes (default: all) */
  nodeIndexes?: number[];
  onKeystore?: (progress: KeystoreProgress) => void;
  concurrency?: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function assertWritableNodeDir(dir: string): Promise<void> {
  if (!(await exists(dir))) return;
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new ClusterError('OUTPUT_EXISTS', `${dir} already exists and is not empty: refusing to overwrite cluster keys`, { dir });
  }
}

/** Writes node{i}/ folders for a created cluster under `outDir`; returns the node directories. */
export async function writeClusterFolders(cluster: CreatedCluster, outDir: string, opts: WriteClusterOptions = {}): Promise<string[]> {
  const nodes = opts.nodeIndexes === undefined ? cluster.nodes : cluster.nodes.filter((n) => opts.nodeIndexes!.includes(n.index));
  const dirs = nodes.map((n) => join(outDir, nodeDirName(n.index)));
  for (const dir of dirs) await assertWritableNodeDir(dir);

  const lockText = JSON.stringify(cluster.lock, null, 2) + '\n';
  const depositText = serializeDepositDataFile(cluster.depositData);
  const jobs: { node: number; validator: number; share: Uint8Array; dir: string }[] = [];
  for (const [k, node] of nodes.entries()) {
    const dir = dirs[k]!;
    await mkdir(join(dir, VALIDATOR_KEYS_DIR), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, LOCK_FILE), lockText);
    await writeFile(join(dir, IDENTITY_KEY_FILE), formatIdentityKeyFile(node.identityKey), { mode: 0o600 });
    await writeFile(join(dir, DEPOSIT_DATA_FILE), depositText);
    node.keyShares.forEach((share, validator) => jobs.push({ node: node.index, validator, share, dir }));
  }
  let done = 0;
  await mapWithConcurrency(
    jobs,
    async (job) => {
      const password = bytesToBareHex(randomBytes(16));
      const keystore = await encryptKeystore(job.share, password, {
        kdf: opts.kdf ?? 'scrypt',
        fastKdfForTests: opts.fastKdfForTests,
        description: `share ${job.node + 1} of validator ${job.validator} (${nodeDirName(job.node)})`,
      });
      const base = join(job.dir, VALIDATOR_KEYS_DIR, `keystore-${job.validator}`);
      await writeFile(`${base}.json`, JSON.stringify(keystore, null, 2) + '\n', { mode: 0o600 });
      await writeFile(`${base}.txt`, password, { mode: 0o600 });
      opts.onKeystore?.({ done: ++done, total: jobs.length, file: `${base}.json` });
    },
    opts.concurrency,
  );
  return dirs;
}

/** One validator as seen by one node: its share and every node's public share. */
export interface ValidatorKeyShare {
  /** position of the validator in the lock */
  lockIndex: number;
  /** distributed (validator) public key, lowercase 0x hex */
  publicKey: string;
  /** this node's public share, lowercase 0x hex */
  publicShare: string;
  secretShare: Uint8Array;
  /** every node's public share with its share index (node index + 1) */
  publicShares: { shareIndex: number; publicKey: string }[];
}

export interface NodeKeyShares {
  nodeIndex: number;
  /** x-coordinate of this node's shares: nodeIndex + 1 */
  shareIndex: number;
  threshold: number;
  lock: ClusterLock;
  network: NetworkConfig | undefined;
  validators: ValidatorKeyShare[];
}

export interface LoadNodeKeySharesOptions {
  /** 0-based node index; required unless an identity key file tells it */
  nodeIndex?: number;
  /** default <dir>/cluster-lock.json */
  lockPath?: string;
  /** default <dir>/validator_keys */
  keysDir?: string;
  /** default <dir>/charon-enr-private-key when that file exists; false: do not look for one */
  identityKeyPath?: string | false;
  network?: NetworkConfig;
  verifyDeposits?: boolean;
  /** an already verified lock (several nodes loaded from one lock verify it once) */
  verifiedLock?: VerifiedClusterLock;
  concurrency?: number;
  onKeystore?: (progress: KeystoreProgress) => void;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ClusterError('KEY_SHARE_INVALID', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      path,
    });
  }
}

async function resolveNodeIndex(dir: string, verified: VerifiedClusterLock, opts: LoadNodeKeySharesOptions): Promise<number> {
  const operatorCount = verified.operatorPublicKeys.length;
  if (opts.nodeIndex !== undefined && (!Number.isSafeInteger(opts.nodeIndex) || opts.nodeIndex < 0 || opts.nodeIndex >= operatorCount)) {
    throw new ClusterError('NODE_NOT_IN_CLUSTER', `node index ${opts.nodeIndex} is out of range: the cluster has nodes 0..${operatorCount - 1}`);
  }
  let identityPath: string | undefined;
  if (opts.identityKeyPath !== false) {
    const candidate = opts.identityKeyPath ?? join(dir, IDENTITY_KEY_FILE);
    if (opts.identityKeyPath !== undefined || (await exists(candidate))) identityPath = candidate;
  }
  if (identityPath === undefined) {
    if (opts.nodeIndex === undefined) {
      throw new ClusterError('NODE_NOT_IN_CLUSTER', `no identity key in ${dir} and no node index given: cannot tell which node this is`);
    }
    return opts.nodeIndex;
  }
  const publicKey = identityPublicKey(parseIdentityKeyFile(await readText(identityPath, 'identity key'), identityPath));
  const found = verified.operatorPublicKeys.findIndex((k) => equalBytes(k, publicKey));
  if (found < 0) {
    throw new ClusterError('NODE_NOT_IN_CLUSTER', `the identity key ${identityPath} is not one of the cluster's ${operatorCount} operators`, {
      identity: bytesToHex(publicKey),
    });
  }
  if (opts.nodeIndex !== undefined && opts.nodeIndex !== found) {
    throw new ClusterError(
      'NODE_NOT_IN_CLUSTER',
      `configured as node ${opts.nodeIndex} but the identity key ${identityPath} is operator ${found}'s`,
      { configured: opts.nodeIndex, identity: found },
    );
  }
  return found;
}

/** keystore*.json files of a directory, sorted by their number when named keystore-N.json. */
export async function listKeystoreFiles(keysDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(keysDir);
  } catch (err) {
    throw new ClusterError('KEY_SHARE_INVALID', `cannot read the key directory ${keysDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const number = (name: string): number => {
    const m = /^keystore-(\d+)\.json$/.exec(name);
    return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
  };
  return entries
    .filter((name) => name.startsWith('keystore') && name.endsWith('.json'))
    .sort((a, b) => number(a) - number(b) || (a < b ? -1 : 1));
}

/**
 * Loads and checks one node's key shares: verifies the lock (see verifyClusterLock), finds the
 * node's index (identity key and/or the given index, which must agree), decrypts every
 * keystore (password in the same-named .txt) and checks each share's public key is this node's
 * public share of a validator of the lock — and that every validator has exactly one.
 */
export async function loadNodeKeyShares(dir: string, opts: LoadNodeKeySharesOptions = {}): Promise<NodeKeyShares> {
  const verified =
    opts.verifiedLock ??
    verifyClusterLock(await loadClusterLock(opts.lockPath ?? join(dir, LOCK_FILE)), { network: opts.network, verifyDeposits: opts.verifyDeposits });
  const { lock } = verified;
  const nodeIndex = await resolveNodeIndex(dir, verified, opts);
  const keysDir = opts.keysDir ?? join(dir, VALIDATOR_KEYS_DIR);

  // public share (lowercase hex) → [validator position, owning node]
  const owner = new Map<string, { validator: number; node: number }>();
  lock.distributed_validators.forEach((dv, validator) =>
    dv.public_shares.forEach((share, node) => owner.set(share.toLowerCase(), { validator, node })),
  );

  const files = await listKeystoreFiles(keysDir);
  let done = 0;
  const decrypted = await mapWithConcurrency(
    files,
    async (name) => {
      const path = join(keysDir, name);
      const passwordPath = path.replace(/\.json$/, '.txt');
      const [text, password] = await Promise.all([readText(path, 'keystore'), readText(passwordPath, 'keystore password')]);
      let secret: Uint8Array;
      try {
        secret = await decryptKeystore(text, password.trim());
      } catch (err) {
        const reason = err instanceof TblsError && err.code === 'KEYSTORE_WRONG_PASSWORD' ? `wrong password in ${passwordPath}` : (err as Error).message;
        throw new ClusterError('KEY_SHARE_INVALID', `keystore ${path}: ${reason}`, { path });
      }
      opts.onKeystore?.({ done: ++done, total: files.length, file: path });
      return { path, secret, publicShare: bytesToHex(secretKeyToPublicKey(secret)) };
    },
    opts.concurrency,
  );

  const byValidator = new Map<number, ValidatorKeyShare>();
  for (const { path, secret, publicShare } of decrypted) {
    const found = owner.get(publicShare);
    if (found === undefined) {
      throw new ClusterError('KEY_SHARE_INVALID', `keystore ${path} (public key ${publicShare}) is not a share of any validator in the cluster lock`, {
        path,
      });
    }
    const dv = lock.distributed_validators[found.validator]!;
    const validatorKey = dv.distributed_public_key.toLowerCase();
    if (found.node !== nodeIndex) {
      throw new ClusterError(
        'KEY_SHARE_INVALID',
        `keystore ${path} holds node ${found.node}'s share (share index ${found.node + 1}) of validator ${validatorKey}, ` +
          `but this is node ${nodeIndex} (share index ${nodeIndex + 1}): these key files are for another node`,
        { path, validator: validatorKey, keyNode: found.node, nodeIndex },
      );
    }
    if (byValidator.has(found.validator)) {
      throw new ClusterError('KEY_SHARE_INVALID', `validator ${validatorKey} has two keystores (${path} and another one)`, { path });
    }
    byValidator.set(found.validator, {
      lockIndex: found.validator,
      publicKey: validatorKey,
      publicShare,
      secretShare: secret,
      publicShares: dv.public_shares.map((s, i) => ({ shareIndex: i + 1, publicKey: s.toLowerCase() })),
    });
  }
  const missing = lock.distributed_validators.findIndex((_, i) => !byValidator.has(i));
  if (missing >= 0) {
    const count = lock.distributed_validators.length - byValidator.size;
    throw new ClusterError(
      'KEY_SHARE_MISSING',
      `no keystore in ${keysDir} for validator ${lock.distributed_validators[missing]!.distributed_public_key.toLowerCase()}` +
        (count > 1 ? ` (and ${count - 1} more)` : '') +
        ` — node ${nodeIndex} must hold a share of every validator of the lock`,
      { keysDir, missing: count },
    );
  }
  return {
    nodeIndex,
    shareIndex: nodeIndex + 1,
    threshold: lock.cluster_definition.threshold,
    lock,
    network: verified.network,
    validators: [...byValidator.values()].sort((a, b) => a.lockIndex - b.lockIndex),
  };
}

export interface ImportKeystoresOptions {
  /** one password for every keystore (staking-deposit-cli); otherwise each keystore's same-named .txt */
  password?: string;
  onKeystore?: (progress: KeystoreProgress) => void;
  concurrency?: number;
}

/** Decrypts the EIP-2335 keystores of a directory (validator keys to split), in file-name order. */
export async function importKeystores(dir: string, opts: ImportKeystoresOptions = {}): Promise<Uint8Array[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((n) => n.endsWith('.json') && n.startsWith('keystore')).sort();
  } catch (err) {
    throw new ClusterError('IMPORT_FAILED', `cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (entries.length === 0) throw new ClusterError('IMPORT_FAILED', `no keystore*.json files in ${dir}`);
  let done = 0;
  return mapWithConcurrency(
    entries,
    async (name) => {
      const path = join(dir, name);
      let password = opts.password;
      try {
        password ??= (await readFile(path.replace(/\.json$/, '.txt'), 'utf8')).trim();
        const secret = await decryptKeystore(await readFile(path, 'utf8'), password);
        opts.onKeystore?.({ done: ++done, total: entries.length, file: path });
        return secret;
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no password given and ${path.replace(/\.json$/, '.txt')} does not exist` : (err as Error).message;
        throw new ClusterError('IMPORT_FAILED', `cannot import ${path}: ${reason}`, { path });
      }
    },
    opts.concurrency,
  );
}
