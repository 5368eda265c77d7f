import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { qbftFaultTolerance } from './timing.js';
import { Simulation, type SimulationConfig, type SimulationResult } from './spec-support/simulation.js';

// Safety invariant 5 (agreement) and the liveness bounds of QBFT, over random schedules drawn from
// a seed: random delays (reordering), message loss before GST, clock skew, and up to f Byzantine
// nodes that equivocate, vote for everything, hide prepared values, pick round-change quorums,
// sign in other nodes' names and send garbage.

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function agreed(result: SimulationResult): string[] {
  const values = new Set<string>();
  for (const i of result.honest) {
    const d = result.decisions[i];
    if (d) values.add(Buffer.from(d.valueHash).toString('hex'));
  }
  return [...values];
}

function allHonestDecided(result: SimulationResult): boolean {
  return result.honest.every((i) => result.decisions[i] !== undefined);
}

/** n, a seed, and which nodes are faulty (a random subset of `faulty` nodes) */
const clusterArb = (sizes: number[], faulty: (n: number) => number) =>
  fc
    .record({ n: fc.constantFrom(...sizes), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }) })
    .chain(({ n, seed }) =>
      fc.record({
        n: fc.constant(n),
        seed: fc.constant(seed),
        faultyNodes: fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: faulty(n), maxLength: faulty(n) },
        ),
      }),
    );

const scheduleArb = fc.record({
  lossBeforeGst: fc.double({ min: 0, max: 0.6, noNaN: true }),
  linkCutBeforeGst: fc.constantFrom(0, 0, 0.2),
  partitionSliceMs: fc.constantFrom(0, 0, 100, 600),
  gstAfterMs: fc.integer({ min: 0, max: 8000 }),
  maxDelayBeforeGstMs: fc.integer({ min: 1, max: 600 }),
  maxDelayAfterGstMs: fc.integer({ min: 1, max: 60 }),
  maxSkewMs: fc.integer({ min: 0, max: 25 }),
});

describe('QBFT safety and liveness in a simulated network', () => {
  it('no two honest nodes decide differently with up to f Byzantine nodes; all decide after GST', () => {
    fc.assert(
      fc.property(
        clusterArb([4, 4, 7], (n) => qbftFaultTolerance(n)),
        fc.integer({ min: 0, max: 2 }),
        scheduleArb,
        ({ n, seed, faultyNodes }, crashedCount, schedule) => {
          // f faulty nodes: some Byzantine, possibly some crashed
          const crashed = faultyNodes.slice(0, Math.min(crashedCount, faultyNodes.length - 1));
          const byzantine = faultyNodes.slice(crashed.length);
          const config: SimulationConfig = { n, seed, crashed, byzantine, ...schedule };
          const result = new Simulation(config).run();
          expect(agreed(result).length).toBeLessThanOrEqual(1);
          expect(allHonestDecided(result)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('an adaptive adversary cannot make a Byzantine leader overturn a decision hidden from the others', () => {
    // COMMITs reach one honest node only, so it decides alone; then it is cut off until GST and
    // the Byzantine nodes try to get a different value through with hand-picked round changes.
    fc.assert(
      fc.property(
        clusterArb([4, 4, 4, 7], (n) => qbftFaultTolerance(n)),
        fc.nat(),
        scheduleArb,
        ({ n, seed, faultyNodes }, pick, schedule) => {
          const honest = Array.from({ length: n }, (_, i) => i).filter((i) => !faultyNodes.includes(i));
          const config: SimulationConfig = {
            n,
            seed,
            byzantine: faultyNodes,
            ...schedule,
            lossBeforeGst: schedule.lossBeforeGst / 2,
            linkCutBeforeGst: 0,
            partitionSliceMs: 0,
            gstAfterMs: 2000 + schedule.gstAfterMs,
            commitsOnlyTo: honest[pick % honest.length],
            muteFirstDecider: true,
          };
          const result = new Simulation(config).run();
          expect(agreed(result).length).toBeLessThanOrEqual(1);
          expect(allHonestDecided(result)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('with up to f crashed nodes and no Byzantine one, every live node decides a proposed value', () => {
    fc.assert(
      fc.property(
        clusterArb([4, 7, 10], (n) => qbftFaultTolerance(n)),
        scheduleArb,
        ({ n, seed, faultyNodes }, schedule) => {
          const result = new Simulation({ n, seed, crashed: faultyNodes, ...schedule }).run();
          expect(agreed(result)).toHaveLength(1);
          expect(allHonestDecided(result)).toBe(true);
          const decided = text(result.decisions[result.honest[0]!]!.value);
          expect(result.honest.map((i) => `value of node ${i}`)).toContain(decided);
          expect(result.rejectedCodes.size).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('with f+1 crashed nodes nobody decides, even without loss', () => {
    fc.assert(
      fc.property(
        clusterArb([4, 7], (n) => qbftFaultTolerance(n) + 1),
        scheduleArb,
        ({ n, seed, faultyNodes }, schedule) => {
          const result = new Simulation({ n, seed, crashed: faultyNodes, ...schedule, lossBeforeGst: 0 }).run();
          expect(result.decisions.every((d) => d === undefined)).toBe(true);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('replays exactly from a seed', () => {
    const config: SimulationConfig = { n: 7, seed: 424242, byzantine: [1, 5], lossBeforeGst: 0.4, gstAfterMs: 3000, maxDelayBeforeGstMs: 300, maxSkewMs: 10 };
    const a = new Simulation(config).run();
    const b = new Simulation(config).run();
    expect(b.events).toBe(a.events);
    expect(b.decisions.map((d) => d && [d.round, text(d.value)])).toEqual(a.decisions.map((d) => d && [d.round, text(d.value)]));
    expect(a.events).toBeGreaterThan(100);
  });

  it.each([10, 13])('n = %i with f Byzantine nodes and a lossy start agrees and decides', (n) => {
    const f = qbftFaultTolerance(n);
    const byzantine = Array.from({ length: f }, (_, i) => (3 * i + 1) % n);
    const result = new Simulation({ n, seed: 7 * n, byzantine, lossBeforeGst: 0.3, gstAfterMs: 2000, maxDelayBeforeGstMs: 300, maxSkewMs: 10 }).run();
    expect(agreed(result)).toHaveLength(1);
    expect(allHonestDecided(result)).toBe(true);
    // the attackers really attacked: honest nodes rejected their forgeries and junk
    expect(result.rejectedCodes.get('INVALID_SIGNATURE') ?? 0).toBeGreaterThan(0);
  });
});
