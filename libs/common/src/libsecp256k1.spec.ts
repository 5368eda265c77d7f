import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { libsecp256k1, libsecp256k1Unavailable, loadLibsecp256k1 } from './libsecp256k1.js';

describe('libsecp256k1 binding', () => {
  it('loads on this machine (linux-x64 prebuild) and agrees with @noble/curves', () => {
    expect(libsecp256k1Unavailable()).toBeUndefined();
    const lib = libsecp256k1()!;
    const privateKey = secp256k1.utils.randomSecretKey();
    const digest = new Uint8Array(createHash('sha256').update('dvt').digest());
    expect(lib.publicKeyCreate(privateKey, true)).toEqual(secp256k1.getPublicKey(privateKey, true));
    // RFC 6979 on both sides: the same bytes
    expect(lib.ecdsaSign(digest, privateKey).signature).toEqual(secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, format: 'compact' }));
    const other = secp256k1.utils.randomSecretKey();
    expect(lib.publicKeyTweakMul(secp256k1.getPublicKey(privateKey, false), other, false)).toEqual(secp256k1.getSharedSecret(other, secp256k1.getPublicKey(privateKey, true), false));
  });

  it('can be turned off, and a missing binding says why instead of throwing', () => {
    expect(loadLibsecp256k1({ DVT_LIBSECP256K1: 'off' })).toEqual({ unavailable: 'turned off (DVT_LIBSECP256K1=off)' });
    const missing = loadLibsecp256k1({}, 'secp256k1/no-such-binding.js');
    expect('unavailable' in missing && missing.unavailable).toMatch(/^the secp256k1 native binding did not load: Cannot find module/);
  });
});
