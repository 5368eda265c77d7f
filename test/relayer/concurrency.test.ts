/**
 * Concurrency on real PostgreSQL: two relayer replicas on one database, four sidecars (each twice,
 * all at once; one request per validator, or all validators per request in each sidecar's own order). Every share must be stored once, every validator rebuilt
 * exactly once per signature kind, and the stored signatures must be the group's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RelayerClient } from '@dvt/stakewise';
import { startRelayer, type RunningRelayer } from '../../apps/relayer/src/app.js';
import { parseRelayerConfig } from '../../apps/relayer/src/config.js';
import { silentLogger } from '../../apps/relayer/src/logger.js';
import { type PgSchema, type RelayerFixture, SimulatedValidator, pgSchema, startFixture } from './support.js';

const VAULT = '0x3333333333333333333333333333333333333333';
const COUNT = 12;

async function rebuildCounts(relayers: RunningRelayer[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of relayers) {
    for (const m of (await r.metrics.rebuilds.get()).values) {
      const key = `${m.labels.kind}:${m.labels.result}`;
      out[key] = (out[key] ?? 0) + m.value;
    }
  }
  return out;
}

/** How the four sidecars send: one request per validator, or every validator in one request (each sidecar in its own order). */
type Sending = 'one validator per request' | 'all validators per request, shuffled';

function shuffled<T>(items: T[]): T[] {
  return [...items].sort(() => Math.random() - 0.5);
}

describe.each<Sending>(['one validator per request', 'all validators per request, shuffled'])('concurrent sidecars on PostgreSQL, two relayer replicas, %s', (sending) => {
  let schema: PgSchema;
  let fx: RelayerFixture;
  let replica: RunningRelayer;
  const validators = Array.from({ length: COUNT }, () => new SimulatedValidator(3, [1, 2, 3, 4]));

  beforeAll(async () => {
    schema = await pgSchema('concurrency');
    fx = await startFixture({ pg: schema, publicKeys: validators.map((v) => v.publicKey), threshold: 3 });
    replica = await startRelayer(parseRelayerConfig(fx.settings), { logger: silentLogger, defaultMetrics: false });
  });

  afterAll(async () => {
    await replica?.close();
    await fx?.close();
    await schema?.drop();
  });

  it('never loses a share, never rebuilds twice, stores the one group signature', async () => {
    const a = new RelayerClient({ baseUrl: fx.relayer.url });
    const b = new RelayerClient({ baseUrl: replica.url });
    const amounts = validators.map(() => 32_000_000_000);
    await a.register({ vault: VAULT, validators_start_index: 500, amounts, validator_type: '0x01' });
    const listed = (await a.validators()).validators;
    expect(listed).toHaveLength(COUNT);
    const byKey = new Map(listed.map((v) => [v.public_key, v]));

    // sidecars 1 and 2 talk to replica A, 3 and 4 to replica B; each sends everything twice
    const requests: (() => Promise<void>)[] = [];
    for (const shareIndex of [1, 2, 3, 4]) {
      const client = shareIndex <= 2 ? a : b;
      const item = (v: SimulatedValidator) => v.item(fx.network, byKey.get(v.publicKey)!, shareIndex);
      for (let round = 0; round < 2; round++) {
        if (sending === 'one validator per request') {
          for (const v of validators) requests.push(() => client.pushSignatures({ share_index: shareIndex, shares: [item(v)] }));
        } else {
          // batches on both replicas lock overlapping rows in different orders: no deadlock, nothing lost
          const order = shuffled(validators);
          requests.push(() => client.pushSignatures({ share_index: shareIndex, shares: order.map(item) }));
        }
      }
    }
    const results = await Promise.allSettled(shuffled(requests).map((send) => send()));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

    const after = (await b.validators()).validators;
    expect(after.every((v) => v.is_signatures_ready && v.share_indexes_ready.join() === '1,2,3,4')).toBe(true);
    expect(await rebuildCounts([fx.relayer, replica])).toEqual({ 'exit:ok': COUNT, 'deposit:ok': COUNT });

    const rows: { public_key: string; exit_signature: string; deposit_signature: string }[] = await fx.relayer.store.dataSource.query(
      `SELECT public_key, exit_signature, deposit_signature FROM "${schema.name}".relayer_validators`,
    );
    expect(rows).toHaveLength(COUNT);
    for (const v of validators) {
      const row = rows.find((r) => r.public_key === v.publicKey)!;
      const index = byKey.get(v.publicKey)!.validator_index;
      expect(row.exit_signature).toBe(v.fullSignature(v.exitRoot(fx.network, index)));
      expect(row.deposit_signature).toBe(v.fullSignature(v.depositRoot(fx.network, VAULT, '0x01', 32_000_000_000)));
    }
    const [{ count }] = await fx.relayer.store.dataSource.query(`SELECT count(*)::int AS count FROM "${schema.name}".relayer_partial_signatures`);
    expect(count).toBe(COUNT * 4);

    // both replicas serve the same stored results
    const fromA = await a.register({ vault: VAULT, validators_start_index: 500, amounts, validator_type: '0x01' });
    const fromB = await b.register({ vault: VAULT, validators_start_index: 500, amounts, validator_type: '0x01' });
    expect(fromB.validators).toEqual(fromA.validators);
    expect(fromA.validators.every((v) => v.deposit_signature !== null && v.oracles_exit_signature_shares !== null)).toBe(true);
  });
});
