import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadNodeKeyShares, parseClusterLock } from '@dvt/cluster';
import { InvalidInputError, bytesToHex } from '@dvt/common';
import { getNetwork, parseDepositDataFile, validateDepositData, vaultWithdrawalCredentials } from '@dvt/eth2';
import { encryptKeystore, generateSecretKey, secretKeyToPublicKey } from '@dvt/tbls';
import { registerCreateClusterCommand } from '../../apps/dv-node/src/create-cluster.command.js';

const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const FEE = '0x1111111111111111111111111111111111111111';

async function run(args: string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('dvt').exitOverride().configureOutput({ writeOut: (t) => out.push(t), writeErr: (t) => err.push(t) });
  registerCreateClusterCommand(program, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  await program.parseAsync(args, { from: 'user' });
  return { out, err };
}

describe('dvt create-cluster', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dvt-create-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('writes 4 node folders that each load and verify, showing progress per keystore', async () => {
    const dir = join(root, 'generated');
    const { out, err } = await run([
      'create-cluster', '--nodes', '4', '--num-validators', '3', '--network', 'hoodi', '--withdrawal-address', VAULT,
      '--fee-recipient', FEE, '--validator-type', '0x02', '--cluster-dir', dir, '--kdf', 'pbkdf2', '--insecure-fast-kdf',
    ]);
    expect(out.join('\n')).toMatch(/4 nodes, threshold 3/);
    expect(err.filter((l) => l.startsWith('encrypted keystore'))).toHaveLength(12);
    expect(err.some((l) => /insecure-fast-kdf/.test(l))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['node0', 'node1', 'node2', 'node3']);
    const hoodi = getNetwork('hoodi');
    for (let i = 0; i < 4; i++) {
      const shares = await loadNodeKeyShares(join(dir, `node${i}`), { network: hoodi });
      expect(shares.nodeIndex).toBe(i);
      expect(shares.validators).toHaveLength(3);
    }
    const deposits = parseDepositDataFile(await readFile(join(dir, 'node0', 'deposit_data.json'), 'utf8'));
    expect(validateDepositData(deposits, hoodi, { withdrawalCredentials: vaultWithdrawalCredentials(VAULT, '0x02') }).problems).toEqual([]);
    const lock = parseClusterLock(await readFile(join(dir, 'node3', 'cluster-lock.json'), 'utf8'));
    expect(out.join('\n')).toContain(lock.lock_hash);
  });

  it('splits existing keystores with a shared password', async () => {
    const keysDir = join(root, 'existing');
    await mkdir(keysDir);
    const keys = [generateSecretKey(), generateSecretKey()];
    for (const [i, key] of keys.entries()) {
      await writeFile(join(keysDir, `keystore-m_12381_3600_${i}_0_0.json`), JSON.stringify(await encryptKeystore(key, 'shared pw', { kdf: 'pbkdf2', fastKdfForTests: true })));
    }
    await writeFile(join(root, 'pw.txt'), 'shared pw\n');
    const dir = join(root, 'imported');
    await run([
      'create-cluster', '--nodes', '3', '--network', 'hoodi', '--withdrawal-address', VAULT, '--fee-recipient', FEE,
      '--split-existing-keys', keysDir, '--keystore-password-file', join(root, 'pw.txt'), '--cluster-dir', dir, '--insecure-fast-kdf',
    ]);
    const lock = parseClusterLock(await readFile(join(dir, 'node1', 'cluster-lock.json'), 'utf8'));
    expect(lock.distributed_validators.map((d) => d.distributed_public_key)).toEqual(keys.map((k) => bytesToHex(secretKeyToPublicKey(k))));
    expect(lock.cluster_definition.threshold).toBe(2);
  });

  it('rejects bad input as InvalidInputError and never overwrites a cluster', async () => {
    const base = ['create-cluster', '--network', 'hoodi', '--withdrawal-address', VAULT, '--fee-recipient', FEE, '--insecure-fast-kdf'];
    await expect(run([...base, '--nodes', '4', '--num-validators', '1', '--threshold', '2', '--cluster-dir', join(root, 'x')])).rejects.toThrow(InvalidInputError);
    await expect(run([...base, '--nodes', 'four', '--num-validators', '1'])).rejects.toThrow(/--nodes: expected a positive integer/);
    await expect(run([...base, '--nodes', '4'])).rejects.toThrow(/exactly one of --num-validators and --split-existing-keys/);
    await expect(run([...base, '--nodes', '4', '--num-validators', '1', '--cluster-dir', join(root, 'generated')])).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
    });
  });
});
