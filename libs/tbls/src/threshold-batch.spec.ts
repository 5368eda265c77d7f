import { describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@dvt/common';
import { generateSecretKey, recoverAndVerifyBatch, recoverSignature, recoverSignatureUnchecked, sign, splitSecret, verify, verifySetsCachedKeys, type ThresholdBatchItem } from './index.js';

const message = new Uint8Array(32).fill(7);

function dv(indexes = [1, 2, 3, 4], threshold = 3) {
  const split = splitSecret(generateSecretKey(), threshold, indexes);
  return {
    publicKey: split.publicKey,
    share: (index: number, msg = message) => ({ index, signature: sign(split.shares.find((s) => s.index === index)!.secretKey, msg) }),
  };
}

describe('recoverSignatureUnchecked', () => {
  it.each([[[1, 2, 3]], [[2, 3, 4]], [[1, 3, 4]], [[1, 2, 4]], [[4, 1, 2]], [[3, 5, 7]], [[2, 5, 6]], [[1, 2, 3, 4]], [[7]]])('equals recoverSignature byte for byte for share indexes %j', (indexes) => {
    const key = dv([1, 2, 3, 4, 5, 6, 7], indexes.length);
    const shares = indexes.map((i) => key.share(i));
    const signature = recoverSignatureUnchecked(shares);
    expect(bytesToHex(signature)).toBe(bytesToHex(recoverSignature(shares)));
    expect(verify(key.publicKey, message, signature)).toBe(true);
  });

  it('falls back to the general interpolation for indexes with large coefficients', () => {
    const key = dv([100, 107, 114, 121]);
    const shares = [100, 114, 121].map((i) => key.share(i));
    expect(verify(key.publicKey, message, recoverSignatureUnchecked(shares))).toBe(true);
  });

  it('refuses malformed shares and duplicate indexes with typed errors', () => {
    const key = dv();
    const good = [key.share(1), key.share(2), key.share(3)];
    expect(() => recoverSignatureUnchecked([good[0]!, good[1]!, { index: 3, signature: new Uint8Array(95) }])).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE' }));
    expect(() => recoverSignatureUnchecked([good[0]!, good[1]!, { index: 3, signature: new Uint8Array(96).fill(0xff) }])).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE' }));
    expect(() => recoverSignatureUnchecked([good[0]!, good[1]!, { index: 1, signature: good[2]!.signature }])).toThrow(expect.objectContaining({ code: 'DUPLICATE_SHARE_INDEX' }));
    expect(() => recoverSignatureUnchecked([good[0]!, { index: 0, signature: good[1]!.signature }])).toThrow(expect.objectContaining({ code: 'INVALID_SHARE_INDEX' }));
  });
});

describe('recoverAndVerifyBatch', () => {
  it('rebuilds and verifies many validators of one message, and isolates the bad items', () => {
    const keys = Array.from({ length: 12 }, () => dv());
    const other = dv();
    const items: ThresholdBatchItem[] = keys.map((key, i) => ({ publicKey: key.publicKey, message, shares: [1, 2, 3, 4].filter((x) => x !== (i % 4) + 1).map((x) => key.share(x)) }));
    items[3] = { ...items[3]!, shares: [keys[3]!.share(1), other.share(2), keys[3]!.share(3)] }; // a wrong partial among t
    items[5] = { ...items[5]!, shares: [keys[5]!.share(1), keys[5]!.share(2), keys[5]!.share(3, new Uint8Array(32).fill(8))] }; // one over another message
    items[7] = { ...items[7]!, shares: [keys[7]!.share(1), keys[7]!.share(1)] }; // duplicate index
    items[9] = { ...items[9]!, publicKey: new Uint8Array(48).fill(1) }; // junk key
    const results = recoverAndVerifyBatch(items);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok', 'ok', 'ok', 'NO_VALID_SUBSET', 'ok', 'NO_VALID_SUBSET', 'ok', 'DUPLICATE_SHARE_INDEX', 'ok', 'INVALID_PUBLIC_KEY', 'ok', 'ok',
    ]);
    results.forEach((r, i) => {
      if (r.ok) expect(verify(keys[i]!.publicKey, message, r.signature)).toBe(true);
    });
  });

  it('verifies items over different messages (one multi-pairing batch) and isolates a failure there too', () => {
    const keys = Array.from({ length: 4 }, () => dv());
    const messages = keys.map((_, i) => new Uint8Array(32).fill(i + 1));
    const items = keys.map((key, i) => ({ publicKey: key.publicKey, message: messages[i]!, shares: [2, 3, 4].map((x) => key.share(x, messages[i]!)) }));
    expect(recoverAndVerifyBatch(items).every((r) => r.ok)).toBe(true);
    items[2] = { ...items[2]!, message: messages[0]! };
    expect(recoverAndVerifyBatch(items).map((r) => r.ok)).toEqual([true, true, false, true]);
  });

  it('returns an empty list for no items and throws a typed error for a non-array', () => {
    expect(recoverAndVerifyBatch([])).toEqual([]);
    expect(() => recoverAndVerifyBatch(null as unknown as ThresholdBatchItem[])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('verifySetsCachedKeys', () => {
  it('gives one result per set, same message or not, with malformed items false', () => {
    const keys = Array.from({ length: 5 }, () => dv());
    const other = new Uint8Array(32).fill(9);
    const sets = keys.map((key, i) => ({ publicKey: key.publicKey, message: i < 3 ? message : other, signature: recoverSignature([1, 2, 3].map((x) => key.share(x, i < 3 ? message : other))) }));
    expect(verifySetsCachedKeys(sets)).toEqual([true, true, true, true, true]);
    expect(verifySetsCachedKeys(sets)).toEqual([true, true, true, true, true]); // keys now from the cache
    const bad = [...sets];
    bad[1] = { ...sets[1]!, signature: sets[0]!.signature };
    bad[3] = { ...sets[3]!, publicKey: new Uint8Array(48) };
    bad[4] = { ...sets[4]!, signature: new Uint8Array(96).fill(0xaa) };
    expect(verifySetsCachedKeys(bad)).toEqual([true, false, true, false, false]);
    expect(verifySetsCachedKeys([])).toEqual([]);
  });
});
