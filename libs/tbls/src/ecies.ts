/**
 * ECIES for the oracles' exit-signature shards, byte-compatible with Python `eciespy` and the
 * `eciesjs` 0.5 default config: secp256k1; ephemeral key uncompressed; key = HKDF-SHA256(ephemeral pk
 * (65) ‖ shared point (65), no salt, no info, 32 bytes); AES-256-GCM with a 16-byte nonce.
 * Output = ephemeral pk (65) ‖ nonce (16) ‖ tag (16) ‖ ciphertext.
 *
 * Implemented here rather than through eciesjs (≈ 13 ms per call: pure-JS curve and cipher): the
 * point multiplications on libsecp256k1 (@dvt/common, ≈ 60 µs each) where it loads, else on
 * @noble/curves 2 with precomputed tables; HKDF and AES-GCM from node:crypto. Receiver keys are
 * parsed once and kept in a small LRU cache; on the JS path a key used often gets its own table
 * (the relayer encrypts to the same few oracles all day). Interoperability is pinned both ways
 * against eciesjs in ecies.spec.ts.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { type Libsecp256k1, concatBytes, libsecp256k1 } from '@dvt/common';
import { TblsError } from './errors.js';

type Secp256k1Point = WeierstrassPoint<bigint>;
const { Point } = secp256k1;

const EPHEMERAL_KEY_LENGTH = 65;
const NONCE_LENGTH = 16;
const TAG_LENGTH = 16;
const AES_KEY_LENGTH = 32;
/** Bytes ECIES adds to a plaintext: 65 + 16 + 16 (a 96-byte signature encrypts to 193 bytes). */
export const ECIES_OVERHEAD = EPHEMERAL_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH;

/**
 * wNAF window of the cached tables. Measured here (µs per constant-time multiply + encoding, best of
 * 40 runs / table build ms / heap): w=6 363 / 77 / 0.5 MB, w=8 282 / 60–100 / 0.6 MB,
 * w=10 250 / 350 / 2.1 MB, w=12 244 / 1000 / 7.1 MB. 8 is the knee.
 */
const TABLE_WINDOW = 8;
/** Distinct receiver keys kept parsed (≤ 0.6 MB each once tabled): an oracle set is ~11 keys. */
const RECEIVER_CACHE_SIZE = 16;
/**
 * Encryptions to one key before it gets a table: building one costs about as much as 40–60
 * table-less encryptions (≈ 100 ms vs ≈ 2 ms), so one-off receivers never pay for it.
 */
const USES_BEFORE_TABLE = 16;

// A private copy of the generator, so the wider table does not change noble's process-wide BASE; built on first use of the JS path.
let generator: Secp256k1Point | undefined;
const generatorTable = (): Secp256k1Point => (generator ??= Point.fromAffine(Point.BASE.toAffine()).precompute(TABLE_WINDOW));
const NO_BYTES = new Uint8Array(0);
const native: Libsecp256k1 | null = libsecp256k1();

/** 65-byte uncompressed public key of a valid 32-byte secret. */
function publicKeyOf(secret: Uint8Array): Uint8Array {
  return native ? native.publicKeyCreate(secret, false) : generatorTable().multiply(Point.Fn.fromBytes(secret)).toBytes(false);
}

/** 65-byte uncompressed secret · receiver, for a valid 32-byte secret. */
function sharedPointOf(receiver: CachedReceiver, secret: Uint8Array): Uint8Array {
  return native ? native.publicKeyTweakMul(receiver.uncompressed, secret, false) : receiver.point.multiply(Point.Fn.fromBytes(secret)).toBytes(false);
}

interface CachedReceiver {
  point: Secp256k1Point;
  /** 65-byte uncompressed form, for libsecp256k1 */
  uncompressed: Uint8Array;
  uses: number;
}
const receivers = new Map<string, CachedReceiver>();

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function invalidKey(message: string): TblsError {
  return new TblsError('ECIES_INVALID_KEY', message);
}

/** Accepts a secp256k1 public key as 64-byte raw (x ‖ y, Ethereum style), 65-byte uncompressed or 33-byte compressed. */
function receiverKey(publicKey: Uint8Array, field: string, forEncryption: boolean): CachedReceiver {
  if (!(publicKey instanceof Uint8Array)) throw invalidKey(`${field}: expected bytes, got ${typeof publicKey}`);
  if (publicKey.length !== 64 && publicKey.length !== 65 && publicKey.length !== 33) {
    throw invalidKey(`${field}: expected 64, 65 or 33 bytes, got ${publicKey.length}`);
  }
  // 64-byte raw and 0x04-prefixed keys share one cache entry.
  const raw = publicKey.length === 65 && publicKey[0] === 0x04 ? publicKey.subarray(1) : publicKey;
  const cacheKey = hexOf(raw);
  const cached = receivers.get(cacheKey);
  if (cached !== undefined) {
    receivers.delete(cacheKey);
    receivers.set(cacheKey, cached);
    if (forEncryption && ++cached.uses === USES_BEFORE_TABLE && !native) cached.point.precompute(TABLE_WINDOW);
    return cached;
  }
  let point: Secp256k1Point;
  try {
    point = Point.fromBytes(raw.length === 64 ? concatBytes(Uint8Array.of(0x04), raw) : raw);
  } catch {
    throw invalidKey(`${field}: not a point on secp256k1`);
  }
  const receiver = { point, uncompressed: point.toBytes(false), uses: forEncryption ? 1 : 0 };
  receivers.set(cacheKey, receiver);
  if (receivers.size > RECEIVER_CACHE_SIZE) receivers.delete(receivers.keys().next().value!);
  return receiver;
}

/** Throws ECIES_INVALID_KEY unless `publicKey` is a secp256k1 point as 64-byte raw, 65-byte uncompressed or 33-byte compressed. */
export function assertEciesPublicKey(publicKey: Uint8Array, field = 'ECIES public key'): void {
  receiverKey(publicKey, field, false);
}

function secretScalar(privateKey: Uint8Array): bigint {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !secp256k1.utils.isValidSecretKey(privateKey)) {
    throw invalidKey('ECIES private key: expected 32 bytes, a scalar in [1, n) of secp256k1');
  }
  return Point.Fn.fromBytes(privateKey);
}

function deriveAesKey(ephemeralPublicKey: Uint8Array, sharedPoint: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', concatBytes(ephemeralPublicKey, sharedPoint), NO_BYTES, NO_BYTES, AES_KEY_LENGTH));
}

/** Encrypts to a receiver key given as 64-byte raw, 65-byte uncompressed or 33-byte compressed. Throws ECIES_INVALID_KEY. */
export function eciesEncrypt(publicKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return eciesEncryptEach([publicKey], [plaintext])[0]!;
}

/**
 * Encrypts plaintexts[i] to publicKeys[i], one eciesjs-compatible ciphertext each, with one ephemeral
 * key for the whole batch: each receiver's AES key comes from its own shared point (e·P_i) and each
 * ciphertext has its own random nonce, so a receiver learns nothing of the others' plaintexts
 * (randomness reuse across distinct receivers is safe for DH-based hybrid encryption), and a batch
 * costs one ephemeral-key multiplication instead of one per receiver. Throws ECIES_INVALID_KEY.
 */
export function eciesEncryptEach(publicKeys: readonly Uint8Array[], plaintexts: readonly Uint8Array[]): Uint8Array[] {
  if (!Array.isArray(publicKeys) || !Array.isArray(plaintexts) || publicKeys.length !== plaintexts.length) {
    throw invalidKey('ECIES: expected as many public keys as plaintexts');
  }
  const receivers = publicKeys.map((key, i) => receiverKey(key, publicKeys.length === 1 ? 'ECIES public key' : `ECIES public key [${i}]`, true));
  if (!plaintexts.every((p) => p instanceof Uint8Array)) throw invalidKey('ECIES plaintext: expected bytes');
  if (receivers.length === 0) return [];
  const ephemeralSecret = secp256k1.utils.randomSecretKey();
  const ephemeralPublicKey = publicKeyOf(ephemeralSecret);
  return receivers.map((receiver, i) => {
    const plaintext = plaintexts[i]!;
    const sharedPoint = sharedPointOf(receiver, ephemeralSecret);
    const nonce = randomBytes(NONCE_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', deriveAesKey(ephemeralPublicKey, sharedPoint), nonce, { authTagLength: TAG_LENGTH });
    const body = cipher.update(plaintext);
    const last = cipher.final();
    const out = new Uint8Array(ECIES_OVERHEAD + plaintext.length);
    out.set(ephemeralPublicKey, 0);
    out.set(nonce, EPHEMERAL_KEY_LENGTH);
    out.set(cipher.getAuthTag(), EPHEMERAL_KEY_LENGTH + NONCE_LENGTH);
    out.set(body, ECIES_OVERHEAD);
    out.set(last, ECIES_OVERHEAD + body.length);
    return out;
  });
}

/** Throws ECIES_INVALID_KEY for a bad private key; ECIES_DECRYPT_FAILED for a truncated ciphertext, a bad ephemeral key or failed authentication (wrong key, tampering). */
export function eciesDecrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const secret = secretScalar(privateKey);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < ECIES_OVERHEAD) {
    throw new TblsError('ECIES_DECRYPT_FAILED', `ECIES ciphertext: expected at least ${ECIES_OVERHEAD} bytes`);
  }
  const ephemeralPublicKey = ciphertext.subarray(0, EPHEMERAL_KEY_LENGTH);
  let sharedPoint: Uint8Array;
  try {
    if (ephemeralPublicKey[0] !== 0x04) throw new Error('not uncompressed');
    sharedPoint = native ? native.publicKeyTweakMul(ephemeralPublicKey, privateKey, false) : Point.fromBytes(ephemeralPublicKey).multiply(secret).toBytes(false);
  } catch {
    throw new TblsError('ECIES_DECRYPT_FAILED', 'ECIES ciphertext: the ephemeral public key is not an uncompressed secp256k1 point');
  }
  const nonce = ciphertext.subarray(EPHEMERAL_KEY_LENGTH, EPHEMERAL_KEY_LENGTH + NONCE_LENGTH);
  const tag = ciphertext.subarray(EPHEMERAL_KEY_LENGTH + NONCE_LENGTH, ECIES_OVERHEAD);
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveAesKey(ephemeralPublicKey, sharedPoint), nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(tag);
    const body = decipher.update(ciphertext.subarray(ECIES_OVERHEAD));
    const last = decipher.final();
    return concatBytes(body, last);
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
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** The 65-byte uncompressed secp256k1 public key of a 32-byte private key. */
export function eciesPublicKey(privateKey: Uint8Array): Uint8Array {
  secretScalar(privateKey); // ECIES_INVALID_KEY for a bad key
  return publicKeyOf(privateKey);
}
