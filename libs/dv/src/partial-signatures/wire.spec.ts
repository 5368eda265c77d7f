import { describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@dvt/common';
import { DutyType, DvError, newDuty } from '../core/index.js';
import { duty, testDv } from './spec-support.js';
import { decodePartialSignatureBatch, encodePartialSignatureBatch } from './wire.js';

const HEADER = 14;

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DvError);
  expect((thrown as DvError).code).toBe('INVALID_SIGNED_DATA');
  expect((thrown as DvError).message).toMatch(message);
}

describe('partial signature wire format', () => {
  const a = testDv();
  const b = testDv();
  const batch = { duty, partials: new Map([[b.key, b.partial(2)], [a.key, a.partial(2)]]) };

  it('round-trips a batch, with one canonical encoding whatever the map order', () => {
    const bytes = encodePartialSignatureBatch(batch);
    expect(bytes.length).toBe(HEADER + 2 * (48 + 2 + 4 + 128 + 96));
    const reversed = encodePartialSignatureBatch({ duty, partials: new Map([...batch.partials].reverse()) });
    expect(bytesToHex(reversed)).toBe(bytesToHex(bytes));
    const back = decodePartialSignatureBatch(bytes);
    expect(back.duty).toEqual(duty);
    for (const [key, partial] of batch.partials) {
      const decoded = back.partials.get(key)!;
      expect(decoded.shareIndex).toBe(partial.shareIndex);
      expect(bytesToHex(decoded.message)).toBe(bytesToHex(partial.message));
      expect(bytesToHex(decoded.signature)).toBe(bytesToHex(partial.signature));
    }
    const exit = decodePartialSignatureBatch(encodePartialSignatureBatch({ duty: newDuty(2 ** 40, DutyType.Exit), partials: batch.partials }));
    expect(exit.duty).toEqual(newDuty(2 ** 40, DutyType.Exit));
  });

  it('refuses junk, truncation, trailing bytes, unknown versions and duty types, share index 0, unordered keys', () => {
    const bytes = encodePartialSignatureBatch(batch);
    expectInvalid(() => decodePartialSignatureBatch(new Uint8Array([7, 7, 7])), /truncated header/);
    expectInvalid(() => decodePartialSignatureBatch(new Uint8Array(0)), /truncated header/);
    expectInvalid(() => decodePartialSignatureBatch(bytes.subarray(0, bytes.length - 1)), /truncated/);
    expectInvalid(() => decodePartialSignatureBatch(new Uint8Array([...bytes, 0])), /trailing/);
    const edit = (f: (buf: Buffer) => void) => {
      const copy = Buffer.from(bytes);
      f(copy);
      return copy;
    };
    expectInvalid(() => decodePartialSignatureBatch(edit((x) => (x[0] = 2))), /unsupported version 2/);
    expectInvalid(() => decodePartialSignatureBatch(edit((x) => (x[9] = 99))), /duty type 99/);
    expectInvalid(() => decodePartialSignatureBatch(edit((x) => x.writeUInt32BE(0, 10))), /no partial signatures/);
    expectInvalid(() => decodePartialSignatureBatch(edit((x) => x.writeUInt16BE(0, HEADER + 48))), /share index 0/);
    expectInvalid(() => decodePartialSignatureBatch(edit((x) => x.writeUInt32BE(0xffffffff, HEADER + 50))), /message of 4294967295 bytes/);
    const entry = 48 + 2 + 4 + 128 + 96;
    const swapped = Buffer.concat([bytes.subarray(0, HEADER), bytes.subarray(HEADER + entry), bytes.subarray(HEADER, HEADER + entry)]);
    expectInvalid(() => decodePartialSignatureBatch(swapped), /unique and ascending/);
  });

  it('enforces the entry, message and size limits on both sides', () => {
    const bytes = encodePartialSignatureBatch(batch);
    const limits = { maxEntries: 1, maxMessageBytes: 1024, maxBytes: 1 << 20 };
    expectInvalid(() => decodePartialSignatureBatch(bytes, limits), /2 entries exceed the limit of 1/);
    expectInvalid(() => encodePartialSignatureBatch(batch, limits), /2 entries exceed the limit of 1/);
    expectInvalid(() => decodePartialSignatureBatch(bytes, { maxEntries: 10, maxMessageBytes: 100, maxBytes: 1 << 20 }), /exceeds 100/);
    expectInvalid(() => decodePartialSignatureBatch(bytes, { maxEntries: 10, maxMessageBytes: 1024, maxBytes: 500 }), /exceed the limit of 500/);
    expectInvalid(() => encodePartialSignatureBatch({ duty, partials: new Map() }), /no partial signatures/);
    expectInvalid(() => encodePartialSignatureBatch({ duty, partials: new Map([[a.key, { ...a.partial(2), signature: new Uint8Array(95) }]]) }), /95 bytes/);
  });
});
