import { createHash, type KeyObject } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { type Libsecp256k1, libsecp256k1 } from '@dvt/common';
import { QBFT_MESSAGE_BYTES, encodeQbftMessage } from './codec.js';
import { QbftError } from './errors.js';
import { nativeSecp256k1PrivateKey, nativeSecp256k1Sign, nativeSecp256k1Verify } from './native-secp256k1.js';
import { QBFT_SIGNATURE_BYTES, type QbftMessage, type SignedQbftMessage } from './types.js';

/** Separates QBFT signatures from anything else the identity key signs (ENRs, cluster locks). */
const QBFT_SIGNING_DOMAIN = new TextEncoder().encode('dvt/qbft/v1/message');

/** Signs 32-byte digests with this node's identity key. */
export interface QbftSigner {
  /** the key peers know this node by (33-byte compressed secp256k1 for the real signer) */
  readonly publicKey: Uint8Array;
  sign(digest: Uint8Array): Uint8Array;
  /**
   * Optional: signs sha256(`preimage`), hashing itself; must equal a `sign` of that digest in
   * meaning (any valid signature). Lets a signer that only signs messages, not digests (node:crypto),
   * work natively. Preferred over `sign` when present.
   */
  signPreimage?(preimage: Uint8Array): Uint8Array;
}

/** Checks a peer's signature over a digest; must return false (not throw) for any bad input. */
export interface QbftVerifier {
  verify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** Optional: `verify(sha256(preimage), …)`, hashing itself. Preferred over `verify` when present. */
  verifyPreimage?(preimage: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

/** domain ‖ canonical message encoding: the bytes whose sha256 is signed. */
export function qbftSigningInput(message: QbftMessage): Uint8Array {
  const out = new Uint8Array(QBFT_SIGNING_DOMAIN.length + QBFT_MESSAGE_BYTES);
  out.set(QBFT_SIGNING_DOMAIN, 0);
  out.set(encodeQbftMessage(message), QBFT_SIGNING_DOMAIN.length);
  return out;
}

/** sha256(domain ‖ canonical message encoding): what gets signed. */
export function qbftMessageDigest(message: QbftMessage): Uint8Array {
  return new Uint8Array(createHash('sha256').update(QBFT_SIGNING_DOMAIN).update(encodeQbftMessage(message)).digest());
}

/** Checks `signature` on `message` by `publicKey`, through the verifier's preimage path when it has one. */
export function verifyQbftMessage(verifier: QbftVerifier, message: QbftMessage, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (verifier.verifyPreimage) return verifier.verifyPreimage(qbftSigningInput(message), signature, publicKey);
  return verifier.verify(qbftMessageDigest(message), signature, publicKey);
}

export function signQbftMessage(message: QbftMessage, signer: QbftSigner): SignedQbftMessage {
  const signature = signer.signPreimage ? signer.signPreimage(qbftSigningInput(message)) : signer.sign(qbftMessageDigest(message));
  if (signature.length !== QBFT_SIGNATURE_BYTES) {
    throw new QbftError('INVALID_KEY', `signer produced ${signature.length} bytes instead of ${QBFT_SIGNATURE_BYTES}`);
  }
  return { message, signature };
}

function checkIdentityKey(privateKey: Uint8Array): void {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !secp256k1.utils.isValidSecretKey(privateKey)) {
    throw new QbftError('INVALID_KEY', 'identity private key must be 32 bytes and a valid secp256k1 scalar');
  }
}

/**
 * Identity key signer in JavaScript (@noble/curves): deterministic (RFC 6979) low-S compact
 * signatures. Slower than `NativeSecp256k1Signer`; kept for reproducible outputs.
 */
export class Secp256k1Signer implements QbftSigner {
  readonly publicKey: Uint8Array;
  private readonly privateKey: Uint8Array;

  constructor(privateKey: Uint8Array) {
    checkIdentityKey(privateKey);
    this.privateKey = Uint8Array.from(privateKey);
    this.publicKey = secp256k1.getPublicKey(this.privateKey, true);
  }

  sign(digest: Uint8Array): Uint8Array {
    return secp256k1.sign(digest, this.privateKey, { prehash: false, lowS: true, format: 'compact' });
  }
}

/**
 * Identity key signer on node:crypto (OpenSSL): the fallback where libsecp256k1 does not load.
 * Messages are signed natively through `signPreimage` (random nonce, low S); `sign` of a bare
 * digest, which OpenSSL cannot do, falls back to the deterministic JS signer. Both verify under
 * either verifier.
 */
export class NativeSecp256k1Signer implements QbftSigner {
  readonly publicKey: Uint8Array;
  private readonly privateKey: Uint8Array;
  private readonly keyObject: KeyObject;

  constructor(privateKey: Uint8Array) {
    checkIdentityKey(privateKey);
    this.privateKey = Uint8Array.from(privateKey);
    this.publicKey = secp256k1.getPublicKey(this.privateKey, true);
    this.keyObject = nativeSecp256k1PrivateKey(this.privateKey);
  }

  sign(digest: Uint8Array): Uint8Array {
    return secp256k1.sign(digest, this.privateKey, { prehash: false, lowS: true, format: 'compact' });
  }

  signPreimage(preimage: Uint8Array): Uint8Array {
    return nativeSecp256k1Sign(this.keyObject, preimage);
  }
}

/**
 * Identity key signer on libsecp256k1 (@dvt/common): the default where the binding loads, ≈ 6×
 * faster than OpenSSL. Deterministic (RFC 6979) low-S compact signatures, byte-equal to
 * `Secp256k1Signer`'s.
 */
export class Libsecp256k1Signer implements QbftSigner {
  readonly publicKey: Uint8Array;
  private readonly privateKey: Uint8Array;

  constructor(
    privateKey: Uint8Array,
    private readonly lib: Libsecp256k1 = requireLibsecp256k1(),
  ) {
    checkIdentityKey(privateKey);
    this.privateKey = Uint8Array.from(privateKey);
    this.publicKey = lib.publicKeyCreate(this.privateKey, true);
  }

  sign(digest: Uint8Array): Uint8Array {
    if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new QbftError('INVALID_KEY', 'a QBFT digest is 32 bytes');
    return this.lib.ecdsaSign(digest, this.privateKey).signature;
  }
}

function requireLibsecp256k1(): Libsecp256k1 {
  const lib = libsecp256k1();
  if (!lib) throw new QbftError('INVALID_KEY', 'libsecp256k1 is not available on this platform');
  return lib;
}

/** The default identity signer for QBFT messages: libsecp256k1, else OpenSSL. */
export function createQbftSigner(identityPrivateKey: Uint8Array): QbftSigner {
  const lib = libsecp256k1();
  return lib ? new Libsecp256k1Signer(identityPrivateKey, lib) : new NativeSecp256k1Signer(identityPrivateKey);
}

function nobleVerify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== QBFT_SIGNATURE_BYTES) return false;
  try {
    return secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true, format: 'compact' });
  } catch {
    return false;
  }
}

/** Verifies through libsecp256k1, which refuses high-S signatures as the JS verifier does. */
function libsecp256k1Verifier(lib: Libsecp256k1): QbftVerifier {
  return {
    verify(digest, signature, publicKey) {
      if (!(signature instanceof Uint8Array) || signature.length !== QBFT_SIGNATURE_BYTES) return false;
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== 33) return false;
      if (!(digest instanceof Uint8Array) || digest.length !== 32) return false;
      try {
        return lib.ecdsaVerify(signature, digest, publicKey);
      } catch {
        return false; // r or s out of range, or the key is not a curve point
      }
    },
  };
}

/** Digests in JavaScript, messages (`verifyPreimage`, what QbftInstance uses) through node:crypto. */
export const opensslSecp256k1Verifier: QbftVerifier = {
  verify: nobleVerify,
  verifyPreimage: nativeSecp256k1Verify,
};

const available = libsecp256k1();

/**
 * Verifies compact low-S secp256k1 signatures against 33-byte compressed public keys: through
 * libsecp256k1 where it loads, else `opensslSecp256k1Verifier`.
 */
export const secp256k1Verifier: QbftVerifier = available ? libsecp256k1Verifier(available) : opensslSecp256k1Verifier;

/** The same checks in JavaScript only (@noble/curves), for comparison and for runtimes without a native secp256k1. */
export const nobleSecp256k1Verifier: QbftVerifier = { verify: nobleVerify };

/** Throws INVALID_KEY unless `publicKey` is a 33-byte compressed point on secp256k1. */
export function assertSecp256k1PublicKey(publicKey: Uint8Array, field = 'public key'): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 33) {
    throw new QbftError('INVALID_KEY', `${field}: expected a 33-byte compressed secp256k1 key`);
  }
  try {
    secp256k1.Point.fromBytes(publicKey).assertValidity();
  } catch {
    throw new QbftError('INVALID_KEY', `${field}: not a point on secp256k1`);
  }
}

export function generateSecp256k1IdentityKey(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = secp256k1.utils.randomSecretKey();
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) };
}
