import { increasingRoundDuration, type QbftRoundDuration } from '@dvt/qbft';
import { DutyType } from '../core/index.js';

/** When a duty's consensus runs, relative to the start of its slot. */
export interface DutyConsensusTiming {
  /** round 1 starts this long after the slot start (when the duty fires in the scheduler) */
  readonly startOffsetMs: number;
  /** the instance ends, and is deleted, this long after the slot start */
  readonly deadlineMs: number;
  readonly roundDuration: QbftRoundDuration;
}

/**
 * Defaults, scaled to the slot: attestation and sync messages fire at 1/3 of the slot,
 * aggregations at 2/3, everything else at the slot start. A block is useless after its slot; the
 * rest stays useful a slot longer. Rounds last 1/12 slot (1 s of a 12 s slot) plus 1/48 slot per
 * further round.
 */
export function defaultDutyConsensusTiming(type: DutyType, slotDurationMs: number): DutyConsensusTiming {
  let startOffsetMs = 0;
  if (type === DutyType.Attester || type === DutyType.SyncMessage) startOffsetMs = slotDurationMs / 3;
  if (type === DutyType.Aggregator || type === DutyType.SyncContribution) startOffsetMs = (2 * slotDurationMs) / 3;
  const deadlineMs = type === DutyType.Proposer ? slotDurationMs : 2 * slotDurationMs;
  return { startOffsetMs, deadlineMs, roundDuration: increasingRoundDuration(slotDurationMs / 12, slotDurationMs / 48) };
}
