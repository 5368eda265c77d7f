import { describe, expect, it } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { QbftError } from './errors.js';
import {
  Secp256k1Signer,
  assertSecp256k1PublicKey,
  generateSecp256k1IdentityKey,
  qbftMessageDigest,
  secp256k1Verifier,
  signQbftMessage,
} from './signing.js';
import { QbftMessageType, ZERO_HASH, type QbftMessage } from './types.js';

const message: QbftMessage = {
  type: QbftMessageType.Commit,
  duty: { slot: 42, type: 1 },
  source: 0,
  round: 1,
  valueHash: new Uint8Array(32).fill(9),
  preparedRound: 0,
  preparedValueHash: ZERO_HASH,
};

describe('secp256k1 message signing', () => {
  const { privateKey, publicKey } = generateSecp256k1IdentityKey();
  const signer = new Secp256k1Signer(privateKey);

  it('uses 32-byte private and 33-byte compressed public identity keys', () => {
    expect(privateKey).toHaveLength(32);
    expect(publicKey).toHaveLength(33);
    expect(signer.publicKey).toEqual(publicKey);
    expect(() => assertSecp256k1PublicKey(publicKey)).not.toThrow();
  });

  it('signs the domain-separated message digest; the signature verifies under the signer key only', () => {
    const signed = signQbftMessage(message, signer);
    expect(signed.signature).toHaveLength(64);
    const digest = qbftMessageDigest(message);
    expect(secp256k1Verifier.verify(digest, signed.signature, publicKey)).toBe(true);
    expect(secp256k1.verify(signed.signature, digest, publicKey, { prehash: false })).toBe(true);
    const other = generateSecp256k1IdentityKey();
    expect(secp256k1Verifier.verify(digest, signed.signature, other.publicKey)).toBe(false);
  });

  it('binds every field: changing any one breaks the signature', () => {
    const { signature } = signQbftMessage(message, signer);
    const variants: QbftMessage[] = [
      { ...message, type: QbftMessageType.Prepare },
      { ...message, duty: { slot: 43, type: 1 } },
      { ...message, duty: { slot: 42, type: 2 } },
      { ...message, source: 1 },
      { ...message, round: 2 },
      { ...message, valueHash: new Uint8Array(32).fill(8) },
    ];
    for (const variant of variants) {
      expect(secp256k1Verifier.verify(qbftMessageDigest(variant), signature, publicKey)).toBe(false);
    }
  });

  it('is deterministic and refuses high-S (malleated) signatures', () => {
    const a = signQbftMessage(message, signer).signature;
    expect(signQbftMessage(message, signer).signature).toEqual(a);
    const sig = secp256k1.Signature.fromBytes(a);
    const highS = new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s).toBytes('compact');
    expect(secp256k1Verifier.verify(qbftMessageDigest(message), highS, publicKey)).toBe(false);
  });

  it('returns false, never throws, for garbage signatures and keys', () => {
    const digest = qbftMessageDigest(message);
    expect(secp256k1Verifier.verify(digest, new Uint8Array(64), publicKey)).toBe(false);
    expect(secp256k1Verifier.verify(digest, new Uint8Array(63), publicKey)).toBe(false);
    expect(secp256k1Verifier.verify(digest, signQbftMessage(message, signer).signature, new Uint8Array(33).fill(5))).toBe(false);
  });

  it('rejects bad identity keys with INVALID_KEY', () => {
    expect(() => new Secp256k1Signer(new Uint8Array(31))).toThrow(QbftError);
    expect(() => new Secp256k1Signer(new Uint8Array(32))).toThrow(/valid secp256k1 scalar/);
    expect(() => new Secp256k1Signer(new Uint8Array(32).fill(0xff))).toThrow(/valid secp256k1 scalar/);
    expect(() => assertSecp256k1PublicKey(new Uint8Array(65), 'peer 2')).toThrow(/peer 2: expected a 33-byte/);
    const notOnCurve = Uint8Array.from(publicKey);
    notOnCurve[0] = 0x05;
    expect(() => assertSecp256k1PublicKey(notOnCurve)).toThrow(/not a point/);
    try {
      new Secp256k1Signer(new Uint8Array(1));
    } catch (error) {
      expect((error as QbftError).code).toBe('INVALID_KEY');
    }
  });
});
