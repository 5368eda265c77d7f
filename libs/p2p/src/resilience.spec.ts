import { afterEach, describe, expect, it } from '@jest/globals';
import './node-compat.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import type { Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { ClusterNode } from './cluster-node.js';
import { DEFAULT_PROTOCOL, peerIdFromIdentityPublicKey } from './config.js';
import { encodeFrame, encodeTopic } from './frame.js';
import { memberOptions, meshReady, RecordingLogger, testMembers, waitFor } from './test-support.js';

const TOPIC = '/dvt/parsig/1';
const text = (payload: Uint8Array): string => Buffer.from(payload).toString();

/** A member speaking raw libp2p with its real key, so a test can write bytes by hand. */
function rawMember(identityKey: Uint8Array): Promise<Libp2p> {
  return createLibp2p({
    privateKey: privateKeyFromRaw(identityKey),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}

describe('reconnects, bounded queues and inbound limits', () => {
  let nodes: ClusterNode[] = [];
  let raw: Libp2p | undefined;
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await raw?.stop();
    nodes = [];
    raw = undefined;
  });

  it('reconnects to a member restarted with the same key and port and flushes what was queued meanwhile', async () => {
    const members = await testMembers(3);
    nodes = members.map((_, i) => new ClusterNode(memberOptions(members, i)));
    const [n0, n1, n2] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const downs: string[] = [];
    n0.on('peerDown', (p) => downs.push(`0 lost ${p}`));
    n1.on('peerDown', (p) => downs.push(`1 lost ${p}`));
    await Promise.all(nodes.map((n) => n.start()));
    await waitFor(() => meshReady(nodes), 'a full mesh');

    await n2.stop();
    await waitFor(() => !n0.connectedPeers().includes(2) && !n1.connectedPeers().includes(2), 'both members to see member 2 go');
    // (a member may briefly reconnect while member 2 shuts down, so each can see it go more than once)
    expect(new Set(downs)).toEqual(new Set(['0 lost 2', '1 lost 2']));
    for (let i = 0; i < 5; i++) {
      n0.send(2, TOPIC, Buffer.from(`from 0 #${i}`));
      n1.send(2, TOPIC, Buffer.from(`from 1 #${i}`));
    }
    expect(n0.stats().peers.find((p) => p.index === 2)!.queuedMessages).toBe(5);

    const got: string[] = [];
    const restarted = new ClusterNode(memberOptions(members, 2));
    nodes.push(restarted);
    restarted.subscribe(TOPIC, (from, payload) => got.push(`${from}: ${text(payload)}`));
    await restarted.start();
    await waitFor(() => got.length === 10, 'the 10 queued messages');
    expect(got.filter((g) => g.startsWith('0:'))).toEqual([0, 1, 2, 3, 4].map((i) => `0: from 0 #${i}`));
    expect(got.filter((g) => g.startsWith('1:'))).toEqual([0, 1, 2, 3, 4].map((i) => `1: from 1 #${i}`));
    await waitFor(() => restarted.connectedPeers().length === 2 && n0.connectedPeers().includes(2), 'the mesh again');
    const toTwo = n0.stats().peers.find((p) => p.index === 2)!;
    expect(toTwo).toMatchObject({ queuedMessages: 0, droppedQueueFull: 0 });
    expect(toTwo.streamsOpened).toBe(2);
  });

  it('bounds the queue of an unreachable member, dropping the oldest, and delivers the rest when it comes up', async () => {
    const members = await testMembers(2);
    const logger = new RecordingLogger();
    const sender = new ClusterNode(memberOptions(members, 0, { maxQueuedMessages: 3, logger }));
    nodes = [sender];
    await sender.start();
    for (let i = 1; i <= 5; i++) sender.send(1, TOPIC, Buffer.from(`m${i}`));
    expect(sender.stats().peers[0]).toMatchObject({ queuedMessages: 3, droppedQueueFull: 2, sentMessages: 0 });
    expect(logger.warnings.filter((w) => w.includes('outbound queue to peer 1 is full'))).toHaveLength(1);

    const got: string[] = [];
    const late = new ClusterNode(memberOptions(members, 1));
    nodes.push(late);
    late.subscribe(TOPIC, (_from, payload) => got.push(text(payload)));
    await late.start();
    await waitFor(() => got.length === 3, 'the 3 newest messages');
    expect(got).toEqual(['m3', 'm4', 'm5']);
    expect(sender.stats().peers[0]).toMatchObject({ queuedMessages: 0, droppedQueueFull: 2, sentMessages: 3 });
  });

  it('drops an inbound message above the receiver limit with a warning and keeps the stream', async () => {
    const members = await testMembers(2);
    const logger = new RecordingLogger();
    const got: string[] = [];
    const sender = new ClusterNode(memberOptions(members, 0));
    const receiver = new ClusterNode(memberOptions(members, 1, { maxMessageBytes: 1000, logger }));
    nodes = [sender, receiver];
    receiver.subscribe(TOPIC, (_from, payload) => got.push(`${payload.length}`));
    await Promise.all(nodes.map((n) => n.start()));
    sender.send(1, TOPIC, new Uint8Array(5000));
    sender.send(1, TOPIC, new Uint8Array(1000));
    sender.send(1, '/dvt/unknown/1', new Uint8Array(1));
    sender.send(1, TOPIC, new Uint8Array(10));
    await waitFor(() => got.length === 2, 'the two messages within the limit');
    expect(got).toEqual(['1000', '10']);
    expect(receiver.stats().peers[0]).toMatchObject({ droppedOversized: 1, droppedUnsubscribed: 1, receivedMessages: 2, streamsOpened: 1 });
    expect(logger.warnings).toEqual([expect.stringMatching(/dropped a 5\d{3}-byte frame from peer 0: payload above 1000 bytes/)]);
    expect(sender.stats().peers[0]!.streamsOpened).toBe(1);
  });

  it('keeps at most 4 inbound streams per member, closing the oldest', async () => {
    const members = await testMembers(2);
    const got: string[] = [];
    const receiver = new ClusterNode(memberOptions(members, 1));
    nodes = [receiver];
    receiver.subscribe(TOPIC, (from, payload) => got.push(`${from}: ${text(payload)}`));
    await receiver.start();
    raw = await rawMember(members[0]!.identityKey);
    const target = multiaddr(`${members[1]!.addr}/p2p/${peerIdFromIdentityPublicKey(members[1]!.publicKey)}`);
    const streams: Stream[] = [];
    for (let i = 0; i < 5; i++) {
      const stream = await raw.dialProtocol(target, DEFAULT_PROTOCOL);
      stream.send(Uint8Array.of(0, 0, 1, 0)); // a frame header promising 256 bytes that never come
      streams.push(stream);
    }
    await waitFor(() => streams[0]!.status !== 'open', 'the oldest stream to be closed by the receiver');
    expect(streams.slice(1).map((s) => s.status)).toEqual(['open', 'open', 'open', 'open']);
    expect(receiver.stats().peers[0]!.inboundStreams).toBe(4);
    const frame = encodeFrame(encodeTopic(TOPIC), Buffer.from('on a fresh stream'));
    const fresh = await raw.dialProtocol(target, DEFAULT_PROTOCOL);
    fresh.send(frame);
    await waitFor(() => got.length === 1, 'the frame on the newest stream');
    expect(got).toEqual(['0: on a fresh stream']);
    await waitFor(() => streams[1]!.status !== 'open', 'the next oldest to be closed');
    expect(receiver.stats().peers[0]!.inboundStreams).toBe(4);
  });

  it('drops malformed frames from an authenticated member without losing the frames after them', async () => {
    const members = await testMembers(2);
    const logger = new RecordingLogger();
    const got: string[] = [];
    const receiver = new ClusterNode(memberOptions(members, 1, { logger }));
    nodes = [receiver];
    receiver.subscribe(TOPIC, (from, payload) => got.push(`${from}: ${text(payload)}`));
    await receiver.start();

    raw = await rawMember(members[0]!.identityKey);
    const target = multiaddr(`${members[1]!.addr}/p2p/${peerIdFromIdentityPublicKey(members[1]!.publicKey)}`);
    const stream = await raw.dialProtocol(target, DEFAULT_PROTOCOL);
    const good = encodeFrame(encodeTopic(TOPIC), Buffer.from('still here'));
    const badTopicLength = Uint8Array.of(0, 0, 0, 3, 9, 0x61, 0x62);
    const emptyBody = Uint8Array.of(0, 0, 0, 0);
    // one write split across a malformed frame boundary, to exercise reassembly too
    const bytes = Buffer.concat([badTopicLength, emptyBody, good]);
    stream.send(bytes.subarray(0, 9));
    stream.send(bytes.subarray(9));
    await waitFor(() => got.length === 1, 'the good frame');
    expect(got).toEqual(['0: still here']);
    expect(receiver.stats().peers[0]).toMatchObject({ droppedMalformed: 2, receivedMessages: 1 });
    // the second warning falls in the same throttle window
    expect(logger.warnings).toEqual(['dropped a malformed frame from peer 0: topic length 9 exceeds the frame body of 3 bytes']);
  });
});
