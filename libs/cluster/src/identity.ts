/**
 * Node identities: secp256k1 keys (what Charon calls the ENR private key), their Ethereum Node
 * Records (EIP-778, "v4" identity scheme) and signatures over the lock hash.
 */
import { bytesToBareHex, bytesToHex, equalBytes, hexToBytes } from '@dvt/common';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { decodeRlp, encodeRlp, getBytes, keccak256 } from 'ethers';
import { ClusterError } from './errors.js';

export const IDENTITY_KEY_LENGTH = 32;
/** r ‖ s ‖ v (v = recovery id 0/1), like Ethereum and Charon node signatures. */
export const NODE_SIGNATURE_LENGTH = 65;

const ENR_PREFIX = 'enr:';
const MAX_ENR_BYTES = 300; // EIP-778 limit

export function generateIdentityKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey();
}

function assertIdentityKey(key: Uint8Array, field: string): void {
  if (!(key instanceof Uint8Array) || key.length !== IDENTITY_KEY_LENGTH || !secp256k1.utils.isValidSecretKey(key)) {
    throw new ClusterError('IDENTITY_INVALID', `${field}: not a secp256k1 private key (32 bytes, in [1, n))`);
  }
}

/** Compressed (33-byte) secp256k1 public key of an identity key. */
export function identityPublicKey(identityKey: Uint8Array): Uint8Array {
  assertIdentityKey(identityKey, 'identity key');
  return secp256k1.getPublicKey(identityKey, true);
}

/** The identity key file body: 64 hex digits without 0x (Charon's `charon-enr-private-key`). */
export function formatIdentityKeyFile(identityKey: Uint8Array): string {
  assertIdentityKey(identityKey, 'identity key');
  return bytesToBareHex(identityKey);
}

export function parseIdentityKeyFile(text: string, source = 'identity key file'): Uint8Array {
  const body = text.trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(body)) {
    throw new ClusterError('IDENTITY_INVALID', `${source}: expected 64 hex digits (a secp256k1 private key)`);
  }
  const key = hexToBytes(body, source, IDENTITY_KEY_LENGTH);
  assertIdentityKey(key, source);
  return key;
}

export interface Enr {
  seq: bigint;
  /** compressed secp256k1 public key */
  publicKey: Uint8Array;
  /** every key/value pair of the record, values as 0x hex */
  pairs: Record<string, string>;
}

function signRecordContent(content: string, identityKey: Uint8Array): Uint8Array {
  const digest = getBytes(keccak256(content));
  return secp256k1.sign(digest, identityKey, { prehash: false, format: 'compact' });
}

function seqToHex(seq: bigint): string {
  if (seq === 0n) return '0x';
  const hex = seq.toString(16);
  return '0x' + (hex.length % 2 ? '0' + hex : hex);
}

/** A signed ENR holding only the identity (`id` = v4, `secp256k1`), as Charon writes for cluster operators. */
export function encodeEnr(identityKey: Uint8Array, seq = 1n): string {
  const publicKey = identityPublicKey(identityKey);
  const pairs: [string, string][] = [
    ['id', bytesToHex(new TextEncoder().encode('v4'))],
    ['secp256k1', bytesToHex(publicKey)],
  ];
  const flat = pairs.flatMap(([k, v]) => [bytesToHex(new TextEncoder().encode(k)), v]);
  const content = encodeRlp([seqToHex(seq), ...flat]);
  const signature = signRecordContent(content, identityKey);
  const record = getBytes(encodeRlp([bytesToHex(signature), seqToHex(seq), ...flat]));
  return ENR_PREFIX + Buffer.from(record).toString('base64url');
}

function enrError(message: string, enr: string): ClusterError {
  return new ClusterError('IDENTITY_INVALID', `ENR ${enr.length > 40 ? enr.slice(0, 40) + '…' : enr}: ${message}`);
}

/** Decodes an ENR text record and checks its v4 signature. */
export function parseEnr(enr: string): Enr {
  if (typeof enr !== 'string' || !enr.startsWith(ENR_PREFIX)) throw enrError('must start with "enr:"', String(enr));
  const body = enr.slice(ENR_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw enrError('not base64url', enr);
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.length > MAX_ENR_BYTES) throw enrError(`longer than ${MAX_ENR_BYTES} bytes`, enr);
  let items: unknown;
  try {
    items = decodeRlp(bytes);
  } catch {
    throw enrError('not RLP', enr);
  }
  if (!Array.isArray(items) || items.length < 2 || items.length % 2 !== 0 || !items.every((i) => typeof i === 'string')) {
    throw enrError('expected an RLP list [signature, seq, key, value, ...]', enr);
  }
  const [signatureHex, seqHex, ...flat] = items as string[];
  const pairs: Record<string, string> = {};
  let previousKey = '';
  for (let i = 0; i < flat.length; i += 2) {
    const key = Buffer.from(getBytes(flat[i]!)).toString('utf8');
    if (i > 0 && key <= previousKey) throw enrError('keys must be sorted and unique', enr);
    previousKey = key;
    pairs[key] = flat[i + 1]!;
  }
  const id = pairs['id'] === undefined ? '' : Buffer.from(getBytes(pairs['id'])).toString('utf8');
  if (id !== 'v4') throw enrError(`identity scheme "${id}" is not supported (only v4)`, enr);
  const publicKeyHex = pairs['secp256k1'];
  if (publicKeyHex === undefined) throw enrError('has no secp256k1 key', enr);
  const publicKey = getBytes(publicKeyHex);
  let valid = false;
  try {
    const signature = getBytes(signatureHex!);
    const content = encodeRlp([seqHex!, ...flat]);
    valid = signature.length === 64 && secp256k1.verify(signature, getBytes(keccak256(content)), publicKey, { prehash: false });
  } catch {
    valid = false;
  }
  if (!valid) throw enrError('signature does not verify', enr);
  const seqBytes = getBytes(seqHex!);
  const seq = seqBytes.length === 0 ? 0n : BigInt(bytesToHex(seqBytes));
  return { seq, publicKey, pairs };
}

/** Signs a 32-byte digest (the lock hash) with an identity key: r ‖ s ‖ v. */
export function signDigest(identityKey: Uint8Array, digest: Uint8Array): Uint8Array {
  assertIdentityKey(identityKey, 'identity key');
  if (digest.length !== 32) throw new ClusterError('IDENTITY_INVALID', `digest must be 32 bytes, got ${digest.length}`);
  const recovered = secp256k1.sign(digest, identityKey, { prehash: false, format: 'recovered' });
  // noble puts the recovery id first; the wire format puts it last
  const out = new Uint8Array(NODE_SIGNATURE_LENGTH);
  out.set(recovered.subarray(1), 0);
  out[64] = recovered[0]!;
  return out;
}

/** True iff `signature` (r ‖ s ‖ v, or r ‖ s) over `digest` was made by the key of `publicKey`. */
export function verifyDigestSignature(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  if (digest.length !== 32 || (signature.length !== 65 && signature.length !== 64)) return false;
  try {
    const compact = signature.subarray(0, 64);
    if (!secp256k1.verify(compact, digest, publicKey, { prehash: false, lowS: false })) return false;
    if (signature.length === 65) {
      const v = signature[64]! >= 27 ? signature[64]! - 27 : signature[64]!;
      if (v > 1) return false;
      const withRecovery = new Uint8Array(65);
      withRecovery[0] = v;
      withRecovery.set(compact, 1);
      const recovered = secp256k1.recoverPublicKey(withRecovery, digest, { prehash: false });
      return equalBytes(recovered, secp256k1.Point.fromBytes(publicKey).toBytes(true));
    }
    return true;
  } catch {
    return false;
  }
}
