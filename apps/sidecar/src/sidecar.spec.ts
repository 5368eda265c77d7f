import { describe, expect, it } from '@jest/globals';
import { createCluster } from '@dvt/cluster';
import { hexToBytes } from '@dvt/common';
import { depositSigningRoot, getNetwork, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { verify } from '@dvt/tbls';
import { parseSidecarConfig } from './config.js';
import { startHealthServer } from './http.js';
import { shareSetsFromCluster } from './keys/in-memory.js';
import { createJsonLogger, silentLogger } from './logger.js';
import { SidecarMetrics } from './metrics.js';
import { type PushExitSignaturesBody, type PushSignaturesBody, type RelayerPort } from './relayer.js';
import { ShareBook } from './share-book.js';
import { Sidecar } from './sidecar.js';
import { SidecarError } from './errors.js';

const hoodi = getNetwork('hoodi');
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const OTHER_VAULT = '0x2222222222222222222222222222222222222222';
const cluster = createCluster({ network: hoodi, operators: 4, validators: 3, withdrawalAddress: VAULT, validatorType: '0x02', feeRecipient: VAULT });
const keys = cluster.lock.distributed_validators.map((d) => d.distributed_public_key);

class FakeRelayer implements RelayerPort {
  info_: unknown = { network: 'hoodi', validators_manager_address: null };
  validators_: unknown = { validators: [] };
  exits_: unknown = { exits: [] };
  failures: (Error | undefined)[] = [];
  pushes: PushSignaturesBody[] = [];
  exitPushes: PushExitSignaturesBody[] = [];
  calls: string[] = [];
  private next(name: string): void {
    this.calls.push(name);
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
  }
  async info() {
    this.next('info');
    return this.info_;
  }
  async validators() {
    this.next('validators');
    return this.validators_;
  }
  async pushSignatures(body: PushSignaturesBody) {
    this.next('signatures');
    this.pushes.push(body);
  }
  async exits() {
    this.next('exits');
    return this.exits_;
  }
  async pushExitSignatures(body: PushExitSignaturesBody) {
    this.next('exit-signature');
    this.exitPushes.push(body);
  }
}

function relayerValidator(v: number, extra: Record<string, unknown> = {}) {
  return { public_key: keys[v], vault: VAULT, amount: 32e9, validator_type: '0x02', validator_index: 10 + v, share_indexes_ready: [], is_signatures_ready: false, ...extra };
}

function makeSidecar(relayer: RelayerPort, opts: { nodes?: number[]; config?: Record<string, unknown>; sleep?: (ms: number) => void } = {}) {
  const config = parseSidecarConfig({
    network: 'hoodi',
    relayer: { url: 'http://relayer.test' },
    pollIntervalMs: 100,
    maxBackoffMs: 1_000,
    cluster: { type: 'obol', lockFile: 'unused', keysDir: 'unused/{node_index}', nodeIndexes: [0] },
    ...opts.config,
  });
  const metrics = new SidecarMetrics();
  const book = new ShareBook(shareSetsFromCluster(cluster, opts.nodes ?? [0, 1, 2, 3]));
  let sidecar: Sidecar | undefined = undefined;
  sidecar = new Sidecar({
    config,
    network: hoodi,
    book,
    relayer,
    logger: silentLogger,
    metrics,
    sleep: async (ms) => {
      opts.sleep?.(ms);
      await new Promise((resolve) => setTimeout(resolve, 1));
    },
  });
  return { sidecar, metrics, book };
}

function expectValidShares(body: PushSignaturesBody, vault = VAULT) {
  for (const item of body.shares) {
    const v = keys.indexOf(item.public_key);
    expect(v).toBeGreaterThanOrEqual(0);
    const own = item.public_key_shares.find((s) => s.share_index === body.share_index)!;
    expect(own.public_key_share).toBe(cluster.lock.distributed_validators[v]!.public_shares[body.share_index - 1]);
    const exitRoot = voluntaryExitSigningData(hoodi, 10 + v).signingRoot;
    const depositRoot = depositSigningRoot(hoodi, { pubkey: hexToBytes(item.public_key), withdrawalCredentials: vaultWithdrawalCredentials(vault, '0x02'), amount: 32e9 });
    expect(verify(hexToBytes(own.public_key_share), exitRoot, hexToBytes(item.exit_signature))).toBe(true);
    expect(verify(hexToBytes(own.public_key_share), depositRoot, hexToBytes(item.deposit_signature))).toBe(true);
  }
}

describe('Sidecar', () => {
  it('signs exit and deposit shares for every held share index and pushes them, one POST per share index', async () => {
    const relayer = new FakeRelayer();
    relayer.validators_ = { validators: [relayerValidator(0), relayerValidator(1), relayerValidator(2)] };
    const { sidecar, metrics } = makeSidecar(relayer);
    const report = await sidecar.pollOnce();
    expect(report).toEqual({ listed: 3, invalid: 0, refused: 0, pushed: 12, failedPushes: 0 });
    expect(relayer.pushes.map((p) => p.share_index)).toEqual([1, 2, 3, 4]);
    for (const body of relayer.pushes) {
      expect(body.shares).toHaveLength(3);
      expect(Object.keys(body.shares[0]!).sort()).toEqual(['deposit_signature', 'exit_signature', 'public_key', 'public_key_shares']);
      expectValidShares(body);
    }
    expect(await metrics.pushedCount('exit')).toBe(12);
    expect(await metrics.pushedCount('deposit')).toBe(12);
    expect(sidecar.relayerApi()).toBe('current');
  });

  it('pushes only what the relayer does not have yet, and nothing for validators it does not hold', async () => {
    const relayer = new FakeRelayer();
    const foreignKey = '0x' + 'a1'.repeat(48);
    relayer.validators_ = {
      validators: [
        relayerValidator(0, { share_indexes_ready: [1, 3] }),
        relayerValidator(1, { is_signatures_ready: true }),
        relayerValidator(2, { public_key: foreignKey }),
      ],
    };
    const { sidecar } = makeSidecar(relayer);
    await sidecar.pollOnce();
    expect(relayer.pushes.map((p) => [p.share_index, p.shares.map((s) => s.public_key)])).toEqual([
      [2, [keys[0]]],
      [4, [keys[0]]],
    ]);
  });

  it('refuses deposits to a vault the cluster lock does not name, or outside the configured vaults', async () => {
    const relayer = new FakeRelayer();
    relayer.validators_ = { validators: [relayerValidator(0, { vault: OTHER_VAULT }), relayerValidator(1)] };
    const { sidecar, metrics } = makeSidecar(relayer, { nodes: [0] });
    const report = await sidecar.pollOnce();
    expect(report.refused).toBe(1);
    expect(relayer.pushes[0]!.shares.map((s) => s.public_key)).toEqual([keys[1]]);
    expect(await metrics.errorCount('refused')).toBe(1);

    const restricted = new FakeRelayer();
    restricted.validators_ = { validators: [relayerValidator(1)] };
    const { sidecar: strict } = makeSidecar(restricted, { nodes: [0], config: { vaults: [OTHER_VAULT] } });
    expect((await strict.pollOnce()).refused).toBe(1);
    expect(restricted.pushes).toEqual([]);
  });

  it('skips items that do not parse and signs the others', async () => {
    const relayer = new FakeRelayer();
    relayer.validators_ = {
      validators: [
        relayerValidator(0, { amount: 5 }),
        relayerValidator(1, { validator_index: -1 }),
        relayerValidator(2, { validator_type: '0x03' }),
        'junk',
        relayerValidator(2),
      ],
    };
    const { sidecar, metrics } = makeSidecar(relayer, { nodes: [1] });
    const report = await sidecar.pollOnce();
    expect(report.invalid).toBe(4);
    expect(relayer.pushes[0]!.shares.map((s) => s.public_key)).toEqual([keys[2]]);
    expect(await metrics.errorCount('invalid_item')).toBe(4);
  });

  it('backs off exponentially while the relayer is down or answers garbage, then recovers', async () => {
    const relayer = new FakeRelayer();
    relayer.validators_ = { validators: [relayerValidator(0)] };
    const down = new SidecarError('RELAYER_UNAVAILABLE', 'ECONNREFUSED');
    relayer.failures = [down, down, down, undefined, new SidecarError('RELAYER_REJECTED', 'HTTP 500'), down];
    const sleeps: number[] = [];
    const { sidecar, metrics } = makeSidecar(relayer, {
      nodes: [0],
      sleep: (ms) => {
        sleeps.push(ms);
        if (relayer.pushes.length > 0 && sleeps.length >= 8) sidecar.stop();
      },
    });
    const garbage = [{ validators: 'nope' }, '<html>', null];
    const realValidators = relayer.validators.bind(relayer);
    let calls = 0;
    relayer.validators = async () => (calls++ < garbage.length ? garbage[calls - 1] : realValidators());
    await sidecar.run();
    expect(relayer.pushes).toHaveLength(1);
    expectValidShares(relayer.pushes[0]!);
    // 3 × /info down (100, 200, 400), /info ok, 3 garbage answers (800, 1000 cap, 1000), ...
    expect(sleeps.slice(0, 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(await metrics.errorCount('relayer_unavailable')).toBeGreaterThanOrEqual(3);
    expect(await metrics.errorCount('relayer_bad_response')).toBe(3);
    expect(sidecar.health()).toMatchObject({ live: false, ready: false });
  });

  it('refuses to run against a relayer on another network', async () => {
    const relayer = new FakeRelayer();
    relayer.info_ = { network: 'mainnet', validators_manager_address: null };
    relayer.validators_ = { validators: [relayerValidator(0)] };
    const { sidecar } = makeSidecar(relayer);
    await expect(sidecar.run()).rejects.toThrow(/relayer serves network "mainnet" but this sidecar signs for "hoodi"/);
    expect(relayer.pushes).toEqual([]);
    expect(relayer.calls).toEqual(['info']);
    expect(sidecar.health()).toMatchObject({ live: false, ready: false });
  });

  it('speaks the legacy API when /info has no validators_manager_address: exit shares only', async () => {
    const relayer = new FakeRelayer();
    relayer.info_ = { network: 'hoodi' };
    relayer.exits_ = {
      exits: [
        { public_key: keys[0], validator_index: 10, is_exit_signature_ready: false, share_indexes_ready: [2] },
        { public_key: keys[1], validator_index: 11, is_exit_signature_ready: true, share_indexes_ready: [] },
      ],
    };
    const { sidecar } = makeSidecar(relayer, { nodes: [0, 1] });
    await sidecar.pollOnce();
    expect(sidecar.relayerApi()).toBe('legacy');
    expect(relayer.exitPushes).toHaveLength(1);
    const body = relayer.exitPushes[0]!;
    expect(body.share_index).toBe(1);
    expect(body.shares).toEqual([{ public_key: keys[0], exit_signature: expect.stringMatching(/^0x[0-9a-f]{192}$/) }]);
    const share = cluster.lock.distributed_validators[0]!.public_shares[0]!;
    expect(verify(hexToBytes(share), voluntaryExitSigningData(hoodi, 10).signingRoot, hexToBytes(body.shares[0]!.exit_signature))).toBe(true);
    expect(relayer.calls).not.toContain('validators');
  });

  it('never logs key material, whatever happens', async () => {
    const lines: string[] = [];
    const relayer = new FakeRelayer();
    relayer.validators_ = { validators: [relayerValidator(0), relayerValidator(1, { vault: OTHER_VAULT }), relayerValidator(2, { amount: 1 })] };
    relayer.failures = [undefined, undefined, new SidecarError('RELAYER_REJECTED', 'HTTP 422')];
    const config = parseSidecarConfig({
      network: 'hoodi',
      relayer: { url: 'http://relayer.test' },
      logLevel: 'debug',
      cluster: { type: 'obol', lockFile: 'l', keysDir: 'k/{node_index}', nodeIndexes: [0] },
    });
    const book = new ShareBook(shareSetsFromCluster(cluster, [0, 1, 2, 3]));
    const sidecar = new Sidecar({ config, network: hoodi, book, relayer, logger: createJsonLogger('debug', (l) => lines.push(l)), metrics: new SidecarMetrics() });
    await sidecar.pollOnce();
    await sidecar.pollOnce();
    expect(lines.length).toBeGreaterThan(3);
    const log = lines.join('\n').toLowerCase();
    for (const node of cluster.nodes) for (const share of node.keyShares) expect(log).not.toContain(Buffer.from(share).toString('hex'));
  });

  it('serves /health, /ready and /metrics', async () => {
    const relayer = new FakeRelayer();
    relayer.validators_ = { validators: [relayerValidator(0)] };
    const { sidecar, metrics } = makeSidecar(relayer, { nodes: [0] });
    const server = await startHealthServer('127.0.0.1', 0, () => sidecar.health(), metrics);
    try {
      expect((await fetch(`${server.url}/ready`)).status).toBe(503);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const running = sidecar.run();
      for (let i = 0; i < 50 && relayer.pushes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(200);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toMatch(/dvt_sidecar_signatures_pushed_total\{kind="exit",share_index="1"\} [1-9]/);
      expect(text).toMatch(/dvt_sidecar_key_shares 3/);
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      sidecar.stop();
      await running;
    } finally {
      await server.close();
    }
  });
});
