import { P2pError } from './errors.js';

export interface OutboundQueueLimits {
  maxMessages: number;
  maxBytes: number;
}

/**
 * Frames waiting for a peer's stream, oldest first. Bounded by count and by bytes: pushing past
 * either bound drops the oldest frames, which is what a consensus protocol prefers (newer
 * messages supersede older rounds). Dropped frames are counted.
 */
export class OutboundQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;
  /** frames dropped to make room since the queue was created */
  dropped = 0;

  constructor(readonly limits: OutboundQueueLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new P2pError('INVALID_CONFIG', `outbound queue ${name} must be a positive integer, got ${value}`);
      }
    }
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Appends a frame; returns how many older frames were dropped to make room (the frame itself always stays). */
  push(frame: Uint8Array): number {
    this.items.push(frame);
    this.bytes += frame.length;
    let dropped = 0;
    while (this.length > 1 && (this.length > this.limits.maxMessages || this.bytes > this.limits.maxBytes)) {
      this.shift();
      dropped++;
    }
    this.dropped += dropped;
    return dropped;
  }

  /** Puts a frame back at the front (it could not be written); the drop-oldest bound still holds. */
  unshift(frame: Uint8Array): void {
    if (this.head > 0) this.items[--this.head] = frame;
    else this.items.unshift(frame);
    this.bytes += frame.length;
    while (this.length > 1 && (this.length > this.limits.maxMessages || this.bytes > this.limits.maxBytes)) {
      this.shift();
      this.dropped++;
    }
  }

  shift(): Uint8Array | undefined {
    if (this.head >= this.items.length) return undefined;
    const frame = this.items[this.head]!;
    this.items[this.head++] = EMPTY;
    this.bytes -= frame.length;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}

const EMPTY = new Uint8Array(0);
