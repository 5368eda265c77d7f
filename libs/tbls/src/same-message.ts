/**
 * Same-message batch verification.
 *
 * Under Electra every DV of an attester duty signs the same signing root, so n (pk_i, σ_i) pairs on
 * one message m can be checked with ONE pairing check, verify(m, Σ r_i·pk_i, Σ r_i·σ_i), i.e.
 * e(Σ r_i·pk_i, H(m)) = e(g1, Σ r_i·σ_i), with r_i fresh random 64-bit weights drawn by
 * @chainsafe/blst (`aggregateWithRandomness`, OS CSPRNG-seeded). Soundness: if some σ_j ≠ sk_j·H(m),
 * the combination passes only if Σ r_i·(σ_i − sk_i·H(m)) = 0, which for independent uniform r_i
 * happens with probability ≤ 2^-64 (the r_j of a bad item would have to hit one value). Every pair
 * must therefore verify individually w.h.p., so rogue-key attacks (which need unweighted sums) do
 * not apply and no proof of possession is needed for the batching itself.
 *
 * Validation guarantees are those of bls.ts: public keys are parsed with infinity and subgroup checks
 * (`parsePublicKeyCached`: once per key), signatures are deserialised by blst with infinity and subgroup checks during
 * aggregation; a malformed item throws TblsError naming it (`parseSignature` on the failing path).
 */
import { type BlstPublicKey, blst } from './backend.js';
import { type SignatureSetBytes, parsePublicKeyCached, parseSignature, verifyBatch } from './bls.js';
import { TblsError } from './errors.js';

export interface PublicKeyAndSignature {
  publicKey: Uint8Array;
  signature: Uint8Array;
}

function prepare(message: Uint8Array, items: readonly PublicKeyAndSignature[]): { pk: BlstPublicKey; sig: Uint8Array }[] {
  if (!(message instanceof Uint8Array)) throw new TblsError('INVALID_MESSAGE', `message: expected bytes, got ${typeof message}`);
  if (!Array.isArray(items)) throw new TblsError('INVALID_ARGUMENT', `items: expected an array, got ${typeof items}`);
  return items.map((item, i) => {
    if (item === null || typeof item !== 'object') throw new TblsError('INVALID_ARGUMENT', `items[${i}]: expected { publicKey, signature }`);
    if (!(item.signature instanceof Uint8Array) || item.signature.length !== 96) parseSignature(item.signature, `items[${i}].signature`);
    return { pk: parsePublicKeyCached(item.publicKey, `items[${i}].publicKey`), sig: item.signature };
  });
}

/** blst rejected a signature during aggregation: rethrow as the TblsError of the first bad item. */
function rethrowBadSignature(items: readonly PublicKeyAndSignature[], err: unknown): never {
  items.forEach((item, i) => parseSignature(item.signature, `items[${i}].signature`));
  throw new TblsError('INVALID_SIGNATURE', `items: ${(err as Error).message ?? String(err)}`);
}

/**
 * True iff every (publicKey, signature) is valid for `message` (w.p. ≥ 1 − 2^-64). Empty: true.
 * Malformed / out-of-subgroup / infinity items throw TblsError.
 */
export function verifySameMessage(message: Uint8Array, items: readonly PublicKeyAndSignature[]): boolean {
  const sets = prepare(message, items);
  if (sets.length === 0) return true;
  if (sets.length === 1) return blst.verify(message, sets[0]!.pk, parseSignature(items[0]!.signature, 'items[0].signature'));
  let agg;
  try {
    agg = blst.aggregateWithRandomness(sets);
  } catch (err) {
    rethrowBadSignature(items, err);
  }
  return blst.verify(message, agg.pk, agg.sig);
}

/** `verifySameMessage` with the aggregation (the costly part) on the libuv thread pool. */
export async function verifySameMessageAsync(message: Uint8Array, items: readonly PublicKeyAndSignature[]): Promise<boolean> {
  const sets = prepare(message, items);
  if (sets.length === 0) return true;
  if (sets.length === 1) return blst.verify(message, sets[0]!.pk, parseSignature(items[0]!.signature, 'items[0].signature'));
  let agg;
  try {
    agg = await blst.asyncAggregateWithRandomness(sets);
  } catch (err) {
    rethrowBadSignature(items, err);
  }
  return blst.verify(message, agg.pk, agg.sig);
}

function verifyOne(set: SignatureSetBytes): boolean {
  try {
    return blst.verify(set.message, parsePublicKeyCached(set.publicKey), parseSignature(set.signature));
  } catch {
    return false;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * One result per set: sets sharing a message go through `verifySameMessage` (one pairing per
 * message), the rest through one `verifyBatch`; a failing group is re-checked item by item to
 * isolate the invalid ones. Malformed items are reported false (never thrown).
 */
export function verifySets(sets: readonly SignatureSetBytes[]): boolean[] {
  const results = new Array<boolean>(sets.length).fill(false);
  const groups = new Map<string, number[]>();
  sets.forEach((set, i) => {
    if (set === null || typeof set !== 'object' || !(set.message instanceof Uint8Array)) return;
    const key = hex(set.message);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const singles: number[] = [];
  const isolate = (indexes: number[]) => indexes.forEach((i) => (results[i] = verifyOne(sets[i]!)));
  for (const indexes of groups.values()) {
    if (indexes.length === 1) {
      singles.push(indexes[0]!);
      continue;
    }
    let ok = false;
    try {
      ok = verifySameMessage(sets[indexes[0]!]!.message, indexes.map((i) => sets[i]!));
    } catch {
      ok = false;
    }
    if (ok) indexes.forEach((i) => (results[i] = true));
    else isolate(indexes);
  }
  if (singles.length > 0) {
    let ok = false;
    try {
      ok = verifyBatch(singles.map((i) => sets[i]!));
    } catch {
      ok = false;
    }
    if (ok) singles.forEach((i) => (results[i] = true));
    else isolate(singles);
  }
  return results;
}
