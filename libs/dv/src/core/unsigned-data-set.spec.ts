import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DV_PUBKEY_BYTES, dvPubkeyBytes, toDvPubkey, type DvPubkey } from './dv-pubkey.js';
import { DvError } from './errors.js';
import {
  DEFAULT_UNSIGNED_DATA_SET_LIMITS,
  decodeUnsignedDataSet,
  encodeUnsignedDataSet,
  unsignedDataSet,
  type UnsignedDataSetLimits,
} from './unsigned-data-set.js';

const key = (byte: number): Uint8Array => new Uint8Array(DV_PUBKEY_BYTES).fill(byte);
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function expectDvError(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DvError);
    expect((error as DvError).code).toBe(code);
    expect((error as DvError).message).toMatch(message);
    return;
  }
  throw new Error('expected a DvError');
}

describe('DV public keys', () => {
  it('normalise bytes and hex of any case to lowercase 0x-hex and back', () => {
    const hex = toDvPubkey(key(0xab));
    expect(hex).toBe('0x' + 'ab'.repeat(48));
    expect(toDvPubkey('0x' + 'AB'.repeat(48))).toBe(hex);
    expect(dvPubkeyBytes(hex)).toEqual(key(0xab));
  });

  it('refuse wrong lengths and non-hex with INVALID_DV_PUBKEY naming the field', () => {
    expectDvError(() => toDvPubkey(new Uint8Array(47), 'dv 3'), 'INVALID_DV_PUBKEY', /dv 3: expected 48 bytes, got 47/);
    expectDvError(() => toDvPubkey('ab'.repeat(48)), 'INVALID_DV_PUBKEY', /expected 0x and 96 hex digits/);
    expectDvError(() => toDvPubkey('0x' + 'zz'.repeat(48)), 'INVALID_DV_PUBKEY', /hex digits/);
    expectDvError(() => toDvPubkey(42 as unknown as string), 'INVALID_DV_PUBKEY', /hex digits/);
  });
});

describe('unsigned data set codec', () => {
  it('encodes entries in ascending key order whatever the insertion order', () => {
    const a = unsignedDataSet([
      [key(2), bytes(2, 2)],
      [key(1), bytes(1)],
    ]);
    const b = unsignedDataSet([
      [toDvPubkey(key(1)), bytes(1)],
      ['0x' + '02'.repeat(48), bytes(2, 2)],
    ]);
    const encoded = encodeUnsignedDataSet(a);
    expect(encodeUnsignedDataSet(b)).toEqual(encoded);
    // version 1 | count 2 | key(1) | len 1 | 01 | key(2) | len 2 | 02 02
    expect(encoded).toEqual(
      Uint8Array.from([1, 0, 0, 0, 2, ...key(1), 0, 0, 0, 1, 1, ...key(2), 0, 0, 0, 2, 2, 2]),
    );
    const decoded = decodeUnsignedDataSet(encoded);
    expect([...decoded.keys()]).toEqual([toDvPubkey(key(1)), toDvPubkey(key(2))]);
    expect(decoded.get(toDvPubkey(key(2)))).toEqual(bytes(2, 2));
  });

  it('round-trips any set and accepts nothing but the canonical encoding (property)', () => {
    const entry = fc.tuple(fc.uint8Array({ minLength: 48, maxLength: 48 }), fc.uint8Array({ maxLength: 40 }));
    fc.assert(
      fc.property(fc.uniqueArray(entry, { minLength: 1, maxLength: 12, selector: ([k]) => Buffer.from(k).toString('hex') }), (entries) => {
        const set = unsignedDataSet(entries);
        const encoded = encodeUnsignedDataSet(set);
        const decoded = decodeUnsignedDataSet(encoded);
        expect(decoded.size).toBe(entries.length);
        for (const [k, data] of entries) expect(decoded.get(toDvPubkey(k))).toEqual(data);
        expect(encodeUnsignedDataSet(decoded)).toEqual(encoded);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses on decode: bad version, empty set, unsorted or repeated keys, truncation, trailing bytes', () => {
    const good = encodeUnsignedDataSet(unsignedDataSet([[key(1), bytes(9)], [key(2), bytes(8)]]));
    const withVersion = Uint8Array.from(good);
    withVersion[0] = 2;
    expectDvError(() => decodeUnsignedDataSet(withVersion), 'INVALID_UNSIGNED_DATA', /unsupported version 2/);
    expectDvError(() => decodeUnsignedDataSet(bytes(1, 0, 0)), 'INVALID_UNSIGNED_DATA', /truncated header/);
    expectDvError(() => decodeUnsignedDataSet(bytes(1, 0, 0, 0, 0)), 'INVALID_UNSIGNED_DATA', /at least one DV/);
    const entryBytes = 48 + 4 + 1;
    const swapped = Uint8Array.from([...good.subarray(0, 5), ...good.subarray(5 + entryBytes), ...good.subarray(5, 5 + entryBytes)]);
    expectDvError(() => decodeUnsignedDataSet(swapped), 'INVALID_UNSIGNED_DATA', /entry 1: .* is not above the previous key/);
    const repeated = Uint8Array.from([...good.subarray(0, 5 + entryBytes), ...good.subarray(5, 5 + entryBytes)]);
    expectDvError(() => decodeUnsignedDataSet(repeated), 'INVALID_UNSIGNED_DATA', /entry 1: .* unique and ascending/);
    expectDvError(() => decodeUnsignedDataSet(good.subarray(0, good.length - 1)), 'INVALID_UNSIGNED_DATA', /entry 1: data truncated/);
    expectDvError(() => decodeUnsignedDataSet(good.subarray(0, 5 + 20)), 'INVALID_UNSIGNED_DATA', /entry 0: truncated/);
    expectDvError(() => decodeUnsignedDataSet(Uint8Array.from([...good, 0])), 'INVALID_UNSIGNED_DATA', /1 trailing bytes/);
    expectDvError(() => decodeUnsignedDataSet('x' as unknown as Uint8Array), 'INVALID_UNSIGNED_DATA', /expected bytes/);
  });

  it('copies the data out of the input by default, or gives views into it with copy: false', () => {
    const encoded = encodeUnsignedDataSet(unsignedDataSet([[key(1), bytes(5, 6)]]));
    const copied = decodeUnsignedDataSet(encoded);
    const viewed = decodeUnsignedDataSet(encoded, DEFAULT_UNSIGNED_DATA_SET_LIMITS, { copy: false });
    encoded[encoded.length - 1] = 9;
    expect(copied.get(toDvPubkey(key(1)))).toEqual(bytes(5, 6));
    expect(viewed.get(toDvPubkey(key(1)))).toEqual(bytes(5, 9));
  });

  it('enforces the limits on both sides', () => {
    const limits: UnsignedDataSetLimits = { maxEntries: 2, maxEntryBytes: 4, maxEncodedBytes: 200 };
    const three = unsignedDataSet([1, 2, 3].map((b) => [key(b), bytes(b)] as const));
    expectDvError(() => encodeUnsignedDataSet(three, limits), 'INVALID_UNSIGNED_DATA', /3 DVs exceed the limit of 2/);
    expectDvError(() => decodeUnsignedDataSet(encodeUnsignedDataSet(three), limits), 'INVALID_UNSIGNED_DATA', /3 DVs exceed the limit of 2/);
    const big = unsignedDataSet([[key(1), new Uint8Array(5)]]);
    expectDvError(() => encodeUnsignedDataSet(big, limits), 'INVALID_UNSIGNED_DATA', /5 bytes, above the limit of 4/);
    expectDvError(() => decodeUnsignedDataSet(encodeUnsignedDataSet(big), limits), 'INVALID_UNSIGNED_DATA', /entry 0: 5 bytes exceed the limit of 4/);
    const two = unsignedDataSet([[key(1), new Uint8Array(4)], [key(2), new Uint8Array(4)]]);
    const tight = { ...limits, maxEncodedBytes: 100 };
    expectDvError(() => encodeUnsignedDataSet(two, tight), 'INVALID_UNSIGNED_DATA', /encodes to 117 bytes, above the limit of 100/);
    expectDvError(() => decodeUnsignedDataSet(encodeUnsignedDataSet(two), tight), 'INVALID_UNSIGNED_DATA', /117 bytes exceed the limit of 100/);
    expect(DEFAULT_UNSIGNED_DATA_SET_LIMITS.maxEncodedBytes).toBeLessThan(8 * 1024 * 1024);
  });

  it('refuses to build or encode sets with bad, repeated or non-canonical keys, bad data, or no entry', () => {
    expectDvError(() => unsignedDataSet([[key(1), bytes(1)], [toDvPubkey(key(1)), bytes(2)]]), 'INVALID_UNSIGNED_DATA', /appears twice/);
    expectDvError(() => unsignedDataSet([[new Uint8Array(3), bytes(1)]]), 'INVALID_DV_PUBKEY', /entry 0: expected 48 bytes/);
    expectDvError(() => unsignedDataSet([[key(1), 'data' as unknown as Uint8Array]]), 'INVALID_UNSIGNED_DATA', /data must be bytes/);
    expectDvError(() => encodeUnsignedDataSet(new Map()), 'INVALID_UNSIGNED_DATA', /at least one DV/);
    const upper = new Map([[('0x' + 'AB'.repeat(48)) as DvPubkey, bytes(1)]]);
    expectDvError(() => encodeUnsignedDataSet(upper), 'INVALID_UNSIGNED_DATA', /not in canonical form/);
  });
});
