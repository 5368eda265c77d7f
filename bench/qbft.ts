/**
 * QBFT decision latency for a value the size of 1,000 DVs' attestation data, with real secp256k1
 * identity keys (the default signer and verifier: libsecp256k1, else node:crypto):
 *  - in process: n bare QBFT instances on an in-memory FIFO network;
 *  - over loopback libp2p: n `@dvt/p2p` ClusterNodes in this process (real TCP + noise + yamux),
 *    each with the `@dvt/dv` consensus component; from the first propose to the last decision.
 * Floor: signing and verifying the messages of one round (1 proposal + n PREPAREs + n COMMITs,
 * each verified by the n-1 other nodes), measured in the same run, interleaved with the figure.
 * A node stops verifying COMMITs once it holds a quorum, so the figure can dip below its floor.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  InMemoryQbftNetwork,
  QbftInstance,
  QbftMessageType,
  ZERO_HASH,
  createQbftSigner,
  generateSecp256k1IdentityKey,
  increasingRoundDuration,
  qbftValueHash,
  rawBytesCodec,
  secp256k1Verifier,
  signQbftMessage,
  verifyQbftMessage,
  type QbftMessage,
  type QbftSigner,
  nobleSecp256k1Verifier,
  opensslSecp256k1Verifier,
  NativeSecp256k1Signer,
  Secp256k1Signer,
  type QbftVerifier,
} from '@dvt/qbft';
import { libsecp256k1 } from '@dvt/common';
import { Consensus, DutyType, SlotTimes, clusterConsensusTransport, newDuty, unsignedDataSet, type UnsignedDataSet } from '@dvt/dv';
import { startClusterNode, type ClusterNode } from '@dvt/p2p';
import { measure, printTable, summarize, type BenchRow } from './harness.js';

const DVS = 1000;
const ATTESTATION_DATA_BYTES = 128;
// enough that p99 is not simply the slowest sample (one major GC)
const SAMPLES = Number(process.env.QBFT_BENCH_SAMPLES ?? 200);

interface Cluster {
  signers: QbftSigner[];
  peers: Uint8Array[];
}

function makeCluster(n: number): Cluster {
  const signers = Array.from({ length: n }, () => createQbftSigner(generateSecp256k1IdentityKey().privateKey));
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
function oneRoundOfSignatures(cluster: Cluster, valueHash: Uint8Array, verifier = secp256k1Verifier): () => void {
  const n = cluster.peers.length;
  const messages: QbftMessage[] = [];
  const base = { duty: { slot: 1, type: 2 }, round: 1, valueHash, preparedRound: 0, preparedValueHash: ZERO_HASH };
  messages.push({ ...base, type: QbftMessageType.PrePrepare, source: 0 });
  for (let i = 0; i < n; i++) messages.push({ ...base, type: QbftMessageType.Prepare, source: i });
  for (let i = 0; i < n; i++) messages.push({ ...base, type: QbftMessageType.Commit, source: i });
  return () => {
    for (const message of messages) {
      const { signature } = signQbftMessage(message, cluster.signers[message.source]!);
      for (let v = 0; v < n - 1; v++) {
        if (!verifyQbftMessage(verifier, message, signature, cluster.peers[message.source]!)) throw new Error('bad signature');
      }
    }
  };
}

async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => done());
      });
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** n consensus components on n in-process ClusterNodes talking over loopback TCP. */
class Libp2pCluster {
  /** called on every decision of every node */
  private onDecided: () => void = () => undefined;
  private consensus: Consensus[] = [];

  private constructor(
    private readonly nodes: ClusterNode[],
    private readonly slotTimes: SlotTimes,
  ) {}

  static async start(n: number): Promise<Libp2pCluster> {
    const ports = await freePorts(n);
    const keys = Array.from({ length: n }, () => generateSecp256k1IdentityKey());
    const peers = keys.map((key, index) => ({ index, publicKey: key.publicKey, addrs: [`/ip4/127.0.0.1/tcp/${ports[index]}`] }));
    const nodes = await Promise.all(
      keys.map((key, index) =>
        startClusterNode({
          identityKey: key.privateKey,
          selfIndex: index,
          listen: `/ip4/127.0.0.1/tcp/${ports[index]}`,
          peers,
          reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
          logger: { debug: () => undefined, warn: () => undefined },
        }),
      ),
    );
    // slots of 100 ms so every sample gets a fresh duty in the window; rounds long enough never to time out.
    // A sample starts every ~1.3 slots and an instance ends 300 ms after its slot starts, so 2–3 are alive
    // at a time, as in a real node (an attester instance lives 2 slots of 12 s). Their decoded values are
    // what the young-generation GC copies: with 1 s (7–8 alive) the GC pauses alone made p99 ≈ 55 ms.
    const slotTimes = new SlotTimes(Date.now(), 100);
    const cluster = new Libp2pCluster(nodes, slotTimes);
    cluster.consensus = keys.map((key, index) => {
      const component = new Consensus({
        nodeIndex: index,
        peers: keys.map((k) => k.publicKey),
        signer: createQbftSigner(key.privateKey),
        transport: clusterConsensusTransport(nodes[index]!),
        slotTimes,
        duties: { [DutyType.Attester]: { isValid: () => true, startOffsetMs: 0, deadlineMs: 300, roundDuration: () => 800 } },
      });
      component.subscribe(() => cluster.onDecided());
      return component;
    });
    const deadline = Date.now() + 20_000;
    while (!nodes.every((node) => node.stats().peers.every((peer) => peer.streamOpen))) {
      if (Date.now() > deadline) throw new Error('the libp2p cluster did not connect within 20 s');
      await sleep(50);
    }
    return cluster;
  }

  /** All nodes propose their value for the current slot; resolves with ms until the last node decided. */
  async decideOnce(values: UnsignedDataSet[]): Promise<number> {
    const n = this.consensus.length;
    const duty = newDuty(this.slotTimes.slotAt(Date.now()), DutyType.Attester);
    let remaining = n;
    const allDecided = new Promise<void>((done, fail) => {
      const timeout = setTimeout(() => fail(new Error(`slot ${duty.slot}: only ${n - remaining} of ${n} nodes decided within 1 s`)), 1000);
      this.onDecided = () => {
        if (--remaining === 0) {
          clearTimeout(timeout);
          done();
        }
      };
    });
    const t0 = performance.now();
    this.consensus.forEach((component, i) => component.propose(duty, values[i]!));
    await allDecided;
    const elapsed = performance.now() - t0;
    // the next sample needs the next slot
    await sleep(110);
    return elapsed;
  }

  async stop(): Promise<void> {
    for (const component of this.consensus) component.stop();
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}

function attestationDataSets(n: number): UnsignedDataSet[] {
  const dvKeys = Array.from({ length: DVS }, () => new Uint8Array(randomBytes(48)));
  return Array.from({ length: n }, () => unsignedDataSet(dvKeys.map((key) => [key, new Uint8Array(randomBytes(ATTESTATION_DATA_BYTES))] as const)));
}

export async function runLibp2pBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of [4, 7]) {
    const cluster = await Libp2pCluster.start(n);
    try {
      const values = attestationDataSets(n);
      const signers = makeCluster(n);
      const signRound = oneRoundOfSignatures(signers, qbftValueHash(randomBytes(32)));
      for (let w = 0; w < 3; w++) await cluster.decideOnce(values);
      const samples: number[] = [];
      const floorSamples: number[] = [];
      for (let s = 0; s < SAMPLES; s++) {
        samples.push(await cluster.decideOnce(values));
        const t0 = performance.now();
        signRound();
        floorSamples.push(performance.now() - t0);
      }
      const latency = summarize(samples);
      const floor = summarize(floorSamples);
      const floorName = `sign ${2 * n + 1} + verify ${(n - 1) * (2 * n + 1)} messages (secp256k1, median)`;
      const target = n === 4 ? '< 50 ms and ≤ 3× floor' : undefined;
      rows.push({ name: `libp2p decision latency p50, n=${n}, ${DVS} DVs`, value: latency.medianMs, floor: floor.medianMs, unit: 'ms', floorName });
      rows.push({ name: `libp2p decision latency p99, n=${n}, ${DVS} DVs`, value: latency.p99Ms, floor: floor.medianMs, unit: 'ms', floorName, target });
      // how much the machine's load alone spreads a CPU-bound figure: the floor's own p99
      rows.push({ name: `  (load spread) floor p99, n=${n}`, value: floor.p99Ms, floor: floor.medianMs, unit: 'ms', floorName: 'floor median' });
    } finally {
      await cluster.stop();
    }
  }
  return rows;
}

/** One round of signatures in JavaScript (@noble/curves) and on OpenSSL against the default (libsecp256k1 where it loads). */
function signerComparison(): BenchRow[] {
  const keys = [1, 2, 3, 4].map((i) => {
    const key = new Uint8Array(32);
    key[0] = 1;
    key[31] = i;
    return key;
  });
  const peers = keys.map((k) => new Secp256k1Signer(k).publicKey);
  const hash = qbftValueHash(randomBytes(32));
  const round = (signers: QbftSigner[], verifier: QbftVerifier) => measure(oneRoundOfSignatures({ signers, peers }, hash, verifier), { minTimeMs: 1000 }).medianMs;
  const defaultRound = round(keys.map((k) => createQbftSigner(k)), secp256k1Verifier);
  const floorName = `the same with the default (${libsecp256k1() ? 'libsecp256k1' : 'node:crypto'})`;
  return [
    { name: 'one round of signatures, n=4, JS (@noble/curves)', value: round(keys.map((k) => new Secp256k1Signer(k)), nobleSecp256k1Verifier), floor: defaultRound, unit: 'ms', floorName },
    { name: 'one round of signatures, n=4, node:crypto (OpenSSL)', value: round(keys.map((k) => new NativeSecp256k1Signer(k)), opensslSecp256k1Verifier), floor: defaultRound, unit: 'ms', floorName },
  ];
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
  rows.push(...signerComparison());
  printTable(`QBFT in-process (${SAMPLES} instances per size, value ${(DVS * ATTESTATION_DATA_BYTES) / 1000} kB)`, rows);
  const valueBytes = DVS * (48 + 4 + ATTESTATION_DATA_BYTES) + 5;
  printTable(`QBFT over loopback libp2p, consensus component (${SAMPLES} duties per size, value ${(valueBytes / 1000).toFixed(0)} kB encoded)`, await runLibp2pBench());
}
