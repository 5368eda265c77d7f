import { DvError } from './errors.js';

/** Wall time, injected so tests drive slots without sleeping. */
export interface Clock {
  /** ms since the Unix epoch */
  now(): number;
}

/** One-shot timers on the same time line as the clock. */
export interface Timers {
  /** Runs `callback` once at (or soon after) `timeMs`; returns the function that cancels it. */
  at(timeMs: number, callback: () => void): () => void;
}

/** setTimeout cannot wait longer than this; longer waits re-arm. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Date.now and setTimeout. */
export const systemClock: Clock & Timers = {
  now: () => Date.now(),
  at(timeMs, callback) {
    let handle: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const arm = (): void => {
      const wait = timeMs - Date.now();
      if (wait <= MAX_TIMEOUT_MS) {
        handle = setTimeout(() => {
          if (!cancelled) callback();
        }, Math.max(0, wait));
      } else {
        handle = setTimeout(arm, MAX_TIMEOUT_MS);
      }
    };
    arm();
    return () => {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
    };
  },
};

/**
 * A clock that moves only when told to. `advanceTo` runs the due timers in time order (ties in
 * the order they were set), each with `now()` at its own time; timers set meanwhile run too when due.
 */
export class ManualClock implements Clock, Timers {
  private current: number;
  private sequence = 0;
  private readonly timers = new Map<number, { readonly timeMs: number; readonly callback: () => void }>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  at(timeMs: number, callback: () => void): () => void {
    const id = this.sequence++;
    this.timers.set(id, { timeMs, callback });
    return () => {
      this.timers.delete(id);
    };
  }

  /** Timers not yet run or cancelled. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(timeMs: number): void {
    if (timeMs < this.current) throw new DvError('INVALID_CONFIG', `the manual clock cannot go back from ${this.current} to ${timeMs}`);
    for (;;) {
      let nextId: number | undefined;
      let next: { readonly timeMs: number; readonly callback: () => void } | undefined;
      for (const [id, timer] of this.timers) {
        if (timer.timeMs <= timeMs && (!next || timer.timeMs < next.timeMs)) {
          nextId = id;
          next = timer;
        }
      }
      if (!next) break;
      this.timers.delete(nextId!);
      this.current = Math.max(this.current, next.timeMs);
      next.callback();
    }
    this.current = timeMs;
  }
}

/** Slot arithmetic of a chain: slot s starts at genesis + s × slot duration. */
export class SlotTimes {
  constructor(
    readonly genesisTimeMs: number,
    readonly slotDurationMs: number,
  ) {
    if (!Number.isFinite(genesisTimeMs)) throw new DvError('INVALID_CONFIG', `genesis time must be a finite number of ms, got ${genesisTimeMs}`);
    if (!Number.isFinite(slotDurationMs) || slotDurationMs <= 0) {
      throw new DvError('INVALID_CONFIG', `slot duration must be a positive number of ms, got ${slotDurationMs}`);
    }
  }

  /** From a beacon config: genesis time and SECONDS_PER_SLOT, both in seconds. */
  static fromSeconds(genesisTimeSec: number, secondsPerSlot: number): SlotTimes {
    return new SlotTimes(genesisTimeSec * 1000, secondsPerSlot * 1000);
  }

  startMs(slot: number): number {
    return this.genesisTimeMs + slot * this.slotDurationMs;
  }

  /** The slot running at `timeMs`; negative before genesis. */
  slotAt(timeMs: number): number {
    return Math.floor((timeMs - this.genesisTimeMs) / this.slotDurationMs);
  }
}
