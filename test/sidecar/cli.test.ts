/** `dvt sidecar` as the CLI runs it: options + environment → config → keys → relayer check. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createCluster, writeClusterFolders } from '@dvt/cluster';
import { getNetwork } from '@dvt/eth2';
import { registerSidecarCommand } from '../../apps/sidecar/src/cli.js';

const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';

describe('dvt sidecar', () => {
  let root: string;
  let server: Server;
  let relayerUrl: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'dvt-sidecar-cli-'));
    const cluster = createCluster({ network: getNetwork('hoodi'), operators: 4, validators: 1, withdrawalAddress: VAULT, validatorType: '0x01', feeRecipient: VAULT });
    await writeClusterFolders(cluster, root, { kdf: 'pbkdf2', fastKdfForTests: true, nodeIndexes: [1] });
    server = createServer((_req, res) => res.end(JSON.stringify({ network: 'mainnet', validators_manager_address: null })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relayerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  async function run(args: string[], env: Record<string, string> = {}): Promise<string[]> {
    const err: string[] = [];
    const program = new Command('dvt').exitOverride();
    registerSidecarCommand(program, { stdout: () => undefined, stderr: (t) => err.push(t) }, env);
    await program.parseAsync(['sidecar', ...args], { from: 'user' });
    return err;
  }

  it('loads node1 (index from its identity key) and refuses a relayer on another network', async () => {
    const logs: string[] = [];
    const program = new Command('dvt').exitOverride();
    registerSidecarCommand(program, { stdout: () => undefined, stderr: (t) => logs.push(t) }, { NETWORK: 'hoodi', RELAYER_ENDPOINT: relayerUrl });
    await expect(program.parseAsync(['sidecar', '--node-dir', join(root, 'node1')], { from: 'user' })).rejects.toMatchObject({
      code: 'NETWORK_MISMATCH',
      message: 'the relayer serves network "mainnet" but this sidecar signs for "hoodi"',
    });
    const messages = logs.map((l) => (JSON.parse(l) as { msg: string; shareIndexes?: number[] }));
    expect(messages.find((m) => m.msg === 'key shares loaded')?.shareIndexes).toEqual([2]);
  });

  it('fails on bad configuration, naming the settings', async () => {
    await expect(run(['--node-dir', join(root, 'node1')], {})).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/network: .*relayer\.url:/) });
    await expect(run(['--network', 'hoodi', '--relayer-url', relayerUrl, '--node-dir', join(root, 'node1'), '--relayer-token-file', join(root, 'missing')])).rejects.toThrow(
      /--relayer-token-file .*missing: ENOENT/,
    );
  });
});
