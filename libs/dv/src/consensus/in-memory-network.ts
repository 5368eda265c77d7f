import { ConsensusError } from './errors.js';
import type { ConsensusMessageHandler, ConsensusTransport } from './transport.js';

interface Queued {
  readonly from: number;
  readonly to: number;
  readonly bytes: Uint8Array;
}

/**
 * Consensus transports for n nodes in one process. Sending only queues; `deliverNext` /
 * `deliverAll` hand messages over in send order, so tests are deterministic. A crashed node
 * sends nothing and loses what is sent to it.
 */
export class InMemoryConsensusNetwork {
  private readonly handlers: Set<ConsensusMessageHandler>[];
  private readonly crashed = new Set<number>();
  private queue: Queued[] = [];
  private head = 0;
  /** messages handed to a subscriber so far */
  delivered = 0;
  /** return true to lose a message (tests of loss and partitions) */
  dropFilter?: (from: number, to: number, bytes: Uint8Array) => boolean;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new ConsensusError('INVALID_CONFIG', `network size must be a positive integer, got ${size}`);
    this.handlers = Array.from({ length: size }, () => new Set<ConsensusMessageHandler>());
  }

  transport(index: number): ConsensusTransport {
    this.checkIndex(index);
    return {
      broadcast: (bytes) => {
        for (let to = 0; to < this.size; to++) if (to !== index) this.enqueue(index, to, bytes);
      },
      send: (to, bytes) => {
        if (Number.isInteger(to) && to >= 0 && to < this.size && to !== index) this.enqueue(index, to, bytes);
      },
      subscribe: (handler) => {
        this.handlers[index]!.add(handler);
        return () => {
          this.handlers[index]!.delete(handler);
        };
      },
    };
  }

  crash(index: number): void {
    this.checkIndex(index);
    this.crashed.add(index);
  }

  recover(index: number): void {
    this.checkIndex(index);
    this.crashed.delete(index);
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
    if (this.crashed.has(to) || this.dropFilter?.(from, to, bytes)) return true;
    for (const handler of [...this.handlers[to]!]) {
      this.delivered++;
      handler(from, bytes);
    }
    return true;
  }

  /** Delivers until nothing is queued (including what deliveries send); returns how many were taken. */
  deliverAll(maxMessages = 1_000_000): number {
    let taken = 0;
    while (taken < maxMessages && this.deliverNext()) taken++;
    return taken;
  }

  private enqueue(from: number, to: number, bytes: Uint8Array): void {
    if (this.crashed.has(from)) return;
    this.queue.push({ from, to, bytes });
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new ConsensusError('INVALID_CONFIG', `node index ${index} is outside 0..${this.size - 1}`);
    }
  }
}
