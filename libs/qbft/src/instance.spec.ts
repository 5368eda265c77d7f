import { describe, expect, it } from '@jest/globals';
import { encodeQbftEnvelope, qbftValueHash } from './codec.js';
import { QbftError, type QbftErrorCode } from './errors.js';
import { QbftInstance, rawBytesCodec, type QbftReceiveResult } from './instance.js';
import { qbftQuorum } from './timing.js';
import { QbftMessageType, type SignedQbftMessage } from './types.js';
import { fakeKeys } from './spec-support/fake-keys.js';
import { Cluster, DUTY, SingleNode, START_MS, TIMING, secpKeys, text, val } from './spec-support/scenario.js';

// DUTY is slot 100, attester (2): with n = 4 the leaders of rounds 1, 2, 3, 4 are nodes 3, 0, 1, 2.
// TIMING: round r ends at START_MS + 1000r + 250r(r-1): 1000, 2500, 4500, 7000, …; 15 rounds.
const A = val('value A');
const B = val('value B');
const roundEnd = (r: number) => START_MS + 1000 * r + 250 * r * (r - 1);

function expectRejected(result: QbftReceiveResult, code: QbftErrorCode, pattern?: RegExp): void {
  expect(result.status).toBe('rejected');
  if (result.status !== 'rejected') return;
  expect(result.error).toBeInstanceOf(QbftError);
  expect(result.error.code).toBe(code);
  if (pattern) expect(result.error.message).toMatch(pattern);
}

const accepted: QbftReceiveResult = { status: 'accepted' };
const droppedFor = (reason: string) => ({ status: 'dropped', reason });

/** node 0 of 4, started with `input`, in round 1 led by node 3 */
function node0(input: Uint8Array | undefined = val('input of 0'), isValid?: (v: Uint8Array) => boolean): SingleNode {
  const node = new SingleNode({ n: 4, me: 0, isValid });
  node.instance.start(input);
  return node;
}

const sentTypes = (node: SingleNode) => node.out().map((s) => s.envelope.signed.message.type);

describe('QBFT happy path', () => {
  it.each([4, 7, 10, 13])('n = %i decides the round-1 leader value in round 1, with (n-1)(2n+1) messages', (n) => {
    const cluster = new Cluster({ n });
    cluster.start();
    const leader = (DUTY.slot + DUTY.type + 1) % n;
    expect(cluster.decidedValues()).toEqual(new Array(n).fill(`value of node ${leader}`));
    for (const decision of cluster.decisions) {
      expect(decision!.round).toBe(1);
      expect(decision!.commits).toHaveLength(qbftQuorum(n));
      expect(new Set(decision!.commits.map((c) => c.message.source)).size).toBe(qbftQuorum(n));
      expect(decision!.valueHash).toEqual(qbftValueHash(val(`value of node ${leader}`)));
    }
    expect(cluster.rejections).toEqual([]);
    expect(cluster.network.delivered).toBe((n - 1) * (2 * n + 1));
    expect(cluster.instances.every((i) => i.status === 'decided')).toBe(true);
  });

  it('n = 4 with real secp256k1 identity keys', () => {
    const cluster = new Cluster({ n: 4, keys: secpKeys(4) });
    cluster.start();
    expect(cluster.decidedValues()).toEqual(new Array(4).fill('value of node 3'));
    expect(cluster.rejections).toEqual([]);
  });

  it('with secp256k1 keys, a message signed in another node\'s name is rejected and not counted', () => {
    const node = new SingleNode({ n: 4, me: 0, keys: secpKeys(4) });
    node.instance.start(A);
    node.receive(node.proposal(3, 1, A));
    node.receive(node.prepare(1, 1, A));
    const asTwo = encodeQbftEnvelope({ signed: node.sign(2, { type: QbftMessageType.Prepare, round: 1, valueHash: qbftValueHash(A) }, 1), justifications: [] });
    expectRejected(node.receive(asTwo), 'INVALID_SIGNATURE', /from node 2/);
    expect(node.out(QbftMessageType.Commit)).toEqual([]);
    node.receive(node.prepare(2, 1, A));
    expect(node.out(QbftMessageType.Commit)).toHaveLength(1);
  });

  it('a node of another cluster (other identity keys) cannot take part', () => {
    const cluster = new Cluster({ n: 4, keys: secpKeys(4) });
    const outsider = new SingleNode({ n: 4, me: 0, keys: fakeKeys(4, 'another cluster') });
    expectRejected(cluster.instances[0]!.receive(outsider.proposal(3, 1, A)), 'INVALID_SIGNATURE');
  });
});

describe('proposals', () => {
  it('accepts the leader proposal and PREPAREs once', () => {
    const node = node0();
    expect(node.receive(node.proposal(3, 1, A))).toEqual(accepted);
    expect(sentTypes(node)).toEqual([QbftMessageType.Prepare]);
    expect(node.out()[0]!.envelope.signed.message).toMatchObject({ round: 1, source: 0, valueHash: qbftValueHash(A) });
    expect(node.receive(node.proposal(3, 1, A))).toEqual(droppedFor('DUPLICATE'));
    expect(node.receive(node.proposal(3, 1, B))).toEqual(droppedFor('EQUIVOCATION'));
    expect(sentTypes(node)).toEqual([QbftMessageType.Prepare]);
  });

  it('rejects a proposal from a node that does not lead the round', () => {
    const node = node0();
    expectRejected(node.receive(node.proposal(1, 1, A)), 'WRONG_LEADER', /led by node 3, not node 1/);
    expect(node.out()).toEqual([]);
  });

  it('rejects a proposal from an unknown signer or signed by someone else', () => {
    const node = node0();
    const unknown = encodeQbftEnvelope({
      signed: node.sign(9, { type: QbftMessageType.PrePrepare, round: 1, valueHash: qbftValueHash(A) }, 1),
      justifications: [],
      value: A,
    });
    expectRejected(node.receive(unknown), 'UNKNOWN_SIGNER', /source 9/);
    const forged = encodeQbftEnvelope({
      signed: node.sign(3, { type: QbftMessageType.PrePrepare, round: 1, valueHash: qbftValueHash(A) }, 1),
      justifications: [],
      value: A,
    });
    expectRejected(node.receive(forged), 'INVALID_SIGNATURE', /from node 3/);
    expect(node.out()).toEqual([]);
  });

  it('rejects a value that fails the validity predicate, then takes a valid one from the same leader', () => {
    const node = node0(undefined, (v) => text(v) !== 'slashable');
    expectRejected(node.receive(node.proposal(3, 1, val('slashable'))), 'INVALID_VALUE', /validity predicate/);
    expect(node.out()).toEqual([]);
    expect(node.receive(node.proposal(3, 1, A))).toEqual(accepted);
    expect(node.out(QbftMessageType.Prepare)).toHaveLength(1);
  });

  it('treats a throwing predicate or an undecodable value as invalid', () => {
    const throwing = node0(undefined, () => {
      throw new Error('slashing DB unavailable');
    });
    expectRejected(throwing.receive(throwing.proposal(3, 1, A)), 'INVALID_VALUE');
    const node = new SingleNode({ n: 4, me: 0 });
    const strict = new QbftInstance<string>({
      duty: DUTY,
      nodeIndex: 0,
      peers: node.keys.peers,
      signer: node.keys.signers[0]!,
      verifier: node.keys.verifier,
      codec: {
        encode: (s) => val(s),
        decode: (b) => {
          if (b[0] !== 0x7b) throw new Error('not JSON');
          return text(b);
        },
      },
      isValid: () => true,
      timing: TIMING,
      clock: { now: () => START_MS },
      transport: { broadcast: () => {}, send: () => {} },
    });
    expectRejected(strict.receive(node.proposal(3, 1, A)), 'INVALID_VALUE', /does not decode: not JSON/);
    expect(strict.receive(node.proposal(3, 1, val('{}')))).toEqual(accepted);
  });

  it('checks the value beside the message against the signed hash', () => {
    const node = node0();
    const signed = node.sign(3, { type: QbftMessageType.PrePrepare, round: 1, valueHash: qbftValueHash(A) });
    expectRejected(node.receive(encodeQbftEnvelope({ signed, justifications: [], value: B })), 'VALUE_HASH_MISMATCH');
    expectRejected(node.receive(encodeQbftEnvelope({ signed, justifications: [] })), 'MISSING_VALUE');
    expect(node.out()).toEqual([]);
  });

  it('rejects a round-1 proposal that carries justifications', () => {
    const node = node0();
    expectRejected(node.receive(node.proposal(3, 1, A, [node.roundChangeMsg(1, 2)])), 'INVALID_JUSTIFICATION', /round-1/);
  });

  it('drops a proposal for a past round', () => {
    const node = node0();
    node.at(roundEnd(1));
    expect(node.instance.round).toBe(2);
    expect(node.receive(node.proposal(3, 1, A))).toEqual(droppedFor('PAST_ROUND'));
    expect(node.out(QbftMessageType.Prepare)).toEqual([]);
  });

  it('rejects an unjustified proposal for a future round, and joins a justified one', () => {
    const node = node0();
    expectRejected(node.receive(node.proposal(1, 3, A)), 'INVALID_JUSTIFICATION', /0 distinct signers, quorum is 3/);
    const justification = [1, 2, 3].map((s) => node.roundChangeMsg(s, 3));
    expect(node.receive(node.proposal(1, 3, A, justification))).toEqual(accepted);
    expect(node.instance.round).toBe(3);
    expect(node.out().map((s) => [s.envelope.signed.message.type, s.envelope.signed.message.round])).toEqual([[QbftMessageType.Prepare, 3]]);
  });

  it('rejects messages for another duty and rounds after the deadline', () => {
    const node = node0();
    const other = new SingleNode({ n: 4, me: 0, duty: { slot: 101, type: 2 } });
    expectRejected(node.receive(other.prepare(1, 1, A)), 'WRONG_INSTANCE', /slot 101/);
    const proposer = new SingleNode({ n: 4, me: 0, duty: { slot: 100, type: 1 } });
    expectRejected(node.receive(proposer.prepare(1, 1, A)), 'WRONG_INSTANCE', /duty 1/);
    expect(node.instance.roundClock.maxRound).toBe(15);
    expectRejected(node.receive(node.prepare(1, 16, A)), 'INVALID_ROUND', /after the duty deadline/);
  });
});

describe('PREPARE and COMMIT', () => {
  it('commits once a quorum PREPAREs the proposed value, and decides on a COMMIT quorum', () => {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    node.receive(node.prepare(1, 1, A));
    expect(node.out(QbftMessageType.Commit)).toHaveLength(0);
    node.receive(node.prepare(2, 1, A));
    expect(node.out(QbftMessageType.Commit)).toHaveLength(1);
    expect(node.instance.preparedRound).toBe(1);
    node.receive(node.commit(1, 1, A));
    expect(node.decisions).toHaveLength(0);
    node.receive(node.commit(3, 1, A));
    expect(node.decisions.map((d) => [text(d.value), d.round])).toEqual([['value A', 1]]);
    expect(node.decisions[0]!.commits.map((c) => c.message.source)).toEqual([0, 1, 3]);
  });

  it('keeps PREPAREs that arrive before the proposal', () => {
    const node = node0();
    expect(node.receive(node.prepare(1, 1, A))).toEqual(accepted);
    expect(node.receive(node.prepare(2, 1, A))).toEqual(accepted);
    node.receive(node.proposal(3, 1, A));
    expect(sentTypes(node)).toEqual([QbftMessageType.Prepare, QbftMessageType.Commit]);
  });

  it('ignores PREPAREs for another value or round', () => {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    for (const s of [1, 2, 3]) node.receive(node.prepare(s, 1, B));
    for (const s of [1, 2, 3]) node.receive(node.prepare(s, 2, A));
    expect(node.out(QbftMessageType.Commit)).toEqual([]);
  });

  it('does not decide on COMMITs for another value, round-less value or too few signers', () => {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    for (const s of [1, 2, 3]) node.receive(node.commit(s, 1, B)); // B was never seen: no value to decide
    node.receive(node.commit(1, 2, A));
    node.receive(node.commit(2, 3, A));
    expect(node.decisions).toEqual([]);
  });

  it('counts a duplicated or equivocating PREPARE once', () => {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    expect(node.receive(node.prepare(1, 1, A))).toEqual(accepted);
    expect(node.receive(node.prepare(1, 1, A))).toEqual(droppedFor('DUPLICATE'));
    expect(node.receive(node.prepare(1, 1, B))).toEqual(droppedFor('EQUIVOCATION'));
    expect(node.out(QbftMessageType.Commit)).toEqual([]);
    expect(node.receive(node.commit(1, 1, A))).toEqual(accepted);
    expect(node.receive(node.commit(1, 1, A))).toEqual(droppedFor('DUPLICATE'));
  });

  it('does not count a message one node signed in the name of another', () => {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    node.receive(node.prepare(1, 1, A));
    const asTwo = encodeQbftEnvelope({ signed: node.sign(2, { type: QbftMessageType.Prepare, round: 1, valueHash: qbftValueHash(A) }, 1), justifications: [] });
    expectRejected(node.receive(asTwo), 'INVALID_SIGNATURE');
    expect(node.out(QbftMessageType.Commit)).toEqual([]);
    node.receive(node.prepare(2, 1, A));
    expect(node.out(QbftMessageType.Commit)).toHaveLength(1);
  });

  it('sends one COMMIT per round even when the PREPARE quorum is reached again', () => {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    for (const s of [1, 2, 3]) node.receive(node.prepare(s, 1, A));
    for (const s of [1, 2, 3]) node.receive(node.prepare(s, 1, B));
    expect(node.out(QbftMessageType.Commit)).toHaveLength(1);
    node.at(roundEnd(1)); // round 2, led by node 0 itself
    for (const s of [1, 2]) node.receive(node.roundChange(s, 2));
    for (const s of [1, 2, 3]) node.receive(node.prepare(s, 2, A));
    const commits = node.out(QbftMessageType.Commit).map((s) => s.envelope.signed.message.round);
    expect(commits).toEqual([1, 2]);
  });

  it('drops PREPAREs of a round it already committed in without verifying them', () => {
    let verified = 0;
    const keys = fakeKeys(4);
    const counting = { ...keys, verifier: { verify: (d: Uint8Array, sig: Uint8Array, pk: Uint8Array) => (verified++, keys.verifier.verify(d, sig, pk)) } };
    const node = new SingleNode({ n: 4, me: 0, keys: counting });
    node.instance.start(A);
    node.receive(node.proposal(3, 1, A));
    for (const s of [1, 2]) node.receive(node.prepare(s, 1, A));
    expect(node.out(QbftMessageType.Commit)).toHaveLength(1);
    const before = verified;
    expect(node.receive(node.prepare(3, 1, A))).toEqual(droppedFor('AFTER_COMMIT'));
    expect(verified).toBe(before);
    // a COMMIT of the same round is still verified and counted
    expect(node.receive(node.commit(1, 1, A))).toEqual(accepted);
    expect(verified).toBe(before + 1);
  });

  it('rejects a PREPARE or COMMIT that carries a value or justifications', () => {
    const node = node0();
    const prepare = node.prepareMsg(1, 1, A);
    expectRejected(node.receive(encodeQbftEnvelope({ signed: prepare, justifications: [], value: A })), 'UNEXPECTED_VALUE');
    expectRejected(node.receive(encodeQbftEnvelope({ signed: prepare, justifications: [node.prepareMsg(2, 1, A)] })), 'INVALID_JUSTIFICATION');
  });

  it('drops PREPAREs of past rounds but still decides on COMMITs of a past round', () => {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    node.at(roundEnd(2));
    expect(node.instance.round).toBe(3);
    expect(node.receive(node.prepare(1, 1, A))).toEqual(droppedFor('PAST_ROUND'));
    for (const s of [1, 2, 3]) node.receive(node.commit(s, 1, A));
    expect(node.decisions.map((d) => d.round)).toEqual([1]);
  });
});

describe('round changes', () => {
  it('times out at the anchored round ends, sending one ROUND-CHANGE per round, until the deadline', () => {
    const node = node0();
    expect(node.wakes).toEqual([roundEnd(1)]);
    for (let r = 1; r <= 14; r++) node.at(roundEnd(r));
    expect(node.out().map((s) => [s.envelope.signed.message.type, s.envelope.signed.message.round])).toEqual(
      Array.from({ length: 14 }, (_, i) => [QbftMessageType.RoundChange, i + 2]),
    );
    expect(node.wakes).toEqual([...Array.from({ length: 14 }, (_, i) => roundEnd(i + 1)), TIMING.deadlineMs]);
    expect(node.instance.status).toBe('running');
    node.at(TIMING.deadlineMs);
    expect(node.instance.status).toBe('expired');
    expect(node.instance.nextWakeAt).toBeUndefined();
    expect(node.receive(node.prepare(1, 15, A))).toEqual(droppedFor('EXPIRED'));
    expect(node.out()).toHaveLength(14);
  });

  it('skips straight to the round of the clock when ticked late', () => {
    const node = node0();
    node.at(roundEnd(4) + 10);
    expect(node.instance.round).toBe(5);
    expect(node.out().map((s) => s.envelope.signed.message.round)).toEqual([5]);
  });

  it('joins the running round when started late', () => {
    const node = new SingleNode({ n: 4, me: 0 });
    node.now = roundEnd(2) + 1;
    node.instance.start(A);
    expect(node.instance.round).toBe(3);
    expect(node.out().map((s) => [s.envelope.signed.message.type, s.envelope.signed.message.round])).toEqual([[QbftMessageType.RoundChange, 3]]);
  });

  it('carries the prepared round, value and PREPARE quorum into its ROUND-CHANGE', () => {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    for (const s of [1, 2]) node.receive(node.prepare(s, 1, A));
    node.at(roundEnd(1));
    const [rc] = node.out(QbftMessageType.RoundChange);
    expect(rc!.envelope.signed.message).toMatchObject({ round: 2, preparedRound: 1, preparedValueHash: qbftValueHash(A) });
    expect(rc!.envelope.value).toEqual(A);
    expect(rc!.envelope.justifications.map((j) => [j.message.type, j.message.source])).toEqual([
      [QbftMessageType.Prepare, 0],
      [QbftMessageType.Prepare, 1],
      [QbftMessageType.Prepare, 2],
    ]);
  });

  it('jumps to the lowest round of f+1 nodes asking for higher rounds', () => {
    const node = node0();
    expect(node.receive(node.roundChange(1, 5))).toEqual(accepted);
    expect(node.instance.round).toBe(1); // one node may be faulty
    node.receive(node.roundChange(2, 3));
    expect(node.instance.round).toBe(3);
    expect(node.out().map((s) => [s.envelope.signed.message.type, s.envelope.signed.message.round])).toEqual([[QbftMessageType.RoundChange, 3]]);
  });

  it('needs f+1 = 3 distinct nodes to jump when n = 7', () => {
    const node = new SingleNode({ n: 7, me: 0 });
    node.instance.start(A);
    node.receive(node.roundChange(1, 4));
    node.receive(node.roundChange(1, 6));
    node.receive(node.roundChange(2, 5));
    expect(node.instance.round).toBe(1);
    node.receive(node.roundChange(3, 9));
    // each node counts with the highest round it asked for (1: 6, 2: 5, 3: 9); the lowest of those is 5
    expect(node.instance.round).toBe(5);
  });

  it('validates each ROUND-CHANGE', () => {
    const node = node0();
    expectRejected(node.receive(node.roundChange(1, 1)), 'INVALID_ROUND', /round 2 or later/);
    const prepared = node.roundChangeMsg(1, 3, { round: 2, value: A });
    const cert = [1, 2, 3].map((s) => node.prepareMsg(s, 2, A));
    expectRejected(node.receive(encodeQbftEnvelope({ signed: prepared, justifications: cert })), 'MISSING_VALUE');
    expectRejected(node.receive(encodeQbftEnvelope({ signed: prepared, justifications: cert.slice(0, 2), value: A })), 'INVALID_JUSTIFICATION', /2 distinct signers/);
    const wrongRound = [1, 2, 3].map((s) => node.prepareMsg(s, 1, A));
    expectRejected(node.receive(encodeQbftEnvelope({ signed: prepared, justifications: wrongRound, value: A })), 'INVALID_JUSTIFICATION', /for round 2/);
    const commits = [1, 2, 3].map((s) => node.commitMsg(s, 2, A));
    expectRejected(node.receive(encodeQbftEnvelope({ signed: prepared, justifications: commits, value: A })), 'INVALID_JUSTIFICATION', /expected PREPARE, found COMMIT/);
    const unprepared = node.roundChangeMsg(1, 3);
    expectRejected(node.receive(encodeQbftEnvelope({ signed: unprepared, justifications: [], value: A })), 'UNEXPECTED_VALUE');
    expectRejected(node.receive(encodeQbftEnvelope({ signed: unprepared, justifications: cert })), 'INVALID_JUSTIFICATION');
    expect(node.receive(encodeQbftEnvelope({ signed: prepared, justifications: cert, value: A }))).toEqual(accepted);
  });

  it('as leader of round 2, proposes its own value on a quorum of unprepared ROUND-CHANGEs', () => {
    const node = node0(A);
    node.at(roundEnd(1));
    node.receive(node.roundChange(1, 2));
    expect(node.out(QbftMessageType.PrePrepare)).toEqual([]);
    node.receive(node.roundChange(2, 2));
    const [proposal] = node.out(QbftMessageType.PrePrepare);
    expect(proposal!.envelope.signed.message).toMatchObject({ round: 2, source: 0, valueHash: qbftValueHash(A) });
    expect(proposal!.envelope.value).toEqual(A);
    expect(proposal!.envelope.justifications.map((j) => [j.message.type, j.message.source])).toEqual([
      [QbftMessageType.RoundChange, 0],
      [QbftMessageType.RoundChange, 1],
      [QbftMessageType.RoundChange, 2],
    ]);
    expect(node.out(QbftMessageType.Prepare)).toHaveLength(1);
  });

  it('as leader, re-proposes the highest prepared value with its PREPARE quorum', () => {
    const node = node0(A);
    node.at(roundEnd(1));
    node.receive(node.roundChange(1, 2, { round: 1, value: B, certificateFrom: [1, 2, 3] }));
    node.receive(node.roundChange(2, 2));
    const [proposal] = node.out(QbftMessageType.PrePrepare);
    expect(proposal!.envelope.signed.message.valueHash).toEqual(qbftValueHash(B));
    expect(proposal!.envelope.value).toEqual(B);
    expect(proposal!.envelope.justifications.map((j) => [j.message.type, j.message.source, j.message.round])).toEqual([
      [QbftMessageType.RoundChange, 0, 2],
      [QbftMessageType.RoundChange, 1, 2],
      [QbftMessageType.RoundChange, 2, 2],
      [QbftMessageType.Prepare, 1, 1],
      [QbftMessageType.Prepare, 2, 1],
      [QbftMessageType.Prepare, 3, 1],
    ]);
    // and the proposal it built passes another node's checks
    const peer = new SingleNode({ n: 4, me: 1 });
    peer.instance.start(undefined);
    expect(peer.receive(encodeQbftEnvelope(proposal!.envelope))).toEqual(accepted);
  });

  it('as leader without an input value, proposes only a prepared value', () => {
    const node = new SingleNode({ n: 4, me: 0 });
    node.instance.start();
    node.at(roundEnd(1));
    for (const s of [1, 2]) node.receive(node.roundChange(s, 2));
    expect(node.out(QbftMessageType.PrePrepare)).toEqual([]);
    node.receive(node.roundChange(3, 2, { round: 1, value: B, certificateFrom: [1, 2, 3] }));
    expect(node.out(QbftMessageType.PrePrepare).map((s) => s.envelope.value)).toEqual([B]);
  });
});

describe('proposal justification (round > 1)', () => {
  // node 1 receives proposals of node 0 for round 2 and of node 1's peers; leader of round 3 is node 1, so use node 0 for round 3
  const at1 = () => {
    const node = new SingleNode({ n: 4, me: 1 });
    node.instance.start(undefined);
    return node;
  };
  const rcs = (node: SingleNode, round: number, from: number[]) => from.map((s) => node.roundChangeMsg(s, round));

  it('accepts a quorum of unprepared ROUND-CHANGEs with any valid value', () => {
    const node = at1();
    expect(node.receive(node.proposal(0, 2, A, rcs(node, 2, [0, 2, 3])))).toEqual(accepted);
    expect(node.out(QbftMessageType.Prepare).map((s) => s.envelope.signed.message.round)).toEqual([2]);
  });

  it('rejects missing, short, wrong-round, duplicated, wrongly typed or extra justifications', () => {
    const node = at1();
    const cases: [string, SignedQbftMessage[], QbftErrorCode, RegExp][] = [
      ['missing', [], 'INVALID_JUSTIFICATION', /0 distinct signers/],
      ['short', rcs(node, 2, [0, 2]), 'INVALID_JUSTIFICATION', /2 distinct signers, quorum is 3/],
      ['wrong round', rcs(node, 3, [0, 2, 3]), 'INVALID_JUSTIFICATION', /for round 2/],
      ['one signer twice', rcs(node, 2, [0, 2, 2]), 'INVALID_JUSTIFICATION', /node 2 signs twice/],
      ['commit', [...rcs(node, 2, [0, 2, 3]), node.commitMsg(2, 1, A)], 'INVALID_JUSTIFICATION', /COMMIT/],
      ['extra prepares', [...rcs(node, 2, [0, 2, 3]), ...[0, 2, 3].map((s) => node.prepareMsg(s, 1, A))], 'INVALID_JUSTIFICATION', /no round-change prepared/],
      ['forged', [...rcs(node, 2, [0, 2]), node.sign(3, { type: QbftMessageType.RoundChange, round: 2 }, 0)], 'INVALID_SIGNATURE', /node 3/],
      ['unknown signer', [...rcs(node, 2, [0, 2]), node.sign(7, { type: QbftMessageType.RoundChange, round: 2 }, 3)], 'UNKNOWN_SIGNER', /source 7/],
    ];
    for (const [, justifications, code, pattern] of cases) expectRejected(node.receive(node.proposal(0, 2, A, justifications)), code, pattern);
    const otherDuty = new SingleNode({ n: 4, me: 1, duty: { slot: 99, type: 2 } });
    expectRejected(node.receive(node.proposal(0, 2, A, [...rcs(node, 2, [0, 2]), otherDuty.roundChangeMsg(3, 2)])), 'INVALID_JUSTIFICATION', /another duty/);
    expect(node.out()).toEqual([]);
  });

  it('requires the PREPARE quorum of the highest prepared round, and its value', () => {
    const node = new SingleNode({ n: 4, me: 0 });
    node.instance.start(undefined);
    // round 3 (leader 1): node 1 prepared A in round 1, node 2 prepared B in round 2, node 3 nothing
    const justificationRcs = [
      node.roundChangeMsg(1, 3, { round: 1, value: A }),
      node.roundChangeMsg(2, 3, { round: 2, value: B }),
      node.roundChangeMsg(3, 3),
    ];
    const certA1 = [1, 2, 3].map((s) => node.prepareMsg(s, 1, A));
    const certB2 = [0, 2, 3].map((s) => node.prepareMsg(s, 2, B));
    expectRejected(node.receive(node.proposal(1, 3, B, justificationRcs)), 'INVALID_JUSTIFICATION', /2 distinct signers|0 distinct signers/);
    expectRejected(node.receive(node.proposal(1, 3, A, [...justificationRcs, ...certA1])), 'INVALID_JUSTIFICATION', /highest round 2/);
    expectRejected(node.receive(node.proposal(1, 3, A, [...justificationRcs, ...certB2])), 'INVALID_JUSTIFICATION', /highest round 2/);
    expectRejected(node.receive(node.proposal(1, 3, B, [...justificationRcs, ...certA1])), 'INVALID_JUSTIFICATION', /for round 2/);
    expectRejected(node.receive(node.proposal(1, 3, B, [...justificationRcs, ...certB2.slice(0, 2)])), 'INVALID_JUSTIFICATION', /2 distinct signers/);
    expect(node.out()).toEqual([]);
    expect(node.receive(node.proposal(1, 3, B, [...justificationRcs, ...certB2]))).toEqual(accepted);
    expect(node.out().map((s) => [s.envelope.signed.message.type, s.envelope.signed.message.round])).toEqual([[QbftMessageType.Prepare, 3]]);
  });

  it('rejects a justification that carries justifications, oversized messages and too many justifications', () => {
    const node = at1();
    const bytes = node.proposal(0, 2, A, rcs(node, 2, [0, 2, 3]));
    const nestedCount = 1 + 148 + 2 + 148; // first justification's own count
    const nested = Uint8Array.from(bytes);
    nested[nestedCount + 1] = 1;
    expectRejected(node.receive(nested), 'NESTED_JUSTIFICATION');
    const many = node.proposal(0, 2, A, [...rcs(node, 2, [0, 2, 3]), ...rcs(node, 2, [0, 2, 3]), ...rcs(node, 2, [0, 2, 3])]);
    expectRejected(node.receive(many), 'TOO_MANY_JUSTIFICATIONS', /9 justifications exceed the limit of 8/);
    const small = new SingleNode({ n: 4, me: 1, maxMessageBytes: 4096 });
    expectRejected(small.receive(small.proposal(3, 1, new Uint8Array(4096))), 'MESSAGE_TOO_LARGE');
    expect(small.receive(small.proposal(3, 1, new Uint8Array(3000)))).toEqual(accepted);
  });
});

describe('decision, DECIDED and the end of an instance', () => {
  function decidedNode(): SingleNode {
    const node = node0();
    node.receive(node.proposal(3, 1, A));
    for (const s of [1, 2, 3]) node.receive(node.prepare(s, 1, A));
    for (const s of [1, 2]) node.receive(node.commit(s, 1, A));
    expect(node.instance.status).toBe('decided');
    node.clearSent();
    return node;
  }

  it('drops late messages after the decision, and stops changing rounds', () => {
    const node = decidedNode();
    expect(node.receive(node.commit(3, 1, A))).toEqual(droppedFor('AFTER_DECISION'));
    expect(node.receive(node.proposal(0, 2, B, [1, 2, 3].map((s) => node.roundChangeMsg(s, 2))))).toEqual(droppedFor('AFTER_DECISION'));
    expect(node.instance.nextWakeAt).toBe(TIMING.deadlineMs);
    node.at(roundEnd(3));
    expect(node.out()).toEqual([]);
    expect(node.decisions).toHaveLength(1);
  });

  it('answers a ROUND-CHANGE after the decision with a DECIDED to that node, once per round', () => {
    const node = decidedNode();
    expect(node.receive(node.roundChange(2, 2))).toEqual(droppedFor('AFTER_DECISION'));
    expect(node.receive(node.roundChange(2, 2))).toEqual(droppedFor('AFTER_DECISION'));
    const forged = encodeQbftEnvelope({ signed: node.sign(3, { type: QbftMessageType.RoundChange, round: 2 }, 2), justifications: [] });
    expectRejected(node.receive(forged), 'INVALID_SIGNATURE');
    expect(node.out().map((s) => s.to)).toEqual([2]);
    const reply = node.out()[0]!.envelope;
    expect(reply.signed.message).toMatchObject({ type: QbftMessageType.Decided, round: 1, valueHash: qbftValueHash(A) });
    expect(reply.value).toEqual(A);
    // a lagging node decides from it
    const lagging = new SingleNode({ n: 4, me: 2 });
    lagging.instance.start(B);
    expect(lagging.receive(encodeQbftEnvelope(reply))).toEqual(accepted);
    expect(lagging.decisions.map((d) => [text(d.value), d.round])).toEqual([['value A', 1]]);
  });

  it('checks a DECIDED: COMMIT quorum, same round and value, the value beside it', () => {
    const node = node0();
    expectRejected(node.receive(node.decided(1, 1, A, [1, 2])), 'INVALID_JUSTIFICATION', /2 distinct signers/);
    const mixed = encodeQbftEnvelope({
      signed: node.sign(1, { type: QbftMessageType.Decided, round: 1, valueHash: qbftValueHash(A) }),
      justifications: [node.commitMsg(1, 1, A), node.commitMsg(2, 1, A), node.commitMsg(3, 1, B)],
      value: A,
    });
    expectRejected(node.receive(mixed), 'INVALID_JUSTIFICATION', /same value/);
    const prepares = encodeQbftEnvelope({
      signed: node.sign(1, { type: QbftMessageType.Decided, round: 1, valueHash: qbftValueHash(A) }),
      justifications: [1, 2, 3].map((s) => node.prepareMsg(s, 1, A)),
      value: A,
    });
    expectRejected(node.receive(prepares), 'INVALID_JUSTIFICATION', /expected COMMIT/);
    const noValue = encodeQbftEnvelope({
      signed: node.sign(1, { type: QbftMessageType.Decided, round: 1, valueHash: qbftValueHash(A) }),
      justifications: [1, 2, 3].map((s) => node.commitMsg(s, 1, A)),
    });
    expectRejected(node.receive(noValue), 'MISSING_VALUE');
    expect(node.decisions).toEqual([]);
    expect(node.receive(node.decided(1, 4, A, [1, 2, 3]))).toEqual(accepted);
    expect(node.decisions.map((d) => d.round)).toEqual([4]);
  });

  it('keeps messages that arrive before start and acts on them at start', () => {
    const node = new SingleNode({ n: 4, me: 0 });
    expect(node.instance.status).toBe('idle');
    node.receive(node.proposal(3, 1, A));
    for (const s of [1, 2]) node.receive(node.prepare(s, 1, A));
    expect(node.out()).toEqual([]);
    node.instance.start(B);
    expect(sentTypes(node)).toEqual([QbftMessageType.Prepare, QbftMessageType.Commit]);
  });

  it('can decide from a DECIDED before start', () => {
    const node = new SingleNode({ n: 4, me: 0 });
    node.receive(node.decided(2, 1, A, [1, 2, 3]));
    expect(node.instance.status).toBe('decided');
    node.instance.start(B);
    expect(node.out()).toEqual([]);
  });

  it('expires at the duty deadline, before or after start', () => {
    const idle = new SingleNode({ n: 4, me: 0 });
    idle.at(TIMING.deadlineMs - 1);
    expect(idle.instance.status).toBe('idle');
    idle.at(TIMING.deadlineMs);
    expect(idle.instance.status).toBe('expired');
    const late = new SingleNode({ n: 4, me: 0 });
    late.now = TIMING.deadlineMs + 5;
    late.instance.start(A);
    expect(late.instance.status).toBe('expired');
    expect(late.out()).toEqual([]);
    expect(late.receive(late.proposal(3, 1, A))).toEqual(droppedFor('EXPIRED'));
  });
});

describe('configuration errors', () => {
  const keys = fakeKeys(4);
  const base = {
    duty: DUTY,
    nodeIndex: 0,
    peers: keys.peers,
    signer: keys.signers[0]!,
    verifier: keys.verifier,
    codec: rawBytesCodec,
    isValid: () => true,
    timing: TIMING,
    clock: { now: () => START_MS },
    transport: { broadcast: () => {}, send: () => {} },
  };
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(QbftError);
      return (error as QbftError).code + ': ' + (error as QbftError).message;
    }
    return 'no error';
  };

  it('refuses bad clusters, keys, duties and limits', () => {
    expect(code(() => new QbftInstance({ ...base, nodeIndex: 4 }))).toMatch(/^INVALID_CONFIG: node index 4 is outside 0..3/);
    expect(code(() => new QbftInstance({ ...base, peers: [] }))).toMatch(/^INVALID_CONFIG: a cluster needs/);
    expect(code(() => new QbftInstance({ ...base, peers: [keys.peers[0]!, keys.peers[1]!, keys.peers[1]!, keys.peers[3]!] }))).toMatch(
      /^INVALID_CONFIG: peer 2 repeats/,
    );
    expect(code(() => new QbftInstance({ ...base, signer: keys.signers[1]! }))).toMatch(/^INVALID_CONFIG: the signer's public key is not peers\[0\]/);
    expect(code(() => new QbftInstance({ ...base, duty: { slot: -1, type: 2 } }))).toMatch(/^INVALID_CONFIG: bad duty/);
    expect(code(() => new QbftInstance({ ...base, duty: { slot: 1, type: 256 } }))).toMatch(/^INVALID_CONFIG: bad duty/);
    expect(code(() => new QbftInstance({ ...base, limits: { maxJustifications: 5 } }))).toMatch(/^INVALID_CONFIG: maxJustifications/);
    expect(code(() => new QbftInstance({ ...base, timing: { ...TIMING, deadlineMs: TIMING.startMs } }))).toMatch(/^INVALID_CONFIG: the deadline/);
  });

  it('refuses a second start and a value too large to travel', () => {
    const instance = new QbftInstance({ ...base });
    instance.start(A);
    expect(code(() => instance.start(A))).toBe('INVALID_STATE: instance already started');
    const small = new QbftInstance({ ...base, limits: { maxMessageBytes: 10_000 } });
    expect(code(() => small.start(new Uint8Array(10_000)))).toMatch(/^VALUE_TOO_LARGE/);
  });
});

describe('cluster scenarios', () => {
  it('decides in round 2 when the round-1 leader has crashed', () => {
    const cluster = new Cluster({ n: 4 });
    cluster.crashed.add(3);
    cluster.start();
    expect(cluster.decidedValues()).toEqual([undefined, undefined, undefined, undefined]);
    cluster.at(roundEnd(1));
    expect(cluster.decidedValues()).toEqual(['value of node 0', 'value of node 0', 'value of node 0', undefined]);
    expect(cluster.decisions[0]!.round).toBe(2);
  });

  it('keeps a value prepared in round 1 when the COMMITs were lost', () => {
    const cluster = new Cluster({ n: 4, deliver: (_f, _t, e) => !(e.signed.message.type === QbftMessageType.Commit && e.signed.message.round === 1) });
    cluster.start();
    expect(cluster.instances.map((i) => i.preparedRound)).toEqual([1, 1, 1, 1]);
    cluster.at(roundEnd(1));
    // node 0 leads round 2 with its own input available, but must propose the prepared value of node 3
    expect(cluster.decidedValues()).toEqual(new Array(4).fill('value of node 3'));
    expect(cluster.decisions.map((d) => d!.round)).toEqual([2, 2, 2, 2]);
  });

  it('a node that missed every COMMIT decides from the DECIDED its ROUND-CHANGE triggers', () => {
    const cluster = new Cluster({ n: 4, deliver: (_f, to, e) => !(to === 2 && e.signed.message.type === QbftMessageType.Commit) });
    cluster.start();
    expect(cluster.decidedValues()).toEqual(['value of node 3', 'value of node 3', undefined, 'value of node 3']);
    cluster.at(roundEnd(1));
    expect(cluster.decidedValues()).toEqual(new Array(4).fill('value of node 3'));
    expect(cluster.decisions[2]!.round).toBe(1);
  });

  it('survives an equivocating round-1 leader', () => {
    const cluster = new Cluster({ n: 4 });
    cluster.crashed.add(3); // node 3 is driven by hand below
    cluster.instances.slice(0, 3).forEach((i) => i.start(val('honest')));
    const puppet = new SingleNode({ n: 4, me: 3, keys: cluster.keys });
    cluster.instances[0]!.receive(puppet.proposal(3, 1, A));
    cluster.instances[1]!.receive(puppet.proposal(3, 1, A));
    cluster.instances[2]!.receive(puppet.proposal(3, 1, B));
    cluster.network.deliverAll();
    expect(cluster.decidedValues()).toEqual([undefined, undefined, undefined, undefined]);
    // node 3 also votes for both values to each side
    for (const v of [A, B]) for (const i of [0, 1, 2]) cluster.instances[i]!.receive(puppet.prepare(3, 1, v));
    cluster.network.deliverAll();
    for (const v of [A, B]) for (const i of [0, 1, 2]) cluster.instances[i]!.receive(puppet.commit(3, 1, v));
    cluster.network.deliverAll();
    cluster.at(roundEnd(1));
    cluster.at(roundEnd(2));
    expect(cluster.decidedValues().slice(0, 3)).toEqual(['value A', 'value A', 'value A']);
  });

  it('a Byzantine leader cannot overturn a decision that only one node saw', () => {
    // node 1 alone gets the round-1 COMMITs and decides; nodes 2 and 3 are locked on the value
    let stable = false;
    const cluster = new Cluster({
      n: 4,
      deliver: (_from, to, e) =>
        stable || !((e.signed.message.type === QbftMessageType.Commit && to !== 1) || e.signed.message.type === QbftMessageType.Decided),
    });
    cluster.crashed.add(0); // node 0, leader of round 2, is Byzantine and driven by hand
    cluster.start();
    expect(cluster.decidedValues()).toEqual([undefined, 'value of node 3', undefined, undefined]);
    cluster.at(roundEnd(1));
    const byzantine = new SingleNode({ n: 4, me: 0, keys: cluster.keys });
    const locked = val('value of node 3');
    const roundChanges = [byzantine.roundChangeMsg(0, 2), byzantine.roundChangeMsg(2, 2, { round: 1, value: locked }), byzantine.roundChangeMsg(3, 2, { round: 1, value: locked })];
    const certificate = [1, 2, 3].map((s) => byzantine.prepareMsg(s, 1, locked));
    for (const i of [2, 3]) {
      expectRejected(cluster.instances[i]!.receive(byzantine.proposal(0, 2, B, [...roundChanges, ...certificate])), 'INVALID_JUSTIFICATION', /highest round 1/);
      // hiding the locked round changes leaves no quorum
      expectRejected(cluster.instances[i]!.receive(byzantine.proposal(0, 2, B, [roundChanges[0]!, roundChanges[2]!])), 'INVALID_JUSTIFICATION', /quorum is 3/);
    }
    stable = true;
    cluster.at(roundEnd(2));
    expect(cluster.decidedValues()).toEqual([undefined, 'value of node 3', 'value of node 3', 'value of node 3']);
  });
});
