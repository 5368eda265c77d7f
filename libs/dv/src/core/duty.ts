import { DvError } from './errors.js';

/** Duty types with their fixed wire numbers (DV-NODE.md). 5 (builder proposer) is deprecated and refused. */
export const DutyType = {
  Proposer: 1,
  Attester: 2,
  Signature: 3,
  Exit: 4,
  BuilderRegistration: 6,
  Randao: 7,
  PrepareAggregator: 8,
  Aggregator: 9,
  SyncMessage: 10,
  PrepareSyncContribution: 11,
  SyncContribution: 12,
} as const;
export type DutyType = (typeof DutyType)[keyof typeof DutyType];

/** The deprecated wire number of the builder proposer duty: never accepted. */
export const DEPRECATED_BUILDER_PROPOSER_DUTY_TYPE = 5;

const NAMES: ReadonlyMap<number, string> = new Map([
  [DutyType.Proposer, 'proposer'],
  [DutyType.Attester, 'attester'],
  [DutyType.Signature, 'signature'],
  [DutyType.Exit, 'exit'],
  [DutyType.BuilderRegistration, 'builder_registration'],
  [DutyType.Randao, 'randao'],
  [DutyType.PrepareAggregator, 'prepare_aggregator'],
  [DutyType.Aggregator, 'aggregator'],
  [DutyType.SyncMessage, 'sync_message'],
  [DutyType.PrepareSyncContribution, 'prepare_sync_contribution'],
  [DutyType.SyncContribution, 'sync_contribution'],
]);

export const ALL_DUTY_TYPES: readonly DutyType[] = [...NAMES.keys()] as DutyType[];

export function isDutyType(value: unknown): value is DutyType {
  return typeof value === 'number' && NAMES.has(value);
}

/** `attester`, `proposer`, …; `duty type 5` for numbers without a name. */
export function dutyTypeName(type: number): string {
  return NAMES.get(type) ?? `duty type ${type}`;
}

/** One duty: a slot and a duty type, for all the cluster's DVs at once. */
export interface Duty {
  readonly slot: number;
  readonly type: DutyType;
}

/** A checked, frozen duty. Throws DvError INVALID_DUTY naming the bad field. */
export function newDuty(slot: number, type: number): Duty {
  if (!Number.isSafeInteger(slot) || slot < 0) {
    throw new DvError('INVALID_DUTY', `slot must be a non-negative safe integer, got ${String(slot)}`, { field: 'slot' });
  }
  if (!isDutyType(type)) {
    const why = type === DEPRECATED_BUILDER_PROPOSER_DUTY_TYPE ? 'is the deprecated builder proposer' : 'is not a duty type';
    throw new DvError('INVALID_DUTY', `duty type ${String(type)} ${why}`, { field: 'type' });
  }
  return Object.freeze({ slot, type });
}

/** Map key of a duty: `<slot>/<type>`. */
export function dutyKey(duty: Duty): string {
  return `${duty.slot}/${duty.type}`;
}

/** `slot 12 attester`, for logs and errors. */
export function formatDuty(duty: Duty): string {
  return `slot ${duty.slot} ${dutyTypeName(duty.type)}`;
}

/** Orders by slot, then by duty type. */
export function compareDuties(a: Duty, b: Duty): number {
  return a.slot - b.slot || a.type - b.type;
}
