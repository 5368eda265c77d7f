import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@dvt/common';
import { getNetwork, parseDepositDataFile } from '@dvt/eth2';
import { encryptKeystore, generateSecretKey, secretKeyToPublicKey } from '@dvt/tbls';
import { createCluster } from './create.js';
import { importKeystores, loadNodeKeyShares, writeClusterFolders } from './layout.js';
import { parseClusterLock } from './lock.js';

const hoodi = getNetwork('hoodi');
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';

describe('node folders', () => {
  let root: string;
  const cluster = createCluster({ network: hoodi, operators: 4, validators: 3, withdrawalAddress: VAULT, validatorType: '0x01', feeRecipient: VAULT });
  const progress: number[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dvt-cluster-'));
    await writeClusterFolders(cluster, join(root, 'cluster'), { kdf: 'pbkdf2', fastKdfForTests: true, onKeystore: (p) => progress.push(p.done) });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('writes the Obol layout, one keystore per validator per node, and reports progress per keystore', async () => {
    const node2 = join(root, 'cluster', 'node2');
    expect((await readdir(node2)).sort()).toEqual(['charon-enr-private-key', 'cluster-lock.json', 'deposit_data.json', 'validator_keys']);
    expect((await readdir(join(node2, 'validator_keys'))).sort()).toEqual(
      ['keystore-0.json', 'keystore-0.txt', 'keystore-1.json', 'keystore-1.txt', 'keystore-2.json', 'keystore-2.txt'],
    );
    expect((await stat(join(node2, 'charon-enr-private-key'))).mode & 0o777).toBe(0o600);
    expect(progress).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const lock = parseClusterLock(await readFile(join(node2, 'cluster-lock.json'), 'utf8'));
    expect(lock.lock_hash).toBe(cluster.lock.lock_hash);
    const deposits = parseDepositDataFile(await readFile(join(node2, 'deposit_data.json'), 'utf8'));
    expect(deposits.map((d) => bytesToHex(d.pubkey))).toEqual(lock.distributed_validators.map((d) => d.distributed_public_key));
    // keystore-N of node i is node i's share of the N-th validator
    const keystore = JSON.parse(await readFile(join(node2, 'validator_keys', 'keystore-1.json'), 'utf8')) as { pubkey: string };
    expect('0x' + keystore.pubkey).toBe(lock.distributed_validators[1]!.public_shares[2]);
  });

  it('loads a node: index from its identity key, every share checked against the lock', async () => {
    const shares = await loadNodeKeyShares(join(root, 'cluster', 'node1'));
    expect(shares.nodeIndex).toBe(1);
    expect(shares.shareIndex).toBe(2);
    expect(shares.network?.name).toBe('hoodi');
    expect(shares.validators.map((v) => v.publicKey)).toEqual(cluster.lock.distributed_validators.map((d) => d.distributed_public_key));
    for (const v of shares.validators) {
      expect(bytesToHex(secretKeyToPublicKey(v.secretShare))).toBe(v.publicShare);
      expect(v.publicShares.map((s) => s.shareIndex)).toEqual([1, 2, 3, 4]);
    }
  });

  it('refuses to overwrite an existing cluster', async () => {
    await expect(writeClusterFolders(cluster, join(root, 'cluster'), { fastKdfForTests: true })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
  });

  it('refuses a node index that contradicts the identity key', async () => {
    await expect(loadNodeKeyShares(join(root, 'cluster', 'node1'), { nodeIndex: 2 })).rejects.toThrow(
      /configured as node 2 but the identity key .* is operator 1's/,
    );
    await expect(loadNodeKeyShares(join(root, 'cluster', 'node1'), { nodeIndex: 7, identityKeyPath: false })).rejects.toThrow(/out of range/);
  });

  it('refuses key files of another node, naming the validator and both share indexes', async () => {
    const dir = join(root, 'mixed');
    await cp(join(root, 'cluster', 'node1'), dir, { recursive: true });
    await rm(join(dir, 'validator_keys'), { recursive: true });
    await cp(join(root, 'cluster', 'node3', 'validator_keys'), join(dir, 'validator_keys'), { recursive: true });
    const err = await loadNodeKeyShares(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEY_SHARE_INVALID' });
    expect((err as Error).message).toMatch(/holds node 3's share \(share index 4\) of validator 0x[0-9a-f]{96}, but this is node 1 \(share index 2\)/);
  });

  it('refuses a missing keystore, a wrong password and a foreign keystore', async () => {
    const dir = join(root, 'broken');
    await cp(join(root, 'cluster', 'node0'), dir, { recursive: true });
    await rm(join(dir, 'validator_keys', 'keystore-2.json'));
    await expect(loadNodeKeyShares(dir)).rejects.toThrow(
      new RegExp(`no keystore .* for validator ${cluster.lock.distributed_validators[2]!.distributed_public_key}`),
    );
    await writeFile(join(dir, 'validator_keys', 'keystore-1.txt'), 'not the password');
    await expect(loadNodeKeyShares(dir)).rejects.toThrow(/keystore-1.json: wrong password in .*keystore-1.txt/);
    await cp(join(root, 'cluster', 'node0', 'validator_keys', 'keystore-1.txt'), join(dir, 'validator_keys', 'keystore-1.txt'));
    const foreign = await encryptKeystore(generateSecretKey(), 'pw', { kdf: 'pbkdf2', fastKdfForTests: true });
    await writeFile(join(dir, 'validator_keys', 'keystore-2.json'), JSON.stringify(foreign));
    await writeFile(join(dir, 'validator_keys', 'keystore-2.txt'), 'pw');
    await expect(loadNodeKeyShares(dir)).rejects.toThrow(/is not a share of any validator in the cluster lock/);
  });

  it('refuses a tampered lock before touching any key', async () => {
    const dir = join(root, 'tampered');
    await cp(join(root, 'cluster', 'node0'), dir, { recursive: true });
    const lock = JSON.parse(await readFile(join(dir, 'cluster-lock.json'), 'utf8')) as { cluster_definition: { threshold: number } };
    lock.cluster_definition.threshold = 2;
    await writeFile(join(dir, 'cluster-lock.json'), JSON.stringify(lock));
    await expect(loadNodeKeyShares(dir)).rejects.toMatchObject({ code: 'LOCK_HASH_MISMATCH' });
    await writeFile(join(dir, 'cluster-lock.json'), '{"cluster_definition": 1}');
    await expect(loadNodeKeyShares(dir)).rejects.toMatchObject({ code: 'LOCK_INVALID' });
  });

  it('imports EIP-2335 keystores with per-file or shared passwords', async () => {
    const dir = join(root, 'import');
    await cp(join(root, 'cluster', 'node0', 'validator_keys'), dir, { recursive: true });
    const keys = await importKeystores(dir);
    expect(keys.map((k) => bytesToHex(secretKeyToPublicKey(k)))).toEqual(cluster.lock.distributed_validators.map((d) => d.public_shares[0]));
    await expect(importKeystores(dir, { password: 'wrong' })).rejects.toThrow(/cannot import .*keystore-0.json: .*wrong password|checksum/);
    await expect(importKeystores(join(root, 'nowhere'))).rejects.toMatchObject({ code: 'IMPORT_FAILED' });
  });
});
