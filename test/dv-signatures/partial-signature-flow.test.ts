import { describe, expect, it } from '@jest/globals';
import { attestationDataSigningRoot, getNetwork } from '@dvt/eth2';
import { generateSecretKey, sign, splitSecret, verify } from '@dvt/tbls';
import {
  AggregatedSignatureDb,
  AggregationBatcher,
  DutyType,
  PARTIAL_SIGNATURE_TOPIC,
  PartialSignatureDb,
  PartialSignatureExchange,
  SignatureAggregator,
  encodeAttesterMessage,
  newDuty,
  toDvPubkey,
  type DvPubkey,
  type PartialSignature,
  type PartialSignatureMessaging,
} from '@dvt/dv';

/*
 * Four nodes in one process wired as the DV node wires them: own VC partials → DB → exchange →
 * peers' DBs → threshold → batched aggregation → aggregated signature DB (DV-NODE.md invariants 6–8).
 */

const network = getNetwork('devnet');
const duty = newDuty(7, DutyType.Attester);
const data = { slot: 7, index: 0, beaconBlockRoot: new Uint8Array(32).fill(3), source: { epoch: 0, root: new Uint8Array(32) }, target: { epoch: 0, root: new Uint8Array(32).fill(4) } };
const message = encodeAttesterMessage(data);
const root = attestationDataSigningRoot(network, data);

function makeCluster(dvCount: number) {
  const dvs = Array.from({ length: dvCount }, () => splitSecret(generateSecretKey(), 3, [1, 2, 3, 4]));
  const keys = dvs.map((d) => toDvPubkey(d.publicKey));
  const publicShares = new Map<DvPubkey, readonly Uint8Array[]>(dvs.map((d, i) => [keys[i]!, d.publicShares.map((s) => s.publicKey)]));
  const handlers = [0, 1, 2, 3].map(() => new Set<(from: number, payload: Uint8Array) => void>());
  const queue: { from: number; to: number; payload: Uint8Array }[] = [];
  const down = new Set<number>();
  const messaging = (index: number): PartialSignatureMessaging => ({
    send: (to, _topic, payload) => {
      if (!down.has(index) && to !== index) queue.push({ from: index, to, payload });
    },
    broadcast: (_topic, payload) => {
      for (let to = 0; to < 4; to++) if (!down.has(index) && to !== index) queue.push({ from: index, to, payload });
    },
    subscribe: (topic, handler) => {
      expect(topic).toBe(PARTIAL_SIGNATURE_TOPIC);
      handlers[index]!.add(handler);
      return () => handlers[index]!.delete(handler);
    },
  });
  const flushes: (() => void)[] = [];
  const nodes = [0, 1, 2, 3].map((i) => {
    const db = new PartialSignatureDb({ threshold: 3 });
    const exchange = new PartialSignatureExchange({ network, selfIndex: i, publicShares, messaging: messaging(i) });
    const aggregated = new AggregatedSignatureDb();
    const failures: string[] = [];
    const aggregator = new SignatureAggregator({ network, threshold: 3, observer: { onFailed: (_d, dv, reason) => failures.push(`${dv}:${reason}`) } });
    let aggregateCalls = 0;
    const batcher = new AggregationBatcher({
      aggregate: (items) => {
        aggregateCalls++;
        return aggregator.aggregate(items);
      },
      onAggregated: (result) => {
        for (const [dv, signature] of result.signatures) aggregated.store(result.duty, dv, signature);
      },
      schedule: (flush) => flushes.push(flush),
    });
    db.onInternal((batch) => exchange.broadcast(batch));
    exchange.onReceived((batch) => db.storeExternal(batch.duty, batch.partials));
    db.onThreshold((ready) => batcher.add(ready));
    return { db, exchange, aggregated, failures, calls: () => aggregateCalls };
  });
  const vcPartials = (node: number, signWith = (dv: number) => dvs[dv]!.shares[node]!.secretKey) =>
    new Map<DvPubkey, PartialSignature>(keys.map((key, dv) => [key, { shareIndex: node + 1, message, signature: sign(signWith(dv), root) }]));
  const run = () => {
    while (queue.length > 0 || flushes.length > 0) {
      while (queue.length > 0) {
        const { from, to, payload } = queue.shift()!;
        if (!down.has(to)) for (const handler of handlers[to]!) handler(from, payload);
      }
      flushes.splice(0).forEach((flush) => flush());
    }
  };
  return { dvs, keys, nodes, down, vcPartials, run };
}

describe('partial signatures → aggregation across 4 in-process nodes', () => {
  it('every node ends with one verified signature per DV, aggregated in one batch', () => {
    const cluster = makeCluster(16);
    cluster.nodes.forEach((node, i) => node.db.storeInternal(duty, cluster.vcPartials(i)));
    cluster.run();
    for (const node of cluster.nodes) {
      expect(node.failures).toEqual([]);
      expect(node.calls()).toBe(1);
      cluster.keys.forEach((key, v) => {
        const aggregated = node.aggregated.get(duty, key);
        expect(aggregated).toBeDefined();
        expect(verify(cluster.dvs[v]!.publicKey, root, aggregated!.signature)).toBe(true);
      });
      expect(node.db.participation(duty)).toEqual(new Map([[1, 16], [2, 16], [3, 16], [4, 16]]));
    }
  });

  it('a node whose VC signs with wrong keys cannot stop or spoil the others (its partials never stored)', () => {
    const cluster = makeCluster(6);
    const wrongKey = generateSecretKey();
    cluster.nodes.forEach((node, i) => node.db.storeInternal(duty, i === 0 ? cluster.vcPartials(0, () => wrongKey) : cluster.vcPartials(i)));
    cluster.run();
    for (const i of [1, 2, 3]) {
      const node = cluster.nodes[i]!;
      expect(node.failures).toEqual([]);
      expect(node.db.participation(duty).get(1)).toBeUndefined();
      cluster.keys.forEach((key, v) => expect(verify(cluster.dvs[v]!.publicKey, root, node.aggregated.get(duty, key)!.signature)).toBe(true));
    }
  });

  it('with one node down the others aggregate from t partials; the node gets the partials re-sent when it returns', () => {
    const cluster = makeCluster(4);
    cluster.down.add(3);
    [0, 1, 2].forEach((i) => cluster.nodes[i]!.db.storeInternal(duty, cluster.vcPartials(i)));
    cluster.run();
    expect(cluster.keys.every((key) => cluster.nodes[0]!.aggregated.get(duty, key) !== undefined)).toBe(true);
    expect(cluster.nodes[3]!.aggregated.size).toBe(0);
    cluster.down.delete(3);
    [0, 1, 2].forEach((i) => cluster.nodes[i]!.exchange.resend(3));
    cluster.run();
    cluster.keys.forEach((key, v) => expect(verify(cluster.dvs[v]!.publicKey, root, cluster.nodes[3]!.aggregated.get(duty, key)!.signature)).toBe(true));
  });
});
