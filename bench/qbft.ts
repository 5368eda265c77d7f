/**
 * QBFT decision latency, in process: n real instances on an in-memory FIFO network, real
 * secp256k1 signing and verification, a value the size of 1,000 DVs' attestation data.
 * Floor: signing and verifying the messages of one round (1 proposal + n PREPAREs + n COMMITs,
 * each verified by the n-1 other nodes), measured in the same run, interleaved with the figure.
 * A node stops verifying COMMITs once it holds a quorum, so the figure can dip below its floor.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  InMemoryQbftNetwork,
  QbftInstance,
  QbftMessageType,
  Secp256k1Signer,
  ZERO_HASH,
  generateSecp256k1IdentityKey,
  increasingRoundDuration,
  qbftMessageDigest,
  qbftValueHash,
  rawBytesCodec,
  secp256k1Verifier,
  signQbftMessage,
  type QbftMessage,
} from '@dvt/qbft';
import { printTable, summarize, type BenchRow } from './harness.js';

const DVS = 1000;
const ATTESTATION_DATA_BYTES = 128;
const SAMPLES = 40;

interface Cluster {
  signers: Secp256k1Signer[];
  peers: Uint8Array[];
}

function makeCluster(n: number): Cluster {
  const signers = Array.from({ length: n }, () => new Secp256k1Signer(generateSecp256k1IdentityKey().privateKey));
  return { signers, peers: signers.map((s) => s.publicKey) };
}

/** One instance of consensus from start to the last node's decision; returns ms. */
function decideOnce(cluster: Cluster, slot: number, values: Uint8Array[]): number {
  const n = cluster.peers.length;
  const startMs = Date.now();
  const network = new InMemoryQbftNetwork(n);
  let decided = 0;
  const instances = cluster.signers.map((signer, i) => {
    const instance = new QbftInstance<Uint8Array>({
      duty: { slot, type: 2 },
      nodeIndex: i,
      peers: cluster.peers,
      signer,
      verifier: secp256k1Verifier,
      codec: rawBytesCodec,
      isValid: () => true,
      timing: { startMs, deadlineMs: startMs + 12_000, roundDuration: increasingRoundDuration(1000, 250) },
      clock: { now: () => startMs },
      transport: network.transport(i),
      onDecide: () => decided++,
    });
    network.connect(i, (bytes) => instance.receive(bytes));
    return instance;
  });
  const t0 = performance.now();
  instances.forEach((instance, i) => instance.start(values[i]));
  network.deliverAll();
  const elapsed = performance.now() - t0;
  if (decided !== n) throw new Error(`only ${decided} of ${n} nodes decided`);
  return elapsed;
}

/** Signs the 2n+1 messages of one round and verifies each at the n-1 other nodes. */
function oneRoundOfSignatures(cluster: Cluster, valueHash: Uint8Array): () => void {
  const n = cluster.peers.length;
  const messages: QbftMessage[] = [];
  const base = { duty: { slot: 1, type: 2 }, round: 1, valueHash, preparedRound: 0, preparedValueHash: ZERO_HASH };
  messages.push({ ...base, type: QbftMessageType.PrePrepare, source: 0 });
  for (let i = 0; i < n; i++) messages.push({ ...base, type: QbftMessageType.Prepare, source: i });
  for (let i = 0; i < n; i++) messages.push({ ...base, type: QbftMessageType.Commit, source: i });
  return () => {
    for (const message of messages) {
      const { signature } = signQbftMessage(message, cluster.signers[message.source]!);
      const digest = qbftMessageDigest(message);
      for (let v = 0; v < n - 1; v++) {
        if (!secp256k1Verifier.verify(digest, signature, cluster.peers[message.source]!)) throw new Error('bad signature');
      }
    }
  };
}

export async function runQbftBench(): Promise<void> {
  const rows: BenchRow[] = [];
  for (const n of [4, 7]) {
    const cluster = makeCluster(n);
    // every node fetched its own 1,000 × 128-byte attestation data; the leader's wins
    const values = Array.from({ length: n }, () => new Uint8Array(randomBytes(DVS * ATTESTATION_DATA_BYTES)));
    for (let w = 0; w < 3; w++) decideOnce(cluster, w, values);
    const signRound = oneRoundOfSignatures(cluster, qbftValueHash(values[0]!));
    signRound();
    // interleaved, so the figure and its floor see the same machine load
    const samples: number[] = [];
    const floorSamples: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      samples.push(decideOnce(cluster, 100 + s, values));
      const t0 = performance.now();
      signRound();
      floorSamples.push(performance.now() - t0);
    }
    const latency = summarize(samples);
    const floor = summarize(floorSamples);
    const floorName = `sign ${2 * n + 1} + verify ${(n - 1) * (2 * n + 1)} messages (secp256k1, median)`;
    rows.push({ name: `decision latency p50, n=${n}, ${DVS} DVs`, value: latency.medianMs, floor: floor.medianMs, unit: 'ms', floorName });
    rows.push({ name: `decision latency p99, n=${n}, ${DVS} DVs`, value: latency.p99Ms, floor: floor.medianMs, unit: 'ms', floorName });
  }
  printTable(`QBFT in-process (${SAMPLES} instances per size, value ${(DVS * ATTESTATION_DATA_BYTES) / 1000} kB)`, rows);
}
