import { afterEach, describe, expect, it } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ClusterNode } from './cluster-node.js';
import { memberOptions, RecordingLogger, sleep, testMembers, waitFor } from './test-support.js';

const TOPIC = '/dvt/qbft/1';

describe('only cluster members may connect', () => {
  let nodes: ClusterNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it('refuses an inbound connection from a stranger that knows a member address and key', async () => {
    const members = await testMembers(3);
    const received: string[] = [];
    const ups: number[] = [];
    const memberLogger = new RecordingLogger();
    const member0 = new ClusterNode(memberOptions(members, 0, { logger: memberLogger }));
    const member1 = new ClusterNode(memberOptions(members, 1));
    member0.subscribe(TOPIC, (from, payload) => received.push(`${from}:${Buffer.from(payload).toString()}`));
    member0.on('peerUp', (peer) => ups.push(peer));
    // the stranger believes it is member 2 of a cluster {0, 2}: right address and key for 0, its own key for itself
    const strangerKey = secp256k1.utils.randomSecretKey();
    const strangerView = [members[0]!, { ...members[2]!, identityKey: strangerKey, publicKey: secp256k1.getPublicKey(strangerKey, true) }];
    const stranger = new ClusterNode(memberOptions(strangerView, 1));
    nodes = [member0, member1, stranger];
    await Promise.all(nodes.map((n) => n.start()));

    stranger.send(0, TOPIC, Buffer.from('let me in'));
    member1.send(0, TOPIC, Buffer.from('hello'));
    await waitFor(() => received.length === 1 && member0.stats().refusedConnections >= 2, 'the member message and refused stranger dials');

    expect(received).toEqual(['1:hello']);
    expect(memberLogger.warnings.some((w) => /refused inbound connection: peer 16Uiu2\S+ is not a member/.test(w))).toBe(true);
    // (the stranger, as noise initiator, may briefly see a connection before the member's gater closes it)
    expect(stranger.stats().peers[0]).toMatchObject({ streamOpen: false, streamsOpened: 0, queuedMessages: 1, sentMessages: 0 });
    expect(stranger.stats().peers[0]!.dialFailures).toBeGreaterThanOrEqual(1);
    expect(ups).not.toContain(2);
    expect(member0.connectedPeers()).not.toContain(2); // member 2 never started
  });

  it('never talks to a stranger listening at a member address (noise checks the expected peer id)', async () => {
    const members = await testMembers(2);
    // the stranger holds member 1's address but its own key
    const strangerKey = secp256k1.utils.randomSecretKey();
    const strangerAsMember1 = { ...members[1]!, identityKey: strangerKey, publicKey: secp256k1.getPublicKey(strangerKey, true) };
    const strangerGot: string[] = [];
    const stranger = new ClusterNode(memberOptions([members[0]!, strangerAsMember1], 1));
    stranger.subscribe(TOPIC, (_from, payload) => strangerGot.push(Buffer.from(payload).toString()));
    const member0 = new ClusterNode(memberOptions(members, 0));
    nodes = [stranger, member0];
    await Promise.all(nodes.map((n) => n.start()));

    member0.send(1, TOPIC, Buffer.from('secret'));
    await waitFor(() => member0.stats().peers[0]!.dialFailures >= 2, 'two failed dials from the member');
    await sleep(100);
    expect(strangerGot).toEqual([]);
    expect(member0.connectedPeers()).toEqual([]);
    expect(member0.stats().peers[0]).toMatchObject({ queuedMessages: 1, sentMessages: 0, streamOpen: false, streamsOpened: 0 });
  });
});
