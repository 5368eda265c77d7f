import { describe, expect, it } from '@jest/globals';
import { Subscribers } from './subscribers.js';

describe('Subscribers', () => {
  it('calls listeners in order with typed arguments; unsubscribe removes one', () => {
    const errors: unknown[] = [];
    const subscribers = new Subscribers<[number, string]>((error) => errors.push(error));
    const calls: string[] = [];
    const off = subscribers.subscribe((n, s) => calls.push(`a${n}${s}`));
    subscribers.subscribe((n, s) => calls.push(`b${n}${s}`));
    subscribers.emit(1, 'x');
    off();
    subscribers.emit(2, 'y');
    expect(calls).toEqual(['a1x', 'b1x', 'b2y']);
    expect(subscribers.size).toBe(1);
    expect(errors).toEqual([]);
  });

  it('reports a throwing or rejecting listener and still calls the others', async () => {
    const errors: unknown[] = [];
    const subscribers = new Subscribers<[number]>((error) => errors.push(error));
    const seen: number[] = [];
    subscribers.subscribe(() => {
      throw new Error('sync failure');
    });
    subscribers.subscribe(async () => {
      throw new Error('async failure');
    });
    subscribers.subscribe((n) => seen.push(n));
    subscribers.emit(7);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([7]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync failure', 'async failure']);
  });

  it('refuses a listener that is not a function', () => {
    expect(() => new Subscribers<[]>().subscribe(42 as unknown as () => void)).toThrow(TypeError);
  });
});
