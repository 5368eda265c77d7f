import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { ClusterNode, type PeerEventName, startClusterNode } from './cluster-node.js';
import { P2pError } from './errors.js';
import { memberOptions, meshReady, testMembers, waitFor } from './test-support.js';

const QBFT = '/dvt/qbft/1';
const PARSIG = '/dvt/parsig/1';

interface Received {
  to: number;
  from: number;
  topic: string;
  text: string;
}

describe('ClusterNode over loopback TCP (4 members)', () => {
  let nodes: ClusterNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it('connects every pair and delivers sends and broadcasts both ways, with the authenticated sender index', async () => {
    const members = await testMembers(4);
    const received: Received[] = [];
    const ups: [number, number][] = [];
    nodes = members.map((_, i) => new ClusterNode(memberOptions(members, i)));
    for (const node of nodes) {
      for (const topic of [QBFT, PARSIG]) {
        node.subscribe(topic, (from, payload) => received.push({ to: node.selfIndex, from, topic, text: Buffer.from(payload).toString() }));
      }
      node.on('peerUp', (peer) => ups.push([node.selfIndex, peer]));
    }
    await Promise.all(nodes.map((n) => n.start()));
    await waitFor(() => meshReady(nodes), 'a full mesh');
    expect(nodes[0]!.listenAddresses()).toEqual([`${members[0]!.addr}/p2p/${nodes[0]!.peerId}`]);
    expect(nodes.map((n) => n.connectedPeers())).toEqual([
      [1, 2, 3],
      [0, 2, 3],
      [0, 1, 3],
      [0, 1, 2],
    ]);
    for (const node of nodes) expect(ups.filter(([self]) => self === node.selfIndex).map(([, p]) => p).sort()).toEqual(node.peerIndexes);

    for (const node of nodes) {
      for (const peer of node.peerIndexes) node.send(peer, PARSIG, Buffer.from(`${node.selfIndex}->${peer}`));
      node.broadcast(QBFT, Buffer.from(`all from ${node.selfIndex}`));
    }
    await waitFor(() => received.length === 24, '24 messages');
    for (const r of received) {
      expect(r.text).toBe(r.topic === PARSIG ? `${r.from}->${r.to}` : `all from ${r.from}`);
      expect(r.from).not.toBe(r.to);
    }
    const pairs = new Set(received.map((r) => `${r.topic} ${r.from} ${r.to}`));
    expect(pairs.size).toBe(24);
    const stats = nodes[0]!.stats();
    expect(stats.peers.map((p) => [p.index, p.sentMessages, p.receivedMessages, p.droppedQueueFull])).toEqual([
      [1, 2, 2, 0],
      [2, 2, 2, 0],
      [3, 2, 2, 0],
    ]);
  });

  it('keeps per-peer order, queues sends made before the mesh is up, and reports peerDown', async () => {
    const members = await testMembers(2);
    const got: number[] = [];
    const downs: number[] = [];
    const a = new ClusterNode(memberOptions(members, 0));
    const b = new ClusterNode(memberOptions(members, 1));
    nodes = [a, b];
    const unsubscribe = b.subscribe(QBFT, (from, payload) => {
      expect(from).toBe(0);
      got.push(new DataView(payload.buffer, payload.byteOffset).getUint32(0));
    });
    a.on('peerDown', (peer) => downs.push(peer));
    for (let i = 0; i < 200; i++) a.send(1, QBFT, Uint8Array.of(0, 0, i >> 8, i & 0xff, ...new Array<number>(i * 50).fill(i & 0xff)));
    expect(a.stats().peers[0]!.queuedMessages).toBe(200);
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => got.length === 200, '200 ordered messages');
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    unsubscribe();
    a.send(1, QBFT, new Uint8Array(4));
    await waitFor(() => b.stats().peers[0]!.droppedUnsubscribed === 1, 'the frame on a topic nobody listens to any more');
    expect(got).toHaveLength(200);
    await b.stop();
    await waitFor(() => downs.length === 1, 'peerDown');
    expect(downs).toEqual([1]);
    expect(a.connectedPeers()).toEqual([]);
  });

  it('delivers a 1 MiB payload and a subscriber that throws does not stop the others', async () => {
    const members = await testMembers(2);
    let big: Uint8Array | undefined;
    const [a, b] = await Promise.all([
      startClusterNode(memberOptions(members, 0)),
      startClusterNode(memberOptions(members, 1), {
        [QBFT]: () => {
          throw new Error('subscriber bug');
        },
      }),
    ]);
    nodes = [a!, b!];
    b!.subscribe(QBFT, (_from, payload) => (big = payload));
    const payload = new Uint8Array(1 << 20).map((_, i) => i * 7);
    a!.send(1, QBFT, payload);
    await waitFor(() => big !== undefined, 'the 1 MiB payload');
    expect(Buffer.compare(big!, payload)).toBe(0);
    expect(b!.stats().peers[0]!.handlerErrors).toBe(1);
  });

  it('absorbs a burst larger than the stream window (backpressure) without loss or reordering', async () => {
    const members = await testMembers(2);
    const got: number[] = [];
    const [a, b] = await Promise.all([startClusterNode(memberOptions(members, 0)), startClusterNode(memberOptions(members, 1))]);
    nodes = [a, b];
    b.subscribe(PARSIG, (_from, payload) => got.push(payload[0]! + payload[payload.length - 1]!));
    await waitFor(() => meshReady(nodes), 'both streams');
    for (let i = 0; i < 40; i++) a.send(1, PARSIG, new Uint8Array(256 * 1024).fill(i));
    expect(a.stats().peers[0]!.queuedMessages).toBeGreaterThan(0); // the stream asked to wait for 'drain'
    await waitFor(() => got.length === 40, '40 × 256 KiB');
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => 2 * i));
    expect(a.stats().peers[0]).toMatchObject({ queuedMessages: 0, sentMessages: 40, droppedQueueFull: 0 });
  });

  it('rejects bad sends with typed errors', async () => {
    const members = await testMembers(2);
    const a = await startClusterNode(memberOptions(members, 0, { maxMessageBytes: 1000 }));
    nodes = [a];
    const code = (fn: () => void): string => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(P2pError);
        return (err as P2pError).code;
      }
      return 'no error';
    };
    expect(code(() => a.send(0, QBFT, new Uint8Array(1)))).toBe('UNKNOWN_PEER');
    expect(code(() => a.send(7, QBFT, new Uint8Array(1)))).toBe('UNKNOWN_PEER');
    expect(() => a.send(0, QBFT, new Uint8Array(1))).toThrow(/peer index 0 is this node itself/);
    expect(code(() => a.send(1, '', new Uint8Array(1)))).toBe('INVALID_TOPIC');
    expect(code(() => a.subscribe('bad\ttopic', () => {}))).toBe('INVALID_TOPIC');
    expect(code(() => a.subscribe(QBFT, 'handler' as unknown as () => void))).toBe('INVALID_CONFIG');
    expect(code(() => a.on('peerSideways' as PeerEventName, () => {}))).toBe('INVALID_CONFIG');
    expect(code(() => a.send(1, QBFT, new Uint8Array(1001)))).toBe('MESSAGE_TOO_LARGE');
    expect(code(() => a.broadcast(QBFT, new Uint8Array(1001)))).toBe('MESSAGE_TOO_LARGE');
    expect(code(() => a.send(1, QBFT, 'text' as unknown as Uint8Array))).toBe('INVALID_PAYLOAD');
    await expect(a.start()).rejects.toThrow(/already started/);
    await a.stop();
    expect(code(() => a.send(1, QBFT, new Uint8Array(1)))).toBe('NOT_RUNNING');
    expect(code(() => a.broadcast(QBFT, new Uint8Array(1)))).toBe('NOT_RUNNING');
    await a.stop(); // idempotent
  });

  it('fails to start with START_FAILED when the port is taken', async () => {
    const members = await testMembers(2);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(members[0]!.port, '127.0.0.1', () => resolve()));
    try {
      const node = new ClusterNode(memberOptions(members, 0));
      nodes = [node];
      await expect(node.start()).rejects.toMatchObject({ code: 'START_FAILED' });
      expect(node.running).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
