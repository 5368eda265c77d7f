/**
 * secp256k1 ECDSA through node:crypto (OpenSSL), several times faster than the JS implementation.
 * OpenSSL signs and verifies messages, never bare digests, so this path takes the digest's
 * preimage and lets OpenSSL apply sha256: the signature is the same ECDSA over sha256(preimage)
 * that `@noble/curves` produces and checks with `prehash: false` over the digest, so both
 * implementations verify each other's signatures.
 *
 * Signatures are normalised to low S (as the JS verifier requires) and the verifier refuses
 * high-S ones, so a signature has one accepted form. OpenSSL 3.0 draws the nonce at random
 * (no RFC 6979), so native signatures of one message differ from call to call; all are valid.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { QbftError } from './errors.js';

const CURVE_ORDER = secp256k1.Point.CURVE().n;
const HALF_ORDER = CURVE_ORDER >> 1n;
const SCALAR_BYTES = 32;
const SIGNATURE_BYTES = 2 * SCALAR_BYTES;
/** distinct peer keys kept as KeyObjects; a cluster has a handful, a test run a few hundred */
const PUBLIC_KEY_CACHE_LIMIT = 4096;

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

function scalar(bytes: Uint8Array, offset: number): bigint {
  return BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset + offset, SCALAR_BYTES).toString('hex'));
}

/** Affine coordinates of a 33-byte compressed key; throws if it is not a curve point. */
function coordinates(compressedPublicKey: Uint8Array): { x: string; y: string } {
  if (compressedPublicKey.length !== 33) throw new Error('expected a 33-byte compressed key');
  const uncompressed = secp256k1.Point.fromBytes(compressedPublicKey).toBytes(false);
  return { x: base64url(uncompressed.subarray(1, 33)), y: base64url(uncompressed.subarray(33, 65)) };
}

/** An OpenSSL private key object for a valid 32-byte secp256k1 scalar (checked by the caller). */
export function nativeSecp256k1PrivateKey(privateKey: Uint8Array): KeyObject {
  const { x, y } = coordinates(secp256k1.getPublicKey(privateKey, true));
  try {
    return createPrivateKey({ key: { kty: 'EC', crv: 'secp256k1', x, y, d: base64url(privateKey) }, format: 'jwk' });
  } catch (error) {
    throw new QbftError('INVALID_KEY', `node:crypto refused the identity key: ${(error as Error).message}`);
  }
}

const publicKeys = new Map<string, KeyObject | null>();

/** The cached KeyObject of a compressed public key; null for bytes that are not a curve point. */
function publicKeyObject(compressedPublicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(compressedPublicKey.buffer, compressedPublicKey.byteOffset, compressedPublicKey.byteLength).toString('hex');
  const cached = publicKeys.get(id);
  if (cached !== undefined) return cached;
  let key: KeyObject | null;
  try {
    key = createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', ...coordinates(compressedPublicKey) }, format: 'jwk' });
  } catch {
    key = null;
  }
  if (publicKeys.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeys.delete(publicKeys.keys().next().value!);
  publicKeys.set(id, key);
  return key;
}

/** 64-byte r ‖ s signature over sha256(preimage), low S. */
export function nativeSecp256k1Sign(privateKey: KeyObject, preimage: Uint8Array): Uint8Array {
  const signature = new Uint8Array(sign('sha256', preimage, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  const s = scalar(signature, SCALAR_BYTES);
  if (s > HALF_ORDER) {
    signature.set(Buffer.from((CURVE_ORDER - s).toString(16).padStart(2 * SCALAR_BYTES, '0'), 'hex'), SCALAR_BYTES);
  }
  return signature;
}

/** True only for a 64-byte low-S r ‖ s signature over sha256(preimage) by the compressed key; never throws. */
export function nativeSecp256k1Verify(preimage: Uint8Array, signature: Uint8Array, compressedPublicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
  if (!(compressedPublicKey instanceof Uint8Array) || compressedPublicKey.length !== 33) return false;
  const r = scalar(signature, 0);
  const s = scalar(signature, SCALAR_BYTES);
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s > HALF_ORDER) return false;
  const key = publicKeyObject(compressedPublicKey);
  if (!key) return false;
  try {
    return verify('sha256', preimage, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
