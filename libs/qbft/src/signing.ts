import { createHash } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { encodeQbftMessage } from './codec.js';
import { QbftError } from './errors.js';
import { QBFT_SIGNATURE_BYTES, type QbftMessage, type SignedQbftMessage } from './types.js';

/** Separates QBFT signatures from anything else the identity key signs (ENRs, cluster locks). */
const QBFT_SIGNING_DOMAIN = new TextEncoder().encode('dvt/qbft/v1/message');

/** Signs 32-byte digests with this node's identity key. */
export interface QbftSigner {
  /** the key peers know this node by (33-byte compressed secp256k1 for the real signer) */
  readonly publicKey: Uint8Array;
  sign(digest: Uint8Array): Uint8Array;
}

/** Checks a peer's signature over a digest; must return false (not throw) for any bad input. */
export interface QbftVerifier {
  verify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

/** sha256(domain ‖ canonical message encoding): what gets signed. */
export function qbftMessageDigest(message: QbftMessage): Uint8Array {
  return new Uint8Array(createHash('sha256').update(QBFT_SIGNING_DOMAIN).update(encodeQbftMessage(message)).digest());
}

export function signQbftMessage(message: QbftMessage, signer: QbftSigner): SignedQbftMessage {
  const signature = signer.sign(qbftMessageDigest(message));
  if (signature.length !== QBFT_SIGNATURE_BYTES) {
    throw new QbftError('INVALID_KEY', `signer produced ${signature.length} bytes instead of ${QBFT_SIGNATURE_BYTES}`);
  }
  return { message, signature };
}

/** Identity key signer: 32-byte secp256k1 private key, deterministic low-S compact signatures. */
export class Secp256k1Signer implements QbftSigner {
  readonly publicKey: Uint8Array;
  private readonly privateKey: Uint8Array;

  constructor(privateKey: Uint8Array) {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !secp256k1.utils.isValidSecretKey(privateKey)) {
      throw new QbftError('INVALID_KEY', 'identity private key must be 32 bytes and a valid secp256k1 scalar');
    }
    this.privateKey = Uint8Array.from(privateKey);
    this.publicKey = secp256k1.getPublicKey(this.privateKey, true);
  }

  sign(digest: Uint8Array): Uint8Array {
    return secp256k1.sign(digest, this.privateKey, { prehash: false, lowS: true, format: 'compact' });
  }
}

/** Verifies compact low-S secp256k1 signatures against 33-byte compressed public keys. */
export const secp256k1Verifier: QbftVerifier = {
  verify(digest, signature, publicKey) {
    if (signature.length !== QBFT_SIGNATURE_BYTES) return false;
    try {
      return secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true, format: 'compact' });
    } catch {
      return false;
    }
  },
};

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
