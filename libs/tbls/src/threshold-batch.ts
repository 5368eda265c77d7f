/**
 * Batch threshold recovery + verification, for a duty that rebuilds many validators' signatures at once
 * (e.g. one attester duty of 1,000 DVs, each from t partials of the same share indexes).
 *
 * Per DV, σ = Σ λᵢ·σᵢ with λ the Lagrange coefficients at 0 of the share indexes. For the index sets
 * of a small cluster λᵢ = aᵢ/d with small integers aᵢ, d ({1,2,3} → 3, −3, 1; {1,2,4} → (8, −6, 1)/3),
 * so σ is ONE native blst sum over the partials repeated |aᵢ| times, negative terms decoded from the
 * compressed bytes with the sign bit flipped (−P has the same x), then, if d ≠ 1, one herumi scalar
 * multiplication by d⁻¹ (blst has none). Partials are decoded without the G2 subgroup check: only the
 * rebuilt signature matters, and it is verified with subgroup and infinity checks under the group
 * key (random-weight batch per message, one pairing each, then one by one to isolate failures).
 * Other index sets fall back to `recoverSignature`. The plan of an index set is computed once.
 */
import { type BlstPublicKey, type BlstSignature, blst, herumi } from './backend.js';
import { type SignatureSetBytes, parsePublicKeyCached, parseSignature } from './bls.js';
import { TblsError } from './errors.js';
import { CURVE_ORDER, invert, rationalLagrangeAtZero, scalarToBytes } from './scalar.js';
import { type SignatureShare, assertShareIndex, recoverSignature } from './threshold.js';

export interface ThresholdBatchItem {
  /** the group (validator) public key the rebuilt signature must verify under */
  publicKey: Uint8Array;
  /** the signed message (signing root) */
  message: Uint8Array;
  /** exactly the shares to combine: distinct indexes, all of them used */
  shares: readonly SignatureShare[];
}

export type ThresholdBatchResult = { ok: true; signature: Uint8Array } | { ok: false; error: TblsError };

/** Largest Σ|aᵢ| combined by repetition in one native call (beyond it `recoverSignature`). */
const MAX_REPEATED_TERMS = 64;
const MAX_DENOMINATOR = 1n << 16n;
const G2_COMPRESSED_FLAG = 0x80;
const G2_INFINITY_FLAG = 0x40;
const G2_SIGN_FLAG = 0x20;

type HerumiSecretKey = InstanceType<typeof herumi.SecretKey>;
/** herumi's G2 scalar multiplication: in its wasm module, not on the typed Signature class */
const herumiInternals = herumi as unknown as { mod?: { _blsSignatureMul?: unknown } };
const signatureMul = herumiInternals.mod?._blsSignatureMul;

interface Plan {
  /** position of each term in the shares list, and whether it is negated */
  readonly terms: readonly { readonly position: number; readonly negate: boolean }[];
  /** d⁻¹ as a herumi scalar when d ≠ 1 */
  readonly inverse: HerumiSecretKey | null;
}
const plans = new Map<string, Plan | null>();

const abs = (v: bigint) => (v < 0n ? -v : v);

function planFor(indexes: readonly number[]): Plan | null {
  const key = indexes.join(',');
  const cached = plans.get(key);
  if (cached !== undefined) return cached;
  const { numerators, denominator } = rationalLagrangeAtZero(indexes);
  let plan: Plan | null = null;
  const total = numerators.reduce((sum, a) => sum + abs(a), 0n);
  const scalable = denominator === 1n || (typeof signatureMul === 'function' && denominator <= MAX_DENOMINATOR && denominator % CURVE_ORDER !== 0n);
  if (total <= BigInt(MAX_REPEATED_TERMS) && scalable) {
    const terms: { position: number; negate: boolean }[] = [];
    numerators.forEach((a, position) => {
      for (let k = 0n; k < abs(a); k++) terms.push({ position, negate: a < 0n });
    });
    let inverse: HerumiSecretKey | null = null;
    if (denominator !== 1n) {
      inverse = new herumi.SecretKey();
      inverse.deserialize(scalarToBytes(invert(denominator)));
    }
    plan = { terms, inverse };
  }
  if (plans.size >= 1024) plans.clear();
  plans.set(key, plan);
  return plan;
}

/** d⁻¹·P through herumi (P loaded uncompressed: no second decompression or order check). */
function scaleByInverse(point: BlstSignature, inverse: HerumiSecretKey): Uint8Array {
  const h = new herumi.Signature();
  h.deserializeUncompressed(point.toBytes(false));
  (h as unknown as { _update(func: unknown, rhs: unknown): void })._update(signatureMul, inverse);
  if (h.isZero()) throw new TblsError('INFINITY_POINT', 'rebuilt signature is the point at infinity (inconsistent shares)');
  return h.serialize();
}

function decodeTerm(bytes: Uint8Array, negate: boolean, field: string): BlstSignature {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 96 || (bytes[0]! & G2_COMPRESSED_FLAG) === 0 || (bytes[0]! & G2_INFINITY_FLAG) !== 0) {
    parseSignature(bytes, field); // throws the precise TblsError for malformed input
    throw new TblsError('INVALID_SIGNATURE', `${field}: expected a compressed, non-infinity G2 point`);
  }
  let encoded = bytes;
  if (negate) {
    encoded = bytes.slice();
    encoded[0]! ^= G2_SIGN_FLAG;
  }
  try {
    return blst.Signature.fromBytes(encoded, false, true);
  } catch (err) {
    throw new TblsError('INVALID_SIGNATURE', `${field}: not a G2 point (${(err as Error).message})`);
  }
}

function validateShares(shares: readonly SignatureShare[]): void {
  if (!Array.isArray(shares) || shares.length === 0) throw new TblsError('NOT_ENOUGH_SHARES', 'shares: expected a non-empty array');
  const seen = new Set<number>();
  shares.forEach((share, i) => {
    assertShareIndex(share?.index, `shares[${i}].index`);
    if (seen.has(share.index)) throw new TblsError('DUPLICATE_SHARE_INDEX', `shares: share index ${share.index} appears more than once`, { index: share.index });
    seen.add(share.index);
  });
}

/**
 * Lagrange interpolation at 0 of all `shares` (byte-identical to `recoverSignature`), NOT verified:
 * the shares are not subgroup-checked, so the result must be verified before use (as
 * `recoverAndVerifyBatch` does). Throws TblsError for malformed shares or an infinity result.
 */
export function recoverSignatureUnchecked(shares: readonly SignatureShare[]): Uint8Array {
  validateShares(shares);
  const plan = planFor(shares.map((s) => s.index));
  if (plan === null) return recoverSignature([...shares]);
  const positive: (BlstSignature | undefined)[] = [];
  const negative: (BlstSignature | undefined)[] = [];
  const terms = plan.terms.map(({ position, negate }) => {
    const cache = negate ? negative : positive;
    return (cache[position] ??= decodeTerm(shares[position]!.signature, negate, `shares[${position}].signature`));
  });
  const point = terms.length === 1 ? terms[0]! : blst.aggregateSignatures(terms, false);
  const sum = point.toBytes(true);
  if ((sum[0]! & G2_INFINITY_FLAG) !== 0) throw new TblsError('INFINITY_POINT', 'rebuilt signature is the point at infinity (inconsistent shares)');
  return plan.inverse === null ? sum : scaleByInverse(point, plan.inverse);
}

function verifyOne(message: Uint8Array, pk: BlstPublicKey, signature: Uint8Array): boolean {
  try {
    return blst.verify(message, pk, blst.Signature.fromBytes(signature, true, true));
  } catch {
    return false;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** One pairing per distinct message (random weights), the single-message rest in one multi-pairing batch; failures isolated. */
function verifyParsed(entries: readonly { message: Uint8Array; pk: BlstPublicKey; signature: Uint8Array }[]): boolean[] {
  const results = new Array<boolean>(entries.length).fill(false);
  const byMessage = new Map<string, number[]>();
  entries.forEach((entry, i) => {
    const key = hex(entry.message);
    const group = byMessage.get(key);
    if (group) group.push(i);
    else byMessage.set(key, [i]);
  });
  const isolate = (group: readonly number[]) => {
    for (const i of group) results[i] = verifyOne(entries[i]!.message, entries[i]!.pk, entries[i]!.signature);
  };
  const singles: number[] = [];
  for (const group of byMessage.values()) {
    if (group.length === 1) {
      singles.push(group[0]!);
      continue;
    }
    let ok = false;
    try {
      const agg = blst.aggregateWithRandomness(group.map((i) => ({ pk: entries[i]!.pk, sig: entries[i]!.signature })));
      ok = blst.verify(entries[group[0]!]!.message, agg.pk, agg.sig);
    } catch {
      ok = false; // a malformed or off-subgroup signature: found by the isolation below
    }
    if (ok) group.forEach((i) => (results[i] = true));
    else isolate(group);
  }
  if (singles.length === 1) isolate(singles);
  else if (singles.length > 1) {
    let ok = false;
    try {
      ok = blst.verifyMultipleAggregateSignatures(
        singles.map((i) => ({ msg: entries[i]!.message, pk: entries[i]!.pk, sig: blst.Signature.fromBytes(entries[i]!.signature, true, true) })),
      );
    } catch {
      ok = false;
    }
    if (ok) singles.forEach((i) => (results[i] = true));
    else isolate(singles);
  }
  return results;
}

/**
 * `verifySets` with the public keys' validation cached across calls (a cluster's public shares and DV
 * keys are checked once, not on every duty): one result per set, malformed items false, never throws
 * for an item.
 */
export function verifySetsCachedKeys(sets: readonly SignatureSetBytes[]): boolean[] {
  if (!Array.isArray(sets)) throw new TblsError('INVALID_ARGUMENT', `sets: expected an array, got ${typeof sets}`);
  const entries: { message: Uint8Array; pk: BlstPublicKey; signature: Uint8Array }[] = [];
  const positions: number[] = [];
  sets.forEach((set, i) => {
    if (set === null || typeof set !== 'object' || !(set.message instanceof Uint8Array) || !(set.signature instanceof Uint8Array)) return;
    try {
      entries.push({ message: set.message, pk: parsePublicKeyCached(set.publicKey, `sets[${i}].publicKey`), signature: set.signature });
      positions.push(i);
    } catch {
      // an invalid public key: false
    }
  });
  const results = new Array<boolean>(sets.length).fill(false);
  verifyParsed(entries).forEach((ok, k) => (results[positions[k]!] = ok));
  return results;
}

/**
 * Rebuilds each item's signature from its shares and returns it only if it verifies under the
 * item's public key over its message; one result per item, in order. Failures are results
 * (malformed shares, duplicate indexes, infinity, a signature that does not verify), never throws
 * for a bad item. Verification as `verifySetsCachedKeys`.
 */
export function recoverAndVerifyBatch(items: readonly ThresholdBatchItem[]): ThresholdBatchResult[] {
  if (!Array.isArray(items)) throw new TblsError('INVALID_ARGUMENT', `items: expected an array, got ${typeof items}`);
  const results: ThresholdBatchResult[] = new Array(items.length);
  const recovered: { i: number; message: Uint8Array; pk: BlstPublicKey; signature: Uint8Array }[] = [];
  items.forEach((item, i) => {
    try {
      if (item === null || typeof item !== 'object') throw new TblsError('INVALID_ARGUMENT', `items[${i}]: expected { publicKey, message, shares }`);
      if (!(item.message instanceof Uint8Array)) throw new TblsError('INVALID_MESSAGE', `items[${i}].message: expected bytes`);
      const pk = parsePublicKeyCached(item.publicKey, `items[${i}].publicKey`);
      recovered.push({ i, message: item.message, pk, signature: recoverSignatureUnchecked(item.shares) });
    } catch (err) {
      if (!(err instanceof TblsError)) throw err;
      results[i] = { ok: false, error: err };
    }
  });
  verifyParsed(recovered).forEach((ok, k) => {
    const { i, signature } = recovered[k]!;
    results[i] = ok ? { ok: true, signature } : { ok: false, error: new TblsError('NO_VALID_SUBSET', `items[${i}]: the rebuilt signature does not verify under the public key`) };
  });
  return results;
}
