import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  DEFAULT_QBFT_LIMITS,
  QBFT_MESSAGE_BYTES,
  decodeQbftEnvelope,
  encodeQbftEnvelope,
  encodeQbftMessage,
  qbftEnvelopeOverhead,
  qbftValueHash,
} from './codec.js';
import { QbftError, type QbftErrorCode } from './errors.js';
import { QbftMessageType, ZERO_HASH, type QbftEnvelope, type QbftMessage, type SignedQbftMessage } from './types.js';

const hash = (b: number) => new Uint8Array(32).fill(b);
const sig = (b: number) => new Uint8Array(64).fill(b);
const base: QbftMessage = {
  type: QbftMessageType.Prepare,
  duty: { slot: 123456789, type: 2 },
  source: 3,
  round: 7,
  valueHash: hash(0xaa),
  preparedRound: 0,
  preparedValueHash: ZERO_HASH,
};
const signed = (fields: Partial<QbftMessage> = {}, s = 1): SignedQbftMessage => ({ message: { ...base, ...fields }, signature: sig(s) });
const roundChange = signed({ type: QbftMessageType.RoundChange, round: 3, valueHash: ZERO_HASH, preparedRound: 2, preparedValueHash: hash(0xbb) });
const proposal: QbftEnvelope = {
  signed: signed({ type: QbftMessageType.PrePrepare, round: 3 }),
  justifications: [roundChange, signed({ source: 1, round: 2 }, 2), signed({ source: 2, round: 2 }, 3)],
  value: new Uint8Array([1, 2, 3, 4, 5]),
};

// Byte offsets inside an envelope: version(1), then the outer message fields.
const OFFSET = { type: 1, slot: 2, dutyType: 10, source: 11, round: 13, valueHash: 17, preparedRound: 49, preparedValueHash: 53, count: 149 };

function expectCode(fn: () => unknown, code: QbftErrorCode, pattern?: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(QbftError);
    expect((error as QbftError).code).toBe(code);
    if (pattern) expect((error as QbftError).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected QbftError ${code}`);
}

function patch(bytes: Uint8Array, offset: number, ...values: number[]): Uint8Array {
  const copy = Uint8Array.from(bytes);
  values.forEach((v, i) => (copy[offset + i] = v));
  return copy;
}

describe('QBFT envelope encoding', () => {
  it('round-trips every message type, bit for bit', () => {
    const envelopes: QbftEnvelope[] = [
      proposal,
      { signed: signed(), justifications: [] },
      { signed: signed({ type: QbftMessageType.Commit }), justifications: [] },
      { signed: roundChange, justifications: [signed({ round: 2, valueHash: hash(0xbb) })], value: new Uint8Array(0) },
      { signed: signed({ type: QbftMessageType.RoundChange, valueHash: ZERO_HASH }), justifications: [] },
      { signed: signed({ type: QbftMessageType.Decided }), justifications: [signed({ type: QbftMessageType.Commit })], value: new Uint8Array(300) },
    ];
    for (const envelope of envelopes) {
      const bytes = encodeQbftEnvelope(envelope);
      const decoded = decodeQbftEnvelope(bytes);
      expect(decoded).toEqual(envelope);
      expect(encodeQbftEnvelope(decoded)).toEqual(bytes);
    }
  });

  it('has the documented fixed sizes', () => {
    expect(encodeQbftMessage(base)).toHaveLength(QBFT_MESSAGE_BYTES);
    expect(encodeQbftEnvelope(proposal)).toHaveLength(qbftEnvelopeOverhead(3) + 5);
    expect(encodeQbftEnvelope({ signed: signed(), justifications: [] })).toHaveLength(qbftEnvelopeOverhead(0) - 4);
  });

  it('keeps slots up to 2^53 - 1 and refuses larger ones', () => {
    const max = encodeQbftEnvelope({ signed: signed({ duty: { slot: Number.MAX_SAFE_INTEGER, type: 255 } }), justifications: [] });
    expect(decodeQbftEnvelope(max).signed.message.duty).toEqual({ slot: Number.MAX_SAFE_INTEGER, type: 255 });
    expectCode(() => decodeQbftEnvelope(patch(max, OFFSET.slot, 0x00, 0x20)), 'MALFORMED_MESSAGE', /slot/);
  });

  it('hashes values with sha256', () => {
    expect(Buffer.from(qbftValueHash(new TextEncoder().encode('abc'))).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  describe('rejects untrusted bytes with typed errors', () => {
    const good = encodeQbftEnvelope(proposal);

    it('empty, truncated at every length, or with trailing bytes', () => {
      expectCode(() => decodeQbftEnvelope(new Uint8Array(0)), 'MALFORMED_MESSAGE', /version: truncated/);
      for (let length = 1; length < good.length; length++) {
        expectCode(() => decodeQbftEnvelope(good.subarray(0, length)), 'MALFORMED_MESSAGE', /truncated/);
      }
      expectCode(() => decodeQbftEnvelope(Uint8Array.from([...good, 0])), 'MALFORMED_MESSAGE', /1 trailing bytes/);
    });

    it('an unknown version, message type or value flag', () => {
      expectCode(() => decodeQbftEnvelope(patch(good, 0, 2)), 'MALFORMED_MESSAGE', /version 2/);
      expectCode(() => decodeQbftEnvelope(patch(good, OFFSET.type, 0)), 'UNKNOWN_MESSAGE_TYPE');
      expectCode(() => decodeQbftEnvelope(patch(good, OFFSET.type, 6)), 'UNKNOWN_MESSAGE_TYPE');
      const bare = encodeQbftEnvelope({ signed: signed(), justifications: [] });
      expectCode(() => decodeQbftEnvelope(patch(bare, bare.length - 1, 2)), 'MALFORMED_MESSAGE', /hasValue/);
    });

    it('a message larger than the limit, before parsing it', () => {
      expectCode(() => decodeQbftEnvelope(good, { ...DEFAULT_QBFT_LIMITS, maxMessageBytes: good.length - 1 }), 'MESSAGE_TOO_LARGE');
      expect(() => decodeQbftEnvelope(good, { ...DEFAULT_QBFT_LIMITS, maxMessageBytes: good.length })).not.toThrow();
      const garbage = new Uint8Array(DEFAULT_QBFT_LIMITS.maxMessageBytes + 1);
      expectCode(() => decodeQbftEnvelope(garbage), 'MESSAGE_TOO_LARGE', /exceeds the limit/);
    });

    it('more justifications than allowed', () => {
      expectCode(() => decodeQbftEnvelope(good, { ...DEFAULT_QBFT_LIMITS, maxJustifications: 2 }), 'TOO_MANY_JUSTIFICATIONS');
      expectCode(() => decodeQbftEnvelope(patch(good, OFFSET.count, 0xff, 0xff)), 'TOO_MANY_JUSTIFICATIONS');
    });

    it('a justification that carries justifications', () => {
      const nestedCountOffset = OFFSET.count + 2 + 148; // count of the first justification
      expectCode(() => decodeQbftEnvelope(patch(good, nestedCountOffset, 0, 1)), 'NESTED_JUSTIFICATION', /justification 0/);
    });

    it('fields in a non-canonical shape', () => {
      const prepare = encodeQbftEnvelope({ signed: signed(), justifications: [] });
      expectCode(() => decodeQbftEnvelope(patch(prepare, OFFSET.round, 0, 0, 0, 0)), 'MALFORMED_MESSAGE', /round/);
      expectCode(() => decodeQbftEnvelope(patch(prepare, OFFSET.preparedRound + 3, 1)), 'MALFORMED_MESSAGE', /preparedRound/);
      expectCode(() => decodeQbftEnvelope(patch(prepare, OFFSET.preparedValueHash, 1)), 'MALFORMED_MESSAGE', /preparedValueHash/);
      expectCode(() => decodeQbftEnvelope(patch(prepare, OFFSET.valueHash, ...ZERO_HASH)), 'MALFORMED_MESSAGE', /valueHash: missing/);
      const rc = encodeQbftEnvelope({ signed: roundChange, justifications: [] });
      expectCode(() => decodeQbftEnvelope(patch(rc, OFFSET.valueHash, 1)), 'MALFORMED_MESSAGE', /zero in a ROUND-CHANGE/);
      expectCode(() => decodeQbftEnvelope(patch(rc, OFFSET.preparedRound + 3, 3)), 'MALFORMED_MESSAGE', /below the round/);
      expectCode(() => decodeQbftEnvelope(patch(rc, OFFSET.preparedValueHash, ...ZERO_HASH)), 'MALFORMED_MESSAGE', /missing for a prepared/);
      expectCode(() => decodeQbftEnvelope(patch(rc, OFFSET.preparedRound + 3, 0)), 'MALFORMED_MESSAGE', /zero when nothing/);
    });

    it('never throws anything but a QbftError on random or mutated bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
          try {
            decodeQbftEnvelope(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(QbftError);
          }
        }),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (offset, xor) => {
          const mutated = Uint8Array.from(good);
          mutated[offset]! ^= xor;
          try {
            const decoded = decodeQbftEnvelope(mutated);
            expect(encodeQbftEnvelope(decoded)).toEqual(mutated);
          } catch (error) {
            expect(error).toBeInstanceOf(QbftError);
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  it('refuses to encode a message in a bad shape', () => {
    expectCode(() => encodeQbftEnvelope({ signed: { message: base, signature: new Uint8Array(10) }, justifications: [] }), 'MALFORMED_MESSAGE', /signature/);
    expectCode(() => encodeQbftMessage({ ...base, round: 0 }), 'MALFORMED_MESSAGE', /round/);
    expectCode(() => encodeQbftMessage({ ...base, duty: { slot: -1, type: 2 } }), 'MALFORMED_MESSAGE', /slot/);
    expectCode(() => encodeQbftMessage({ ...base, valueHash: new Uint8Array(31) }), 'MALFORMED_MESSAGE', /valueHash/);
  });
});
