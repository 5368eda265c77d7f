/**
 * End to end: a trusted-dealer cluster of 4 nodes (threshold 3) written by create-cluster's
 * library, the suite's relayer (in process, SQLite, beacon mock, 4 oracles), the operator's
 * POST /register, and sidecars reading the node folders. The relayer must end with verified
 * deposit signatures and encrypted oracle shards that rebuild a verifying exit signature, for
 * every validator: with all four nodes signing (one sidecar in test mode), and again with one
 * of four sidecars stopped. A sidecar given another node's key files refuses to start.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { createCluster, writeClusterFolders } from '@dvt/cluster';
import { hexToBytes } from '@dvt/common';
import { depositSigningRoot, getNetwork, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { type RegisterResponse, RelayerClient } from '@dvt/stakewise';
import { verify } from '@dvt/tbls';
import { type RunningSidecar, startSidecar } from '../../apps/sidecar/src/app.js';
import { parseSidecarConfig } from '../../apps/sidecar/src/config.js';
import { silentLogger } from '../../apps/sidecar/src/logger.js';
import { type RelayerFixture, type TempDir, makeOracles, openOracleShards, startFixture, tempDir } from '../relayer/support.js';

const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const AMOUNT = 32_000_000_000;
const hoodi = getNetwork('hoodi');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function sidecarConfig(relayerUrl: string, clusterDir: string, nodeIndexes: number[], keysNode = '{node_index}') {
  return parseSidecarConfig({
    network: 'hoodi',
    relayer: { url: relayerUrl, timeoutMs: 2_000 },
    pollIntervalMs: 50,
    maxBackoffMs: 400,
    vaults: [VAULT],
    cluster: {
      type: 'obol',
      lockFile: join(clusterDir, 'node{node_index}', 'cluster-lock.json'),
      keysDir: join(clusterDir, `node${keysNode}`, 'validator_keys'),
      identityKeyFile: join(clusterDir, 'node{node_index}', 'charon-enr-private-key'),
      nodeIndexes,
    },
  });
}

describe('sidecars + relayer, end to end', () => {
  let dir: TempDir;
  let fixture: RelayerFixture;
  let client: RelayerClient;
  const oracles = makeOracles(4, 3);
  const cluster = createCluster({ network: hoodi, operators: 4, validators: 8, withdrawalAddress: VAULT, validatorType: '0x02', feeRecipient: VAULT });
  const keys = cluster.lock.distributed_validators.map((d) => d.distributed_public_key);
  let clusterDir: string;
  const sidecars: RunningSidecar[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    clusterDir = join(dir.path, 'cluster');
    await writeClusterFolders(cluster, clusterDir, { kdf: 'pbkdf2', fastKdfForTests: true });
    fixture = await startFixture({ network: 'hoodi', oracles, settings: { RELAYER_KEYS_FILES: join(clusterDir, 'node0', 'cluster-lock.json') } });
    client = new RelayerClient({ baseUrl: fixture.relayer.url });
  });
  afterAll(async () => {
    for (const s of sidecars) await s.stop();
    await fixture?.close();
    await dir?.remove();
  });

  /** Polls /register until every validator of the batch has its deposit signature and oracle shards, then checks them all. */
  async function registerAndCheck(startIndex: number, count: number, expectedKeys: string[]): Promise<RegisterResponse> {
    const request = { vault: VAULT, validators_start_index: startIndex, amounts: Array(count).fill(AMOUNT), validator_type: '0x02' as const };
    const response = await until('deposit signatures and oracle shards', async () => {
      const r = await client.register(request);
      return r.validators.length === count && r.validators.every((v) => v.deposit_signature !== null && v.oracles_exit_signature_shares !== null) ? r : undefined;
    });
    expect(response.validators.map((v) => v.public_key)).toEqual(expectedKeys);
    response.validators.forEach((v, i) => {
      const pubkey = hexToBytes(v.public_key);
      const depositRoot = depositSigningRoot(hoodi, { pubkey, withdrawalCredentials: vaultWithdrawalCredentials(VAULT, '0x02'), amount: AMOUNT });
      expect(verify(pubkey, depositRoot, hexToBytes(v.deposit_signature!))).toBe(true);
      const exitRoot = voluntaryExitSigningData(hoodi, startIndex + i).signingRoot;
      for (const subset of [[0, 1, 2], [1, 2, 3]]) {
        const opened = openOracleShards(oracles, v.oracles_exit_signature_shares!, exitRoot, subset);
        expect(opened.shardsVerify).toEqual([true, true, true, true]);
        expect(verify(pubkey, exitRoot, opened.rebuilt)).toBe(true);
      }
    });
    return response;
  }

  it('one sidecar in test mode acting for all 4 nodes: every validator ends with verified signatures and oracle shards', async () => {
    const running = await startSidecar(sidecarConfig(fixture.relayer.url, clusterDir, [0, 1, 2, 3]), { logger: silentLogger });
    sidecars.push(running);
    expect(running.book.shareIndexes()).toEqual([1, 2, 3, 4]);
    await registerAndCheck(100, 3, keys.slice(0, 3));
    const listed = await until('all signatures ready', async () => {
      const { validators } = await client.validators();
      const batch = validators.filter((v) => keys.slice(0, 3).includes(v.public_key));
      return batch.length === 3 && batch.every((v) => v.is_signatures_ready) ? batch : undefined;
    });
    expect(listed.every((v) => v.share_indexes_ready.length >= 3)).toBe(true);
    expect(await running.metrics.pushedCount('exit')).toBeGreaterThanOrEqual(9);
    expect(await running.metrics.errorCount('push_failed')).toBe(0);
    await running.stop();
  });

  it('four separate sidecars, one of them stopped: the same result', async () => {
    const running = [];
    for (const node of [0, 1, 2, 3]) running.push(await startSidecar(sidecarConfig(fixture.relayer.url, clusterDir, [node]), { logger: silentLogger }));
    sidecars.push(...running);
    await running[2]!.stop();
    // the first batch was deposited: the relayer now hands out the next three keys
    for (const key of keys.slice(0, 3)) fixture.beacon.addValidator({ pubkey: key });
    await registerAndCheck(200, 3, keys.slice(3, 6));
    expect(await running[2]!.metrics.pushedCount('exit')).toBe(0);
    for (const node of [0, 1, 3]) expect(await running[node]!.metrics.pushedCount('deposit')).toBe(3);
    const { validators } = await client.validators();
    for (const v of validators.filter((x) => keys.slice(3, 6).includes(x.public_key))) expect(v.share_indexes_ready).not.toContain(3);
  });

  it('the legacy API (GET /exits, POST /exit-signature): exit shards for validators the operator asked for', async () => {
    const legacyKeys = keys.slice(6, 8);
    const config = { ...sidecarConfig(fixture.relayer.url, clusterDir, [0, 1, 3]), relayer: { url: fixture.relayer.url, api: 'legacy' as const, timeoutMs: 2_000 } };
    const running = await startSidecar(config, { logger: silentLogger });
    sidecars.push(running);
    const response = await until('legacy exit shards', async () => {
      const r = await client.legacyValidators({ public_keys: legacyKeys });
      return r.ready ? r : undefined;
    });
    const { exits } = await client.exits();
    for (const [i, v] of response.validators.entries()) {
      expect(v.public_key).toBe(legacyKeys[i]);
      const exit = exits.find((e) => e.public_key === v.public_key)!;
      expect(exit.is_exit_signature_ready).toBe(true);
      const exitRoot = voluntaryExitSigningData(hoodi, exit.validator_index).signingRoot;
      const opened = openOracleShards(oracles, v.oracles_exit_signature_shares!, exitRoot, [0, 2, 3]);
      expect(verify(hexToBytes(v.public_key), exitRoot, opened.rebuilt)).toBe(true);
    }
    expect(running.sidecar.relayerApi()).toBe('legacy');
    expect(await running.metrics.pushedCount('deposit')).toBe(0);
    await running.stop();
  });

  it('a sidecar whose key files are another node\'s refuses to start, naming both nodes and the validator', async () => {
    const error = await startSidecar(sidecarConfig(fixture.relayer.url, clusterDir, [1], '2'), { logger: silentLogger }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEYS_INVALID' });
    expect((error as Error).message).toMatch(/node 1: keystore .*node2\/validator_keys\/keystore-\d\.json holds node 2's share \(share index 3\) of validator 0x[0-9a-f]{96}, but this is node 1 \(share index 2\)/);
  });
});
