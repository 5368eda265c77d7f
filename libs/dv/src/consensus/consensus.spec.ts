import { describe, expect, it } from '@jest/globals';
import { QbftError, increasingRoundDuration } from '@dvt/qbft';
import { DutyType, DvError, ManualClock, SlotTimes, newDuty, unsignedDataSet, type Duty } from '../core/index.js';
import { Consensus, type ConsensusMessageOutcome, type ConsensusObserver } from './consensus.js';
import { ConsensusError } from './errors.js';
import { InMemoryConsensusNetwork } from './in-memory-network.js';
import { clusterConsensusTransport, QBFT_TOPIC, type ClusterMessaging } from './transport.js';
import {
  ATTESTER_OFFSET_MS,
  DV_KEYS,
  GENESIS_MS,
  SLOT_MS,
  TestCluster,
  attester,
  leader,
  testSigners,
  valueOf,
} from './spec-support.js';

function expectCode(fn: () => unknown, type: new (...args: never[]) => Error, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as { code: string }).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

interface Seen {
  fromIndex: number;
  duty?: Duty;
  outcome: ConsensusMessageOutcome;
}

function recordingObserver(log: string[], messages: Seen[] = []): ConsensusObserver {
  return {
    onStart: (duty, proposed) => log.push(`start ${duty.slot} ${proposed ? 'with value' : 'without value'}`),
    onDecided: (duty, round, durationMs) => log.push(`decided ${duty.slot} round ${round} after ${durationMs} ms`),
    onRoundChange: (duty, round, reason) => log.push(`round ${duty.slot} ${round} ${reason}`),
    onExpired: (duty, decided) => log.push(`expired ${duty.slot} ${decided ? 'decided' : 'undecided'}`),
    onMessage: (fromIndex, duty, outcome) => messages.push({ fromIndex, duty, outcome }),
  };
}

describe('consensus component: 4 nodes on an in-memory network', () => {
  it('decides a sequence of duties, each in round 1 on the round-1 leader value, delivered once per node', () => {
    const cluster = new TestCluster();
    for (let slot = 1; slot <= 6; slot++) {
      const duty = attester(slot);
      cluster.runUntil(cluster.slotStart(slot) + ATTESTER_OFFSET_MS);
      cluster.proposeAll(duty);
      cluster.runUntil(cluster.clock.now() + 1);
      expect(cluster.decisionsFor(duty)).toEqual(new Array(4).fill(`node ${leader(slot)} slot ${slot}`));
      expect(cluster.roundsFor(duty)).toEqual([1, 1, 1, 1]);
    }
    expect(cluster.decided.every((list) => list.length === 6)).toBe(true);
    expect(cluster.decided[0]!.map((d) => d.duty.slot)).toEqual([1, 2, 3, 4, 5, 6]);
    // the decided value is the full set, all three DVs
    expect([...cluster.decided[2]![0]!.value.keys()]).toHaveLength(DV_KEYS.length);
  });

  it('back-to-back duties in consecutive slots overlap without deadlock, even while the earlier one changes rounds', () => {
    const cluster = new TestCluster();
    const slow = attester(10);
    const stalledLeader = leader(10);
    // the round-1 leader of slot 10 is cut off for that duty only: slot 10 needs round 2
    cluster.network.dropFilter = (from, _to, bytes) => from === stalledLeader && bytes[2] === 0 && readSlot(bytes) === 10;
    cluster.runUntil(cluster.slotStart(10) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(slow);
    cluster.runUntil(cluster.slotStart(11) + ATTESTER_OFFSET_MS);
    // slot 11 starts before anything else happens; slot 12 follows right away
    cluster.proposeAll(attester(11));
    cluster.runUntil(cluster.slotStart(12) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(attester(12));
    cluster.runUntil(cluster.slotStart(14));
    expect(cluster.decisionsFor(slow)).toEqual(new Array(4).fill(`node ${leader(10, 2)} slot 10`));
    expect(cluster.roundsFor(slow)).toEqual([2, 2, 2, 2]);
    expect(cluster.decisionsFor(attester(11))).toEqual(new Array(4).fill(`node ${leader(11)} slot 11`));
    expect(cluster.decisionsFor(attester(12))).toEqual(new Array(4).fill(`node ${leader(12)} slot 12`));
    expect(cluster.decided[0]!.map((d) => d.duty.slot)).toEqual([10, 11, 12]);
  });

  it('two duty types of one slot run as separate instances', () => {
    const cluster = new TestCluster({ duties: { [DutyType.Attester]: { isValid: () => true }, [DutyType.Proposer]: { isValid: () => true } } });
    const proposer = newDuty(5, DutyType.Proposer);
    cluster.runUntil(cluster.slotStart(5));
    cluster.proposeAll(proposer);
    cluster.runUntil(cluster.slotStart(5) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(attester(5));
    cluster.runUntil(cluster.clock.now() + 1);
    // leaders: proposer (5 + 1 + 1) mod 4 = 3, attester (5 + 2 + 1) mod 4 = 0
    expect(cluster.decisionsFor(proposer)).toEqual(new Array(4).fill('node 3 slot 5'));
    expect(cluster.decisionsFor(attester(5))).toEqual(new Array(4).fill('node 0 slot 5'));
  });

  it('buffers messages that arrive before this node joins, then decides in round 1 once it proposes', () => {
    const cluster = new TestCluster();
    const slot = 6; // round-1 leader (6 + 3) mod 4 = 1
    const duty = attester(slot);
    cluster.network.crash(3); // node 0 is needed for a quorum
    cluster.runUntil(cluster.slotStart(slot) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(duty, [1, 2]);
    cluster.network.deliverAll();
    expect(cluster.decisionsFor(duty)).toEqual([undefined, undefined, undefined, undefined]);
    // node 0 holds the proposal and the PREPAREs in an instance it has not joined
    expect(cluster.nodes[0]!.activeDuties()).toEqual([duty]);
    expect(cluster.nodes[0]!.stats().accepted).toBe(3);
    cluster.nodes[0]!.propose(duty, valueOf(0, duty));
    cluster.network.deliverAll();
    expect(cluster.decisionsFor(duty)).toEqual(['node 1 slot 6', 'node 1 slot 6', 'node 1 slot 6', undefined]);
    expect(cluster.roundsFor(duty).slice(0, 3)).toEqual([1, 1, 1]);
  });

  it('a node that could not fetch its value still votes (participate) and decides', () => {
    const cluster = new TestCluster();
    const duty = attester(2); // leader (2 + 3) mod 4 = 1
    cluster.runUntil(cluster.slotStart(2) + ATTESTER_OFFSET_MS);
    cluster.network.crash(3);
    cluster.proposeAll(duty, [1, 2]);
    cluster.nodes[0]!.participate(duty);
    cluster.network.deliverAll();
    expect(cluster.decisionsFor(duty).slice(0, 3)).toEqual(['node 1 slot 2', 'node 1 slot 2', 'node 1 slot 2']);
  });

  it('with one node crashed, including the round-1 leader, every duty of a sequence is still decided', () => {
    const crashed = 1;
    const cluster = new TestCluster();
    cluster.network.crash(crashed);
    const honest = [0, 2, 3];
    for (let slot = 20; slot < 28; slot++) {
      const duty = attester(slot);
      cluster.runUntil(cluster.slotStart(slot) + ATTESTER_OFFSET_MS);
      cluster.proposeAll(duty, honest);
      cluster.runUntil(cluster.slotStart(slot + 1));
      const crashedLeads = leader(slot) === crashed;
      const winner = crashedLeads ? leader(slot, 2) : leader(slot);
      expect(honest.map((i) => cluster.decisionsFor(duty)[i])).toEqual(new Array(3).fill(`node ${winner} slot ${slot}`));
      expect(honest.map((i) => cluster.roundsFor(duty)[i])).toEqual(new Array(3).fill(crashedLeads ? 2 : 1));
    }
    expect(cluster.decided[crashed]).toEqual([]);
  });

  it('with two of four down nothing is decided (safe stall); the instances expire at their deadline', () => {
    const log: string[] = [];
    const cluster = new TestCluster({ observer: (i) => (i === 0 ? recordingObserver(log) : {}) });
    cluster.network.crash(2);
    cluster.network.crash(3);
    const duty = attester(3);
    cluster.runUntil(cluster.slotStart(3) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(duty, [0, 1]);
    cluster.runUntil(cluster.slotStart(3) + 2 * SLOT_MS + 10);
    expect(cluster.decided.flat()).toEqual([]);
    expect(cluster.nodes[0]!.stats()).toMatchObject({ instances: 0, decided: 0, expiredUndecided: 1 });
    expect(log.slice(0, 2)).toEqual(['round 3 1 start', 'start 3 with value']);
    expect(log).toContain('round 3 2 timeout');
    expect(log.at(-1)).toBe('expired 3 undecided');
  });

  it('deletes instances at the duty deadline; later messages for the duty are dropped as EXPIRED', () => {
    const messages: Seen[] = [];
    const log: string[] = [];
    const cluster = new TestCluster({ observer: (i) => (i === 0 ? recordingObserver(log, messages) : {}) });
    const duty = attester(4);
    cluster.runUntil(cluster.slotStart(4) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(duty);
    cluster.runUntil(cluster.clock.now() + 1);
    expect(cluster.nodes[0]!.decisionOf(duty)).toBeDefined();
    cluster.runUntil(cluster.slotStart(4) + 2 * SLOT_MS - 1);
    expect(cluster.nodes[0]!.activeDuties()).toEqual([duty]);
    cluster.runUntil(cluster.slotStart(4) + 2 * SLOT_MS);
    expect(cluster.nodes.map((node) => node.stats().instances)).toEqual([0, 0, 0, 0]);
    expect(cluster.nodes[0]!.decisionOf(duty)).toBeUndefined();
    expect(log).toContain('expired 4 decided');
    cluster.network.transport(2).send(0, cluster.signedBytes(2, duty, { type: 3 }));
    cluster.network.deliverAll();
    expect(messages.at(-1)).toEqual({ fromIndex: 2, duty, outcome: { status: 'dropped', reason: 'EXPIRED' } });
    expect(cluster.nodes[0]!.stats().instances).toBe(0);
  });

  it('reports start, decision (round, duration) and round changes to the observer', () => {
    const log: string[] = [];
    const cluster = new TestCluster({ observer: (i) => (i === 0 ? recordingObserver(log) : {}) });
    const slot = 6; // round-1 leader (6 + 3) mod 4 = 1 is down, node 0 observes
    const duty = attester(slot);
    cluster.network.crash(leader(slot));
    cluster.runUntil(cluster.slotStart(slot) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(duty, [0, 2, 3]);
    cluster.runUntil(cluster.slotStart(slot + 1));
    expect(log.slice(0, 2)).toEqual(['round 6 1 start', 'start 6 with value']);
    expect(log).toContain('round 6 2 timeout');
    const decided = log.find((line) => line.startsWith('decided 6'));
    // round 1 lasts 100 ms from the duty start; the decision comes in round 2 (125 ms long)
    expect(decided).toMatch(/^decided 6 round 2 after (\d+) ms$/);
    const ms = Number(/after (\d+) ms/.exec(decided!)![1]);
    expect(ms).toBeGreaterThanOrEqual(100);
    expect(ms).toBeLessThan(225);
  });

  it('a listener that throws is reported and does not keep the others from the decision', () => {
    const errors: unknown[] = [];
    const cluster = new TestCluster({ observer: () => ({ onListenerError: (error) => errors.push(error) }) });
    const seen: number[] = [];
    cluster.nodes[0]!.subscribe(() => {
      throw new Error('duty DB down');
    });
    const off = cluster.nodes[0]!.subscribe((duty) => seen.push(duty.slot));
    const duty = attester(1);
    cluster.runUntil(cluster.slotStart(1) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(duty);
    cluster.network.deliverAll();
    expect(seen).toEqual([1]);
    expect((errors[0] as Error).message).toBe('duty DB down');
    off();
    expect(cluster.decided[0]).toHaveLength(1);
  });
});

/** slot field of a version-1 envelope: version u8, type u8, slot u64 */
function readSlot(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset + 2, 8).getBigUint64(0));
}

describe('validity', () => {
  it('does not PREPARE a round-1 value that fails the predicate; the next leader\'s valid value wins', () => {
    const slot = 7; // round-1 leader (7 + 3) mod 4 = 2, round-2 leader 3
    const checked: Duty[] = [];
    const cluster = new TestCluster({
      duties: {
        [DutyType.Attester]: {
          isValid: (duty, value) => {
            checked.push(duty);
            return !new TextDecoder().decode(value.values().next().value!).startsWith('slashable');
          },
        },
      },
    });
    const duty = attester(slot);
    cluster.runUntil(cluster.slotStart(slot) + ATTESTER_OFFSET_MS);
    cluster.nodes[leader(slot)]!.propose(duty, valueOf(leader(slot), duty, 'slashable '));
    for (const i of [0, 1, 3]) cluster.nodes[i]!.propose(duty, valueOf(i, duty));
    cluster.runUntil(cluster.slotStart(slot + 1));
    expect(cluster.decisionsFor(duty)).toEqual(new Array(4).fill(`node ${leader(slot, 2)} slot ${slot}`));
    expect(cluster.roundsFor(duty)).toEqual([2, 2, 2, 2]);
    expect(checked.every((d) => d.slot === slot && d.type === DutyType.Attester)).toBe(true);
  });

  it('a value with a DV outside knownDvs is rejected as INVALID_VALUE', () => {
    const messages: Seen[] = [];
    // the leader (node 0) knows all three DVs, the others only two
    const cluster = new TestCluster({
      extraFor: (i) => (i === 0 ? {} : { knownDvs: DV_KEYS.slice(0, 2) }),
      observer: () => recordingObserver([], messages),
    });
    const slot = 1; // leader (1 + 3) mod 4 = 0
    const duty = attester(slot);
    cluster.runUntil(cluster.slotStart(slot) + ATTESTER_OFFSET_MS);
    cluster.nodes[0]!.propose(duty, valueOf(0, duty));
    cluster.network.deliverAll();
    const rejected = messages.filter((m) => m.outcome.status === 'rejected');
    expect(rejected).toHaveLength(3);
    expect(rejected[0]!.outcome).toMatchObject({ status: 'rejected', reason: 'INVALID_VALUE' });
    expect(cluster.decided.flat()).toEqual([]);
  });

  it('a leader does not propose its own invalid value but still votes', () => {
    const cluster = new TestCluster({ extraFor: (i) => (i === 0 ? { knownDvs: DV_KEYS.slice(0, 2) } : {}) });
    const duty = attester(1); // leader 0
    cluster.runUntil(cluster.slotStart(1) + ATTESTER_OFFSET_MS);
    cluster.proposeAll(duty);
    cluster.network.deliverAll();
    expect(cluster.network.delivered).toBe(0);
    cluster.runUntil(cluster.slotStart(2));
    // round 2 is led by node 1, whose value node 0 also refuses (a third DV): node 0 does not PREPARE, 1, 2, 3 decide,
    // and node 0 takes the decision from their COMMIT quorum (decisions are not re-checked; the duty DB guards slashing)
    expect(cluster.decisionsFor(duty)).toEqual(['node 1 slot 1', 'node 1 slot 1', 'node 1 slot 1', 'node 1 slot 1']);
  });
});

describe('message routing and flood protection', () => {
  it('creates instances lazily only inside the slot window; junk creates none', () => {
    const messages: Seen[] = [];
    const cluster = new TestCluster({ observer: (i) => (i === 0 ? recordingObserver([], messages) : {}) });
    cluster.runUntil(cluster.slotStart(100) + 10);
    const byzantine = cluster.network.transport(3);
    for (let slot = 0; slot < 1000; slot++) byzantine.send(0, cluster.signedBytes(3, { slot, type: DutyType.Attester }));
    cluster.network.deliverAll();
    // slots 99 (deadline not passed), 100 (current) and 101 (one ahead) only
    expect(cluster.nodes[0]!.activeDuties().map((d) => d.slot).sort((a, b) => a - b)).toEqual([99, 100, 101]);
    const reasons = new Map<string, number>();
    for (const m of messages) {
      const key = m.outcome.status === 'accepted' ? 'accepted' : m.outcome.reason;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(reasons)).toEqual({ EXPIRED: 99, OUT_OF_WINDOW: 898, accepted: 3 });

    // badly signed messages for a fresh duty are rejected and leave no instance behind
    cluster.runUntil(cluster.slotStart(103) + 10);
    const forged = cluster.signedBytes(3, { slot: 103, type: DutyType.Attester });
    forged[forged.length - 20] ^= 1;
    byzantine.send(0, forged);
    cluster.network.deliverAll();
    expect(messages.at(-1)!.outcome).toMatchObject({ status: 'rejected', reason: 'INVALID_SIGNATURE' });
    expect(cluster.nodes[0]!.activeDuties().some((d) => d.slot === 103)).toBe(false);
  });

  it('caps live instances at maxInstances', () => {
    const messages: Seen[] = [];
    const cluster = new TestCluster({
      duties: { [DutyType.Attester]: { isValid: () => true }, [DutyType.Aggregator]: { isValid: () => true }, [DutyType.Proposer]: { isValid: () => true } },
      extra: { maxInstances: 2 },
      observer: (i) => (i === 0 ? recordingObserver([], messages) : {}),
    });
    cluster.runUntil(cluster.slotStart(5));
    for (const type of [DutyType.Attester, DutyType.Aggregator, DutyType.Proposer]) {
      cluster.network.transport(1).send(0, cluster.signedBytes(1, { slot: 5, type }));
    }
    cluster.network.deliverAll();
    expect(cluster.nodes[0]!.stats().instances).toBe(2);
    expect(messages.at(-1)!.outcome).toEqual({ status: 'dropped', reason: 'TOO_MANY_INSTANCES' });
    expectCode(() => cluster.nodes[0]!.propose(newDuty(6, DutyType.Attester), valueOf(0, attester(6))), ConsensusError, 'TOO_MANY_INSTANCES');
  });

  it('rejects a message relayed under another signer, an unknown duty type and malformed bytes; drops unsupported types', () => {
    const messages: Seen[] = [];
    const cluster = new TestCluster({ observer: (i) => (i === 0 ? recordingObserver([], messages) : {}) });
    cluster.runUntil(cluster.slotStart(3));
    const fromThree = cluster.network.transport(3);
    fromThree.send(0, cluster.signedBytes(1, { slot: 3, type: DutyType.Attester }));
    fromThree.send(0, cluster.signedBytes(3, { slot: 3, type: 5 }));
    fromThree.send(0, cluster.signedBytes(3, { slot: 3, type: DutyType.Proposer }));
    fromThree.send(0, Uint8Array.from([1, 2, 3]));
    cluster.network.deliverAll();
    expect(messages.map((m) => m.outcome)).toEqual([
      { status: 'rejected', reason: 'SENDER_MISMATCH', message: 'node 3 sent a message signed as node 1' },
      { status: 'rejected', reason: 'UNKNOWN_DUTY_TYPE', message: 'duty type 5 does not exist' },
      { status: 'dropped', reason: 'UNSUPPORTED_DUTY_TYPE' },
      expect.objectContaining({ status: 'rejected', reason: 'MALFORMED_MESSAGE' }),
    ]);
    expect(messages[2]!.duty).toEqual(newDuty(3, DutyType.Proposer));
    expect(cluster.nodes[0]!.stats()).toMatchObject({ instances: 0, rejected: 3, dropped: 1, accepted: 0 });
  });
});

describe('timers', () => {
  it('re-arms a timer that fires before its time, so round changes still happen', () => {
    const clock = new ManualClock(GENESIS_MS);
    const slotTimes = new SlotTimes(GENESIS_MS, SLOT_MS);
    // the first timer for each time fires 3 ms early, as a coarse OS timer may; a re-armed one fires on time
    let earlyFirings = 0;
    const earlyTimers = (firedEarly = new Set<number>()) => ({
      at: (t: number, fn: () => void) => {
        if (firedEarly.has(t)) return clock.at(t, fn);
        firedEarly.add(t);
        return clock.at(t - 3, () => {
          earlyFirings++;
          fn();
        });
      },
    });
    const network = new InMemoryConsensusNetwork(4);
    const signers = testSigners(4);
    const decided: string[] = [];
    const consensus = signers.map(
      (signer, i) =>
        new Consensus({
          nodeIndex: i,
          peers: signers.map((s) => s.publicKey),
          signer,
          transport: network.transport(i),
          slotTimes,
          clock,
          timers: earlyTimers(),
          duties: { [DutyType.Attester]: { isValid: () => true } },
        }),
    );
    consensus.forEach((node) => node.subscribe((_duty, _value, info) => decided.push(`round ${info.round}`)));
    const slot = 9; // leader (9 + 3) mod 4 = 0
    network.crash(0);
    clock.advanceTo(slotTimes.startMs(slot) + ATTESTER_OFFSET_MS);
    for (const i of [1, 2, 3]) consensus[i]!.propose(attester(slot), valueOf(i, attester(slot)));
    while (clock.now() < slotTimes.startMs(slot + 1)) {
      clock.advance(1);
      network.deliverAll();
    }
    expect(earlyFirings).toBeGreaterThanOrEqual(3);
    expect(decided).toEqual(['round 2', 'round 2', 'round 2']);
  });
});

describe('errors', () => {
  const signers = testSigners(4);
  const base = () => ({
    nodeIndex: 0,
    peers: signers.map((s) => s.publicKey),
    signer: signers[0]!,
    transport: new InMemoryConsensusNetwork(4).transport(0),
    slotTimes: new SlotTimes(GENESIS_MS, SLOT_MS),
    duties: { [DutyType.Attester]: { isValid: () => true } },
  });

  it('refuses bad configuration with INVALID_CONFIG naming the setting', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ nodeIndex: 4 }, /nodeIndex 4 is outside 0..3/],
      [{ peers: [] }, /at least one identity key/],
      [{ duties: {} }, /configure at least one duty type/],
      [{ duties: { 5: { isValid: () => true } } }, /duties: 5 is not a duty type/],
      [{ duties: { 2: {} } }, /duties\[2\].isValid must be a function/],
      [{ duties: { 2: { isValid: () => true, startOffsetMs: -1 } } }, /startOffsetMs must be ≥ 0/],
      [{ duties: { 2: { isValid: () => true, startOffsetMs: 500, deadlineMs: 400 } } }, /duties\[2\]: the deadline .* must come after the start/],
      [{ duties: { 2: { isValid: () => true, roundDuration: increasingRoundDuration(0.001, 0) } } }, /more than 4096 rounds/],
      [{ futureSlots: -1 }, /futureSlots must be a non-negative integer/],
      [{ maxInstances: 0 }, /maxInstances must be at least 1/],
      [{ maxMessageBytes: 1.5 }, /maxMessageBytes must be/],
    ];
    for (const [override, message] of bad) {
      expectCode(() => new Consensus({ ...base(), ...override } as never), ConsensusError, 'INVALID_CONFIG', message);
    }
    expectCode(() => new Consensus({ ...base(), knownDvs: ['0x12'] }), DvError, 'INVALID_DV_PUBKEY', /knownDvs\[0\]/);
  });

  it('refuses bad propose / participate calls with typed errors', () => {
    const clock = { now: () => GENESIS_MS + 10 * SLOT_MS + 500 };
    const consensus = new Consensus({ ...base(), clock, timers: { at: () => () => undefined } });
    const value = valueOf(0, attester(10));
    expectCode(() => consensus.propose(newDuty(10, DutyType.Proposer), value), ConsensusError, 'UNSUPPORTED_DUTY_TYPE', /slot 10 proposer/);
    expectCode(() => consensus.propose(attester(8), value), ConsensusError, 'DUTY_EXPIRED', /slot 8 attester: its deadline passed 500 ms ago/);
    expectCode(() => consensus.propose(attester(12), value), ConsensusError, 'DUTY_OUT_OF_WINDOW', /more than 1 slot\(s\) ahead of the current slot 10/);
    expectCode(() => consensus.propose({ slot: -1, type: 2 } as Duty, value), DvError, 'INVALID_DUTY');
    expectCode(() => consensus.propose(attester(10), new Map()), DvError, 'INVALID_UNSIGNED_DATA', /at least one DV/);
    const huge = unsignedDataSet([[DV_KEYS[0]!, new Uint8Array(4 * 1024 * 1024)], [DV_KEYS[1]!, new Uint8Array(4 * 1024 * 1024)]]);
    expectCode(() => consensus.propose(attester(10), huge), DvError, 'INVALID_UNSIGNED_DATA', /above the limit/);
    expect(consensus.stats().instances).toBe(0);
    consensus.propose(attester(10), value);
    expectCode(() => consensus.propose(attester(10), value), ConsensusError, 'ALREADY_STARTED');
    expectCode(() => consensus.participate(attester(10)), ConsensusError, 'ALREADY_STARTED');
    consensus.participate(attester(11));
    consensus.stop();
    expect(consensus.stats().instances).toBe(0);
    expectCode(() => consensus.participate(attester(11)), ConsensusError, 'NOT_RUNNING');
  });

  it('a value that fits the data limits but not the QBFT message limit fails with QbftError VALUE_TOO_LARGE', () => {
    const consensus = new Consensus({ ...base(), maxMessageBytes: 4096, clock: { now: () => GENESIS_MS }, timers: { at: () => () => undefined } });
    const value = unsignedDataSet([[DV_KEYS[0]!, new Uint8Array(4000)]]);
    expectCode(() => consensus.propose(attester(0), value), QbftError, 'VALUE_TOO_LARGE');
    expect(consensus.stats().instances).toBe(0);
  });
});

describe('cluster p2p transport adapter', () => {
  it('sends and subscribes on /dvt/qbft/1 and turns send failures into reports', () => {
    const calls: string[] = [];
    let handler: ((from: number, bytes: Uint8Array) => void) | undefined;
    const node: ClusterMessaging = {
      send: (peer, topic) => {
        if (peer === 9) throw new Error('unknown peer 9');
        calls.push(`send ${peer} ${topic}`);
      },
      broadcast: (topic) => {
        calls.push(`broadcast ${topic}`);
        throw new Error('stopped');
      },
      subscribe: (topic, h) => {
        calls.push(`subscribe ${topic}`);
        handler = h;
        return () => calls.push('unsubscribed');
      },
    };
    const failures: string[] = [];
    const transport = clusterConsensusTransport(node, { onSendError: (error, to) => failures.push(`${to}: ${(error as Error).message}`) });
    const received: string[] = [];
    const off = transport.subscribe((from, bytes) => received.push(`${from}:${bytes.length}`));
    transport.send(2, new Uint8Array(1));
    transport.send(9, new Uint8Array(1));
    transport.broadcast(new Uint8Array(1));
    handler!(3, new Uint8Array(5));
    off();
    expect(QBFT_TOPIC).toBe('/dvt/qbft/1');
    expect(calls).toEqual(['subscribe /dvt/qbft/1', 'send 2 /dvt/qbft/1', 'broadcast /dvt/qbft/1', 'unsubscribed']);
    expect(failures).toEqual(['9: unknown peer 9', 'all: stopped']);
    expect(received).toEqual(['3:5']);
  });
});
