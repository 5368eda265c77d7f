import { describe, expect, it } from '@jest/globals';
import { OutboundQueue } from './outbound-queue.js';

const bytes = (n: number, fill = n): Uint8Array => new Uint8Array(n).fill(fill);
const drain = (q: OutboundQueue): number[] => {
  const out: number[] = [];
  for (let f = q.shift(); f; f = q.shift()) out.push(f[0]!);
  return out;
};

describe('OutboundQueue', () => {
  it('keeps order and drops the oldest past the message bound', () => {
    const q = new OutboundQueue({ maxMessages: 3, maxBytes: 1000 });
    const dropped = [1, 2, 3, 4, 5].map((i) => q.push(bytes(1, i)));
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect(q.dropped).toBe(2);
    expect(q.length).toBe(3);
    expect(drain(q)).toEqual([3, 4, 5]);
    expect(q.byteLength).toBe(0);
  });

  it('drops the oldest past the byte bound, but always keeps the newest frame', () => {
    const q = new OutboundQueue({ maxMessages: 100, maxBytes: 10 });
    q.push(bytes(4, 1));
    q.push(bytes(4, 2));
    expect(q.push(bytes(4, 3))).toBe(1);
    expect(q.byteLength).toBe(8);
    expect(q.push(bytes(50, 4))).toBe(2);
    expect(drain(q)).toEqual([4]);
  });

  it('puts a frame back at the front, still dropping the oldest when over the bound', () => {
    const q = new OutboundQueue({ maxMessages: 2, maxBytes: 100 });
    q.push(bytes(1, 1));
    q.push(bytes(1, 2));
    const first = q.shift()!;
    q.unshift(first);
    expect(drain(q)).toEqual([1, 2]);
    q.push(bytes(1, 5));
    q.push(bytes(1, 6));
    q.unshift(bytes(1, 4));
    expect(q.dropped).toBe(1);
    expect(drain(q)).toEqual([5, 6]);
  });

  it('stays in order across many pushes and shifts (compaction)', () => {
    const q = new OutboundQueue({ maxMessages: 200, maxBytes: 1 << 20 });
    const seen: number[] = [];
    for (let i = 0; i < 1000; i++) {
      q.push(bytes(1, i % 256));
      if (i % 10 !== 0) seen.push(q.shift()![0]!);
    }
    expect(q.dropped).toBe(0);
    expect([...seen, ...drain(q)]).toEqual(Array.from({ length: 1000 }, (_, i) => i % 256));
  });

  it('rejects bounds that are not positive integers', () => {
    expect(() => new OutboundQueue({ maxMessages: 0, maxBytes: 10 })).toThrow(/maxMessages must be a positive integer/);
    expect(() => new OutboundQueue({ maxMessages: 1, maxBytes: Number.NaN })).toThrow(/maxBytes/);
  });
});
