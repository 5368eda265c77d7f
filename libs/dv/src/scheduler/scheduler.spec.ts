import { describe, expect, it } from '@jest/globals';
import { type phase0 } from '@lodestar/types';
import {
  DvError,
  DutyType,
  ManualClock,
  SlotTimes,
  newDuty,
  toDvPubkey,
  type AttesterDefinition,
  type BeaconAttesterDuty,
  type BeaconDutyPort,
  type BeaconProposerDuty,
  type Duty,
  type DvPubkey,
  type Timers,
} from '../core/index.js';
import { Scheduler, type SchedulerLogger, type SchedulerObserver } from './scheduler.js';

const SLOT_MS = 12_000;
const SPE = 8;
const THIRD = SLOT_MS / 3;
const slotTimes = new SlotTimes(0, SLOT_MS);
const at = (slot: number, offset = 0): number => slot * SLOT_MS + offset;

const pubkey = (byte: number): DvPubkey => toDvPubkey('0x' + byte.toString(16).padStart(2, '0').repeat(48));
const A = pubkey(0xa1);
const B = pubkey(0xb2);
const C = pubkey(0xc3);
const OTHER = pubkey(0x99);

/**
 * An in-memory beacon node: validators with indexes, each active validator attests once an epoch
 * at slot (index + epoch) mod SPE in committee index mod 4 (or where `attesterSlot` says), proposers
 * per slot (default: a validator outside the cluster), dependent roots the test can change.
 */
class FakeBeacon implements BeaconDutyPort {
  readonly validators = new Map<DvPubkey, number>([
    [A, 3],
    [B, 5],
    [OTHER, 100],
  ]);
  readonly proposers = new Map<number, DvPubkey>();
  readonly roots = new Map<string, string>();
  attesterSlot: (index: number, epoch: number) => number = (index, epoch) => epoch * SPE + ((index + epoch) % SPE);
  committeeOf: (index: number, epoch: number) => number = (index) => index % 4;
  /** calls fail while true */
  down = false;
  readonly calls: string[] = [];

  private enter(call: string): void {
    this.calls.push(call);
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5052'), { code: 'BEACON_UNREACHABLE' });
  }

  private root(kind: string, epoch: number): string {
    return this.roots.get(`${kind}/${epoch}`) ?? `0x${kind}-${epoch}`;
  }

  async validatorIndexes(pubkeys: readonly string[]): Promise<ReadonlyMap<string, number>> {
    this.enter('indexes');
    const found = new Map<string, number>();
    for (const key of pubkeys) {
      const index = this.validators.get(toDvPubkey(key));
      if (index !== undefined) found.set(key, index);
    }
    return found;
  }

  async attesterDuties(epoch: number, indexes: readonly number[]): Promise<{ dependentRoot: string; duties: BeaconAttesterDuty[] }> {
    this.enter(`attester ${epoch}`);
    const byIndex = new Map([...this.validators].map(([key, index]) => [index, key]));
    const duties = indexes.flatMap((index) => {
      const key = byIndex.get(index);
      if (!key) return [];
      return [
        {
          pubkey: key,
          validatorIndex: index,
          slot: this.attesterSlot(index, epoch),
          committeeIndex: this.committeeOf(index, epoch),
          committeeLength: 128,
          committeesAtSlot: 4,
          validatorCommitteeIndex: index % 128,
        },
      ];
    });
    return { dependentRoot: this.root('attester', epoch), duties };
  }

  async proposerDuties(epoch: number): Promise<{ dependentRoot: string; duties: BeaconProposerDuty[] }> {
    this.enter(`proposer ${epoch}`);
    const duties: BeaconProposerDuty[] = [];
    for (let slot = epoch * SPE; slot < (epoch + 1) * SPE; slot++) {
      const key = this.proposers.get(slot) ?? OTHER;
      duties.push({ pubkey: key, validatorIndex: this.validators.get(key) ?? 200 + slot, slot });
    }
    return { dependentRoot: this.root('proposer', epoch), duties };
  }

  attestationData(): Promise<phase0.AttestationData> {
    throw new Error('not used');
  }
  produceBlock(): Promise<never> {
    throw new Error('not used');
  }
  submitSingleAttestations(): Promise<void> {
    throw new Error('not used');
  }
  submitBlock(): Promise<void> {
    throw new Error('not used');
  }
  submitVoluntaryExit(): Promise<void> {
    throw new Error('not used');
  }
}

/** Timers on the manual clock; `lagNext` makes the next timer run late, as in a busy process. */
class LaggyTimers implements Timers {
  lagNext = 0;
  constructor(private readonly clock: ManualClock) {}
  at(timeMs: number, callback: () => void): () => void {
    const lag = this.lagNext;
    this.lagNext = 0;
    return this.clock.at(timeMs + lag, callback);
  }
}

interface Fired {
  readonly slot: number;
  readonly type: string;
  readonly dvs: DvPubkey[];
  readonly atMs: number;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

function setup(options: { startMs?: number; dvs?: DvPubkey[]; retryDelayMs?: number; logger?: SchedulerLogger } = {}) {
  const clock = new ManualClock(options.startMs ?? 0);
  const timers = new LaggyTimers(clock);
  const beacon = new FakeBeacon();
  const fired: Fired[] = [];
  const events: string[] = [];
  const observer: SchedulerObserver = {
    onMissed: (duty, dvs) => events.push(`missed ${duty.slot} ${duty.type} ${dvs}`),
    onReorg: (epoch, kind) => events.push(`reorg ${epoch} ${kind}`),
    onBeaconError: (operation) => events.push(`error ${operation}`),
  };
  const scheduler = new Scheduler({ beacon, dvs: options.dvs ?? [A, B, C], slotTimes, slotsPerEpoch: SPE, clock, timers, observer, retryDelayMs: options.retryDelayMs, logger: options.logger });
  scheduler.onDuty((duty, definitions) => {
    fired.push({ slot: duty.slot, type: duty.type === DutyType.Proposer ? 'proposer' : 'attester', dvs: [...definitions.keys()].sort(), atMs: clock.now() });
  });
  /** Moves time forward a second at a time, letting the beacon node's answers arrive in between. */
  const runTo = async (ms: number): Promise<void> => {
    await flush();
    while (clock.now() < ms) {
      clock.advanceTo(Math.min(ms, clock.now() + 1000));
      await flush();
    }
  };
  return { clock, timers, beacon, fired, events, scheduler, runTo };
}

/** What the fake chain says should fire in [fromSlot, toSlot): attester duties of A (index 3) and B (index 5), proposals as set. */
function expectedDuties(beacon: FakeBeacon, fromSlot: number, toSlot: number): Fired[] {
  const out: Fired[] = [];
  for (let slot = fromSlot; slot < toSlot; slot++) {
    const proposer = beacon.proposers.get(slot);
    if (proposer && proposer !== OTHER) out.push({ slot, type: 'proposer', dvs: [proposer], atMs: at(slot) });
    const epoch = Math.floor(slot / SPE);
    const attesters = [A, B].filter((dv) => beacon.attesterSlot(beacon.validators.get(dv)!, epoch) === slot);
    if (attesters.length > 0) out.push({ slot, type: 'attester', dvs: attesters.sort(), atMs: at(slot, THIRD) });
  }
  return out;
}

describe('Scheduler', () => {
  it('fires proposer duties at the slot start and attester duties at 1/3, only for the DVs that have them, in slot order', async () => {
    const { beacon, fired, scheduler, runTo } = setup();
    beacon.proposers.set(10, A);
    beacon.proposers.set(13, B);
    beacon.attesterSlot = (index, epoch) => (index === 5 && epoch === 1 ? 10 : epoch * SPE + ((index + epoch) % SPE));
    scheduler.start();
    await runTo(at(14));
    // what backs the validator API and the broadcaster
    const definitions = scheduler.definitionsOf(newDuty(12, DutyType.Attester))!;
    expect([...definitions.keys()]).toEqual([A]);
    expect(definitions.get(A)).toMatchObject({ kind: 'attester', validatorIndex: 3, committeeIndex: 3, slot: 12 } satisfies Partial<AttesterDefinition>);
    await runTo(at(3 * SPE));
    expect(fired).toEqual(expectedDuties(beacon, 0, 3 * SPE));
    // A (index 3) attests at slot 4 of epoch 1 = slot 12, B moved to slot 10 where A proposes
    expect(fired.filter((f) => f.slot >= 8 && f.slot < 16)).toEqual([
      { slot: 10, type: 'proposer', dvs: [A], atMs: at(10) },
      { slot: 10, type: 'attester', dvs: [B], atMs: at(10, THIRD) },
      { slot: 12, type: 'attester', dvs: [A], atMs: at(12, THIRD) },
      { slot: 13, type: 'proposer', dvs: [B], atMs: at(13) },
    ]);
    const slots = fired.map((f) => f.slot);
    expect([...slots].sort((x, y) => x - y)).toEqual(slots);
    expect(scheduler.dvOfValidatorIndex(3)).toBe(A);
    expect(scheduler.dvOfValidatorIndex(5)).toBe(B);
    expect(scheduler.dvOfValidatorIndex(100)).toBeUndefined();
    expect(scheduler.dvProposingAt(13)).toBeUndefined(); // epoch 1 is forgotten by now
    expect(scheduler.dvProposingAt(3 * SPE - 1)).toBeUndefined();
    // C is not on chain: never in a duty
    expect(fired.some((f) => f.dvs.includes(C))).toBe(false);
    scheduler.stop();
    const count = fired.length;
    await runTo(at(5 * SPE));
    expect(fired).toHaveLength(count);
  });

  it('knows the next epoch before it starts, so its first slot fires on time', async () => {
    const { beacon, fired, scheduler, runTo } = setup();
    beacon.proposers.set(8, B);
    scheduler.start();
    await runTo(at(7, 1));
    expect(scheduler.definitionsOf(newDuty(8, DutyType.Proposer))?.has(B)).toBe(true);
    expect(scheduler.dvProposingAt(8)).toBe(B);
    await runTo(at(8, 1));
    expect(fired.at(-1)).toEqual({ slot: 8, type: 'proposer', dvs: [B], atMs: at(8) });
    scheduler.stop();
  });

  it('refetches the duties of an epoch when its dependent root changes, and fires the new ones', async () => {
    const { beacon, fired, events, scheduler, runTo } = setup();
    scheduler.start();
    await runTo(at(2, 1));
    // epoch 1 is known: A attests at slot 12; a reorg moves A to slot 14 and gives it the proposal of slot 13
    expect(scheduler.definitionsOf(newDuty(12, DutyType.Attester))?.has(A)).toBe(true);
    beacon.attesterSlot = (index, epoch) => (index === 3 && epoch === 1 ? 14 : epoch * SPE + ((index + epoch) % SPE));
    beacon.proposers.set(13, A);
    await runTo(at(3, 1));
    expect(scheduler.definitionsOf(newDuty(12, DutyType.Attester))?.has(A)).toBe(true); // same roots: nothing changes
    beacon.roots.set('attester/1', '0xreorged-attester');
    beacon.roots.set('proposer/1', '0xreorged-proposer');
    await runTo(at(4, 1));
    expect(events).toEqual(expect.arrayContaining(['reorg 1 attester', 'reorg 1 proposer']));
    expect(scheduler.definitionsOf(newDuty(12, DutyType.Attester))).toBeUndefined();
    await runTo(at(16));
    const epoch1 = fired.filter((f) => f.slot >= 8 && f.slot < 16);
    // B (index 5) attests at slot 14 of epoch 1 as before; A moved there from slot 12
    expect(epoch1).toEqual([
      { slot: 13, type: 'proposer', dvs: [A], atMs: at(13) },
      { slot: 14, type: 'attester', dvs: [A, B].sort(), atMs: at(14, THIRD) },
    ]);
    scheduler.stop();
  });

  it('started late in a slot, fires the duties of that slot at once, proposer first', async () => {
    const { beacon, fired, scheduler, runTo } = setup({ startMs: at(11, 6000) });
    beacon.proposers.set(11, A);
    beacon.attesterSlot = (index, epoch) => (index === 5 ? 11 : epoch * SPE + ((index + epoch) % SPE));
    scheduler.start();
    await runTo(at(11, 6001));
    expect(fired).toEqual([
      { slot: 11, type: 'proposer', dvs: [A], atMs: at(11, 6000) },
      { slot: 11, type: 'attester', dvs: [B], atMs: at(11, 6000) },
    ]);
    // A's attestation at slot 12 (epoch 1) still comes on time
    await runTo(at(13));
    expect(fired.slice(2)).toEqual([{ slot: 12, type: 'attester', dvs: [A], atMs: at(12, THIRD) }]);
    scheduler.stop();
  });

  it('a trigger delayed by a busy process still fires within its slot; past its slot it is reported missed, never fired late', async () => {
    const { beacon, timers, fired, events, scheduler, runTo } = setup();
    beacon.proposers.set(12, A);
    beacon.proposers.set(20, B);
    beacon.attesterSlot = (index, epoch) => epoch * SPE + (index === 3 ? 4 : 5);
    scheduler.start();
    await runTo(at(11, THIRD - 1));
    // the timer for slot 12's start (armed at 1/3 of slot 11) runs 7 s late: both duties of slot 12 fire then, in order
    timers.lagNext = 7000;
    await runTo(at(12, 7001));
    expect(fired.filter((f) => f.slot === 12)).toEqual([
      { slot: 12, type: 'proposer', dvs: [A], atMs: at(12, 7000) },
      { slot: 12, type: 'attester', dvs: [A], atMs: at(12, 7000) },
    ]);
    // the process stalls over the whole of slot 20: its duties are missed, slot 21 fires normally
    await runTo(at(19, THIRD - 1));
    timers.lagNext = SLOT_MS + 5000;
    await runTo(at(22));
    expect(fired.some((f) => f.slot === 20)).toBe(false);
    expect(events).toEqual(expect.arrayContaining([`missed 20 ${DutyType.Proposer} 1`]));
    expect(fired.filter((f) => f.slot > 12).map((f) => `${f.slot} ${f.type}`)).toEqual(['13 attester', '21 attester']);
    const slots = fired.map((f) => f.slot);
    expect([...slots].sort((x, y) => x - y)).toEqual(slots);
    scheduler.stop();
  });

  it('never fires a duty twice: not after a refetch of its slot, nor after a restart in the same slot', async () => {
    const { beacon, fired, scheduler, runTo } = setup();
    beacon.attesterSlot = (index, epoch) => epoch * SPE + (index === 3 ? 4 : 6);
    scheduler.start();
    await runTo(at(4, THIRD + 1));
    expect(fired.map((f) => `${f.slot} ${f.type}`)).toEqual(['4 attester']);
    const firedWith = scheduler.definitionsOf(newDuty(4, DutyType.Attester))!.get(A);
    // reorg: same slot, another committee
    beacon.committeeOf = () => 2;
    beacon.roots.set('attester/0', '0xother');
    scheduler.stop();
    scheduler.start();
    await runTo(at(5, 1));
    expect(fired.map((f) => `${f.slot} ${f.type}`)).toEqual(['4 attester']);
    // the broadcaster still sees the committee the duty ran with
    expect(scheduler.definitionsOf(newDuty(4, DutyType.Attester))!.get(A)).toEqual(firedWith);
    await runTo(at(7));
    expect(fired.map((f) => `${f.slot} ${f.type}`)).toEqual(['4 attester', '6 attester']);
    expect(scheduler.definitionsOf(newDuty(6, DutyType.Attester))!.get(B)).toMatchObject({ committeeIndex: 2 });
    scheduler.stop();
  });

  it('keeps going through beacon node outages: errors are reported, retries back off, duties fire once it answers', async () => {
    const warnings: string[] = [];
    const { beacon, fired, events, scheduler, runTo } = setup({ retryDelayMs: 1000, logger: { debug() {}, warn: (message) => warnings.push(message) } });
    beacon.down = true;
    beacon.attesterSlot = (index, epoch) => epoch * SPE + (index === 3 ? 3 : 6);
    scheduler.start();
    await runTo(at(3));
    expect(fired).toEqual([]);
    expect(events).toContain('error validator_indexes');
    expect(events).toContain('error proposer_duties');
    // 36 s down: polls after 1, 2, 4, 8, 12 … s and one per slot start, not a busy loop
    const proposerCalls = beacon.calls.filter((c) => c.startsWith('proposer 0')).length;
    expect(proposerCalls).toBeGreaterThanOrEqual(4);
    expect(proposerCalls).toBeLessThanOrEqual(10);
    beacon.down = false;
    await runTo(at(7));
    // A's duty at slot 3 was missed while the node was down (unknown then), B's at slot 6 fires
    expect(fired).toEqual([{ slot: 6, type: 'attester', dvs: [B], atMs: at(6, THIRD) }]);
    // repeated failures are not logged one warning each
    expect(events.filter((e) => e.startsWith('error')).length).toBeGreaterThan(10);
    expect(warnings.filter((w) => w.startsWith('beacon node call failed')).length).toBeLessThanOrEqual(3);
    expect(warnings).toContain('beacon node answers again');
    scheduler.stop();
  });

  it('resolves DVs the beacon node learns later (deposited after start) and gives them duties', async () => {
    const { beacon, fired, scheduler, runTo } = setup();
    scheduler.start();
    await runTo(at(4));
    expect(scheduler.validatorIndexes().size).toBe(2);
    beacon.validators.set(C, 7);
    beacon.attesterSlot = (index, epoch) => epoch * SPE + (index === 7 ? 2 : (index + epoch) % SPE);
    await runTo(at(2 * SPE + 3));
    expect(scheduler.dvOfValidatorIndex(7)).toBe(C);
    expect(fired).toContainEqual({ slot: 2 * SPE + 2, type: 'attester', dvs: [C], atMs: at(2 * SPE + 2, THIRD) });
    // asked with backoff while C was unknown: not at every poll
    const indexCalls = beacon.calls.filter((c) => c === 'indexes').length;
    expect(indexCalls).toBeLessThanOrEqual(6);
    scheduler.stop();
  });

  it('learns a DV index from the proposer duties even before the validator lookup names it', async () => {
    const { beacon, fired, scheduler, runTo } = setup();
    beacon.proposers.set(5, C);
    beacon.validators.set(C, 7);
    beacon.validatorIndexes = async (pubkeys) => {
      beacon.calls.push('indexes');
      return new Map(pubkeys.filter((k) => toDvPubkey(k) !== C).map((k) => [k, beacon.validators.get(toDvPubkey(k))!] as const).filter(([, i]) => i !== undefined));
    };
    scheduler.start();
    await runTo(at(6));
    expect(scheduler.dvOfValidatorIndex(7)).toBe(C);
    expect(fired).toContainEqual({ slot: 5, type: 'proposer', dvs: [C], atMs: at(5) });
    scheduler.stop();
  });

  it('a failing listener does not stop the others or the scheduler', async () => {
    const errors: unknown[] = [];
    const clock = new ManualClock(0);
    const beacon = new FakeBeacon();
    const scheduler = new Scheduler({ beacon, dvs: [A], slotTimes, slotsPerEpoch: SPE, clock, timers: clock, onListenerError: (e) => errors.push(e) });
    const seen: Duty[] = [];
    scheduler.onDuty(() => {
      throw new Error('listener bug');
    });
    scheduler.onDuty((duty) => void seen.push(duty));
    scheduler.start();
    for (let t = 0; t <= at(2 * SPE); t += 1000) {
      clock.advanceTo(t);
      await flush();
    }
    expect(seen.map((d) => d.slot)).toEqual([3, 8 + 4]);
    expect(errors).toHaveLength(2);
    scheduler.stop();
    expect(clock.pending).toBe(0);
  });

  it('refuses bad configuration with typed errors', () => {
    const clock = new ManualClock();
    const base = { beacon: new FakeBeacon(), slotTimes, clock, timers: clock };
    expect(() => new Scheduler({ ...base, dvs: [A], slotsPerEpoch: 0 })).toThrow(DvError);
    expect(() => new Scheduler({ ...base, dvs: ['0x1234'], slotsPerEpoch: SPE })).toThrow(expect.objectContaining({ code: 'INVALID_DV_PUBKEY' }));
    expect(() => new Scheduler({ ...base, dvs: [A], slotsPerEpoch: SPE, retryDelayMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
