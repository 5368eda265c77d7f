import { DvError } from '../core/index.js';
import type { ClusterMessaging } from '../consensus/index.js';

type TopicHandler = (fromIndex: number, payload: Uint8Array) => void;

/** Decides what happens to one message: deliver it as is, replace its bytes, or drop it (`undefined`). */
export type MessageInterceptor = (from: number, to: number, topic: string, payload: Uint8Array) => Uint8Array | undefined;

/**
 * Cluster messaging for n nodes in one process, delivering asynchronously (as a network does),
 * with the faults the simulation tests need: a node taken down sends and receives nothing, and an
 * interceptor can drop or rewrite any message in flight.
 */
export class InProcessClusterNetwork {
  private readonly handlers: Map<string, Set<TopicHandler>>[];
  private readonly down = new Set<number>();
  interceptor?: MessageInterceptor;
  /** messages handed to a handler so far */
  delivered = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 2) throw new DvError('INVALID_CONFIG', `a cluster network needs at least 2 nodes, got ${size}`);
    this.handlers = Array.from({ length: size }, () => new Map<string, Set<TopicHandler>>());
  }

  messaging(index: number): ClusterMessaging {
    this.checkIndex(index);
    return {
      send: (to, topic, payload) => {
        this.checkIndex(to);
        if (to !== index) this.post(index, to, topic, payload);
      },
      broadcast: (topic, payload) => {
        for (let to = 0; to < this.size; to++) if (to !== index) this.post(index, to, topic, payload);
      },
      subscribe: (topic, handler) => {
        const byTopic = this.handlers[index]!;
        let set = byTopic.get(topic);
        if (!set) byTopic.set(topic, (set = new Set()));
        set.add(handler);
        return () => {
          set.delete(handler);
        };
      },
    };
  }

  /** The node stops sending and receiving (a crash or a partition), until `bringUp`. */
  takeDown(index: number): void {
    this.checkIndex(index);
    this.down.add(index);
  }

  bringUp(index: number): void {
    this.checkIndex(index);
    this.down.delete(index);
  }

  isUp(index: number): boolean {
    return !this.down.has(index);
  }

  private post(from: number, to: number, topic: string, payload: Uint8Array): void {
    if (this.down.has(from) || this.down.has(to)) return;
    const bytes = this.interceptor ? this.interceptor(from, to, topic, payload) : payload;
    if (bytes === undefined) return;
    setImmediate(() => {
      if (this.down.has(to)) return;
      for (const handler of [...(this.handlers[to]!.get(topic) ?? [])]) {
        this.delivered++;
        try {
          handler(from, bytes);
        } catch (error) {
          console.error(`[in-process network] handler of node ${to} on ${topic} threw:`, error);
        }
      }
    });
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new DvError('INVALID_CONFIG', `node index ${index} is outside 0..${this.size - 1}`);
    }
  }
}
