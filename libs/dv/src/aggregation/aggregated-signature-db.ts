import { equalBytes } from '@dvt/common';
import { DvError, dutyKey, formatDuty, type AggregatedSignature, type Duty, type DvPubkey } from '../core/index.js';

interface Waiter {
  resolve(value: AggregatedSignature): void;
  reject(error: unknown): void;
}

/**
 * Full signatures per (duty, DV) (DV-NODE.md: randao reveals are needed by the block fetch). A
 * different signature for a stored key is refused; `await` blocks until one is stored.
 */
export class AggregatedSignatureDb {
  private readonly stored = new Map<string, { slot: number; value: AggregatedSignature }>();
  private readonly waiters = new Map<string, { slot: number; set: Set<Waiter> }>();
  private prunedBelow = 0;

  /** Stores a verified aggregate; the same one again is a no-op. Throws DvError SUBMISSION_MISMATCH for a different one. */
  store(duty: Duty, dv: DvPubkey, value: AggregatedSignature): void {
    const key = `${dutyKey(duty)}/${dv}`;
    const existing = this.stored.get(key);
    if (existing) {
      if (equalBytes(existing.value.signature, value.signature) && equalBytes(existing.value.message, value.message)) return;
      throw new DvError('SUBMISSION_MISMATCH', `${formatDuty(duty)}: a different aggregated signature is already stored for ${dv}`, { dv });
    }
    this.stored.set(key, { slot: duty.slot, value });
    const waiting = this.waiters.get(key);
    this.waiters.delete(key);
    for (const waiter of waiting?.set ?? []) waiter.resolve(value);
  }

  get(duty: Duty, dv: DvPubkey): AggregatedSignature | undefined {
    return this.stored.get(`${dutyKey(duty)}/${dv}`)?.value;
  }

  /**
   * Resolves with the stored signature, now or once stored. Rejects with `signal`'s reason when it
   * aborts, and with DvError INVALID_DUTY when the duty is (or gets) pruned first.
   */
  await(duty: Duty, dv: DvPubkey, signal?: AbortSignal): Promise<AggregatedSignature> {
    const key = `${dutyKey(duty)}/${dv}`;
    const found = this.stored.get(key);
    if (found) return Promise.resolve(found.value);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    if (duty.slot < this.prunedBelow) return Promise.reject(this.prunedError(duty));
    return new Promise((resolve, reject) => {
      let entry = this.waiters.get(key);
      if (!entry) this.waiters.set(key, (entry = { slot: duty.slot, set: new Set() }));
      const { set } = entry;
      const onAbort = () => {
        set.delete(waiter);
        if (set.size === 0 && this.waiters.get(key)?.set === set) this.waiters.delete(key);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const waiter: Waiter = {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
    });
  }

  /** Forgets duties of slots below `slot`; waiters for them are rejected. */
  prune(slot: number): void {
    this.prunedBelow = Math.max(this.prunedBelow, slot);
    for (const [key, entry] of this.stored) if (entry.slot < slot) this.stored.delete(key);
    for (const [key, entry] of this.waiters) {
      if (entry.slot >= slot) continue;
      this.waiters.delete(key);
      for (const waiter of entry.set) waiter.reject(this.prunedError({ slot: entry.slot }));
    }
  }

  get size(): number {
    return this.stored.size;
  }

  /** (duty, DV) pairs somebody is waiting for */
  get waiting(): number {
    return this.waiters.size;
  }

  private prunedError(duty: { slot: number }): DvError {
    return new DvError('INVALID_DUTY', `slot ${duty.slot} was pruned before its aggregated signature was stored`, { slot: duty.slot });
  }
}
