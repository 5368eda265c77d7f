/**
 * The attester duty of a 4-node cluster (threshold 3) in one process, for 100 and 1,000 DVs: from
 * the attestation data decided (per node) to that node's last aggregated attestation accepted by
 * the beacon mock. Each sample is a fresh cluster on the same keys whose DVs all attest at slot 1
 * (a node refuses a second vote in an epoch, so one slot per genesis). The floor is the BLS work
 * of that slot for the four nodes, measured in the same run with the primitives the nodes use:
 * verifying the own VC's partials, verifying the peers' partials, recovering each signature and
 * verifying the aggregates. The validator clients' signing runs in the same process too; it is
 * printed on its own line.
 */
import { performance } from 'node:perf_hooks';
import { createCluster } from '@dvt/cluster';
import { hexToBytes } from '@dvt/common';
import { DutyType } from '@dvt/dv';
import { attestationDataSigningRoot, getNetwork } from '@dvt/eth2';
import { SimulatedCluster } from '@dvt/testing';
import { type SignatureSetBytes, recoverSignature, sign, verifySets } from '@dvt/tbls';
import { quantile } from './harness.js';

const SAMPLES = Number(process.env.ATTESTER_BENCH_SAMPLES ?? 3);
const SECONDS_PER_SLOT = Number(process.env.ATTESTER_BENCH_SLOT_SECONDS ?? 12);
const SIZES = (process.env.ATTESTER_BENCH_SIZES ?? '100,1000').split(',').map(Number);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

async function oneSlot(cluster: ReturnType<typeof createCluster>, dvs: number): Promise<{ latencies: number[]; rss: number; complete: boolean }> {
  const decidedAt = new Map<number, number>();
  const last = new Map<number, number>();
  const broadcast = new Map<number, number>();
  let rss = process.memoryUsage().rss;
  const sim = await SimulatedCluster.start({
    cluster,
    secondsPerSlot: SECONDS_PER_SLOT,
    chain: { proposers: [], attesterSlot: (_index, epoch) => epoch * 32 + 1, verifySignatures: false },
    observer: (node) => ({
      onDecided: (duty) => {
        if (duty.type === DutyType.Attester) decidedAt.set(node, performance.now());
      },
      onBroadcast: (duty, count) => {
        if (duty.type !== DutyType.Attester) return;
        broadcast.set(node, (broadcast.get(node) ?? 0) + count);
        last.set(node, performance.now());
      },
    }),
  });
  const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 100);
  try {
    const deadline = (sim.network.genesisTime + 3 * SECONDS_PER_SLOT) * 1000;
    while (Date.now() < deadline && [0, 1, 2, 3].some((n) => (broadcast.get(n) ?? 0) < dvs)) await new Promise((r) => setTimeout(r, 50));
  } finally {
    clearInterval(sampler);
    await sim.stop();
  }
  const complete = [0, 1, 2, 3].every((n) => broadcast.get(n) === dvs);
  const latencies = [0, 1, 2, 3].filter((n) => decidedAt.has(n) && last.has(n)).map((n) => last.get(n)! - decidedAt.get(n)!);
  return { latencies, rss, complete };
}

/** Single-thread BLS work of one attester slot for the whole cluster, ms. */
function floorMs(cluster: ReturnType<typeof createCluster>, dvs: number): { nodesMs: number; vcSignMs: number } {
  const network = getNetwork('devnet');
  const data = { slot: 1, index: 0, beaconBlockRoot: new Uint8Array(32).fill(1), source: { epoch: 0, root: new Uint8Array(32) }, target: { epoch: 0, root: new Uint8Array(32).fill(2) } };
  const root = attestationDataSigningRoot(network, data);
  const t0 = performance.now();
  const partials = cluster.nodes.map((node) => node.keyShares.map((share) => sign(share, root)));
  const vcSignMs = performance.now() - t0;
  const sets = (node: number): SignatureSetBytes[] =>
    cluster.lock.distributed_validators.map((dv, v) => ({ publicKey: hexToBytes(dv.public_shares[node]!), message: root, signature: partials[node]![v]! }));
  const start = performance.now();
  for (let node = 0; node < 4; node++) {
    // The primitives the nodes use: verifySets (one same-message random-weight pairing per signing root).
    verifySets(sets(node)); // own VC's partials, at the validator API
    for (let peer = 0; peer < 4; peer++) if (peer !== node) verifySets(sets(peer)); // peers' partials, at the exchange
    const aggregates: SignatureSetBytes[] = cluster.lock.distributed_validators.map((dv, v) => ({
      publicKey: hexToBytes(dv.distributed_public_key),
      message: root,
      signature: recoverSignature([0, 1, 2].map((i) => ({ index: i + 1, signature: partials[i]![v]! }))), // small-coefficient fast path for {1,2,3}
    }));
    verifySets(aggregates);
  }
  void dvs;
  return { nodesMs: performance.now() - start, vcSignMs };
}

export async function runAttesterDutyBench(): Promise<void> {
  console.log('\n## attester duty: 4 nodes in one process, decided → last aggregated attestation broadcast');
  for (const dvs of SIZES) {
    const cluster = createCluster({ network: getNetwork('devnet'), operators: 4, validators: dvs, withdrawalAddress: '0x' + '5a'.repeat(20), validatorType: '0x01', feeRecipient: '0x' + '5a'.repeat(20) });
    const latencies: number[] = [];
    let rss = 0;
    let incomplete = 0;
    for (let s = 0; s < SAMPLES; s++) {
      const result = await oneSlot(cluster, dvs);
      latencies.push(...result.latencies);
      rss = Math.max(rss, result.rss);
      if (!result.complete) incomplete++;
    }
    const floors = [floorMs(cluster, dvs), floorMs(cluster, dvs), floorMs(cluster, dvs)];
    const floor = floors.map((f) => f.nodesMs).sort((a, b) => a - b)[1]!;
    const vcSign = floors.map((f) => f.vcSignMs).sort((a, b) => a - b)[1]!;
    const sorted = latencies.sort((a, b) => a - b);
    const p50 = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    console.log(
      `attester ${String(dvs).padStart(4)} DVs: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (${sorted.length} node-slots${incomplete ? `, ${incomplete} slot(s) incomplete` : ''}) | ` +
        `floor (BLS of 4 nodes, one thread) ${floor.toFixed(0)} ms → ${(p50 / floor).toFixed(2)}× | VCs' signing in-process ${vcSign.toFixed(0)} ms → ${(p50 / (floor + vcSign)).toFixed(2)}× of both | ` +
        `target ≤ 4000 ms, ≤ 1.5× | RSS peak ${mb(rss)} MB for 4 nodes + 4 VCs + beacon mock (${mb(rss / 4)} MB per node upper bound; target < 500 MB)`,
    );
  }
}
