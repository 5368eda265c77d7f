import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { decodeQbftEnvelope } from './codec.js';
import { QbftError } from './errors.js';
import { InMemoryQbftNetwork } from './in-memory-network.js';
import { QbftInstance, rawBytesCodec } from './instance.js';
import { nativeSecp256k1Verify } from './native-secp256k1.js';
import {
  Libsecp256k1Signer,
  NativeSecp256k1Signer,
  Secp256k1Signer,
  createQbftSigner,
  generateSecp256k1IdentityKey,
  nobleSecp256k1Verifier,
  opensslSecp256k1Verifier,
  qbftMessageDigest,
  qbftSigningInput,
  secp256k1Verifier,
  signQbftMessage,
  verifyQbftMessage,
} from './signing.js';
import { increasingRoundDuration } from './timing.js';
import { QbftMessageType, ZERO_HASH, type QbftMessage } from './types.js';

const CURVE_ORDER = secp256k1.Point.CURVE().n;

const message: QbftMessage = {
  type: QbftMessageType.Prepare,
  duty: { slot: 7, type: 2 },
  source: 3,
  round: 2,
  valueHash: new Uint8Array(32).fill(4),
  preparedRound: 0,
  preparedValueHash: ZERO_HASH,
};

const sBig = (signature: Uint8Array): bigint => BigInt('0x' + Buffer.from(signature.subarray(32)).toString('hex'));

function withHighS(signature: Uint8Array): Uint8Array {
  const sig = secp256k1.Signature.fromBytes(signature, 'compact');
  return new secp256k1.Signature(sig.r, CURVE_ORDER - sig.s).toBytes('compact');
}

describe('native (node:crypto) secp256k1 signing', () => {
  const { privateKey, publicKey } = generateSecp256k1IdentityKey();
  const native = new NativeSecp256k1Signer(privateKey);
  const noble = new Secp256k1Signer(privateKey);

  it('has the same public key as the JS signer', () => {
    expect(native.publicKey).toEqual(publicKey);
  });

  it('signs sha256(domain ‖ message): the signing input hashes to the message digest', () => {
    const input = qbftSigningInput(message);
    expect(new Uint8Array(createHash('sha256').update(input).digest())).toEqual(qbftMessageDigest(message));
  });

  it('native signatures verify with the JS verifier over the digest, and JS signatures verify natively', () => {
    for (let i = 0; i < 20; i++) {
      const m = { ...message, round: i + 1 };
      const nativeSig = signQbftMessage(m, native).signature;
      const nobleSig = signQbftMessage(m, noble).signature;
      expect(nobleSecp256k1Verifier.verify(qbftMessageDigest(m), nativeSig, publicKey)).toBe(true);
      expect(secp256k1.verify(nativeSig, qbftMessageDigest(m), publicKey, { prehash: false, lowS: true })).toBe(true);
      expect(verifyQbftMessage(secp256k1Verifier, m, nobleSig, publicKey)).toBe(true);
      expect(verifyQbftMessage(secp256k1Verifier, m, nativeSig, publicKey)).toBe(true);
      expect(verifyQbftMessage(nobleSecp256k1Verifier, m, nativeSig, publicKey)).toBe(true);
      expect(verifyQbftMessage(opensslSecp256k1Verifier, m, nobleSig, publicKey)).toBe(true);
    }
  });

  it('always produces low-S signatures (with random nonces about half of 64 needed normalising)', () => {
    const input = qbftSigningInput(message);
    const signatures = Array.from({ length: 64 }, () => native.signPreimage(input));
    for (const signature of signatures) {
      expect(signature).toHaveLength(64);
      expect(sBig(signature) <= CURVE_ORDER >> 1n).toBe(true);
    }
    // OpenSSL picks a fresh nonce per signature: all differ, all valid
    expect(new Set(signatures.map((s) => Buffer.from(s).toString('hex'))).size).toBe(64);
  });

  it('refuses a high-S (malleated) form of a valid signature, as the JS verifier does', () => {
    const signature = native.signPreimage(qbftSigningInput(message));
    const highS = withHighS(signature);
    expect(nativeSecp256k1Verify(qbftSigningInput(message), highS, publicKey)).toBe(false);
    expect(nobleSecp256k1Verifier.verify(qbftMessageDigest(message), highS, publicKey)).toBe(false);
  });

  it('binds the message and the key: other fields, other key → false', () => {
    const signature = signQbftMessage(message, native).signature;
    expect(verifyQbftMessage(secp256k1Verifier, { ...message, source: 2 }, signature, publicKey)).toBe(false);
    expect(verifyQbftMessage(secp256k1Verifier, { ...message, duty: { slot: 8, type: 2 } }, signature, publicKey)).toBe(false);
    expect(verifyQbftMessage(secp256k1Verifier, message, signature, generateSecp256k1IdentityKey().publicKey)).toBe(false);
  });

  it('returns false, never throws, for garbage signatures and keys', () => {
    const input = qbftSigningInput(message);
    const signature = native.signPreimage(input);
    const zeroR = Uint8Array.from(signature);
    zeroR.fill(0, 0, 32);
    const rTooBig = Uint8Array.from(signature);
    rTooBig.fill(0xff, 0, 32);
    const notOnCurve = Uint8Array.from(publicKey);
    notOnCurve[0] = 0x05;
    expect(nativeSecp256k1Verify(input, new Uint8Array(64), publicKey)).toBe(false);
    expect(nativeSecp256k1Verify(input, signature.subarray(0, 63), publicKey)).toBe(false);
    expect(nativeSecp256k1Verify(input, zeroR, publicKey)).toBe(false);
    expect(nativeSecp256k1Verify(input, rTooBig, publicKey)).toBe(false);
    expect(nativeSecp256k1Verify(input, signature, notOnCurve)).toBe(false);
    expect(nativeSecp256k1Verify(input, signature, new Uint8Array(33).fill(5))).toBe(false);
    expect(nativeSecp256k1Verify(input, signature, publicKey.subarray(1))).toBe(false);
    // a refused key is remembered as refused, a good key still works afterwards
    expect(nativeSecp256k1Verify(input, signature, notOnCurve)).toBe(false);
    expect(nativeSecp256k1Verify(input, signature, publicKey)).toBe(true);
  });

  it('sign(digest) without a preimage falls back to the deterministic JS signature', () => {
    const digest = qbftMessageDigest(message);
    expect(native.sign(digest)).toEqual(noble.sign(digest));
  });

  it('rejects bad identity keys with INVALID_KEY', () => {
    for (const bad of [new Uint8Array(31), new Uint8Array(32), new Uint8Array(32).fill(0xff)]) {
      expect(() => new NativeSecp256k1Signer(bad)).toThrow(QbftError);
      expect(() => createQbftSigner(bad)).toThrow(/valid secp256k1 scalar/);
    }
  });
});

describe('libsecp256k1 signing (the default)', () => {
  const { privateKey, publicKey } = generateSecp256k1IdentityKey();
  const signer = new Libsecp256k1Signer(privateKey);
  const noble = new Secp256k1Signer(privateKey);

  it('is the default signer and verifier on this machine, with the JS signer\'s public key', () => {
    expect(createQbftSigner(privateKey)).toBeInstanceOf(Libsecp256k1Signer);
    expect(secp256k1Verifier).not.toBe(opensslSecp256k1Verifier);
    expect(signer.publicKey).toEqual(publicKey);
  });

  it('signs exactly as the deterministic JS signer (RFC 6979, low S); every verifier accepts every signer', () => {
    for (let i = 0; i < 20; i++) {
      const m = { ...message, round: i + 1 };
      const signature = signQbftMessage(m, signer).signature;
      expect(signature).toEqual(signQbftMessage(m, noble).signature);
      expect(sBig(signature) <= CURVE_ORDER >> 1n).toBe(true);
      const opensslSignature = signQbftMessage(m, new NativeSecp256k1Signer(privateKey)).signature;
      for (const verifier of [secp256k1Verifier, opensslSecp256k1Verifier, nobleSecp256k1Verifier]) {
        expect(verifyQbftMessage(verifier, m, signature, publicKey)).toBe(true);
        expect(verifyQbftMessage(verifier, m, opensslSignature, publicKey)).toBe(true);
      }
    }
  });

  it('refuses a high-S form, other messages and other keys', () => {
    const signature = signQbftMessage(message, signer).signature;
    expect(verifyQbftMessage(secp256k1Verifier, message, withHighS(signature), publicKey)).toBe(false);
    expect(verifyQbftMessage(secp256k1Verifier, { ...message, round: 3 }, signature, publicKey)).toBe(false);
    expect(verifyQbftMessage(secp256k1Verifier, message, signature, generateSecp256k1IdentityKey().publicKey)).toBe(false);
  });

  it('returns false, never throws, for garbage signatures, keys and digests', () => {
    const digest = qbftMessageDigest(message);
    const signature = signer.sign(digest);
    const rTooBig = Uint8Array.from(signature).fill(0xff, 0, 32);
    const sTooBig = Uint8Array.from(signature).fill(0xff, 32, 64);
    const notOnCurve = Uint8Array.from(publicKey);
    notOnCurve[0] = 0x05;
    const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
    for (const [sig, key, d] of [
      [new Uint8Array(64), publicKey, digest],
      [signature.subarray(0, 63), publicKey, digest],
      [rTooBig, publicKey, digest],
      [sTooBig, publicKey, digest],
      [signature, notOnCurve, digest],
      [signature, new Uint8Array(33).fill(5), digest],
      [signature, uncompressed, digest], // only the 33-byte form is a QBFT peer key
      [signature, publicKey, digest.subarray(1)],
    ] as const) {
      expect(secp256k1Verifier.verify(d, sig, key)).toBe(false);
    }
    expect(secp256k1Verifier.verify(digest, signature, publicKey)).toBe(true);
  });

  it('rejects bad identity keys and digests with INVALID_KEY', () => {
    for (const bad of [new Uint8Array(31), new Uint8Array(32), new Uint8Array(32).fill(0xff)]) {
      expect(() => new Libsecp256k1Signer(bad)).toThrow(QbftError);
    }
    expect(() => signer.sign(new Uint8Array(31))).toThrow(QbftError);
  });
});

describe('QBFT with native identity keys', () => {
  it('4 nodes with native signers decide the round-1 leader value; the messages also verify in JS', () => {
    const signers = Array.from({ length: 4 }, () => createQbftSigner(generateSecp256k1IdentityKey().privateKey));
    const peers = signers.map((s) => s.publicKey);
    const network = new InMemoryQbftNetwork(4);
    const decided: string[] = [];
    let jsChecked = 0;
    const instances = signers.map((signer, i) => {
      const instance = new QbftInstance<Uint8Array>({
        duty: { slot: 10, type: 2 },
        nodeIndex: i,
        peers,
        signer,
        verifier: secp256k1Verifier,
        codec: rawBytesCodec,
        isValid: () => true,
        timing: { startMs: 0, deadlineMs: 12_000, roundDuration: increasingRoundDuration(1000, 250) },
        clock: { now: () => 0 },
        transport: network.transport(i),
        onDecide: (decision) => decided.push(Buffer.from(decision.value).toString()),
      });
      network.connect(i, (bytes) => {
        const { signed } = decodeQbftEnvelope(bytes);
        expect(nobleSecp256k1Verifier.verify(qbftMessageDigest(signed.message), signed.signature, peers[signed.message.source]!)).toBe(true);
        jsChecked++;
        expect(instance.receive(bytes).status).not.toBe('rejected');
      });
      return instance;
    });
    instances.forEach((instance, i) => instance.start(new TextEncoder().encode(`value of ${i}`)));
    network.deliverAll();
    // (slot 10 + type 2 + round 1) mod 4 = 1 leads round 1
    expect(decided).toEqual(new Array(4).fill('value of 1'));
    expect(jsChecked).toBeGreaterThan(0);
  });
});
