/**
 * The portable path of ecies.ts (no libsecp256k1: @noble/curves with tables), as a platform
 * without the native binding runs it. A separate file: the backend is chosen when the module loads.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { decrypt as eciesjsDecrypt, encrypt as eciesjsEncrypt } from 'eciesjs';

type Ecies = typeof import('./ecies.js');
let ecies: Ecies;
let unavailable: string | undefined;

beforeAll(async () => {
  process.env.DVT_LIBSECP256K1 = 'off';
  ecies = await import('./ecies.js');
  unavailable = (await import('@dvt/common')).libsecp256k1Unavailable();
  delete process.env.DVT_LIBSECP256K1;
});

describe('ECIES without libsecp256k1', () => {
  it('runs on the JS path', () => {
    expect(unavailable).toBe('turned off (DVT_LIBSECP256K1=off)');
  });

  it('interoperates with eciesjs both ways, before and after a receiver key gets its table (16th use)', () => {
    const { privateKey, publicKey } = ecies.generateEciesKeyPair();
    expect(ecies.eciesPublicKey(privateKey)).toEqual(publicKey);
    const shard = Uint8Array.from({ length: 96 }, (_, i) => i);
    for (let round = 0; round < 20; round++) {
      const [ours] = ecies.eciesEncryptEach([publicKey.subarray(1)], [shard]);
      expect(eciesjsDecrypt(privateKey, ours!)).toEqual(shard);
      expect(ecies.eciesDecrypt(privateKey, eciesjsEncrypt(publicKey, shard))).toEqual(shard);
    }
  });

  it('refuses a bad ephemeral key and a wrong key with ECIES_DECRYPT_FAILED', () => {
    const { privateKey, publicKey } = ecies.generateEciesKeyPair();
    const ciphertext = ecies.eciesEncrypt(publicKey, Uint8Array.of(1, 2, 3));
    const offCurve = Uint8Array.from(ciphertext);
    offCurve[64] ^= 1;
    expect(() => ecies.eciesDecrypt(privateKey, offCurve)).toThrow(/ephemeral public key is not an uncompressed secp256k1 point/);
    expect(() => ecies.eciesDecrypt(ecies.generateEciesKeyPair().privateKey, ciphertext)).toThrow(/wrong key or corrupted ciphertext/);
  });
});
