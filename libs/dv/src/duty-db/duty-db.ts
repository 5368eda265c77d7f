import { DvtError, equalBytes } from '@dvt/common';
import { type phase0 } from '@lodestar/types';
import {
  DutyType,
  decodeAttesterMessage,
  decodeProposalValue,
  dutyKey,
  formatDuty,
  newDuty,
  proposalBlock,
  proposalSigningMessage,
  systemClock,
  type Clock,
  type DecidedProposal,
  type Duty,
  type DvPubkey,
  type SlotTimes,
  type Timers,
  type UnsignedDataSet,
} from '../core/index.js';

export type DutyDbErrorCode =
  /** a different value is already stored for this (duty, DV): the slashing guard */
  | 'CONFLICTING_VALUE'
  /** a stored value that does not decode as the data of its duty */
  | 'INVALID_VALUE'
  /** the duty's deadline passed without a decision */
  | 'EXPIRED'
  /** the duty is below the pruned window */
  | 'PRUNED'
  /** the caller's signal aborted the wait */
  | 'ABORTED'
  /** too many queries are waiting at once */
  | 'TOO_MANY_WAITERS';

export class DutyDbError extends DvtError<DutyDbErrorCode> {
  constructor(code: DutyDbErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

export interface DutyDbOptions {
  /** with `slotsPerEpoch`: waits end at the default deadline (end of the epoch after the duty's) */
  slotTimes?: SlotTimes;
  slotsPerEpoch?: number;
  /** ms at which waits for `duty` give up; overrides the default */
  deadlineOf?: (duty: Duty) => number;
  /** default: the system clock */
  clock?: Clock & Timers;
  /** queries waiting at once; default 10 000 */
  maxWaiters?: number;
}

interface Waiter {
  readonly slot: number;
  /** resolves when `ready` holds for the stored set */
  check(): void;
  reject(error: DutyDbError): void;
}

interface Entry {
  readonly duty: Duty;
  readonly set: Map<DvPubkey, Uint8Array>;
}

/**
 * The decided unsigned data per duty and DV (DV-NODE.md "duty DB"): what the validator client is
 * served and must sign. A different value for a stored (duty, DV) is refused; queries block until
 * the cluster decides, the duty's deadline passes, the caller aborts, or the duty is pruned.
 */
export class DutyDb {
  private readonly values = new Map<string, Entry>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly clock: Clock & Timers;
  private readonly deadlineOf?: (duty: Duty) => number;
  private readonly maxWaiters: number;
  private waiting = 0;
  private prunedBelow = 0;

  constructor(options: DutyDbOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxWaiters = options.maxWaiters ?? 10_000;
    const { slotTimes, slotsPerEpoch } = options;
    if (options.deadlineOf) this.deadlineOf = options.deadlineOf;
    else if (slotTimes && slotsPerEpoch !== undefined) {
      if (!Number.isInteger(slotsPerEpoch) || slotsPerEpoch < 1) throw new DutyDbError('INVALID_VALUE', `slots per epoch must be a positive integer, got ${slotsPerEpoch}`);
      this.deadlineOf = (duty) => slotTimes.startMs((Math.floor(duty.slot / slotsPerEpoch) + 2) * slotsPerEpoch);
    }
  }

  /**
   * Stores a decision (the DVs the slashing database accepted); storing the same value again is a
   * no-op. All-or-nothing: throws DutyDbError CONFLICTING_VALUE if any DV already holds a different
   * value, INVALID_VALUE if a value does not decode for the duty, PRUNED below the kept window.
   */
  store(duty: Duty, set: UnsignedDataSet): void {
    if (duty.slot < this.prunedBelow) throw new DutyDbError('PRUNED', `${formatDuty(duty)} is below the kept window (slot ${this.prunedBelow})`);
    const key = dutyKey(duty);
    const entry = this.values.get(key);
    for (const [dv, bytes] of set) {
      const existing = entry?.set.get(dv);
      if (existing && !equalBytes(existing, bytes)) {
        throw new DutyDbError('CONFLICTING_VALUE', `${formatDuty(duty)}: a different value is already decided for ${dv}`, { dv, slot: duty.slot, type: duty.type });
      }
      if (!existing) checkValue(duty, dv, bytes);
    }
    if (entry) for (const [dv, bytes] of set) entry.set.set(dv, bytes);
    else this.values.set(key, { duty, set: new Map(set) });
    for (const waiter of [...(this.waiters.get(key) ?? [])]) waiter.check();
  }

  decidedValue(duty: Duty, dv: DvPubkey): Uint8Array | undefined {
    return this.values.get(dutyKey(duty))?.set.get(dv);
  }

  /**
   * The exact signing message the VC's partial must carry for this (duty, DV): the attestation data
   * SSZ, or the proposer message of the decided block; undefined if nothing was decided.
   */
  decidedSigningMessage(duty: Duty, dv: DvPubkey): Uint8Array | undefined {
    const value = this.decidedValue(duty, dv);
    if (value === undefined) return undefined;
    return duty.type === DutyType.Proposer ? proposalSigningMessage(value) : value;
  }

  /**
   * The decided attestation data of `slot`. From Electra on every committee shares one data (index 0);
   * before, the data whose index is `committeeIndex`.
   */
  async awaitAttestationData(slot: number, committeeIndex: number, signal?: AbortSignal): Promise<phase0.AttestationData> {
    const duty = newDuty(slot, DutyType.Attester);
    const pick = (set: Map<DvPubkey, Uint8Array>): phase0.AttestationData | undefined => {
      const all = [...set.values()].map(decodeAttesterMessage);
      return all.find((data) => data.index === committeeIndex) ?? (all.length > 0 && all.every((data) => data.index === 0) ? all[0] : undefined);
    };
    return this.awaitDuty(duty, signal, pick);
  }

  async awaitProposal(slot: number, dv: DvPubkey, signal?: AbortSignal): Promise<DecidedProposal> {
    const duty = newDuty(slot, DutyType.Proposer);
    return this.awaitDuty(duty, signal, (set) => {
      const value = set.get(dv);
      return value === undefined ? undefined : decodeProposalValue(value);
    });
  }

  /** Forgets duties of slots below `slot`; queries waiting for them are rejected (PRUNED). */
  prune(slot: number): void {
    this.prunedBelow = Math.max(this.prunedBelow, slot);
    for (const [key, entry] of this.values) if (entry.duty.slot < slot) this.values.delete(key);
    for (const set of [...this.waiters.values()]) {
      for (const waiter of [...set]) if (waiter.slot < slot) waiter.reject(new DutyDbError('PRUNED', `slot ${waiter.slot} was pruned before a decision`));
    }
  }

  /** Stored duties and waiting queries, for metrics. */
  get size(): { readonly duties: number; readonly waiters: number } {
    return { duties: this.values.size, waiters: this.waiting };
  }

  private awaitDuty<T>(duty: Duty, signal: AbortSignal | undefined, pick: (set: Map<DvPubkey, Uint8Array>) => T | undefined): Promise<T> {
    const key = dutyKey(duty);
    const now = (): T | undefined => {
      const entry = this.values.get(key);
      return entry === undefined ? undefined : pick(entry.set);
    };
    const found = now();
    if (found !== undefined) return Promise.resolve(found);
    if (duty.slot < this.prunedBelow) return Promise.reject(new DutyDbError('PRUNED', `${formatDuty(duty)} is below the kept window (slot ${this.prunedBelow})`));
    const deadline = this.deadlineOf?.(duty);
    if (deadline !== undefined && this.clock.now() >= deadline) return Promise.reject(expired(duty));
    if (signal?.aborted) return Promise.reject(aborted(duty, signal));
    if (this.waiting >= this.maxWaiters) return Promise.reject(new DutyDbError('TOO_MANY_WAITERS', `${this.waiting} queries are already waiting for decisions`));
    return new Promise<T>((resolve, reject) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const waiters = set;
      this.waiting++;
      const finish = (): void => {
        cancelTimer?.();
        signal?.removeEventListener('abort', onAbort);
        if (waiters.delete(waiter)) this.waiting--;
        if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
      };
      const waiter: Waiter = {
        slot: duty.slot,
        check: () => {
          const value = now();
          if (value === undefined) return;
          finish();
          resolve(value);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(aborted(duty, signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      const cancelTimer = deadline === undefined ? undefined : this.clock.at(deadline, () => waiter.reject(expired(duty)));
      waiters.add(waiter);
    });
  }
}

function expired(duty: Duty): DutyDbError {
  return new DutyDbError('EXPIRED', `${formatDuty(duty)}: the deadline passed without a decision`, { slot: duty.slot, type: duty.type });
}

function aborted(duty: Duty, signal: AbortSignal): DutyDbError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new DutyDbError('ABORTED', `${formatDuty(duty)}: the wait was aborted (${reason})`, { slot: duty.slot, type: duty.type });
}

/** A stored value must be what the duty's consumers will decode: refuse it at the door otherwise. */
function checkValue(duty: Duty, dv: DvPubkey, bytes: Uint8Array): void {
  try {
    if (duty.type === DutyType.Attester) {
      const data = decodeAttesterMessage(bytes);
      if (data.slot !== duty.slot) throw new Error(`attestation data of slot ${data.slot}`);
    } else if (duty.type === DutyType.Proposer) {
      const block = proposalBlock(decodeProposalValue(bytes));
      if (block.slot !== duty.slot) throw new Error(`a block of slot ${block.slot}`);
    }
  } catch (error) {
    throw new DutyDbError('INVALID_VALUE', `${formatDuty(duty)}: the value of ${dv} is not valid: ${(error as Error).message}`, { dv });
  }
}
