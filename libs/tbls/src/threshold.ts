/**
 * Shamir sharing of BLS keys over Fr and Lagrange reconstruction at x = 0 in G1 / G2
 * (STAKEWISE.md §3). Share index = the x-coordinate: any distinct safe integer ≥ 1.
 * Scalar maths runs on bigint; point interpolation on herumi (see backend.ts for why).
 */
import { equalBytes } from '@dvt/common';
import { type BlstPublicKey, type BlstSignature, type HerumiId, type HerumiSignature, blst, herumi } from './backend.js';
import { parsePublicKey, parsePublicKeyCached, parseSecretKey, parseSignature } from './bls.js';
import { TblsError } from './errors.js';
import { CURVE_ORDER, bytesToScalar, evaluatePolynomial, lagrangeCoefficientsAtZero, mod, randomScalar, rationalLagrangeAtZero, scalarToBytes } from './scalar.js';

export interface SecretShare {
  index: number;
  secretKey: Uint8Array;
}
export interface PublicShare {
  index: number;
  publicKey: Uint8Array;
}
export interface SignatureShare {
  index: number;
  signature: Uint8Array;
}

/** Throws INVALID_SHARE_INDEX unless `index` is an integer in [1, 2^53 − 1]. */
export function assertShareIndex(index: unknown, field = 'index'): asserts index is number {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 1) {
    throw new TblsError('INVALID_SHARE_INDEX', `${field}: share index must be an integer in [1, 2^53 − 1], got ${String(index)}`, {
      index,
    });
  }
}

function assertDistinctIndexes(indexes: readonly number[], field: string): void {
  const seen = new Set<number>();
  indexes.forEach((index, i) => {
    assertShareIndex(index, `${field}[${i}].index`);
    if (seen.has(index)) throw new TblsError('DUPLICATE_SHARE_INDEX', `${field}: share index ${index} appears more than once`, { index });
    seen.add(index);
  });
}

function assertThreshold(threshold: unknown, max?: number): asserts threshold is number {
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 1 || (max !== undefined && threshold > max)) {
    const range = max === undefined ? '≥ 1' : `in [1, ${max}]`;
    throw new TblsError('THRESHOLD_OUT_OF_RANGE', `threshold must be an integer ${range}, got ${String(threshold)}`, { threshold, max });
  }
}

/** Validates indexes and the threshold, then returns the shares to interpolate over. */
function selectShares<T extends { index: number }>(shares: readonly T[], threshold: number | undefined, field: string): T[] {
  if (!Array.isArray(shares)) throw new TblsError('NOT_ENOUGH_SHARES', `${field}: expected an array of shares`);
  if (threshold !== undefined) assertThreshold(threshold);
  assertDistinctIndexes(shares.map((s) => s.index), field);
  const needed = threshold ?? 1;
  if (shares.length < needed) {
    throw new TblsError('NOT_ENOUGH_SHARES', `${field}: ${shares.length} share(s) given, threshold is ${needed}`, {
      given: shares.length,
      threshold: needed,
    });
  }
  return threshold === undefined ? [...shares] : shares.slice(0, threshold);
}

function herumiId(index: number): HerumiId {
  const id = new herumi.Id();
  id.setStr(String(index)); // decimal: indexes up to 2^53 − 1
  return id;
}

/** Loads a blst-validated point into herumi through the uncompressed encoding (no second decompression/order check). */
function toHerumiSignature(sig: BlstSignature): HerumiSignature {
  const h = new herumi.Signature();
  h.deserializeUncompressed(sig.toBytes(false));
  return h;
}

function toHerumiPublicKey(pk: BlstPublicKey): InstanceType<typeof herumi.PublicKey> {
  const h = new herumi.PublicKey();
  h.deserializeUncompressed(pk.toBytes(false));
  return h;
}

function interpolateSignatures(sigs: HerumiSignature[], ids: HerumiId[]): HerumiSignature {
  const out = new herumi.Signature();
  out.recover(sigs, ids);
  return out;
}

/** Largest |λ| the native fast path takes (double-and-add cost grows with log2 |λ|; herumi beyond). */
const SMALL_COEFFICIENT_LIMIT = 1n << 16n;
const smallCoefficientCache = new Map<string, bigint[] | null>();

/**
 * The Lagrange coefficients at 0 of `indexes` as signed integers when all are small (e.g. {1,2,3} →
 * (3, −3, 1), {2,3,4} → (6, −8, 3)), else null. λ mod r is read as the integer of least absolute value.
 */
export function smallLagrangeCoefficients(indexes: readonly number[]): bigint[] | null {
  const key = indexes.join(',');
  const cached = smallCoefficientCache.get(key);
  if (cached !== undefined) return cached;
  const weights = lagrangeCoefficientsAtZero(indexes.map((x) => BigInt(x)));
  const signed = weights.map((w) => (w <= SMALL_COEFFICIENT_LIMIT ? w : CURVE_ORDER - w <= SMALL_COEFFICIENT_LIMIT ? w - CURVE_ORDER : null));
  const result = signed.every((w) => w !== null) ? (signed as bigint[]) : null;
  if (smallCoefficientCache.size >= 1024) smallCoefficientCache.clear();
  smallCoefficientCache.set(key, result);
  return result;
}

/** Point addition and decoding of one blst group: G1 (public keys) or G2 (signatures). */
interface BlstGroup<P> {
  add(points: P[]): P;
  /** compressed encoding of a point already known to be in the group (no checks) */
  fromTrustedBytes(bytes: Uint8Array): P;
  toBytes(point: P): Uint8Array;
}

const G1: BlstGroup<BlstPublicKey> = {
  add: (points) => blst.aggregatePublicKeys(points, false),
  fromTrustedBytes: (bytes) => blst.PublicKey.fromBytes(bytes, false),
  toBytes: (point) => point.toBytes(true),
};

const G2: BlstGroup<BlstSignature> = {
  add: (points) => blst.aggregateSignatures(points, false),
  fromTrustedBytes: (bytes) => blst.Signature.fromBytes(bytes, false, false),
  toBytes: (point) => point.toBytes(true),
};

/** k·P for 1 ≤ k by double-and-add on blst point additions. */
function smallMultiple<P>(group: BlstGroup<P>, point: P, k: bigint): P {
  let acc: P | null = null;
  let base = point;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) acc = acc === null ? base : group.add([acc, base]);
    if (e > 1n) base = group.add([base, base]);
  }
  return acc!;
}

/** Compressed-encoding flags, the same in G1 and G2 (ZCash serialisation). */
const INFINITY_FLAG = 0x40;
const SIGN_FLAG = 0x20;

/** Multiples up to this are summed as repeated terms of one addition call; larger ones by double-and-add. */
const REPEAT_LIMIT = 32;

/**
 * Σ λᵢ·Pᵢ for small signed integers λᵢ, compressed; null at infinity. Negation = flip the compressed
 * sign bit. Each side is one native addition call over repeated terms: few short-lived native points
 * (their memory is invisible to V8's GC, so churn shows up as RSS).
 */
function combineSmall<P>(group: BlstGroup<P>, points: readonly P[], weights: readonly bigint[]): Uint8Array | null {
  const [positive, negative] = weightedTerms(group, points, weights);
  const terms: P[] = positive.length > 0 ? [sumOf(group, positive)] : [];
  if (negative.length > 0) {
    const neg = group.toBytes(sumOf(group, negative));
    if ((neg[0]! & INFINITY_FLAG) === 0) {
      neg[0]! ^= SIGN_FLAG;
      terms.push(group.fromTrustedBytes(neg));
    }
  }
  if (terms.length === 0) return null;
  const out = group.toBytes(sumOf(group, terms));
  return (out[0]! & INFINITY_FLAG) !== 0 ? null : out;
}

/** The terms of Σ λᵢ·Pᵢ with λᵢ > 0 and those of Σ |λᵢ|·Pᵢ with λᵢ < 0: small multiples as repeated terms. */
function weightedTerms<P>(group: BlstGroup<P>, points: readonly P[], weights: readonly bigint[]): [P[], P[]] {
  const positive: P[] = [];
  const negative: P[] = [];
  points.forEach((point, i) => {
    const w = weights[i]!;
    const side = w > 0n ? positive : negative;
    const k = w > 0n ? w : -w;
    if (k === 0n) return;
    if (k <= BigInt(REPEAT_LIMIT)) for (let c = 0; c < Number(k); c++) side.push(point);
    else side.push(smallMultiple(group, point, k));
  });
  return [positive, negative];
}

function sumOf<P>(group: BlstGroup<P>, terms: P[]): P {
  return terms.length === 1 ? terms[0]! : group.add(terms);
}

/**
 * Lagrange interpolation at 0 of the given signature shares (all of them, or the first `threshold`).
 * Index sets whose coefficients are small integers take a native blst path (additions + negation,
 * byte-identical to herumi's interpolation); other sets go through herumi.
 */
export function recoverSignature(shares: SignatureShare[], threshold?: number): Uint8Array {
  const used = selectShares(shares, threshold, 'shares');
  const parsed = used.map((s, i) => parseSignature(s.signature, `shares[${i}].signature`));
  const small = smallLagrangeCoefficients(used.map((s) => s.index));
  if (small !== null) {
    const out = combineSmall(G2, parsed, small);
    if (out === null) throw new TblsError('INFINITY_POINT', 'rebuilt signature is the point at infinity (inconsistent shares)');
    return out;
  }
  return recoverSignatureHerumi(used, parsed);
}

/** The herumi interpolation (reference path; the fast path must match it byte for byte). */
export function recoverSignatureHerumi(used: readonly SignatureShare[], parsed?: readonly BlstSignature[]): Uint8Array {
  const sigs = (parsed ?? used.map((s, i) => parseSignature(s.signature, `shares[${i}].signature`))).map(toHerumiSignature);
  const rebuilt = interpolateSignatures(sigs, used.map((s) => herumiId(s.index)));
  if (rebuilt.isZero()) throw new TblsError('INFINITY_POINT', 'rebuilt signature is the point at infinity (inconsistent shares)');
  return rebuilt.serialize();
}

/**
 * Lagrange interpolation at 0 of public key shares: the group (validator) public key. Shares are
 * checked once per key (cached); small coefficients take the native blst path, others herumi.
 */
export function recoverPublicKey(shares: PublicShare[], threshold?: number): Uint8Array {
  const used = selectShares(shares, threshold, 'shares');
  const parsed = used.map((s, i) => parsePublicKeyCached(s.publicKey, `shares[${i}].publicKey`));
  const small = smallLagrangeCoefficients(used.map((s) => s.index));
  if (small !== null) {
    const out = combineSmall(G1, parsed, small);
    if (out === null) throw new TblsError('INFINITY_POINT', 'rebuilt public key is the point at infinity (inconsistent shares)');
    return out;
  }
  return recoverPublicKeyHerumi(used, parsed);
}

/** The herumi interpolation of public key shares (reference path; the fast path must match it byte for byte). */
export function recoverPublicKeyHerumi(used: readonly PublicShare[], parsed?: readonly BlstPublicKey[]): Uint8Array {
  const pks = (parsed ?? used.map((s, i) => parsePublicKeyCached(s.publicKey, `shares[${i}].publicKey`))).map(toHerumiPublicKey);
  const rebuilt = new herumi.PublicKey();
  rebuilt.recover(pks, used.map((s) => herumiId(s.index)));
  if (rebuilt.isZero()) throw new TblsError('INFINITY_POINT', 'rebuilt public key is the point at infinity (inconsistent shares)');
  return rebuilt.serialize();
}

/** Integer weights (a₁…aₜ, −D) with Σ aᵢ·Pᵢ − D·P(0) = 0, λᵢ = aᵢ/D; null when any is large. */
function scaledLagrangeWeights(indexes: readonly number[]): bigint[] | null {
  const { numerators, denominator } = rationalLagrangeAtZero(indexes);
  const weights = [...numerators, -denominator];
  return weights.every((w) => w <= SMALL_COEFFICIENT_LIMIT && -w <= SMALL_COEFFICIENT_LIMIT) ? weights : null;
}

/**
 * Checks that public key shares lie on one polynomial of degree threshold − 1 whose value at 0 is
 * `publicKey`: the first t − 1 shares and (0, publicKey) fix the polynomial, and each further share
 * j must interpolate with them to `publicKey`. Returns the position in `shares` of the first share
 * that does not, or −1. Each key is decoded and checked once (malformed: TblsError naming the
 * share's index). Natively, without dividing: with D the λᵢ's common denominator,
 * Σ (D·λᵢ)·Pᵢ = D·PK iff Σ λᵢ·Pᵢ = PK (prime-order group, 0 < D < r); herumi for large weights.
 */
export function firstShareOffPolynomial(publicKey: Uint8Array, shares: readonly PublicShare[], threshold: number): number {
  assertThreshold(threshold, Array.isArray(shares) ? shares.length : undefined);
  const used = selectShares(shares, undefined, 'shares');
  // one-off checks (a lock or key file loaded once, a share set sent once): not cached
  const groupKey = parsePublicKey(publicKey, 'publicKey');
  const parsed = used.map((s) => parsePublicKey(s.publicKey, `public key share ${s.index}`));
  const base = used.slice(0, threshold - 1);
  for (let j = threshold - 1; j < used.length; j++) {
    const subset = [...base, used[j]!];
    const points = [...parsed.slice(0, threshold - 1), parsed[j]!];
    const weights = scaledLagrangeWeights(subset.map((s) => s.index));
    let onPolynomial: boolean;
    if (weights !== null) {
      // Σ over positive weights = Σ over negative ones: two native sums, nothing else allocated
      const [positive, negative] = weightedTerms(G1, [...points, groupKey], weights);
      onPolynomial = equalBytes(G1.toBytes(sumOf(G1, positive)), G1.toBytes(sumOf(G1, negative)));
    } else {
      try {
        onPolynomial = equalBytes(recoverPublicKeyHerumi(subset, points), groupKey.toBytes(true));
      } catch (err) {
        if (!(err instanceof TblsError && err.code === 'INFINITY_POINT')) throw err;
        onPolynomial = false;
      }
    }
    if (!onPolynomial) return j;
  }
  return -1;
}

/** Lagrange interpolation at 0 of secret key shares: the group secret key. */
export function recoverSecretKey(shares: SecretShare[], threshold?: number): Uint8Array {
  const used = selectShares(shares, threshold, 'shares');
  const values = used.map((s, i) => {
    parseSecretKey(s.secretKey, `shares[${i}].secretKey`);
    return bytesToScalar(s.secretKey);
  });
  const weights = lagrangeCoefficientsAtZero(used.map((s) => BigInt(s.index)));
  const secret = values.reduce((acc, v, i) => mod(acc + v * weights[i]!), 0n);
  if (secret === 0n) throw new TblsError('INVALID_SECRET_KEY', 'rebuilt secret key is zero (inconsistent shares)');
  return scalarToBytes(secret);
}

/**
 * Splits `secretKey` with a fresh random polynomial of degree threshold − 1 (CSPRNG coefficients)
 * and evaluates it at each index. Returns the secret shares, their public keys and the group public key.
 */
export function splitSecret(
  secretKey: Uint8Array,
  threshold: number,
  indexes: number[],
): { shares: SecretShare[]; publicShares: PublicShare[]; publicKey: Uint8Array } {
  const master = parseSecretKey(secretKey);
  if (!Array.isArray(indexes) || indexes.length === 0) throw new TblsError('NOT_ENOUGH_SHARES', 'indexes: at least one share index is required');
  assertDistinctIndexes(indexes, 'indexes');
  assertThreshold(threshold, indexes.length);
  const coefficients = [bytesToScalar(secretKey)];
  for (let k = 1; k < threshold; k++) coefficients.push(randomScalar());
  const shares: SecretShare[] = [];
  const publicShares: PublicShare[] = [];
  for (const index of indexes) {
    const value = evaluatePolynomial(coefficients, BigInt(index));
    // A zero share (probability ~2^-255) cannot be a BLS key: start over with another polynomial.
    if (value === 0n) return splitSecret(secretKey, threshold, indexes);
    const shareKey = scalarToBytes(value);
    shares.push({ index, secretKey: shareKey });
    publicShares.push({ index, publicKey: blst.SecretKey.fromBytes(shareKey).toPublicKey().toBytes() });
  }
  return { shares, publicShares, publicKey: master.toPublicKey().toBytes() };
}

export interface RecoverVerifiedArgs {
  /** the group (validator) public key the rebuilt signature must verify against */
  publicKey: Uint8Array;
  message: Uint8Array;
  shares: SignatureShare[];
  threshold: number;
  /** public key shares by index: lets a failed rebuild pinpoint bad partials directly */
  publicShares?: PublicShare[];
  /**
   * cap on the t-subsets tried when searching without public shares (default 2048: exhaustive for
   * clusters up to 13). Each try costs about t × 0.6 ms + 1 ms of CPU on the calling thread.
   */
  maxSubsets?: number;
}

export interface RecoverVerifiedResult {
  signature: Uint8Array;
  /** the shares the signature was rebuilt from, in the order they were combined */
  usedIndexes: number[];
  /** shares found or presumed bad: malformed, failing their public key share, or left out by the subset search */
  excludedIndexes: number[];
}

interface Candidate {
  index: number;
  id: HerumiId;
  sig: HerumiSignature;
}

/**
 * The usual case of `recoverVerifiedSignature`, cheaply: the first t shares decoded without their
 * own subgroup checks, combined natively (small Lagrange coefficients), and the result verified
 * with the subgroup check — a valid signature however it was combined. Undefined when the index set
 * has no small coefficients, a share does not decode, or the result does not verify: the careful
 * path then runs and finds out which share is bad.
 */
function quickRecover(message: Uint8Array, groupKey: BlstPublicKey, first: readonly SignatureShare[]): Uint8Array | undefined {
  const weights = smallLagrangeCoefficients(first.map((s) => s.index));
  if (weights === null) return undefined;
  let sigs: BlstSignature[];
  try {
    sigs = first.map((s) => blst.Signature.fromBytes(s.signature, false, true));
  } catch {
    return undefined;
  }
  const rebuilt = combineSmall(G2, sigs, weights);
  if (rebuilt === null) return undefined;
  return blst.verify(message, groupKey, blst.Signature.fromBytes(rebuilt, false, true), false, true) ? rebuilt : undefined;
}

/**
 * Rebuilds a signature from partial signatures and returns it only if it verifies under `publicKey`.
 * Malformed shares (bad encoding, infinity, off-subgroup) are excluded, not fatal. The first
 * `threshold` good shares are tried first; if that fails, with `publicShares` each partial is
 * verified directly and bad ones dropped, otherwise t-subsets are searched, fewest exclusions first.
 * Throws NOT_ENOUGH_SHARES (fewer than t usable shares) or NO_VALID_SUBSET.
 */
export function recoverVerifiedSignature(args: RecoverVerifiedArgs): RecoverVerifiedResult {
  const { message, shares, threshold, publicShares } = args;
  if (!(message instanceof Uint8Array)) throw new TblsError('INVALID_MESSAGE', 'message: expected bytes');
  assertThreshold(threshold);
  selectShares(shares, threshold, 'shares');
  const groupKey = parsePublicKeyCached(args.publicKey, 'publicKey');
  const shareKeys = new Map<number, BlstPublicKey>();
  if (publicShares !== undefined) {
    assertDistinctIndexes(publicShares.map((s) => s.index), 'publicShares');
    publicShares.forEach((s, i) => shareKeys.set(s.index, parsePublicKeyCached(s.publicKey, `publicShares[${i}].publicKey`)));
  }
  const firstShares = shares.slice(0, threshold);
  const quick = quickRecover(message, groupKey, firstShares);
  if (quick) return { signature: quick, usedIndexes: firstShares.map((s) => s.index), excludedIndexes: [] };

  const excluded: number[] = [];
  const candidates: Candidate[] = [];
  const blstSigs = new Map<number, BlstSignature>();
  for (const share of shares) {
    let sig: BlstSignature;
    try {
      sig = parseSignature(share.signature, `share ${share.index}`);
    } catch (err) {
      if (err instanceof TblsError) {
        excluded.push(share.index);
        continue;
      }
      throw err;
    }
    blstSigs.set(share.index, sig);
    candidates.push({ index: share.index, id: herumiId(share.index), sig: toHerumiSignature(sig) });
  }
  const notEnough = (usable: number): TblsError =>
    new TblsError('NOT_ENOUGH_SHARES', `only ${usable} usable share(s), threshold is ${threshold}`, {
      usable,
      threshold,
      excludedIndexes: [...excluded],
    });
  if (candidates.length < threshold) throw notEnough(candidates.length);

  const tried = new Set<string>();
  const attempt = (subset: Candidate[]): Uint8Array | undefined => {
    tried.add(subset.map((c) => c.index).join(','));
    const rebuilt = interpolateSignatures(subset.map((c) => c.sig), subset.map((c) => c.id));
    if (rebuilt.isZero()) return undefined;
    const bytes = rebuilt.serialize();
    return blst.verify(message, groupKey, blst.Signature.fromBytes(bytes)) ? bytes : undefined;
  };
  const success = (subset: Candidate[], signature: Uint8Array, extraExcluded: number[] = []): RecoverVerifiedResult => ({
    signature,
    usedIndexes: subset.map((c) => c.index),
    excludedIndexes: [...excluded, ...extraExcluded],
  });

  const first = candidates.slice(0, threshold);
  const direct = attempt(first);
  if (direct) return success(first, direct);

  let pool = candidates;
  if (shareKeys.size > 0) {
    const verified: Candidate[] = [];
    const unknown: Candidate[] = [];
    for (const c of candidates) {
      const key = shareKeys.get(c.index);
      if (key === undefined) unknown.push(c);
      else if (blst.verify(message, key, blstSigs.get(c.index)!)) verified.push(c);
      else excluded.push(c.index);
    }
    pool = [...verified, ...unknown];
    if (pool.length < threshold) throw notEnough(pool.length);
    if (unknown.length === 0 || verified.length >= threshold) {
      const subset = pool.slice(0, threshold);
      const signature = tried.has(subset.map((c) => c.index).join(',')) ? undefined : attempt(subset);
      if (signature) return success(subset, signature);
    }
  }

  const maxSubsets = args.maxSubsets ?? 2048;
  let attempts = 0;
  for (const { subset, skipped } of subsetsByFewestExclusions(pool, threshold)) {
    if (tried.has(subset.map((c) => c.index).join(','))) continue;
    if (++attempts > maxSubsets) break;
    const signature = attempt(subset);
    if (signature) return success(subset, signature, skipped.map((c) => c.index));
  }
  throw new TblsError(
    'NO_VALID_SUBSET',
    `no ${threshold}-subset of the ${pool.length} usable share(s) rebuilds a signature valid under the public key` +
      (attempts > maxSubsets ? ` (gave up after ${maxSubsets} subsets)` : ''),
    { threshold, usable: pool.map((c) => c.index), excludedIndexes: [...excluded], subsetsTried: tried.size },
  );
}

/**
 * Every `size`-subset of `items` exactly once, ordered by how many items before the subset's last
 * element it skips (0, 1, 2, …). A subset skipping k items is the first `size` items of
 * items[0 .. size+k) minus a k-subset R of items[0 .. size+k−1).
 */
export function* subsetsByFewestExclusions<T>(items: readonly T[], size: number): Generator<{ subset: T[]; skipped: T[] }> {
  for (let k = 0; size + k <= items.length; k++) {
    const prefix = size + k - 1;
    for (const removed of combinations(prefix, k)) {
      const removedSet = new Set(removed);
      const subset: T[] = [];
      for (let p = 0; p < prefix; p++) if (!removedSet.has(p)) subset.push(items[p]!);
      subset.push(items[prefix]!);
      yield { subset, skipped: removed.map((p) => items[p]!) };
    }
  }
}

/** k-combinations of 0..n−1 in lexicographic order. */
function* combinations(n: number, k: number): Generator<number[]> {
  const c = Array.from({ length: k }, (_, i) => i);
  if (k > n) return;
  for (;;) {
    yield [...c];
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i]!++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1]! + 1;
  }
}

export interface ReshareArgs {
  /** the validator public key */
  publicKey: Uint8Array;
  /** the full signature of `message` under `publicKey` */
  signature: Uint8Array;
  message: Uint8Array;
  threshold: number;
  count: number;
  /** skip the check that `signature` verifies (the caller has just verified it); default false */
  alreadyVerified?: boolean;
}

/**
 * Re-shares a full signature to `count` holders with threshold `threshold` (STAKEWISE.md §3):
 * a fresh CSPRNG polynomial c of degree threshold − 1 with c(0) = 0; shard x (x = 1..count) is
 * P(x) = pk + c(x)·G1 and S(x) = σ + c(x)·H(m). c(x)·H(m) is the signature of m under the scalar
 * c(x) and c(x)·G1 its public key, so blst (no scalar multiplication API) does the point work.
 * Returned arrays are in x order (index i ↔ x = i + 1).
 */
export function reshareSignature(args: ReshareArgs): { publicKeyShards: Uint8Array[]; signatureShards: Uint8Array[] } {
  const { message, threshold, count } = args;
  if (!(message instanceof Uint8Array)) throw new TblsError('INVALID_MESSAGE', 'message: expected bytes');
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    throw new TblsError('THRESHOLD_OUT_OF_RANGE', `count must be a positive integer, got ${String(count)}`, { count });
  }
  assertThreshold(threshold, count);
  const pk = parsePublicKeyCached(args.publicKey, 'publicKey');
  const sig = parseSignature(args.signature, 'signature');
  if (!args.alreadyVerified && !blst.verify(message, pk, sig)) {
    throw new TblsError('INVALID_SIGNATURE', 'signature does not verify under publicKey for this message: refusing to re-share it');
  }
  return reshareShards(pk, sig, message, threshold, count, reshareMethodFor(threshold, count));
}

/** One blst sign + key derivation costs about as much as this many point additions (G1 + G2 pair): ≈ 0.42 ms vs ≈ 10 µs. */
const ADDITION_PAIRS_PER_SIGN = 40;

export type ReshareMethod = 'per-shard' | 'differences';

/**
 * 'per-shard' costs `count` signs; 'differences' costs threshold − 1 signs plus count·(threshold − 1)
 * addition pairs. The second wins when few shards are needed per sign saved (e.g. 11 oracles, t = 8).
 */
export function reshareMethodFor(threshold: number, count: number): ReshareMethod {
  const signsSaved = count - (threshold - 1);
  return count * (threshold - 1) < signsSaved * ADDITION_PAIRS_PER_SIGN ? 'differences' : 'per-shard';
}

/** The shard computation behind `reshareSignature` (inputs already validated). */
export function reshareShards(
  pk: BlstPublicKey,
  sig: BlstSignature,
  message: Uint8Array,
  threshold: number,
  count: number,
  method: ReshareMethod,
): { publicKeyShards: Uint8Array[]; signatureShards: Uint8Array[] } {
  const publicKeyShards: Uint8Array[] = [];
  const signatureShards: Uint8Array[] = [];
  if (method === 'per-shard') {
    // Coefficient 0 is zero: the constant term (pk, σ) is added as a point.
    const coefficients = [0n];
    for (let k = 1; k < threshold; k++) coefficients.push(randomScalar());
    for (let x = 1; x <= count; x++) {
      const c = evaluatePolynomial(coefficients, BigInt(x));
      if (c === 0n) {
        publicKeyShards.push(pk.toBytes());
        signatureShards.push(sig.toBytes());
        continue;
      }
      const offset = blst.SecretKey.fromBytes(scalarToBytes(c));
      publicKeyShards.push(blst.aggregatePublicKeys([pk, offset.toPublicKey()]).toBytes());
      signatureShards.push(blst.aggregateSignatures([sig, offset.sign(message)]).toBytes());
    }
    return { publicKeyShards, signatureShards };
  }
  // Forward differences of c at 0: Δ^j c(0), j = 1..t−1, are a bijective (triangular, diagonal j!)
  // linear image of a_1..a_{t−1}, so drawing them uniformly is drawing c uniformly. Then
  // diffs[j] = Δ^j S(x) and one step x → x + 1 is diffs[j] += diffs[j + 1] for ascending j.
  const sigDiffs: BlstSignature[] = [sig];
  const pkDiffs: BlstPublicKey[] = [pk];
  for (let j = 1; j < threshold; j++) {
    const difference = blst.SecretKey.fromBytes(scalarToBytes(randomScalar()));
    sigDiffs.push(difference.sign(message));
    pkDiffs.push(difference.toPublicKey());
  }
  for (let x = 1; x <= count; x++) {
    for (let j = 0; j < threshold - 1; j++) {
      sigDiffs[j] = blst.aggregateSignatures([sigDiffs[j]!, sigDiffs[j + 1]!]);
      pkDiffs[j] = blst.aggregatePublicKeys([pkDiffs[j]!, pkDiffs[j + 1]!]);
    }
    publicKeyShards.push(pkDiffs[0]!.toBytes());
    signatureShards.push(sigDiffs[0]!.toBytes());
  }
  return { publicKeyShards, signatureShards };
}
