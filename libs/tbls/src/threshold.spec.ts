import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToHex } from '@dvt/common';
import { firstShareOffPolynomial, recoverPublicKeyHerumi, recoverSignatureHerumi, smallLagrangeCoefficients } from './threshold.js';
import { bytesToScalar, mod, scalarToBytes } from './scalar.js';
import {
  type SignatureShare,
  TblsError,
  eciesDecrypt,
  eciesEncrypt,
  generateEciesKeyPair,
  generateSecretKey,
  recoverPublicKey,
  recoverSecretKey,
  recoverSignature,
  recoverVerifiedSignature,
  reshareAndEncryptSignature,
  reshareSignature,
  secretKeyToPublicKey,
  sign,
  splitSecret,
  verify,
  verifyPartial,
} from './index.js';
import { blst } from './backend.js';
import { parsePublicKey, parseSignature } from './bls.js';
import { type ReshareMethod, reshareMethodFor, reshareShards, subsetsByFewestExclusions } from './threshold.js';

function expectTblsError(fn: () => unknown, code: string, message?: RegExp): TblsError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TblsError);
  expect((caught as TblsError).code).toBe(code);
  if (message) expect((caught as TblsError).message).toMatch(message);
  return caught as TblsError;
}

/** Up to `max` distinct t-subsets: all of them when few, else a random sample (always including the first and last). */
function sampleSubsets<T>(items: T[], t: number, max: number, rand: () => number): T[][] {
  const all = [...subsetsByFewestExclusions(items, t)].map((s) => s.subset);
  if (all.length <= max) return all;
  const picked = new Set<number>([0, all.length - 1]);
  while (picked.size < max) picked.add(Math.floor(rand() * all.length));
  return [...picked].map((i) => all[i]!);
}

function shuffled<T>(xs: T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const message = new Uint8Array(32).fill(0x42);

/** (t, n, distinct indexes, seed for sampling); indexes mix small ids, SSV-like ids and values near 2^53. */
const sharingArb = fc
  .integer({ min: 1, max: 13 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      t: fc.integer({ min: 1, max: n }),
      indexes: fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), {
        minLength: n,
        maxLength: n,
      }),
      seed: fc.integer(),
    }),
  );

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Shamir split and Lagrange rebuild (property)', () => {
  it('every sampled t-subset rebuilds the secret, the public key and the signature; t − 1 shares do not', () => {
    fc.assert(
      fc.property(sharingArb, ({ t, indexes, seed }) => {
        const rand = mulberry32(seed);
        const secret = generateSecretKey();
        const { shares, publicShares, publicKey } = splitSecret(secret, t, indexes);
        expect(bytesToHex(publicKey)).toBe(bytesToHex(secretKeyToPublicKey(secret)));
        expect(shares.map((s) => s.index)).toEqual(indexes);
        const fullSignature = bytesToHex(sign(secret, message));
        const partials: SignatureShare[] = shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));
        partials.forEach((p, i) => {
          expect(bytesToHex(publicShares[i]!.publicKey)).toBe(bytesToHex(secretKeyToPublicKey(shares[i]!.secretKey)));
          expect(verifyPartial(publicShares[i]!.publicKey, message, p.signature)).toBe(true);
        });
        const positions = indexes.map((_, i) => i);
        for (const subset of sampleSubsets(positions, t, 4, rand)) {
          const order = shuffled(subset, rand);
          expect(bytesToHex(recoverSecretKey(order.map((i) => shares[i]!)))).toBe(bytesToHex(secret));
          expect(bytesToHex(recoverPublicKey(order.map((i) => publicShares[i]!)))).toBe(bytesToHex(publicKey));
          expect(bytesToHex(recoverSignature(order.map((i) => partials[i]!)))).toBe(fullSignature);
        }
        // with the threshold argument, only the first t of all n shares are used
        expect(bytesToHex(recoverSignature(shuffled(partials, rand), t))).toBe(fullSignature);
        if (t >= 2) {
          const fewer = shuffled(positions, rand).slice(0, t - 1);
          expect(bytesToHex(recoverSecretKey(fewer.map((i) => shares[i]!)))).not.toBe(bytesToHex(secret));
          expect(bytesToHex(recoverPublicKey(fewer.map((i) => publicShares[i]!)))).not.toBe(bytesToHex(publicKey));
          expect(bytesToHex(recoverSignature(fewer.map((i) => partials[i]!)))).not.toBe(fullSignature);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('each split uses a fresh polynomial', () => {
    const secret = generateSecretKey();
    const a = splitSecret(secret, 3, [1, 2, 3, 4]);
    const b = splitSecret(secret, 3, [1, 2, 3, 4]);
    expect(bytesToHex(a.shares[0]!.secretKey)).not.toBe(bytesToHex(b.shares[0]!.secretKey));
    expect(bytesToHex(a.publicKey)).toBe(bytesToHex(b.publicKey));
  });

  it('threshold 1 gives every holder the secret itself', () => {
    const secret = generateSecretKey();
    const { shares } = splitSecret(secret, 1, [7, 9]);
    for (const s of shares) expect(bytesToHex(s.secretKey)).toBe(bytesToHex(secret));
  });
});

describe('bad indexes, thresholds and share sets', () => {
  const secret = generateSecretKey();
  const { shares, publicShares } = splitSecret(secret, 3, [1, 2, 3, 4]);
  const partials = shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));

  it.each([
    ['zero', 0],
    ['negative', -3],
    ['non-integer', 1.5],
    ['above 2^53 − 1', 2 ** 53],
    ['NaN', NaN],
    ['a string', '2'],
  ])('rejects a %s share index with INVALID_SHARE_INDEX', (_name, bad) => {
    const index = bad as number;
    expectTblsError(() => splitSecret(secret, 2, [1, index]), 'INVALID_SHARE_INDEX', /share index must be an integer/);
    expectTblsError(() => recoverSignature([partials[0]!, { ...partials[1]!, index }]), 'INVALID_SHARE_INDEX');
    expectTblsError(() => recoverPublicKey([publicShares[0]!, { ...publicShares[1]!, index }]), 'INVALID_SHARE_INDEX');
    expectTblsError(() => recoverSecretKey([shares[0]!, { ...shares[1]!, index }]), 'INVALID_SHARE_INDEX');
  });

  it('rejects duplicate indexes with DUPLICATE_SHARE_INDEX', () => {
    expectTblsError(() => splitSecret(secret, 2, [5, 6, 5]), 'DUPLICATE_SHARE_INDEX', /5 appears more than once/);
    expectTblsError(() => recoverSignature([partials[0]!, partials[1]!, partials[0]!]), 'DUPLICATE_SHARE_INDEX');
    expectTblsError(() => recoverPublicKey([publicShares[2]!, publicShares[2]!]), 'DUPLICATE_SHARE_INDEX');
    expectTblsError(
      () => recoverVerifiedSignature({ publicKey: secretKeyToPublicKey(secret), message, shares: [partials[0]!, partials[1]!, partials[1]!], threshold: 2 }),
      'DUPLICATE_SHARE_INDEX',
    );
  });

  it('rejects fewer shares than the threshold with NOT_ENOUGH_SHARES', () => {
    expectTblsError(() => recoverSignature(partials.slice(0, 2), 3), 'NOT_ENOUGH_SHARES', /2 share\(s\) given, threshold is 3/);
    expectTblsError(() => recoverSignature([]), 'NOT_ENOUGH_SHARES');
    expectTblsError(() => recoverSecretKey(shares.slice(0, 2), 3), 'NOT_ENOUGH_SHARES');
    expectTblsError(
      () => recoverVerifiedSignature({ publicKey: secretKeyToPublicKey(secret), message, shares: partials.slice(0, 2), threshold: 3 }),
      'NOT_ENOUGH_SHARES',
    );
  });

  it('rejects thresholds out of range with THRESHOLD_OUT_OF_RANGE', () => {
    expectTblsError(() => splitSecret(secret, 0, [1, 2]), 'THRESHOLD_OUT_OF_RANGE', /in \[1, 2\]/);
    expectTblsError(() => splitSecret(secret, 3, [1, 2]), 'THRESHOLD_OUT_OF_RANGE');
    expectTblsError(() => splitSecret(secret, 1.5, [1, 2]), 'THRESHOLD_OUT_OF_RANGE');
    expectTblsError(() => recoverSignature(partials, 0), 'THRESHOLD_OUT_OF_RANGE');
    expectTblsError(() => splitSecret(secret, 1, []), 'NOT_ENOUGH_SHARES');
  });

  it('rejects a malformed share point with the shares[i] field named', () => {
    const bad = partials.map((p, i) => (i === 1 ? { ...p, signature: new Uint8Array(96) } : p));
    expectTblsError(() => recoverSignature(bad), 'INVALID_SIGNATURE', /shares\[1\]\.signature/);
    expectTblsError(() => recoverSecretKey([shares[0]!, { index: 2, secretKey: new Uint8Array(32) }]), 'INVALID_SECRET_KEY', /shares\[1\]/);
    expectTblsError(() => splitSecret(new Uint8Array(32), 2, [1, 2]), 'INVALID_SECRET_KEY');
  });
});

/** A compressed G2 point on the curve but outside the r-order subgroup (x = 1 + i): decodes, fails the subgroup check. */
function offSubgroupG2Point(): Uint8Array {
  const { Fp, Fp2 } = bls12_381.fields;
  const x = Fp2.fromBigTuple([1n, 1n]);
  Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), Fp2.fromBigTuple([4n, 4n]))); // throws if x were not on the curve
  const bytes = new Uint8Array(96);
  bytes.set(Fp.toBytes(x.c1), 0);
  bytes.set(Fp.toBytes(x.c0), 48);
  bytes[0]! |= 0x80;
  expect(() => blst.Signature.fromBytes(bytes, false, true)).not.toThrow();
  expect(() => blst.Signature.fromBytes(bytes, true, true)).toThrow(/not in group/i);
  return bytes;
}

describe('recoverVerifiedSignature', () => {
  const secret = generateSecretKey();
  const publicKey = secretKeyToPublicKey(secret);
  const indexes = [3, 8, 13, 21, 34];
  const { shares, publicShares } = splitSecret(secret, 3, indexes);
  const partials = shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));
  const expected = bytesToHex(sign(secret, message));
  const wrong = (index: number) => ({ index, signature: sign(generateSecretKey(), message) });
  const base = { publicKey, message, threshold: 3 };

  it('uses the first t shares when they verify', () => {
    const r = recoverVerifiedSignature({ ...base, shares: partials });
    expect(bytesToHex(r.signature)).toBe(expected);
    expect(r.usedIndexes).toEqual([3, 8, 13]);
    expect(r.excludedIndexes).toEqual([]);
  });

  it('excludes malformed shares (infinity, wrong length) without failing', () => {
    const infinity = Uint8Array.from({ length: 96 }, (_, i) => (i === 0 ? 0xc0 : 0));
    const shares = [{ index: 3, signature: infinity }, { index: 8, signature: new Uint8Array(5) }, ...partials.slice(2)];
    const r = recoverVerifiedSignature({ ...base, shares });
    expect(bytesToHex(r.signature)).toBe(expected);
    expect(r.excludedIndexes).toEqual([3, 8]);
    expect(r.usedIndexes).toEqual([13, 21, 34]);
  });

  it('small index sets: the native quick path gives the reference bytes, and an on-curve share outside G2 is caught and excluded', () => {
    const small = splitSecret(secret, 3, [1, 2, 3, 4]);
    const smallPartials = small.shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));
    const r = recoverVerifiedSignature({ ...base, shares: smallPartials });
    expect(bytesToHex(r.signature)).toBe(expected);
    expect(bytesToHex(r.signature)).toBe(bytesToHex(recoverSignatureHerumi(smallPartials.slice(0, 3))));
    expect(r.usedIndexes).toEqual([1, 2, 3]);
    const shares = [{ index: 2, signature: offSubgroupG2Point() }, ...smallPartials.filter((p) => p.index !== 2)];
    for (const known of [undefined, small.publicShares]) {
      const rebuilt = recoverVerifiedSignature({ ...base, shares, publicShares: known });
      expect(bytesToHex(rebuilt.signature)).toBe(expected);
      expect(rebuilt.excludedIndexes).toEqual([2]);
      expect(rebuilt.usedIndexes).toEqual([1, 3, 4]);
    }
  });

  it('drops bad partials by verifying them against public shares', () => {
    const shares = partials.map((p) => (p.index === 8 || p.index === 13 ? wrong(p.index) : p));
    const r = recoverVerifiedSignature({ ...base, shares, publicShares });
    expect(bytesToHex(r.signature)).toBe(expected);
    expect(r.excludedIndexes).toEqual([8, 13]);
    expect(r.usedIndexes).toEqual([3, 21, 34]);
  });

  it('searches subsets, fewest exclusions first, when public shares are missing or partial', () => {
    const shares = partials.map((p) => (p.index === 13 || p.index === 3 ? wrong(p.index) : p));
    const r = recoverVerifiedSignature({ ...base, shares });
    expect(bytesToHex(r.signature)).toBe(expected);
    expect(r.usedIndexes).toEqual([8, 21, 34]);
    expect(r.excludedIndexes).toEqual([3, 13]);
    // public shares known only for 3 and 8: 3 is caught directly, 13 by the search
    const partial = recoverVerifiedSignature({ ...base, shares, publicShares: publicShares.slice(0, 2) });
    expect(bytesToHex(partial.signature)).toBe(expected);
    expect(partial.excludedIndexes.sort((a, b) => a - b)).toEqual([3, 13]);
  });

  it('throws NO_VALID_SUBSET when too many shares are bad, NOT_ENOUGH_SHARES when public shares rule them out', () => {
    const shares = partials.map((p) => (p.index === 3 || p.index === 8 || p.index === 13 ? wrong(p.index) : p));
    const err = expectTblsError(() => recoverVerifiedSignature({ ...base, shares }), 'NO_VALID_SUBSET');
    expect(err.details?.subsetsTried).toBe(10); // C(5, 3)
    const err2 = expectTblsError(() => recoverVerifiedSignature({ ...base, shares, publicShares }), 'NOT_ENOUGH_SHARES', /only 2 usable/);
    expect(err2.details?.excludedIndexes).toEqual([3, 8, 13]);
    expectTblsError(() => recoverVerifiedSignature({ ...base, shares, maxSubsets: 2 }), 'NO_VALID_SUBSET', /gave up after 2/);
  });

  it('throws NO_VALID_SUBSET for shares of another key', () => {
    expectTblsError(() => recoverVerifiedSignature({ ...base, publicKey: secretKeyToPublicKey(generateSecretKey()), shares: partials }), 'NO_VALID_SUBSET');
  });

  it('rejects a malformed group public key or public share', () => {
    expectTblsError(() => recoverVerifiedSignature({ ...base, publicKey: new Uint8Array(48), shares: partials }), 'INVALID_PUBLIC_KEY', /^publicKey/);
    expectTblsError(
      () => recoverVerifiedSignature({ ...base, shares: partials, publicShares: [{ index: 3, publicKey: new Uint8Array(3) }] }),
      'INVALID_PUBLIC_KEY',
      /publicShares\[0\]/,
    );
  });
});

describe('subsetsByFewestExclusions', () => {
  it('yields every k-subset exactly once, with non-decreasing exclusion counts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }))), ([n, k]) => {
        const items = Array.from({ length: n }, (_, i) => i);
        const seen = new Set<string>();
        let lastSkipped = 0;
        for (const { subset, skipped } of subsetsByFewestExclusions(items, k)) {
          expect(subset).toHaveLength(k);
          expect(skipped.length).toBeGreaterThanOrEqual(lastSkipped);
          expect(skipped.every((s) => !subset.includes(s) && s < subset[k - 1]!)).toBe(true);
          lastSkipped = skipped.length;
          seen.add(subset.join(','));
        }
        let binomial = 1;
        for (let i = 0; i < k; i++) binomial = (binomial * (n - i)) / (i + 1);
        expect(seen.size).toBe(binomial);
      }),
      { numRuns: 40 },
    );
  });
});

describe('reshareSignature (oracle exit-signature shards)', () => {
  it('shards encrypt/decrypt, verify against their public key shards, and any t rebuild a valid signature (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 13 }).chain((count) => fc.record({ count: fc.constant(count), t: fc.integer({ min: 1, max: count }), seed: fc.integer() })),
        ({ count, t, seed }) => {
          const rand = mulberry32(seed);
          const secret = generateSecretKey();
          const publicKey = secretKeyToPublicKey(secret);
          const signature = sign(secret, message);
          const oracles = Array.from({ length: count }, () => generateEciesKeyPair());
          const { publicKeyShards, signatureShards } = reshareSignature({ publicKey, signature, message, threshold: t, count });
          expect(publicKeyShards).toHaveLength(count);
          const received = signatureShards.map((shard, i) => {
            const ciphertext = eciesEncrypt(oracles[i]!.publicKey.subarray(1), shard);
            expect(ciphertext).toHaveLength(65 + 16 + 16 + 96);
            const plain = eciesDecrypt(oracles[i]!.privateKey, ciphertext);
            expect(verifyPartial(publicKeyShards[i]!, message, plain)).toBe(true);
            return { index: i + 1, signature: plain };
          });
          const pkShares = publicKeyShards.map((publicKey, i) => ({ index: i + 1, publicKey }));
          for (const subset of sampleSubsets(received, t, 3, rand)) {
            const rebuilt = recoverSignature(shuffled(subset, rand));
            expect(bytesToHex(rebuilt)).toBe(bytesToHex(signature));
            expect(verify(publicKey, message, rebuilt)).toBe(true);
          }
          expect(bytesToHex(recoverPublicKey(sampleSubsets(pkShares, t, 1, rand)[0]!))).toBe(bytesToHex(publicKey));
          if (t >= 2) {
            const fewer = shuffled(received, rand).slice(0, t - 1);
            expect(verify(publicKey, message, recoverSignature(fewer))).toBe(false);
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('uses fresh coefficients on every call', () => {
    const secret = generateSecretKey();
    const args = { publicKey: secretKeyToPublicKey(secret), signature: sign(secret, message), message, threshold: 3, count: 4 };
    const a = reshareSignature(args);
    const b = reshareSignature(args);
    expect(bytesToHex(a.signatureShards[0]!)).not.toBe(bytesToHex(b.signatureShards[0]!));
    expect(bytesToHex(a.publicKeyShards[0]!)).not.toBe(bytesToHex(b.publicKeyShards[0]!));
  });

  it('refuses a signature that does not verify, and bad threshold or count', () => {
    const secret = generateSecretKey();
    const publicKey = secretKeyToPublicKey(secret);
    const signature = sign(secret, message);
    expectTblsError(() => reshareSignature({ publicKey, signature, message: new Uint8Array(32), threshold: 2, count: 3 }), 'INVALID_SIGNATURE', /refusing/);
    expectTblsError(() => reshareSignature({ publicKey, signature, message, threshold: 4, count: 3 }), 'THRESHOLD_OUT_OF_RANGE');
    expectTblsError(() => reshareSignature({ publicKey, signature, message, threshold: 0, count: 3 }), 'THRESHOLD_OUT_OF_RANGE');
    expectTblsError(() => reshareSignature({ publicKey, signature, message, threshold: 1, count: 0 }), 'THRESHOLD_OUT_OF_RANGE', /count/);
    expectTblsError(() => reshareSignature({ publicKey, signature: new Uint8Array(96), message, threshold: 1, count: 2 }), 'INVALID_SIGNATURE');
  });
});

describe('re-share constructions', () => {
  const secret = generateSecretKey();
  const publicKey = secretKeyToPublicKey(secret);
  const signature = sign(secret, message);

  it.each<ReshareMethod>(['per-shard', 'differences'])('%s: shards verify, any t rebuild pk and σ, t − 1 do not (property)', (method) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((count) => fc.record({ count: fc.constant(count), t: fc.integer({ min: 1, max: count }), seed: fc.integer() })),
        ({ count, t, seed }) => {
          const rand = mulberry32(seed);
          const { publicKeyShards, signatureShards } = reshareShards(parsePublicKey(publicKey), parseSignature(signature), message, t, count, method);
          expect(publicKeyShards).toHaveLength(count);
          signatureShards.forEach((shard, i) => expect(verifyPartial(publicKeyShards[i]!, message, shard)).toBe(true));
          const shares = signatureShards.map((s, i) => ({ index: i + 1, signature: s }));
          const pkShares = publicKeyShards.map((p, i) => ({ index: i + 1, publicKey: p }));
          for (const subset of sampleSubsets(shares, t, 2, rand)) expect(bytesToHex(recoverSignature(subset))).toBe(bytesToHex(signature));
          expect(bytesToHex(recoverPublicKey(sampleSubsets(pkShares, t, 1, rand)[0]!))).toBe(bytesToHex(publicKey));
          if (t >= 2) expect(verify(publicKey, message, recoverSignature(shuffled(shares, rand).slice(0, t - 1)))).toBe(false);
          // A fresh non-constant polynomial unless t = 1.
          expect(new Set(signatureShards.map(bytesToHex)).size).toBe(t === 1 ? 1 : count);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('uses forward differences where they need fewer operations (11 oracles, t = 8) and per-shard signs otherwise', () => {
    expect(reshareMethodFor(8, 11)).toBe('differences');
    expect(reshareMethodFor(3, 4)).toBe('differences');
    expect(reshareMethodFor(11, 11)).toBe('per-shard');
    expect(reshareMethodFor(13, 13)).toBe('per-shard');
  });
});

describe('reshareAndEncryptSignature', () => {
  const secret = generateSecretKey();
  const publicKey = secretKeyToPublicKey(secret);
  const signature = sign(secret, message);
  const oracles = Array.from({ length: 4 }, () => generateEciesKeyPair());

  it('encrypts shard x to oracle x − 1; the decrypted shards verify and any 3 rebuild the signature', () => {
    const { publicKeyShards, encryptedShards } = reshareAndEncryptSignature({
      publicKey,
      signature,
      message,
      threshold: 3,
      oraclePublicKeys: oracles.map((o) => o.publicKey.subarray(1)),
    });
    expect(encryptedShards.map((c) => c.length)).toEqual([193, 193, 193, 193]);
    const shards = encryptedShards.map((c, i) => ({ index: i + 1, signature: eciesDecrypt(oracles[i]!.privateKey, c) }));
    shards.forEach((s, i) => expect(verifyPartial(publicKeyShards[i]!, message, s.signature)).toBe(true));
    // Oracle 0 cannot open oracle 1's shard.
    expectTblsError(() => eciesDecrypt(oracles[0]!.privateKey, encryptedShards[1]!), 'ECIES_DECRYPT_FAILED');
    expect(bytesToHex(recoverSignature(shards.slice(1)))).toBe(bytesToHex(signature));
  });

  it('rejects bad oracle keys before re-sharing, an empty oracle list, and a signature that does not verify', () => {
    const args = { publicKey, signature, message, threshold: 2, oraclePublicKeys: oracles.map((o) => o.publicKey) };
    expectTblsError(() => reshareAndEncryptSignature({ ...args, oraclePublicKeys: [oracles[0]!.publicKey, new Uint8Array(65)] }), 'ECIES_INVALID_KEY', /oraclePublicKeys\[1\]: not a point/);
    expectTblsError(() => reshareAndEncryptSignature({ ...args, oraclePublicKeys: [] }), 'INVALID_ARGUMENT', /non-empty/);
    expectTblsError(() => reshareAndEncryptSignature({ ...args, message: new Uint8Array(32) }), 'INVALID_SIGNATURE', /refusing/);
    expectTblsError(() => reshareAndEncryptSignature({ ...args, threshold: 5 }), 'THRESHOLD_OUT_OF_RANGE');
    expectTblsError(() => reshareAndEncryptSignature(null as unknown as typeof args), 'INVALID_ARGUMENT');
  });
});

/** Distinct share indexes in 1..10 and a threshold that fits them. */
const smallIndexSets = fc
  .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 10 }))
  .map(([indexes, t]) => ({ indexes, threshold: Math.min(t, indexes.length) }));

describe('recoverPublicKey small-coefficient fast path', () => {
  it('matches the herumi interpolation byte for byte for random index sets (n ≤ 10)', () => {
    fc.assert(
      fc.property(smallIndexSets, ({ indexes, threshold }) => {
        const { publicShares, publicKey } = splitSecret(generateSecretKey(), threshold, indexes);
        const fast = recoverPublicKey(publicShares, threshold);
        expect(bytesToHex(fast)).toBe(bytesToHex(recoverPublicKeyHerumi(publicShares.slice(0, threshold))));
        expect(bytesToHex(fast)).toBe(bytesToHex(publicKey));
      }),
      { numRuns: 60 },
    );
  });

  it('matches herumi for unrelated keys (a negative sum), and throws INFINITY_POINT when they cancel', () => {
    const keys = [1, 2, 3].map((index) => ({ index, publicKey: secretKeyToPublicKey(generateSecretKey()) }));
    expect(bytesToHex(recoverPublicKey(keys))).toBe(bytesToHex(recoverPublicKeyHerumi(keys)));
    const sk = generateSecretKey();
    const doubled = secretKeyToPublicKey(scalarToBytes(mod(2n * bytesToScalar(sk))));
    // λ = (2, −1) for {1, 2}: 2P − 2P = ∞
    const cancelling = [{ index: 1, publicKey: secretKeyToPublicKey(sk) }, { index: 2, publicKey: doubled }];
    expect(() => recoverPublicKey(cancelling)).toThrow(/infinity/);
    expect(() => recoverPublicKeyHerumi(cancelling)).toThrow(/infinity/);
  });
});

describe('firstShareOffPolynomial', () => {
  it('finds the first share off the polynomial for random index sets and thresholds, small weights and large (herumi) alike', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 7 }),
        fc.nat(),
        fc.integer({ min: -1, max: 6 }),
        (indexes, t, tamperAt) => {
          const threshold = (t % indexes.length) + 1;
          const { publicShares, publicKey } = splitSecret(generateSecretKey(), threshold, indexes);
          expect(firstShareOffPolynomial(publicKey, publicShares, threshold)).toBe(-1);
          expect(firstShareOffPolynomial(secretKeyToPublicKey(generateSecretKey()), publicShares, threshold)).toBe(threshold - 1);
          if (tamperAt < 0 || tamperAt >= indexes.length) return;
          const tampered = publicShares.map((s, i) => (i === tamperAt ? { ...s, publicKey: secretKeyToPublicKey(generateSecretKey()) } : s));
          // a tampered share among the first t − 1 breaks every check, the first one included
          expect(firstShareOffPolynomial(publicKey, tampered, threshold)).toBe(Math.max(tamperAt, threshold - 1));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses malformed shares, repeated indexes and a threshold above the share count', () => {
    const { publicShares, publicKey } = splitSecret(generateSecretKey(), 2, [1, 2]);
    expectTblsError(() => firstShareOffPolynomial(publicKey, [publicShares[0]!, { index: 2, publicKey: new Uint8Array(48) }], 2), 'INVALID_PUBLIC_KEY', /public key share 2/);
    expectTblsError(() => firstShareOffPolynomial(publicKey, [publicShares[0]!, { ...publicShares[1]!, index: 1 }], 2), 'DUPLICATE_SHARE_INDEX');
    expectTblsError(() => firstShareOffPolynomial(publicKey, publicShares, 3), 'THRESHOLD_OUT_OF_RANGE');
  });
});

describe('recoverSignature small-coefficient fast path', () => {
  const message = new TextEncoder().encode('fast path message');

  it('computes the documented small coefficients', () => {
    expect(smallLagrangeCoefficients([1, 2, 3])).toEqual([3n, -3n, 1n]);
    expect(smallLagrangeCoefficients([1, 3, 4])).toEqual([2n, -2n, 1n]);
    expect(smallLagrangeCoefficients([2, 3, 4])).toEqual([6n, -8n, 3n]);
    expect(smallLagrangeCoefficients([1, 2])).toEqual([2n, -1n]);
    expect(smallLagrangeCoefficients([2, 4])).toEqual([2n, -1n]);
    expect(smallLagrangeCoefficients([2, 3])).toEqual([3n, -2n]);
    expect(smallLagrangeCoefficients([2, 5])).toBeNull(); // 5/3, −2/3
  });

  it('matches the herumi interpolation byte for byte for random index sets (n ≤ 10)', () => {
    fc.assert(
      fc.property(smallIndexSets, ({ indexes, threshold }) => {
        const sk = generateSecretKey();
        const { shares } = splitSecret(sk, threshold, indexes);
        const sigShares = shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));
        const used = sigShares.slice(0, threshold);
        const fast = recoverSignature(sigShares, threshold);
        expect(bytesToHex(fast)).toBe(bytesToHex(recoverSignatureHerumi(used)));
        expect(bytesToHex(fast)).toBe(bytesToHex(sign(sk, message)));
      }),
      { numRuns: 60 },
    );
  });

  it('matches herumi for arbitrary (inconsistent) shares, including a negative sum', () => {
    const sigs = [1, 2, 3].map(() => sign(generateSecretKey(), message));
    const shares = sigs.map((signature, i) => ({ index: i + 1, signature }));
    expect(bytesToHex(recoverSignature(shares))).toBe(bytesToHex(recoverSignatureHerumi(shares)));
    const two = [2, 3].map((index, i) => ({ index, signature: sigs[i]! }));
    expect(bytesToHex(recoverSignature(two))).toBe(bytesToHex(recoverSignatureHerumi(two)));
  });

  it('throws INFINITY_POINT when the combination cancels, and returns σ when it reduces to it', () => {
    const sk = generateSecretKey();
    const s1 = sign(sk, message);
    const s2 = sign(scalarToBytes(mod(2n * bytesToScalar(sk))), message); // 2σ
    // λ = (2, −1) for {1, 2}: 2σ − 2σ = ∞.
    expect(() => recoverSignature([{ index: 1, signature: s1 }, { index: 2, signature: s2 }])).toThrow(/infinity/);
    expect(() => recoverSignatureHerumi([{ index: 1, signature: s1 }, { index: 2, signature: s2 }])).toThrow(/infinity/);
    // λ = (2, −1) for {2, 4}: 2σ − σ = σ.
    expect(bytesToHex(recoverSignature([{ index: 2, signature: s1 }, { index: 4, signature: s1 }]))).toBe(bytesToHex(s1));
  });
});
