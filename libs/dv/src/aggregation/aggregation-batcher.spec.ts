import { describe, expect, it } from '@jest/globals';
import { DutyType, newDuty, toDvPubkey, type AggregatedDuty, type ThresholdPartials } from '../core/index.js';
import { AggregationBatcher } from './aggregation-batcher.js';

const duty = newDuty(5, DutyType.Attester);
const ready = (n: number): ThresholdPartials => ({ duty, dv: toDvPubkey(new Uint8Array(48).fill(n)), partials: [] });

function setup(maxBatch?: number) {
  const calls: number[] = [];
  const results: AggregatedDuty[] = [];
  const errors: unknown[] = [];
  const scheduled: (() => void)[] = [];
  const batcher = new AggregationBatcher({
    aggregate: (items) => {
      calls.push(items.length);
      if (items.some((i) => i.dv === ready(99).dv)) throw new Error('boom');
      return [{ duty, signatures: new Map(items.map((i) => [i.dv, { message: new Uint8Array(0), signature: new Uint8Array(96) }])) }];
    },
    onAggregated: (result) => results.push(result),
    schedule: (flush) => scheduled.push(flush),
    onError: (error) => errors.push(error),
    maxBatch,
  });
  return { batcher, calls, results, errors, scheduled };
}

describe('AggregationBatcher', () => {
  it('aggregates the threshold events of one tick in one call', () => {
    const { batcher, calls, results, scheduled } = setup();
    for (let i = 1; i <= 5; i++) batcher.add(ready(i));
    expect(scheduled).toHaveLength(1);
    expect(calls).toEqual([]);
    scheduled.shift()!();
    expect(calls).toEqual([5]);
    expect(results[0]!.signatures.size).toBe(5);
    batcher.add(ready(6));
    expect(scheduled).toHaveLength(1);
  });

  it('flushes at once when a batch reaches its maximum', () => {
    const { batcher, calls, scheduled } = setup(3);
    for (let i = 1; i <= 4; i++) batcher.add(ready(i));
    expect(calls).toEqual([3]);
    expect(batcher.size).toBe(1);
    for (const flush of scheduled.splice(0)) flush();
    expect(calls).toEqual([3, 1]);
  });

  it('reports a failing aggregation and keeps going', () => {
    const { batcher, calls, errors, scheduled } = setup();
    batcher.add(ready(99));
    scheduled.shift()!();
    batcher.add(ready(1));
    scheduled.shift()!();
    expect(errors).toHaveLength(1);
    expect(calls).toEqual([1, 1]);
  });

  it('runs on setImmediate by default', async () => {
    const results: AggregatedDuty[] = [];
    const batcher = new AggregationBatcher({ aggregate: (items) => [{ duty, signatures: new Map(items.map((i) => [i.dv, { message: new Uint8Array(0), signature: new Uint8Array(96) }])) }], onAggregated: (r) => results.push(r) });
    batcher.add(ready(1));
    batcher.add(ready(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(results).toHaveLength(1);
    expect(results[0]!.signatures.size).toBe(2);
  });
});
