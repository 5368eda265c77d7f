/**
 * The relayer's HTTP surface beyond the share flow: key selection against the chain, OpenAPI,
 * health / readiness, metrics, structured logs, dependency failures and bearer authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RelayerClient, RelayerClientError } from '@dvt/stakewise';
import { createJsonLogger } from '../../apps/relayer/src/logger.js';
import { type RelayerFixture, SimulatedValidator, startFixture } from './support.js';

const VAULT = '0x6666666666666666666666666666666666666666';
const register = (client: RelayerClient, count: number) =>
  client.register({ vault: VAULT, validators_start_index: 1000, amounts: Array(count).fill(32_000_000_000), validator_type: '0x01' });

describe('relayer HTTP surface', () => {
  let fx: RelayerFixture;
  let client: RelayerClient;
  const logs: string[] = [];
  const keys = [0, 1, 2, 3].map(() => new SimulatedValidator(2, [1, 2, 3]));

  beforeAll(async () => {
    fx = await startFixture({
      publicKeys: keys.map((k) => k.publicKey),
      threshold: 2,
      settings: { RELAYER_OPERATOR_TOKEN: 'operator-secret-1', RELAYER_SIDECAR_TOKEN: 'sidecar-secret-2', LOG_LEVEL: 'debug' },
      overrides: { logger: createJsonLogger('debug', (line) => logs.push(line)) },
    });
    client = new RelayerClient({ baseUrl: fx.relayer.url, token: 'operator-secret-1' });
    fx.beacon.addValidator({ pubkey: keys[0]!.publicKey });
    fx.beacon.addPendingDeposit({ pubkey: keys[1]!.publicKey, withdrawalCredentials: '0x' + '00'.repeat(32), amount: 32_000_000_000, signature: '0x' + 'aa'.repeat(96) });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('hands out only keys the chain does not know (validator or pending deposit), at most one per amount', async () => {
    expect((await register(client, 1)).validators.map((v) => v.public_key)).toEqual([keys[2]!.publicKey]);
    expect((await register(client, 5)).validators.map((v) => v.public_key)).toEqual([keys[2]!.publicKey, keys[3]!.publicKey]);
  });

  it('requires the bearer token of the route role when one is configured', async () => {
    const anonymous = new RelayerClient({ baseUrl: fx.relayer.url });
    const sidecar = new RelayerClient({ baseUrl: fx.relayer.url, token: 'sidecar-secret-2' });
    expect((await anonymous.info()).network).toBe('hoodi');
    for (const attempt of [() => register(anonymous, 1), () => register(sidecar, 1), () => anonymous.validators(), () => client.validators()]) {
      const err = (await attempt().catch((e: unknown) => e)) as RelayerClientError;
      expect(err).toBeInstanceOf(RelayerClientError);
      expect([err.status, err.body?.error]).toEqual([401, 'UNAUTHORIZED']);
    }
    expect((await sidecar.validators()).validators).toHaveLength(2);
    const wrong = await fetch(`${fx.relayer.url}/exits`, { headers: { authorization: 'Bearer sidecar-secret-3' } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${fx.relayer.url}/exits`, { headers: { authorization: 'Bearer sidecar-secret-2' } })).status).toBe(200);
  });

  it('serves the OpenAPI document of both API generations', async () => {
    const doc = (await (await fetch(`${fx.relayer.url}/docs-json`)).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>> };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        'GET /info',
        'POST /register',
        'POST /fund',
        'POST /withdraw',
        'POST /consolidate',
        'GET /validators',
        'POST /signatures',
        'POST /validators',
        'GET /exits',
        'POST /exit-signature',
      ].sort(),
    );
    const register = doc.paths['/register']!.post!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(register.properties ?? {}).sort()).toEqual(['amounts', 'validator_type', 'validators_start_index', 'vault']);
    expect((await fetch(`${fx.relayer.url}/docs`)).status).toBe(200);
  });

  it('reports liveness and readiness, and readiness falls when the beacon node fails', async () => {
    const health = await fetch(`${fx.relayer.url}/health`);
    expect([health.status, ((await health.json()) as { status: string }).status]).toEqual([200, 'ok']);
    const ready = (await (await fetch(`${fx.relayer.url}/ready`)).json()) as { status: string; details: Record<string, { status: string }> };
    expect(ready.status).toBe('ok');
    expect(Object.keys(ready.details).sort()).toEqual(['beacon', 'database', 'protocolConfig']);

    fx.beacon.injectFault({ pathPrefix: '/eth/v1/node/syncing', status: 500 });
    const down = await fetch(`${fx.relayer.url}/ready`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { details: Record<string, { status: string }> }).details.beacon!.status).toBe('down');
  });

  it('answers 503 naming the beacon node when it cannot tell which keys are free', async () => {
    fx.beacon.injectFault({ pathPrefix: '/eth/v1/beacon/states/head/pending_deposits', status: 500 });
    const err = (await register(client, 1).catch((e: unknown) => e)) as RelayerClientError;
    expect(err.status).toBe(503);
    expect(err.body?.error).toBe('BEACON_UNAVAILABLE');
    expect(err.body?.message).toMatch(/beacon node: .*pending_deposits: HTTP 500/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${fx.relayer.url}/nope`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toBe('NOT_FOUND');
  });

  it('exposes Prometheus metrics and writes JSON log lines without secrets', async () => {
    const sidecar = new RelayerClient({ baseUrl: fx.relayer.url, token: 'sidecar-secret-2' });
    const listed = (await sidecar.validators()).validators;
    const v = keys.find((k) => k.publicKey === listed[0]!.public_key)!;
    await sidecar.pushSignatures({ share_index: 1, shares: [v.item(fx.network, listed[0]!, 1)] });
    const text = await (await fetch(`${fx.relayer.url}/metrics`)).text();
    expect(text).toMatch(/relayer_shares_received_total\{api="current",outcome="accepted"\} 1/);
    expect(text).toMatch(/relayer_http_request_seconds_count\{method="POST",route="\/signatures",status="200"\} 1/);
    expect(text).toMatch(/relayer_protocol_config_loaded 1/);

    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.time).toBe('string');
      expect(['debug', 'info', 'warn', 'error']).toContain(entry.level);
      expect(line).not.toMatch(/operator-secret-1|sidecar-secret-2/);
    }
    expect(logs.some((l) => l.includes('"msg":"relayer listening"'))).toBe(true);
  });
});
