import { QbftError } from './errors.js';
import type { QbftTransport } from './instance.js';

export type QbftReceiver = (bytes: Uint8Array, from: number) => void;

/**
 * A FIFO in-memory network for nodes in one process (tests, benchmarks, an in-process cluster).
 * Sending only queues; `deliverNext` / `deliverAll` hand messages over in the order they were sent,
 * so a run is fully deterministic. Disconnected nodes lose what is sent to them.
 */
export class InMemoryQbftNetwork {
  private readonly receivers: (QbftReceiver | undefined)[];
  private queue: { from: number; to: number; bytes: Uint8Array }[] = [];
  private head = 0;
  /** messages handed to a receiver so far */
  delivered = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new QbftError('INVALID_CONFIG', `network size must be ≥ 1, got ${size}`);
    this.receivers = new Array<QbftReceiver | undefined>(size).fill(undefined);
  }

  connect(index: number, receiver: QbftReceiver): void {
    this.checkIndex(index);
    this.receivers[index] = receiver;
  }

  disconnect(index: number): void {
    this.checkIndex(index);
    this.receivers[index] = undefined;
  }

  /** The transport node `from` sends through. */
  transport(from: number): QbftTransport {
    this.checkIndex(from);
    return {
      broadcast: (bytes) => {
        for (let to = 0; to < this.size; to++) if (to !== from) this.queue.push({ from, to, bytes });
      },
      send: (to, bytes) => {
        this.checkIndex(to);
        this.queue.push({ from, to, bytes });
      },
    };
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  deliverNext(): boolean {
    if (this.head >= this.queue.length) return false;
    const { from, to, bytes } = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const receiver = this.receivers[to];
    if (receiver) {
      this.delivered++;
      receiver(bytes, from);
    }
    return true;
  }

  /** Delivers until the queue is empty (messages sent meanwhile included); returns how many were taken. */
  deliverAll(maxMessages = 1_000_000): number {
    let taken = 0;
    while (taken < maxMessages && this.deliverNext()) taken++;
    return taken;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new QbftError('INVALID_CONFIG', `node index ${index} is outside 0..${this.size - 1}`);
    }
  }
}
