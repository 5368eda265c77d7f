import { type AggregatedDuty, type ThresholdPartials } from '../core/index.js';

export interface AggregationBatcherOptions {
  /** the aggregation of one batch (a SignatureAggregator's `aggregate`) */
  aggregate: (items: readonly ThresholdPartials[]) => readonly AggregatedDuty[];
  /** each duty's verified aggregates of a flushed batch */
  onAggregated: (result: AggregatedDuty) => void;
  /** runs `flush` later: default setImmediate (after the current tick's I/O callbacks) */
  schedule?: (flush: () => void) => void;
  /** a batch this large is aggregated at once, without waiting for the scheduled flush; default 4096 */
  maxBatch?: number;
  /** a throw of `aggregate` or `onAggregated` */
  onError?: (error: unknown) => void;
}

/**
 * Collects the threshold events that fire within one tick (a peer's batch of 1,000 DVs fires 1,000
 * of them) and aggregates them in one call, so the batch verification covers them all.
 */
export class AggregationBatcher {
  private pending: ThresholdPartials[] = [];
  private scheduled = false;
  private readonly schedule: (flush: () => void) => void;

  constructor(private readonly options: AggregationBatcherOptions) {
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
  }

  get size(): number {
    return this.pending.length;
  }

  add(ready: ThresholdPartials): void {
    this.pending.push(ready);
    if (this.pending.length >= (this.options.maxBatch ?? 4096)) {
      this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Aggregates what is pending now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    let results: readonly AggregatedDuty[];
    try {
      results = this.options.aggregate(items);
    } catch (error) {
      this.report(error);
      return;
    }
    for (const result of results) {
      try {
        this.options.onAggregated(result);
      } catch (error) {
        this.report(error);
      }
    }
  }

  /** Drops what is pending (on shutdown). */
  clear(): void {
    this.pending = [];
  }

  private report(error: unknown): void {
    (this.options.onError ?? ((e: unknown) => console.error('aggregation failed:', e)))(error);
  }
}
