import { describe, expect, it } from '@jest/globals';
import { hexToBytes } from '@dvt/common';
import { TblsError, generateSecretKey, secretKeyToPublicKey, sign, verifySameMessage, verifySameMessageAsync, verifySets } from './index.js';

const G2_NOT_IN_SUBGROUP = hexToBytes(
  '872693f6b93b0712e9b2876255600de64b4a53a2c34f5237c27d2508bcec66a6fe68197d1ab9b084d263b3f6ff4e4ea01437959d270819a9a8125da477993935588f1a032b7c66c8a560f63354bace9bbb246df782766ebd9aa62cdaa5baf300',
);
const G1_NOT_IN_SUBGROUP = hexToBytes('a16e7289cb4ee044b5fd73ef150f02b4a7fd84a51543766c9457a173b5d2ff17a23c958bb5ed8bd4772ea3f612013600');
const infinity = (length: number) => Uint8Array.from({ length }, (_, i) => (i === 0 ? 0xc0 : 0));

const message = new TextEncoder().encode('attestation data signing root.');
const other = new TextEncoder().encode('another signing root..........');
const keys = Array.from({ length: 6 }, () => generateSecretKey());
const items = keys.map((sk) => ({ publicKey: secretKeyToPublicKey(sk), signature: sign(sk, message) }));

describe('verifySameMessage', () => {
  it('accepts valid pairs, empty and single lists (sync and async)', async () => {
    expect(verifySameMessage(message, items)).toBe(true);
    expect(verifySameMessage(message, [])).toBe(true);
    expect(verifySameMessage(message, items.slice(0, 1))).toBe(true);
    await expect(verifySameMessageAsync(message, items)).resolves.toBe(true);
  });

  it('rejects one wrong signature, a wrong message, swapped signatures', async () => {
    const bad = items.map((it, i) => (i === 3 ? { ...it, signature: sign(keys[3]!, other) } : it));
    expect(verifySameMessage(message, bad)).toBe(false);
    await expect(verifySameMessageAsync(message, bad)).resolves.toBe(false);
    expect(verifySameMessage(other, items)).toBe(false);
    // Σσ unchanged but pairs swapped: unweighted aggregation would accept, random weights must not.
    const swapped = items.map((it, i) => (i === 0 ? { ...it, signature: items[1]!.signature } : i === 1 ? { ...it, signature: items[0]!.signature } : it));
    expect(verifySameMessage(message, swapped)).toBe(false);
  });

  it('throws TblsError on out-of-subgroup and infinity points', async () => {
    expect(() => verifySameMessage(message, [items[0]!, { ...items[1]!, signature: G2_NOT_IN_SUBGROUP }])).toThrow(TblsError);
    expect(() => verifySameMessage(message, [items[0]!, { ...items[1]!, signature: infinity(96) }])).toThrow(/items\[1\]\.signature/);
    expect(() => verifySameMessage(message, [items[0]!, { ...items[1]!, publicKey: G1_NOT_IN_SUBGROUP }])).toThrow(/items\[1\]\.publicKey/);
    expect(() => verifySameMessage(message, [items[0]!, { ...items[1]!, publicKey: infinity(48) }])).toThrow(TblsError);
    await expect(verifySameMessageAsync(message, [items[0]!, { ...items[1]!, signature: G2_NOT_IN_SUBGROUP }])).rejects.toThrow(TblsError);
  });
});

describe('verifySets', () => {
  it('mixes same-message groups and single messages, isolating bad and malformed items', () => {
    const otherSk = generateSecretKey();
    const sets = [
      ...items.map((it) => ({ ...it, message })),
      { publicKey: secretKeyToPublicKey(otherSk), message: other, signature: sign(otherSk, other) },
    ];
    expect(verifySets(sets)).toEqual(sets.map(() => true));
    expect(verifySets([])).toEqual([]);
    const broken = sets.map((s, i) => (i === 2 ? { ...s, signature: sign(keys[2]!, other) } : i === 4 ? { ...s, signature: G2_NOT_IN_SUBGROUP } : s));
    expect(verifySets(broken)).toEqual([true, true, false, true, false, true, true]);
    const badSingle = sets.map((s, i) => (i === 6 ? { ...s, signature: sign(otherSk, message) } : s));
    expect(verifySets(badSingle)).toEqual([true, true, true, true, true, true, false]);
  });
});
