import { describe, expect, it } from '@jest/globals';
import { QbftError } from './errors.js';
import {
  QBFT_MAX_ROUNDS,
  QbftRoundClock,
  increasingRoundDuration,
  qbftFaultTolerance,
  qbftLeader,
  qbftQuorum,
  slotStartMs,
} from './timing.js';

describe('quorum and fault tolerance', () => {
  it.each([
    [1, 1, 0],
    [3, 2, 0],
    [4, 3, 1],
    [5, 4, 1],
    [6, 4, 1],
    [7, 5, 2],
    [10, 7, 3],
    [13, 9, 4],
  ])('n = %i: quorum %i, f = %i', (n, quorum, f) => {
    expect(qbftQuorum(n)).toBe(quorum);
    expect(qbftFaultTolerance(n)).toBe(f);
    // two quorums always share an honest node
    expect(2 * qbftQuorum(n) - n).toBeGreaterThanOrEqual(f + 1);
  });
});

describe('leader table: (slot + duty type + round) mod n', () => {
  it('rotates through every node, shifted by slot and duty type', () => {
    // slot 100, attester (2): 103 mod 4 = 3 leads round 1
    expect([1, 2, 3, 4, 5].map((r) => qbftLeader({ slot: 100, type: 2 }, r, 4))).toEqual([3, 0, 1, 2, 3]);
    // proposer (1) of the same slot starts one node earlier
    expect([1, 2, 3, 4].map((r) => qbftLeader({ slot: 100, type: 1 }, r, 4))).toEqual([2, 3, 0, 1]);
    // 7 nodes, slot 0, randao (7)
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((r) => qbftLeader({ slot: 0, type: 7 }, r, 7))).toEqual([1, 2, 3, 4, 5, 6, 0, 1]);
    // 13 nodes, a realistic mainnet slot: 11_000_000 + 9 + 1 = 11_000_010 = 13 × 846_154 + 8
    expect(qbftLeader({ slot: 11_000_000, type: 9 }, 1, 13)).toBe(8);
  });

  it('stays exact for slots near 2^53', () => {
    // 2^53 - 1 = 9007199254740991 ≡ 3 (mod 4); + 0 + 1 → 0
    expect(qbftLeader({ slot: Number.MAX_SAFE_INTEGER, type: 0 }, 1, 4)).toBe(0);
  });
});

describe('round clock anchored to the duty start', () => {
  const clock = new QbftRoundClock({ startMs: 12_000, deadlineMs: 12_000 + 20_000, roundDuration: increasingRoundDuration(1000, 500) });

  it('ends round r at start + Σ durations (1 s, 1.5 s, 2 s, …)', () => {
    expect([1, 2, 3, 4, 5].map((r) => clock.roundEnd(r))).toEqual([13_000, 14_500, 16_500, 19_000, 22_000]);
    // 1000r + 250r(r-1) ≥ 20000 first at r = 8 (8000 + 14000 = 22000)
    expect(clock.maxRound).toBe(8);
    expect(clock.roundEnd(8)).toBe(34_000);
    expect(clock.roundEnd(9)).toBe(32_000);
  });

  it('finds the round running at any time', () => {
    expect(clock.roundAt(0)).toBe(1);
    expect(clock.roundAt(12_999)).toBe(1);
    expect(clock.roundAt(13_000)).toBe(2);
    expect(clock.roundAt(16_499)).toBe(3);
    expect(clock.roundAt(16_500)).toBe(4);
    expect(clock.roundAt(1e12)).toBe(8);
  });

  it('computes slot start times from genesis', () => {
    expect(slotStartMs(1_606_824_023, 12, 10)).toBe(1_606_824_143_000);
  });

  it('rejects schedules that cannot work', () => {
    const duration = increasingRoundDuration(1000, 0);
    expect(() => new QbftRoundClock({ startMs: 10, deadlineMs: 10, roundDuration: duration })).toThrow(QbftError);
    expect(() => new QbftRoundClock({ startMs: 0, deadlineMs: 1e9, roundDuration: duration })).toThrow(new RegExp(`more than ${QBFT_MAX_ROUNDS}`));
    expect(() => new QbftRoundClock({ startMs: 0, deadlineMs: 10, roundDuration: () => 0 })).toThrow(/non-positive/);
    expect(() => new QbftRoundClock({ startMs: 0, deadlineMs: 10, roundDuration: () => NaN })).toThrow(/non-positive/);
    expect(() => increasingRoundDuration(0, 100)).toThrow(/firstMs > 0/);
    expect(() => increasingRoundDuration(100, -1)).toThrow(/incrementMs ≥ 0/);
  });
});
