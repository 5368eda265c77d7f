/**
 * ECIES for the oracles' exit-signature shards, byte-compatible with Python `eciespy` and the
 * `eciesjs` 0.5 default config: secp256k1; ephemeral key uncompressed; key = HKDF-SHA256(ephemeral pk
 * (65) ‖ shared point (65), no salt, no info, 32 bytes); AES-256-GCM with a 16-byte nonce.
 * Output = ephemeral pk (65) ‖ nonce (16) ‖ tag (16) ‖ ciphertext.
 *
 * The cipher work is eciesjs's; this module adds key parsing (64/65/33-byte keys) and typed errors.
 * Compatibility is pinned by a vector produced with eciesjs 0.5 (ecies.spec.ts).
 */
import { decrypt as eciesjsDecrypt, encrypt as eciesjsEncrypt } from 'eciesjs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { concatBytes } from '@dvt/common';
import { TblsError } from './errors.js';

const EPHEMERAL_KEY_LENGTH = 65;
const NONCE_LENGTH = 16;
const TAG_LENGTH = 16;
/** Bytes ECIES adds to a plaintext: 65 + 16 + 16 (a 96-byte signature encrypts to 193 bytes). */
export const ECIES_OVERHEAD = EPHEMERAL_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH;

/** Accepts a secp256k1 public key as 64-byte raw (x ‖ y, Ethereum style), 65-byte uncompressed or 33-byte compressed. */
function parseEciesPublicKey(publicKey: Uint8Array, field = 'ECIES public key'): Uint8Array {
  if (!(publicKey instanceof Uint8Array)) throw new TblsError('ECIES_INVALID_KEY', `${field}: expected bytes, got ${typeof publicKey}`);
  let encoded = publicKey;
  if (publicKey.length === 64) encoded = concatBytes(Uint8Array.of(0x04), publicKey);
  else if (publicKey.length !== 65 && publicKey.length !== 33) {
    throw new TblsError('ECIES_INVALID_KEY', `${field}: expected 64, 65 or 33 bytes, got ${publicKey.length}`);
  }
  try {
    return secp256k1.Point.fromBytes(encoded).toBytes(false);
  } catch {
    throw new TblsError('ECIES_INVALID_KEY', `${field}: not a point on secp256k1`);
  }
}

function assertEciesPrivateKey(privateKey: Uint8Array): void {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !secp256k1.utils.isValidSecretKey(privateKey)) {
    throw new TblsError('ECIES_INVALID_KEY', 'ECIES private key: expected 32 bytes, a scalar in [1, n) of secp256k1');
  }
}

export function eciesEncrypt(publicKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const receiver = parseEciesPublicKey(publicKey);
  if (!(plaintext instanceof Uint8Array)) throw new TblsError('ECIES_INVALID_KEY', 'ECIES plaintext: expected bytes');
  return new Uint8Array(eciesjsEncrypt(receiver, plaintext));
}

/** Throws ECIES_INVALID_KEY for a bad private key; ECIES_DECRYPT_FAILED for a truncated ciphertext, a bad ephemeral key or failed authentication (wrong key, tampering). */
export function eciesDecrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  assertEciesPrivateKey(privateKey);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < ECIES_OVERHEAD) {
    throw new TblsError('ECIES_DECRYPT_FAILED', `ECIES ciphertext: expected at least ${ECIES_OVERHEAD} bytes`);
  }
  try {
    secp256k1.Point.fromBytes(ciphertext.subarray(0, EPHEMERAL_KEY_LENGTH));
  } catch {
    throw new TblsError('ECIES_DECRYPT_FAILED', 'ECIES ciphertext: the ephemeral public key is not an uncompressed secp256k1 point');
  }
  try {
    return new Uint8Array(eciesjsDecrypt(privateKey, ciphertext));
  } catch {
    throw new TblsError('ECIES_DECRYPT_FAILED', 'ECIES decryption failed: wrong key or corrupted ciphertext (authentication tag mismatch)');
  }
}

export interface EciesKeyPair {
  privateKey: Uint8Array;
  /** 65-byte uncompressed */
  publicKey: Uint8Array;
}

export function generateEciesKeyPair(): EciesKeyPair {
  const privateKey = secp256k1.utils.randomSecretKey();
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, false) };
}

/** The 65-byte uncompressed secp256k1 public key of a 32-byte private key. */
export function eciesPublicKey(privateKey: Uint8Array): Uint8Array {
  assertEciesPrivateKey(privateKey);
  return secp256k1.getPublicKey(privateKey, false);
}
