/**
 * BLS signatures, ciphersuite BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_ (Ethereum consensus):
 * public keys in G1 (48 bytes compressed), signatures in G2 (96 bytes compressed), secret keys 32 bytes big-endian.
 */
import { type BlstPublicKey, type BlstSecretKey, type BlstSignature, blst } from './backend.js';
import { TblsError } from './errors.js';
import { randomScalar, scalarToBytes } from './scalar.js';

export const SECRET_KEY_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 48;
export const SIGNATURE_LENGTH = 96;

function assertBytes(value: unknown, length: number, field: string, code: 'INVALID_SECRET_KEY' | 'INVALID_PUBLIC_KEY' | 'INVALID_SIGNATURE'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TblsError(code, `${field}: expected bytes, got ${typeof value}`);
  if (value.length !== length) throw new TblsError(code, `${field}: expected ${length} bytes, got ${value.length}`, { length: value.length });
}

/** The blst error code of a failed deserialisation, e.g. BLST_POINT_NOT_IN_GROUP. */
function blstReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : String((err as Error).message ?? err);
}

function describeBlstReason(reason: string, group: 'G1' | 'G2'): string {
  switch (reason) {
    case 'BLST_BAD_ENCODING':
      return 'bad encoding';
    case 'BLST_POINT_NOT_ON_CURVE':
      return 'point not on the curve';
    case 'BLST_POINT_NOT_IN_GROUP':
      return `point not in the ${group} subgroup`;
    default:
      return reason;
  }
}

export function parseSecretKey(bytes: Uint8Array, field = 'secretKey'): BlstSecretKey {
  assertBytes(bytes, SECRET_KEY_LENGTH, field, 'INVALID_SECRET_KEY');
  try {
    return blst.SecretKey.fromBytes(bytes);
  } catch {
    // blst rejects 0 and values ≥ r with the same generic error.
    throw new TblsError('INVALID_SECRET_KEY', `${field}: not a scalar in [1, r)`);
  }
}

/** Deserialises a compressed G1 public key with infinity and subgroup checks. */
export function parsePublicKey(bytes: Uint8Array, field = 'publicKey'): BlstPublicKey {
  assertBytes(bytes, PUBLIC_KEY_LENGTH, field, 'INVALID_PUBLIC_KEY');
  try {
    return blst.PublicKey.fromBytes(bytes, true);
  } catch (err) {
    const reason = blstReason(err);
    if (reason === 'BLST_PK_IS_INFINITY') throw new TblsError('INFINITY_POINT', `${field}: public key is the point at infinity`);
    throw new TblsError('INVALID_PUBLIC_KEY', `${field}: ${describeBlstReason(reason, 'G1')}`, { reason });
  }
}

const publicKeyCache = new Map<string, BlstPublicKey>();
const MAX_CACHED_PUBLIC_KEYS = 16_384;

/**
 * `parsePublicKey`, cached by the key's bytes: a DV key or public share is checked (subgroup,
 * infinity) once, not at every duty. Bad keys are not cached and throw as `parsePublicKey` does.
 */
export function parsePublicKeyCached(bytes: Uint8Array, field = 'publicKey'): BlstPublicKey {
  const id = bytes instanceof Uint8Array ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
  const hit = publicKeyCache.get(id);
  if (hit !== undefined) return hit;
  const parsed = parsePublicKey(bytes, field);
  if (publicKeyCache.size >= MAX_CACHED_PUBLIC_KEYS) publicKeyCache.clear();
  publicKeyCache.set(id, parsed);
  return parsed;
}

/** Deserialises a compressed G2 signature with infinity and subgroup checks. */
export function parseSignature(bytes: Uint8Array, field = 'signature'): BlstSignature {
  assertBytes(bytes, SIGNATURE_LENGTH, field, 'INVALID_SIGNATURE');
  try {
    return blst.Signature.fromBytes(bytes, true, true);
  } catch (err) {
    const reason = blstReason(err);
    if (reason === 'BLST_PK_IS_INFINITY') throw new TblsError('INFINITY_POINT', `${field}: signature is the point at infinity`);
    throw new TblsError('INVALID_SIGNATURE', `${field}: ${describeBlstReason(reason, 'G2')}`, { reason });
  }
}

function assertMessage(message: unknown): asserts message is Uint8Array {
  if (!(message instanceof Uint8Array)) throw new TblsError('INVALID_MESSAGE', `message: expected bytes, got ${typeof message}`);
}

export function assertSecretKey(bytes: Uint8Array, field = 'secretKey'): void {
  parseSecretKey(bytes, field);
}

/** Throws TblsError unless `bytes` is a compressed G1 point in the subgroup and not infinity. */
export function assertPublicKey(bytes: Uint8Array, field = 'publicKey'): void {
  parsePublicKey(bytes, field);
}

/** Throws TblsError unless `bytes` is a compressed G2 point in the subgroup and not infinity. */
export function assertSignature(bytes: Uint8Array, field = 'signature'): void {
  parseSignature(bytes, field);
}

/** A fresh secret key: uniform non-zero scalar from the OS CSPRNG. */
export function generateSecretKey(): Uint8Array {
  return scalarToBytes(randomScalar());
}

export function secretKeyToPublicKey(secretKey: Uint8Array): Uint8Array {
  return parseSecretKey(secretKey).toPublicKey().toBytes();
}

export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  assertMessage(message);
  return parseSecretKey(secretKey).sign(message).toBytes();
}

/**
 * True iff `signature` is valid for `message` under `publicKey`. A well-formed but wrong signature
 * gives false; malformed bytes, off-curve / out-of-subgroup points and infinity throw TblsError.
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  assertMessage(message);
  const pk = parsePublicKey(publicKey);
  const sig = parseSignature(signature);
  return blst.verify(message, pk, sig);
}

/** Same as `verify` for a partial signature against the public key share of its signer. */
export function verifyPartial(publicShare: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  assertMessage(message);
  const pk = parsePublicKey(publicShare, 'publicShare');
  const sig = parseSignature(signature);
  return blst.verify(message, pk, sig);
}

export interface SignatureSetBytes {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Verifies many (publicKey, message, signature) triples at once with a random linear combination
 * (one multi-pairing): true iff all are valid (with overwhelming probability). An empty list is
 * vacuously valid. Public keys are checked once per key (cached), signatures every time.
 * Malformed items throw TblsError naming the item.
 */
export function verifyBatch(items: readonly SignatureSetBytes[]): boolean {
  return verifyBatchFrom(items, 0);
}

function assertItems(items: unknown): asserts items is readonly SignatureSetBytes[] {
  if (!Array.isArray(items)) throw new TblsError('INVALID_ARGUMENT', `items: expected an array of signature sets, got ${typeof items}`);
}

function parseSet(item: SignatureSetBytes, field: string): { msg: Uint8Array; pk: BlstPublicKey; sig: BlstSignature } {
  if (item === null || typeof item !== 'object') throw new TblsError('INVALID_ARGUMENT', `${field}: expected { publicKey, message, signature }`);
  if (!(item.message instanceof Uint8Array)) throw new TblsError('INVALID_MESSAGE', `${field}.message: expected bytes, got ${typeof item.message}`);
  return { msg: item.message, pk: parsePublicKeyCached(item.publicKey, `${field}.publicKey`), sig: parseSignature(item.signature, `${field}.signature`) };
}

/** `verifyBatch` of a slice that starts at `items[offset]` of a caller's list: errors name the caller's index. */
export function verifyBatchFrom(items: readonly SignatureSetBytes[], offset: number): boolean {
  assertItems(items);
  if (items.length === 0) return true;
  const sets = items.map((item, i) => parseSet(item, `items[${offset + i}]`));
  if (sets.length === 1) return blst.verify(sets[0]!.msg, sets[0]!.pk, sets[0]!.sig);
  return blst.verifyMultipleAggregateSignatures(sets);
}

/**
 * `verify` of every item, one result each (a bad item does not hide the good ones, unlike
 * `verifyBatch`). Malformed items throw TblsError naming the item.
 */
export function verifyEach(items: readonly SignatureSetBytes[]): boolean[] {
  return verifyEachFrom(items, 0);
}

/** `verifyEach` of a slice that starts at `items[offset]` of a caller's list. */
export function verifyEachFrom(items: readonly SignatureSetBytes[], offset: number): boolean[] {
  assertItems(items);
  const sets = items.map((item, i) => parseSet(item, `items[${offset + i}]`));
  return sets.map((set) => blst.verify(set.msg, set.pk, set.sig));
}
