/**
 * Known answers from a real Hoodi POST /signatures body (SSV operators 263, 280, 281, 282,
 * threshold 3; STAKEWISE.md §6).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { recoverPublicKey, recoverSignature, recoverVerifiedSignature, verify, verifyBatch, verifyPartial } from './index.js';

interface Body {
  share_index: number;
  shares: {
    public_key: string;
    public_key_shares: { share_index: number; public_key_share: string }[];
    exit_signature: string;
    deposit_signature: string;
  }[];
}

const bodies = JSON.parse(readFileSync(new URL('../../../test/vectors/hoodi-ssv-sidecar-shares-2-validators.json', import.meta.url), 'utf8')) as Body[];
const VALIDATOR = '0x88d1a2399c931bf49e75e5e48d843c6b740d270e6deb6588c1d4dfec7dc123c79b0e0cd0dd8c40ab3594c75a0627d912';
const EXIT_ROOT = hexToBytes('0x040e2cbba6b3f94e9471f0d86bf663d296260f895664070fd3e23453abb9d858');
const EXPECTED_EXIT_SIGNATURE =
  '0xa79edb39ee3a4723c049c9837ae136c658f5a660ce3e272cfdfdb134706c5cd75f6035a33d20045e39d1d66b719db75c00f752179ed5655858fc790213909e81ea42857327e977cc7b21c6921ad7b5b013c770bdf0caf04b44e442a8468b19b9';
const THRESHOLD = 3;

function sharesOf(publicKey: string, field: 'exit_signature' | 'deposit_signature') {
  return bodies.map((b) => {
    const item = b.shares.find((s) => s.public_key === publicKey)!;
    return { index: b.share_index, signature: hexToBytes(item[field]) };
  });
}
function publicSharesOf(publicKey: string) {
  const item = bodies[0]!.shares.find((s) => s.public_key === publicKey)!;
  return item.public_key_shares.map((p) => ({ index: p.share_index, publicKey: hexToBytes(p.public_key_share) }));
}
function subsetsOf3<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) for (let k = j + 1; k < xs.length; k++) out.push([xs[i]!, xs[j]!, xs[k]!]);
  return out;
}
const validators = bodies[0]!.shares.map((s) => s.public_key);

describe('Hoodi SSV vector', () => {
  it('has share indexes 263, 280, 281, 282 for two validators', () => {
    expect(bodies.map((b) => b.share_index)).toEqual([263, 280, 281, 282]);
    expect(validators).toContain(VALIDATOR);
    expect(validators).toHaveLength(2);
  });

  it('every exit signature share verifies against its own public key share, and not against another', () => {
    const publicShares = publicSharesOf(VALIDATOR);
    for (const share of sharesOf(VALIDATOR, 'exit_signature')) {
      const own = publicShares.find((p) => p.index === share.index)!;
      const other = publicShares.find((p) => p.index !== share.index)!;
      expect(verifyPartial(own.publicKey, EXIT_ROOT, share.signature)).toBe(true);
      expect(verifyPartial(other.publicKey, EXIT_ROOT, share.signature)).toBe(false);
    }
    const items = sharesOf(VALIDATOR, 'exit_signature').map((s) => ({
      publicKey: publicShares.find((p) => p.index === s.index)!.publicKey,
      message: EXIT_ROOT,
      signature: s.signature,
    }));
    expect(verifyBatch(items)).toBe(true);
  });

  it('every 3 of the 4 exit shares rebuild the known exit signature, which verifies under the validator key', () => {
    const rebuilt = subsetsOf3(sharesOf(VALIDATOR, 'exit_signature')).map((subset) => bytesToHex(recoverSignature(subset)));
    expect(rebuilt).toHaveLength(4);
    for (const sig of rebuilt) expect(sig).toBe(EXPECTED_EXIT_SIGNATURE);
    expect(verify(hexToBytes(VALIDATOR), EXIT_ROOT, hexToBytes(EXPECTED_EXIT_SIGNATURE))).toBe(true);
    // 2 shares interpolate to something else
    expect(bytesToHex(recoverSignature(sharesOf(VALIDATOR, 'exit_signature').slice(0, 2)))).not.toBe(EXPECTED_EXIT_SIGNATURE);
  });

  it.each(validators)('public key shares of %s rebuild the validator key from every 3-subset', (validator) => {
    for (const subset of subsetsOf3(publicSharesOf(validator))) expect(bytesToHex(recoverPublicKey(subset))).toBe(validator);
  });

  it.each(validators)('deposit and exit shares of %s rebuild the same signature from every 3-subset', (validator) => {
    for (const field of ['deposit_signature', 'exit_signature'] as const) {
      const rebuilt = new Set(subsetsOf3(sharesOf(validator, field)).map((s) => bytesToHex(recoverSignature(s))));
      expect(rebuilt.size).toBe(1);
    }
  });

  it('recoverVerifiedSignature finds and names a bad share, with and without public key shares', () => {
    const shares = sharesOf(VALIDATOR, 'exit_signature');
    const otherValidator = validators.find((v) => v !== VALIDATOR)!;
    // operator 280 sends the other validator's share: well-formed, wrong
    shares[1] = { index: 280, signature: sharesOf(otherValidator, 'exit_signature')[1]!.signature };
    const base = { publicKey: hexToBytes(VALIDATOR), message: EXIT_ROOT, shares, threshold: THRESHOLD };
    const withKeys = recoverVerifiedSignature({ ...base, publicShares: publicSharesOf(VALIDATOR) });
    expect(bytesToHex(withKeys.signature)).toBe(EXPECTED_EXIT_SIGNATURE);
    expect(withKeys.excludedIndexes).toEqual([280]);
    expect(withKeys.usedIndexes).toEqual([263, 281, 282]);
    const searched = recoverVerifiedSignature(base);
    expect(bytesToHex(searched.signature)).toBe(EXPECTED_EXIT_SIGNATURE);
    expect(searched.excludedIndexes).toEqual([280]);
    expect(searched.usedIndexes).toEqual([263, 281, 282]);
  });
});
