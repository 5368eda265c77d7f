/**
 * Cluster peer network latency over loopback: round trip of one message between two
 * `@dvt/p2p` nodes (TCP + noise + yamux, one long-lived stream per peer, framing, dispatch),
 * node A sends, node B's subscriber echoes the payload back on another topic.
 * Floor: the same round trip over a raw `node:net` loopback socket with a 4-byte length prefix,
 * measured in the same run, interleaved sample by sample with the figure.
 * An extra row measures the alternative design (a fresh libp2p stream per message) for the record.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ClusterNode, type ClusterNodeOptions, installPromiseWithResolvers } from '@dvt/p2p';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import type { Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { type BenchRow, printTable, summarize } from './harness.js';

const BIG = 128 * 1024;
const SMALL = 1024;
const WARMUP = 20;
const SAMPLES = 300;
const PING = '/bench/ping/1';
const PONG = '/bench/pong/1';
const quiet = { debug: () => {}, warn: (m: string) => console.warn(`[p2p bench] ${m}`) };

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Two started cluster nodes; `roundTrip(payload)` resolves when node 1's echo is back at node 0. */
async function clusterPair(): Promise<{ roundTrip: (payload: Uint8Array) => Promise<void>; stop: () => Promise<void> }> {
  const ports = await freePorts(2);
  const keys = ports.map(() => secp256k1.utils.randomSecretKey());
  const peers = keys.map((k, index) => ({ index, publicKey: secp256k1.getPublicKey(k, true), addrs: [`/ip4/127.0.0.1/tcp/${ports[index]}`] }));
  const options = (i: number): ClusterNodeOptions => ({ identityKey: keys[i]!, selfIndex: i, listen: peers[i]!.addrs[0]!, peers, logger: quiet });
  const a = new ClusterNode(options(0));
  const b = new ClusterNode(options(1));
  b.subscribe(PING, (from, payload) => b.send(from, PONG, payload));
  let pending: { expected: number; resolve: () => void } | undefined;
  a.subscribe(PONG, (_from, payload) => {
    if (pending && payload.length === pending.expected) pending.resolve();
  });
  await Promise.all([a.start(), b.start()]);
  const deadline = Date.now() + 10_000;
  while (!a.stats().peers[0]!.streamOpen || !b.stats().peers[0]!.streamOpen) {
    if (Date.now() > deadline) throw new Error('p2p bench: the two nodes did not connect within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    roundTrip: (payload) =>
      new Promise<void>((resolve) => {
        pending = { expected: payload.length, resolve };
        a.send(1, PING, payload);
      }),
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
    },
  };
}

/** Raw TCP echo with a 4-byte length prefix: the floor. */
async function tcpPair(): Promise<{ roundTrip: (payload: Uint8Array) => Promise<void>; stop: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const end = 4 + buffered.readUInt32BE(0);
        socket.write(buffered.subarray(0, end));
        buffered = buffered.subarray(end);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', noDelay: true });
  await once(client, 'connect');
  let waiting: { need: number; got: number; resolve: () => void } | undefined;
  client.on('data', (chunk: Buffer) => {
    if (!waiting) return;
    waiting.got += chunk.length;
    if (waiting.got >= waiting.need) waiting.resolve();
  });
  return {
    roundTrip: (payload) =>
      new Promise<void>((resolve) => {
        const header = Buffer.alloc(4);
        header.writeUInt32BE(payload.length);
        waiting = { need: 4 + payload.length, got: 0, resolve };
        client.write(Buffer.concat([header, payload]));
      }),
    stop: async () => {
      client.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The alternative design: a new libp2p stream per request, the response on the same stream. */
async function streamPerMessagePair(): Promise<{ roundTrip: (payload: Uint8Array) => Promise<void>; stop: () => Promise<void> }> {
  installPromiseWithResolvers();
  const protocol = '/bench/stream-per-message/1';
  const make = (): Promise<Libp2p> =>
    createLibp2p({
      privateKey: privateKeyFromRaw(secp256k1.utils.randomSecretKey()),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    });
  const [a, b] = await Promise.all([make(), make()]);
  await b.handle(protocol, (stream: Stream) => {
    let got = 0;
    const chunks: Uint8Array[] = [];
    stream.addEventListener('message', (evt) => {
      const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
      chunks.push(data);
      got += data.length;
    });
    stream.addEventListener('remoteCloseWrite', () => {
      stream.send(Buffer.concat(chunks, got));
      void stream.close();
    });
  });
  const target = b.getMultiaddrs()[0]!;
  await a.dial(target);
  return {
    roundTrip: async (payload) => {
      const stream = await a.dialProtocol(target, protocol);
      const done = new Promise<void>((resolve) => {
        let got = 0;
        stream.addEventListener('message', (evt) => {
          got += evt.data.byteLength;
          if (got >= payload.length) resolve();
        });
      });
      stream.send(payload);
      await stream.close();
      await done;
    },
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
    },
  };
}

type Pair = Awaited<ReturnType<typeof tcpPair>>;

/** Alternates figure and floor sample by sample so both see the same machine load. */
async function interleaved(figure: Pair, floor: Pair, payload: Uint8Array): Promise<{ figure: number[]; floor: number[] }> {
  for (let i = 0; i < WARMUP; i++) {
    await figure.roundTrip(payload);
    await floor.roundTrip(payload);
  }
  const out = { figure: [] as number[], floor: [] as number[] };
  for (let i = 0; i < SAMPLES; i++) {
    let t0 = performance.now();
    await figure.roundTrip(payload);
    out.figure.push(performance.now() - t0);
    t0 = performance.now();
    await floor.roundTrip(payload);
    out.floor.push(performance.now() - t0);
  }
  return out;
}

export async function runP2pBench(): Promise<void> {
  const rows: BenchRow[] = [];
  const cluster = await clusterPair();
  const raw = await tcpPair();
  const perMessage = await streamPerMessagePair();
  try {
    const big = new Uint8Array(BIG).map((_, i) => i);
    const small = new Uint8Array(SMALL).map((_, i) => i);
    const bigRun = await interleaved(cluster, raw, big);
    const bigFigure = summarize(bigRun.figure);
    const bigFloor = summarize(bigRun.floor);
    rows.push({
      name: 'round trip 128 KB, 2 nodes (median)',
      value: bigFigure.medianMs,
      floor: bigFloor.medianMs,
      unit: 'ms',
      floorName: 'node:net loopback echo, same payload',
    });
    rows.push({
      name: 'round trip 128 KB, 2 nodes (p99)',
      value: bigFigure.p99Ms,
      floor: bigFloor.p99Ms,
      unit: 'ms',
      target: '≪ 50 ms (QBFT decision p99 budget)',
      floorName: 'node:net loopback echo, same payload',
    });
    const smallRun = await interleaved(cluster, raw, small);
    rows.push({
      name: 'round trip 1 KB, 2 nodes (median)',
      value: summarize(smallRun.figure).medianMs,
      floor: summarize(smallRun.floor).medianMs,
      unit: 'ms',
      floorName: 'node:net loopback echo, same payload',
    });
    const perMessageRun = await interleaved(perMessage, raw, big);
    rows.push({
      name: 'alt: libp2p stream per message, 128 KB (median)',
      value: summarize(perMessageRun.figure).medianMs,
      floor: summarize(perMessageRun.floor).medianMs,
      unit: 'ms',
      floorName: 'node:net loopback echo, same payload',
    });
  } finally {
    await Promise.all([cluster.stop(), raw.stop(), perMessage.stop()]);
  }
  printTable(`p2p (loopback, ${SAMPLES} samples each)`, rows);
}
