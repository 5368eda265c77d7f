import { QbftError } from './errors.js';
import type { QbftDuty } from './types.js';

/** Length of round `round` (≥ 1) in milliseconds. */
export type QbftRoundDuration = (round: number) => number;

/**
 * When an instance's rounds happen. Every node computes the same table from the duty's slot time,
 * so rounds change together without any message.
 */
export interface QbftTiming {
  /** when round 1 starts, ms since the Unix epoch: the duty's slot start plus the duty's offset */
  readonly startMs: number;
  /** when the instance ends; later messages are dropped */
  readonly deadlineMs: number;
  readonly roundDuration: QbftRoundDuration;
}

/** Round r lasts `firstMs + (r - 1) × incrementMs`: longer rounds ride out a slow network. */
export function increasingRoundDuration(firstMs: number, incrementMs: number): QbftRoundDuration {
  if (!(firstMs > 0) || !Number.isFinite(firstMs) || !(incrementMs >= 0) || !Number.isFinite(incrementMs)) {
    throw new QbftError('INVALID_CONFIG', `round durations need firstMs > 0 and incrementMs ≥ 0, got ${firstMs}, ${incrementMs}`);
  }
  return (round) => firstMs + (round - 1) * incrementMs;
}

/** Slot start in ms from genesis time (seconds) and seconds per slot. */
export function slotStartMs(genesisTimeSec: number, secondsPerSlot: number, slot: number): number {
  return (genesisTimeSec + slot * secondsPerSlot) * 1000;
}

/** A schedule that would need more rounds than this before its deadline is refused. */
export const QBFT_MAX_ROUNDS = 4096;

/** The round table of one instance: round r ends at startMs + Σ_{i ≤ r} duration(i). */
export class QbftRoundClock {
  /** ends[r] = end of round r, for r = 1..maxRound (ends[0] = start) */
  private readonly ends: number[];
  readonly maxRound: number;
  readonly startMs: number;
  readonly deadlineMs: number;

  constructor(timing: QbftTiming) {
    const { startMs, deadlineMs, roundDuration } = timing;
    if (!Number.isFinite(startMs) || !Number.isFinite(deadlineMs) || deadlineMs <= startMs) {
      throw new QbftError('INVALID_CONFIG', `the deadline (${deadlineMs}) must come after the start (${startMs})`);
    }
    this.startMs = startMs;
    this.deadlineMs = deadlineMs;
    this.ends = [startMs];
    let end = startMs;
    while (end < deadlineMs) {
      const round = this.ends.length;
      if (round > QBFT_MAX_ROUNDS) {
        throw new QbftError('INVALID_CONFIG', `the round schedule needs more than ${QBFT_MAX_ROUNDS} rounds before the deadline`);
      }
      const duration = roundDuration(round);
      if (!(duration > 0) || !Number.isFinite(duration)) {
        throw new QbftError('INVALID_CONFIG', `round ${round} has a non-positive duration: ${duration}`);
      }
      end += duration;
      this.ends.push(end);
    }
    this.maxRound = this.ends.length - 1;
  }

  /** End of `round`; for rounds past the last one, the duty deadline. */
  roundEnd(round: number): number {
    return round <= this.maxRound ? this.ends[round]! : this.deadlineMs;
  }

  /** The round running at `timeMs` (1 before the start, maxRound at or after the deadline). */
  roundAt(timeMs: number): number {
    let lo = 1;
    let hi = this.maxRound;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! > timeMs) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Leader (node index) of a round: (slot + duty type + round) mod n. */
export function qbftLeader(duty: QbftDuty, round: number, nodeCount: number): number {
  return Number((BigInt(duty.slot) + BigInt(duty.type) + BigInt(round)) % BigInt(nodeCount));
}

/** Distinct signers needed for a quorum: ceil(2n / 3). */
export function qbftQuorum(nodeCount: number): number {
  return Math.ceil((2 * nodeCount) / 3);
}

/** Faulty nodes tolerated: floor((n - 1) / 3). */
export function qbftFaultTolerance(nodeCount: number): number {
  return Math.floor((nodeCount - 1) / 3);
}
