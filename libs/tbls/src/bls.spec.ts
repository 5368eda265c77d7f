import { describe, expect, it } from '@jest/globals';
import { InvalidInputError, hexToBytes } from '@dvt/common';
import {
  TblsError,
  assertPublicKey,
  assertSecretKey,
  assertSignature,
  generateSecretKey,
  secretKeyToPublicKey,
  sign,
  verify,
  verifyBatch,
  verifyEach,
  verifyPartial,
} from './index.js';

// Derived offline from a valid key by changing its last byte; checked with @noble/curves:
// the first x has a y on the curve but the point is not in the r-torsion subgroup, the second has no y.
const G1_NOT_IN_SUBGROUP = hexToBytes('a16e7289cb4ee044b5fd73ef150f02b4a7fd84a51543766c9457a173b5d2ff17a23c958bb5ed8bd4772ea3f612013600');
const G1_NOT_ON_CURVE = hexToBytes('a16e7289cb4ee044b5fd73ef150f02b4a7fd84a51543766c9457a173b5d2ff17a23c958bb5ed8bd4772ea3f612013602');
const G2_NOT_IN_SUBGROUP = hexToBytes(
  '872693f6b93b0712e9b2876255600de64b4a53a2c34f5237c27d2508bcec66a6fe68197d1ab9b084d263b3f6ff4e4ea01437959d270819a9a8125da477993935588f1a032b7c66c8a560f63354bace9bbb246df782766ebd9aa62cdaa5baf300',
);
const G2_NOT_ON_CURVE = hexToBytes(
  '872693f6b93b0712e9b2876255600de64b4a53a2c34f5237c27d2508bcec66a6fe68197d1ab9b084d263b3f6ff4e4ea01437959d270819a9a8125da477993935588f1a032b7c66c8a560f63354bace9bbb246df782766ebd9aa62cdaa5baf304',
);
const infinity = (length: number) => Uint8Array.from({ length }, (_, i) => (i === 0 ? 0xc0 : 0));
const CURVE_ORDER_BYTES = hexToBytes('73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001');

function expectTblsError(fn: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TblsError);
  expect((caught as TblsError).code).toBe(code);
  if (message) expect((caught as TblsError).message).toMatch(message);
}

describe('keys and signatures', () => {
  const sk = generateSecretKey();
  const pk = secretKeyToPublicKey(sk);
  const msg = new Uint8Array(32).fill(0xab);
  const sig = sign(sk, msg);

  it('generates distinct valid keys of the right sizes', () => {
    const other = generateSecretKey();
    expect(sk).toHaveLength(32);
    expect(pk).toHaveLength(48);
    expect(sig).toHaveLength(96);
    expect(Buffer.from(other).equals(Buffer.from(sk))).toBe(false);
    expect(() => assertSecretKey(other)).not.toThrow();
  });

  it('uses the Ethereum POP ciphersuite: consensus-spec sign known answer (sign_case_c82df61aa3ee60fb)', () => {
    const knownSk = hexToBytes('0x263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3');
    expect(Buffer.from(secretKeyToPublicKey(knownSk)).toString('hex')).toBe(
      'a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a',
    );
    expect(Buffer.from(sign(knownSk, new Uint8Array(32))).toString('hex')).toBe(
      'b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850ce1f98458c0cfc9ab380b55285a55',
    );
  });

  it('verifies a good signature and rejects a wrong message, key or signature with false', () => {
    expect(verify(pk, msg, sig)).toBe(true);
    expect(verify(pk, new Uint8Array(32), sig)).toBe(false);
    expect(verify(secretKeyToPublicKey(generateSecretKey()), msg, sig)).toBe(false);
    expect(verify(pk, msg, sign(generateSecretKey(), msg))).toBe(false);
    expect(verifyPartial(pk, msg, sig)).toBe(true);
    expect(verifyPartial(pk, new Uint8Array(1), sig)).toBe(false);
  });

  it('rejects bad secret keys with INVALID_SECRET_KEY', () => {
    expectTblsError(() => sign(new Uint8Array(32), msg), 'INVALID_SECRET_KEY', /\[1, r\)/);
    expectTblsError(() => sign(CURVE_ORDER_BYTES, msg), 'INVALID_SECRET_KEY');
    expectTblsError(() => sign(new Uint8Array(32).fill(0xff), msg), 'INVALID_SECRET_KEY');
    expectTblsError(() => secretKeyToPublicKey(new Uint8Array(31).fill(1)), 'INVALID_SECRET_KEY', /expected 32 bytes, got 31/);
    expectTblsError(() => assertSecretKey('0x01' as unknown as Uint8Array), 'INVALID_SECRET_KEY', /expected bytes/);
  });

  it('rejects malformed public keys: length, encoding, off-curve, outside the subgroup, infinity', () => {
    expectTblsError(() => assertPublicKey(new Uint8Array(47)), 'INVALID_PUBLIC_KEY', /expected 48 bytes, got 47/);
    expectTblsError(() => assertPublicKey(sig, 'validator'), 'INVALID_PUBLIC_KEY', /^validator: expected 48 bytes/);
    expectTblsError(() => assertPublicKey(G1_NOT_ON_CURVE), 'INVALID_PUBLIC_KEY', /not on the curve|bad encoding/);
    expectTblsError(() => assertPublicKey(G1_NOT_IN_SUBGROUP), 'INVALID_PUBLIC_KEY', /not in the G1 subgroup/);
    expectTblsError(() => assertPublicKey(infinity(48)), 'INFINITY_POINT', /infinity/);
    expectTblsError(() => assertPublicKey(new Uint8Array(48)), 'INVALID_PUBLIC_KEY'); // no compression flag
    expectTblsError(() => verify(G1_NOT_IN_SUBGROUP, msg, sig), 'INVALID_PUBLIC_KEY');
    expectTblsError(() => verify(infinity(48), msg, sig), 'INFINITY_POINT');
    expect(() => assertPublicKey(pk)).not.toThrow();
  });

  it('rejects malformed signatures: length, off-curve, outside the subgroup, infinity', () => {
    expectTblsError(() => assertSignature(new Uint8Array(95)), 'INVALID_SIGNATURE', /expected 96 bytes, got 95/);
    expectTblsError(() => assertSignature(G2_NOT_ON_CURVE), 'INVALID_SIGNATURE', /not on the curve|bad encoding/);
    expectTblsError(() => assertSignature(G2_NOT_IN_SUBGROUP), 'INVALID_SIGNATURE', /not in the G2 subgroup/);
    expectTblsError(() => assertSignature(infinity(96)), 'INFINITY_POINT');
    expectTblsError(() => verify(pk, msg, G2_NOT_IN_SUBGROUP), 'INVALID_SIGNATURE');
    expectTblsError(() => verify(pk, msg, infinity(96)), 'INFINITY_POINT');
    expectTblsError(() => verify(pk, 'abc' as unknown as Uint8Array, sig), 'INVALID_MESSAGE');
    expect(() => assertSignature(sig)).not.toThrow();
  });

  it('leaves malformed hex to @dvt/common (InvalidInputError naming the field)', () => {
    expect(() => hexToBytes('0xzz', 'public_key', 48)).toThrow(InvalidInputError);
    expect(() => hexToBytes('0x' + '00'.repeat(47), 'public_key', 48)).toThrow(/public_key: expected 48 bytes/);
  });
});

describe('verifyBatch', () => {
  const items = Array.from({ length: 8 }, (_, i) => {
    const sk = generateSecretKey();
    const message = new Uint8Array(32).fill(i);
    return { publicKey: secretKeyToPublicKey(sk), message, signature: sign(sk, message) };
  });

  it('accepts a valid batch, a single item and an empty list', () => {
    expect(verifyBatch(items)).toBe(true);
    expect(verifyBatch(items.slice(0, 1))).toBe(true);
    expect(verifyBatch([])).toBe(true);
  });

  it('rejects a batch with one wrong signature, or two swapped signatures', () => {
    const wrongOne = items.map((it, i) => (i === 5 ? { ...it, message: new Uint8Array(32).fill(99) } : it));
    expect(verifyBatch(wrongOne)).toBe(false);
    const swapped = items.map((it, i) => (i === 0 ? { ...it, signature: items[1]!.signature } : i === 1 ? { ...it, signature: items[0]!.signature } : it));
    expect(verifyBatch(swapped)).toBe(false);
  });

  it('throws on a malformed item, naming it', () => {
    const bad = items.map((it, i) => (i === 3 ? { ...it, signature: infinity(96) } : it));
    expectTblsError(() => verifyBatch(bad), 'INFINITY_POINT', /items\[3\]\.signature/);
    const badKey = items.map((it, i) => (i === 2 ? { ...it, publicKey: G1_NOT_IN_SUBGROUP } : it));
    expectTblsError(() => verifyBatch(badKey), 'INVALID_PUBLIC_KEY', /items\[2\]\.publicKey/);
  });
});

describe('verifyEach', () => {
  const items = Array.from({ length: 5 }, (_, i) => {
    const sk = generateSecretKey();
    const message = new Uint8Array(32).fill(i);
    return { publicKey: secretKeyToPublicKey(sk), message, signature: sign(sk, message) };
  });

  it('gives one result per item, in order, and [] for an empty list', () => {
    expect(verifyEach(items)).toEqual([true, true, true, true, true]);
    const mixed = items.map((it, i) => (i === 1 || i === 4 ? { ...it, signature: items[0]!.signature } : it));
    expect(verifyEach(mixed)).toEqual([true, false, true, true, false]);
    expect(verifyEach([])).toEqual([]);
  });

  it('throws on a malformed item naming it, and on a list that is not an array or holds a non-object', () => {
    expectTblsError(() => verifyEach(items.map((it, i) => (i === 2 ? { ...it, signature: infinity(96) } : it))), 'INFINITY_POINT', /items\[2\]\.signature/);
    expectTblsError(() => verifyEach(items.map((it, i) => (i === 4 ? { ...it, message: 'root' as unknown as Uint8Array } : it))), 'INVALID_MESSAGE', /items\[4\]\.message/);
    expectTblsError(() => verifyEach('items' as unknown as []), 'INVALID_ARGUMENT', /expected an array/);
    expectTblsError(() => verifyBatch([items[0]!, null as unknown as (typeof items)[0]]), 'INVALID_ARGUMENT', /items\[1\]/);
  });
});
