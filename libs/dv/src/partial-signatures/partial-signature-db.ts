import { bytesToHex, equalBytes } from '@dvt/common';
import {
  DvError,
  Subscribers,
  dutyKey,
  formatDuty,
  type Duty,
  type DvPubkey,
  type PartialSignature,
  type PartialSignatureBatch,
  type PartialSignatureSet,
  type ThresholdPartials,
} from '../core/index.js';

/** Why a partial was not stored. */
export type PartialRefusal = 'conflicting_partial' | 'duty_pruned' | 'too_many_duties';

export interface PartialSignatureDbObserver {
  onRefused?(duty: Duty, dv: DvPubkey, shareIndex: number, reason: PartialRefusal): void;
}

export interface PartialSignatureDbOptions {
  /** partials with one message needed to fire */
  threshold: number;
  /** duties kept at once (oldest dropped first); default 512 */
  maxDuties?: number;
  observer?: PartialSignatureDbObserver;
  onListenerError?: (error: unknown) => void;
}

interface DvEntry {
  readonly byShare: Map<number, PartialSignature>;
  fired: boolean;
}

interface DutyEntry {
  readonly duty: Duty;
  readonly dvs: Map<DvPubkey, DvEntry>;
}

/**
 * Partial signatures per (duty, DV, share index), from this node's VC and from peers
 * (DV-NODE.md invariant 7): one partial per share index, the first one kept; the threshold event
 * fires once per (duty, DV), with `threshold` partials over one message from distinct indexes.
 */
export class PartialSignatureDb {
  private readonly duties = new Map<string, DutyEntry>();
  private readonly internal: Subscribers<[PartialSignatureBatch]>;
  private readonly ready: Subscribers<[ThresholdPartials]>;
  private readonly maxDuties: number;
  private prunedBelow = 0;
  /** duties dropped for room (not by prune): later partials for them must not start them over and fire again */
  private readonly evicted = new Set<string>();

  constructor(private readonly options: PartialSignatureDbOptions) {
    if (!Number.isInteger(options.threshold) || options.threshold < 1) throw new DvError('INVALID_CONFIG', `threshold must be a positive integer, got ${options.threshold}`);
    this.maxDuties = options.maxDuties ?? 512;
    this.internal = new Subscribers(options.onListenerError);
    this.ready = new Subscribers(options.onListenerError);
  }

  /** Own partials, newly stored ones go to `onInternal` listeners (the exchange). */
  onInternal(listener: (batch: PartialSignatureBatch) => void): () => void {
    return this.internal.subscribe(listener);
  }

  onThreshold(listener: (ready: ThresholdPartials) => void): () => void {
    return this.ready.subscribe(listener);
  }

  /** This node's VC's partials. Throws DvError SUBMISSION_MISMATCH if one conflicts with a stored one. */
  storeInternal(duty: Duty, set: PartialSignatureSet): void {
    const fresh = new Map<DvPubkey, PartialSignature>();
    const conflicts: DvPubkey[] = [];
    for (const [dv, partial] of set) {
      const outcome = this.store(duty, dv, partial);
      if (outcome === 'stored') fresh.set(dv, partial);
      else if (outcome === 'conflicting_partial') conflicts.push(dv);
    }
    if (fresh.size > 0) this.internal.emit({ duty, partials: fresh });
    for (const dv of fresh.keys()) this.checkThreshold(duty, dv);
    if (conflicts.length > 0) {
      throw new DvError('SUBMISSION_MISMATCH', `${formatDuty(duty)}: a different partial signature was already stored for ${conflicts.join(', ')}`, { dvs: conflicts });
    }
  }

  /** Peers' partials (already verified by the exchange). Conflicts are reported, not thrown. */
  storeExternal(duty: Duty, set: PartialSignatureSet): void {
    const fresh: DvPubkey[] = [];
    for (const [dv, partial] of set) if (this.store(duty, dv, partial) === 'stored') fresh.push(dv);
    for (const dv of fresh) this.checkThreshold(duty, dv);
  }

  /** Share indexes seen for a (duty, DV), ascending. */
  shareIndexesOf(duty: Duty, dv: DvPubkey): number[] {
    const entry = this.duties.get(dutyKey(duty))?.dvs.get(dv);
    return entry ? [...entry.byShare.keys()].sort((a, b) => a - b) : [];
  }

  /** Every share index seen in a duty, with how many of its DVs it signed (late/missing partials per peer). */
  participation(duty: Duty): Map<number, number> {
    const counts = new Map<number, number>();
    for (const entry of this.duties.get(dutyKey(duty))?.dvs.values() ?? []) {
      for (const index of entry.byShare.keys()) counts.set(index, (counts.get(index) ?? 0) + 1);
    }
    return counts;
  }

  /** Forgets duties of slots below `slot`; later partials for them are refused. */
  prune(slot: number): void {
    this.prunedBelow = Math.max(this.prunedBelow, slot);
    for (const [key, entry] of this.duties) if (entry.duty.slot < slot) this.duties.delete(key);
    for (const key of this.evicted) if (Number(key.split('/')[0]) < slot) this.evicted.delete(key);
  }

  get dutyCount(): number {
    return this.duties.size;
  }

  private store(duty: Duty, dv: DvPubkey, partial: PartialSignature): 'stored' | 'duplicate' | PartialRefusal {
    const refuse = (reason: PartialRefusal) => {
      this.options.observer?.onRefused?.(duty, dv, partial.shareIndex, reason);
      return reason;
    };
    const key = dutyKey(duty);
    if (duty.slot < this.prunedBelow || this.evicted.has(key)) return refuse('duty_pruned');
    let dutyEntry = this.duties.get(key);
    if (!dutyEntry) {
      if (this.duties.size >= this.maxDuties && !this.evictOldestBelow(duty.slot)) return refuse('too_many_duties');
      dutyEntry = { duty, dvs: new Map() };
      this.duties.set(key, dutyEntry);
    }
    let entry = dutyEntry.dvs.get(dv);
    if (!entry) dutyEntry.dvs.set(dv, (entry = { byShare: new Map(), fired: false }));
    const existing = entry.byShare.get(partial.shareIndex);
    if (existing) {
      if (equalBytes(existing.signature, partial.signature) && equalBytes(existing.message, partial.message)) return 'duplicate';
      return refuse('conflicting_partial');
    }
    entry.byShare.set(partial.shareIndex, partial);
    return 'stored';
  }

  private evictOldestBelow(slot: number): boolean {
    let oldest: [string, DutyEntry] | undefined;
    for (const item of this.duties) if (!oldest || item[1].duty.slot < oldest[1].duty.slot) oldest = item;
    if (!oldest || oldest[1].duty.slot >= slot) return false;
    this.duties.delete(oldest[0]);
    if (this.evicted.size >= 4 * this.maxDuties) this.evicted.delete(this.evicted.values().next().value!);
    this.evicted.add(oldest[0]);
    return true;
  }

  private checkThreshold(duty: Duty, dv: DvPubkey): void {
    const entry = this.duties.get(dutyKey(duty))?.dvs.get(dv);
    if (!entry || entry.fired || entry.byShare.size < this.options.threshold) return;
    const byMessage = new Map<string, PartialSignature[]>();
    for (const partial of entry.byShare.values()) {
      const key = bytesToHex(partial.message);
      const group = byMessage.get(key) ?? [];
      group.push(partial);
      byMessage.set(key, group);
      if (group.length === this.options.threshold) {
        entry.fired = true;
        this.ready.emit({ duty, dv, partials: [...group].sort((a, b) => a.shareIndex - b.shareIndex) });
        return;
      }
    }
  }
}
