/**
 * EIP-2335 (version 4) BLS keystores: scrypt or PBKDF2-HMAC-SHA256 key derivation, AES-128-CTR,
 * SHA-256 checksum. Key derivation runs on node:crypto's thread pool, so it never blocks the event loop.
 */
import { createCipheriv, createHash, pbkdf2, randomBytes, randomUUID, scrypt } from 'node:crypto';
import { bytesToBareHex, equalBytes } from '@dvt/common';
import { parseSecretKey, secretKeyToPublicKey } from './bls.js';
import { TblsError } from './errors.js';

export interface ScryptKdfParams {
  dklen: number;
  n: number;
  r: number;
  p: number;
  salt: string;
}
export interface Pbkdf2KdfParams {
  dklen: number;
  c: number;
  prf: 'hmac-sha256';
  salt: string;
}
export type KeystoreKdf = { function: 'scrypt'; params: ScryptKdfParams; message: '' } | { function: 'pbkdf2'; params: Pbkdf2KdfParams; message: '' };

/** EIP-2335 keystore JSON. Byte fields are hex without 0x. */
export interface Keystore {
  version: 4;
  uuid: string;
  description?: string;
  /** EIP-2334 derivation path; "" for keys not derived from a seed (e.g. threshold shares) */
  path: string;
  /** the public key (48 bytes hex); "" when unknown */
  pubkey: string;
  crypto: {
    kdf: KeystoreKdf;
    checksum: { function: 'sha256'; params: Record<string, never>; message: string };
    cipher: { function: 'aes-128-ctr'; params: { iv: string }; message: string };
  };
}

export interface EncryptKeystoreOptions {
  kdf?: 'scrypt' | 'pbkdf2';
  path?: string;
  description?: string;
  /** cheap KDF parameters (scrypt n = 2^10, pbkdf2 c = 2^10): tests only, never for real keys */
  fastKdfForTests?: boolean;
}

const SCRYPT_DEFAULT = { n: 262144, r: 8, p: 1 };
const PBKDF2_DEFAULT_C = 262144;
const FAST_COST = 1024;
// Bounds on KDF cost accepted when decrypting, so a hostile file cannot exhaust memory or CPU.
const MAX_SCRYPT_MEMORY = 2 * 1024 * 1024 * 1024;
const MAX_PBKDF2_C = 1 << 24;

/** EIP-2335 password normalisation: NFKD, then drop C0 (0x00–0x1F), DEL and C1 (0x80–0x9F) control codes. */
export function normalizeKeystorePassword(password: string): Uint8Array {
  if (typeof password !== 'string') throw new TblsError('KEYSTORE_INVALID', 'keystore password must be a string');
  // eslint-disable-next-line no-control-regex
  const stripped = password.normalize('NFKD').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return new Uint8Array(Buffer.from(stripped, 'utf8'));
}

function deriveKey(password: Uint8Array, kdf: KeystoreKdf): Promise<Uint8Array> {
  const salt = Buffer.from(kdf.params.salt, 'hex');
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, key: Buffer) => (err ? reject(err) : resolve(new Uint8Array(key)));
    if (kdf.function === 'scrypt') {
      const { n, r, p, dklen } = kdf.params;
      scrypt(password, salt, dklen, { N: n, r, p, maxmem: 256 * n * r * p + 1024 * 1024 }, done);
    } else {
      pbkdf2(password, salt, kdf.params.c, kdf.params.dklen, 'sha256', done);
    }
  });
}

function checksum(decryptionKey: Uint8Array, cipherMessage: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(decryptionKey.subarray(16, 32)).update(cipherMessage).digest());
}

function aes128Ctr(decryptionKey: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-128-ctr', decryptionKey.subarray(0, 16), iv);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

export async function encryptKeystore(secretKey: Uint8Array, password: string, opts: EncryptKeystoreOptions = {}): Promise<Keystore> {
  parseSecretKey(secretKey);
  if (opts.kdf !== undefined && opts.kdf !== 'scrypt' && opts.kdf !== 'pbkdf2') {
    throw new TblsError('KEYSTORE_INVALID', `unsupported kdf ${String(opts.kdf)}: use scrypt or pbkdf2`);
  }
  const salt = bytesToBareHex(randomBytes(32));
  const cost = opts.fastKdfForTests ? FAST_COST : undefined;
  const kdf: KeystoreKdf =
    (opts.kdf ?? 'scrypt') === 'scrypt'
      ? { function: 'scrypt', params: { dklen: 32, n: cost ?? SCRYPT_DEFAULT.n, r: SCRYPT_DEFAULT.r, p: SCRYPT_DEFAULT.p, salt }, message: '' }
      : { function: 'pbkdf2', params: { dklen: 32, c: cost ?? PBKDF2_DEFAULT_C, prf: 'hmac-sha256', salt }, message: '' };
  const decryptionKey = await deriveKey(normalizeKeystorePassword(password), kdf);
  const iv = randomBytes(16);
  const cipherMessage = aes128Ctr(decryptionKey, iv, secretKey);
  const keystore: Keystore = {
    version: 4,
    uuid: randomUUID(),
    path: opts.path ?? '',
    pubkey: bytesToBareHex(secretKeyToPublicKey(secretKey)),
    crypto: {
      kdf,
      checksum: { function: 'sha256', params: {}, message: bytesToBareHex(checksum(decryptionKey, cipherMessage)) },
      cipher: { function: 'aes-128-ctr', params: { iv: bytesToBareHex(iv) }, message: bytesToBareHex(cipherMessage) },
    },
  };
  decryptionKey.fill(0);
  if (opts.description !== undefined) keystore.description = opts.description;
  return keystore;
}

/** Decrypts an EIP-2335 keystore (object or JSON text) to its 32-byte secret key. */
export async function decryptKeystore(keystore: unknown, password: string): Promise<Uint8Array> {
  const ks = parseKeystore(keystore);
  const decryptionKey = await deriveKey(normalizeKeystorePassword(password), ks.crypto.kdf);
  const cipherMessage = Buffer.from(ks.crypto.cipher.message, 'hex');
  if (!equalBytes(checksum(decryptionKey, cipherMessage), Buffer.from(ks.crypto.checksum.message, 'hex'))) {
    throw new TblsError('KEYSTORE_WRONG_PASSWORD', 'keystore checksum mismatch: wrong password (or the ciphertext is corrupted)', {
      uuid: ks.uuid,
    });
  }
  const secretKey = aes128Ctr(decryptionKey, Buffer.from(ks.crypto.cipher.params.iv, 'hex'), cipherMessage);
  decryptionKey.fill(0);
  if (secretKey.length !== 32) throw new TblsError('KEYSTORE_INVALID', `keystore holds ${secretKey.length} bytes, not a 32-byte BLS secret key`);
  try {
    parseSecretKey(secretKey);
  } catch {
    throw new TblsError('KEYSTORE_INVALID', 'keystore does not hold a valid BLS secret key', { uuid: ks.uuid });
  }
  if (ks.pubkey !== '' && bytesToBareHex(secretKeyToPublicKey(secretKey)) !== ks.pubkey.toLowerCase()) {
    throw new TblsError('KEYSTORE_INVALID', 'keystore pubkey does not match the decrypted secret key', { uuid: ks.uuid, pubkey: ks.pubkey });
  }
  return secretKey;
}

const HEX = /^[0-9a-fA-F]*$/;

function invalid(message: string): TblsError {
  return new TblsError('KEYSTORE_INVALID', `invalid keystore: ${message}`);
}
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function hexField(v: unknown, field: string, bytes?: number): string {
  if (typeof v !== 'string' || !HEX.test(v) || v.length % 2 !== 0) throw invalid(`${field} must be hex without 0x`);
  if (bytes !== undefined && v.length !== bytes * 2) throw invalid(`${field} must be ${bytes} bytes, got ${v.length / 2}`);
  return v;
}
function positiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw invalid(`${field} must be a positive integer`);
  return v;
}

/** Validates the EIP-2335 v4 shape (object or JSON text) and returns it typed. Throws KEYSTORE_INVALID. */
export function parseKeystore(json: unknown): Keystore {
  let obj = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json);
    } catch (err) {
      throw invalid(`not JSON (${(err as Error).message})`);
    }
  }
  if (!isObject(obj)) throw invalid('expected a JSON object');
  if (obj.version !== 4) throw invalid(`version must be 4, got ${String(obj.version)}`);
  if (typeof obj.uuid !== 'string') throw invalid('uuid must be a string');
  if (typeof obj.path !== 'string') throw invalid('path must be a string');
  if (obj.description !== undefined && typeof obj.description !== 'string') throw invalid('description must be a string');
  const pubkey = obj.pubkey === undefined || obj.pubkey === '' ? '' : hexField(obj.pubkey, 'pubkey', 48);
  const crypto = obj.crypto;
  if (!isObject(crypto) || !isObject(crypto.kdf) || !isObject(crypto.checksum) || !isObject(crypto.cipher)) {
    throw invalid('crypto.kdf, crypto.checksum and crypto.cipher are required');
  }
  const { kdf: kdfIn, checksum: checksumIn, cipher: cipherIn } = crypto;
  if (!isObject(kdfIn.params)) throw invalid('crypto.kdf.params is required');
  const kp = kdfIn.params;
  const dklen = positiveInt(kp.dklen, 'crypto.kdf.params.dklen');
  if (dklen < 32) throw invalid('crypto.kdf.params.dklen must be at least 32');
  const salt = hexField(kp.salt, 'crypto.kdf.params.salt');
  let kdf: KeystoreKdf;
  if (kdfIn.function === 'scrypt') {
    const n = positiveInt(kp.n, 'crypto.kdf.params.n');
    const r = positiveInt(kp.r, 'crypto.kdf.params.r');
    const p = positiveInt(kp.p, 'crypto.kdf.params.p');
    if (n < 2 || (n & (n - 1)) !== 0) throw invalid('crypto.kdf.params.n must be a power of two');
    if (128 * n * r * p > MAX_SCRYPT_MEMORY) throw invalid('scrypt parameters need more than 2 GiB of memory');
    kdf = { function: 'scrypt', params: { dklen, n, r, p, salt }, message: '' };
  } else if (kdfIn.function === 'pbkdf2') {
    if (kp.prf !== 'hmac-sha256') throw invalid('crypto.kdf.params.prf must be hmac-sha256');
    const c = positiveInt(kp.c, 'crypto.kdf.params.c');
    if (c > MAX_PBKDF2_C) throw invalid(`crypto.kdf.params.c above ${MAX_PBKDF2_C}`);
    kdf = { function: 'pbkdf2', params: { dklen, c, prf: 'hmac-sha256', salt }, message: '' };
  } else {
    throw invalid(`unsupported kdf ${String(kdfIn.function)}`);
  }
  if (checksumIn.function !== 'sha256') throw invalid('crypto.checksum.function must be sha256');
  const checksumMessage = hexField(checksumIn.message, 'crypto.checksum.message', 32);
  if (cipherIn.function !== 'aes-128-ctr') throw invalid('crypto.cipher.function must be aes-128-ctr');
  if (!isObject(cipherIn.params)) throw invalid('crypto.cipher.params is required');
  const iv = hexField(cipherIn.params.iv, 'crypto.cipher.params.iv', 16);
  const cipherMessage = hexField(cipherIn.message, 'crypto.cipher.message');
  if (cipherMessage.length === 0) throw invalid('crypto.cipher.message is empty');
  const keystore: Keystore = {
    version: 4,
    uuid: obj.uuid,
    path: obj.path,
    pubkey,
    crypto: {
      kdf,
      checksum: { function: 'sha256', params: {}, message: checksumMessage },
      cipher: { function: 'aes-128-ctr', params: { iv }, message: cipherMessage },
    },
  };
  if (obj.description !== undefined) keystore.description = obj.description;
  return keystore;
}
