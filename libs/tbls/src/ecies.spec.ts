import { describe, expect, it } from '@jest/globals';
import { decrypt as eciesjsDecrypt, encrypt as eciesjsEncrypt } from 'eciesjs';
import { bytesToBareHex, bytesToHex, hexToBytes } from '@dvt/common';
import { ECIES_OVERHEAD, TblsError, eciesDecrypt, eciesEncrypt, eciesEncryptEach, eciesPublicKey, generateEciesKeyPair } from './index.js';

function expectTblsError(fn: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TblsError);
  expect((caught as TblsError).code).toBe(code);
  if (message) expect((caught as TblsError).message).toMatch(message);
}

// Produced by eciesjs 0.5.0 `encrypt(receiverPk, plaintext)` with its default config (the format eciespy uses).
const ECIESJS_VECTOR = {
  privateKey: hexToBytes('5b0e9a3b0c5f2d7a4c1e8f6b3a2d9c0e1f4a7b6c5d8e9f0a1b2c3d4e5f607182'),
  publicKey: hexToBytes(
    '04f76acbe897eead65f7c8cf93dc4e7f9e0103c05ca7a2b312bbc91aea949bbf2a98f2bb1814b6c3dd7657eeca9befae2312df16bd41ed44c310d6dcdb3328752f',
  ),
  plaintext: Uint8Array.from({ length: 96 }, (_, i) => i),
  ciphertext: hexToBytes(
    '049ecfff4b9c741564bd53bdb1e77e717ec07d6c3a157adca34e5cffbf8d0a3d947a7cca35f2432fe9b7857e52514e44a1aa689391dcd00ad847d75a2820d2487a60c32e972507e2243c53a566a3ad1d6ed2accfaab10c429bbb35c9cbb4bda4bf3b7da109c9b762ebca16a3f510f183ec9370f168a881ffee668061f6dcedb781feb7cb591f01b8a731609401c35648ac5c0d7f8e961926988d3bde0349337cff440f1c406e0e0182a1ad8ab87881bb72aab5e8b0796716d9ddd477d2ca1f6a37',
  ),
};

describe('ECIES (eciesjs / eciespy format)', () => {
  it('decrypts a ciphertext produced by eciesjs 0.5', () => {
    expect(bytesToHex(eciesPublicKey(ECIESJS_VECTOR.privateKey))).toBe(bytesToHex(ECIESJS_VECTOR.publicKey));
    expect(bytesToHex(eciesDecrypt(ECIESJS_VECTOR.privateKey, ECIESJS_VECTOR.ciphertext))).toBe(bytesToHex(ECIESJS_VECTOR.plaintext));
  });

  it('encrypts a 96-byte signature to 193 bytes laid out as ephemeral pk ‖ nonce ‖ tag ‖ ciphertext', () => {
    const { privateKey, publicKey } = generateEciesKeyPair();
    const plaintext = Uint8Array.from({ length: 96 }, (_, i) => 255 - i);
    const out = eciesEncrypt(publicKey, plaintext);
    expect(out).toHaveLength(193);
    expect(ECIES_OVERHEAD).toBe(97);
    expect(out[0]).toBe(0x04); // uncompressed ephemeral key
    expect(bytesToHex(eciesDecrypt(privateKey, out))).toBe(bytesToHex(plaintext));
    // randomised: a second encryption differs
    expect(bytesToHex(eciesEncrypt(publicKey, plaintext))).not.toBe(bytesToHex(out));
  });

  it('accepts the receiver key as 64-byte raw, 65-byte uncompressed or 33-byte compressed', () => {
    const { privateKey, publicKey } = generateEciesKeyPair();
    const compressed = Uint8Array.of(publicKey[64]! % 2 === 0 ? 0x02 : 0x03, ...publicKey.subarray(1, 33));
    for (const key of [publicKey.subarray(1), publicKey, compressed]) {
      const message = Uint8Array.of(key.length);
      expect(eciesDecrypt(privateKey, eciesEncrypt(key, message))).toEqual(message);
    }
    expect(eciesDecrypt(privateKey, eciesEncrypt(publicKey, new Uint8Array(0)))).toHaveLength(0);
  });

  it('rejects bad receiver keys with ECIES_INVALID_KEY', () => {
    const { publicKey } = generateEciesKeyPair();
    expectTblsError(() => eciesEncrypt(publicKey.subarray(0, 40), new Uint8Array(1)), 'ECIES_INVALID_KEY', /64, 65 or 33 bytes, got 40/);
    const offCurve = Uint8Array.from(publicKey);
    offCurve[64] ^= 1;
    expectTblsError(() => eciesEncrypt(offCurve, new Uint8Array(1)), 'ECIES_INVALID_KEY', /not a point/);
    expectTblsError(() => eciesEncrypt(new Uint8Array(64), new Uint8Array(1)), 'ECIES_INVALID_KEY');
    expectTblsError(() => eciesDecrypt(new Uint8Array(32), ECIESJS_VECTOR.ciphertext), 'ECIES_INVALID_KEY');
    expectTblsError(() => eciesDecrypt(new Uint8Array(31).fill(1), ECIESJS_VECTOR.ciphertext), 'ECIES_INVALID_KEY');
    expectTblsError(() => eciesPublicKey(new Uint8Array(32).fill(0xff)), 'ECIES_INVALID_KEY');
  });

  it('fails with ECIES_DECRYPT_FAILED on a wrong key, tampering or truncation', () => {
    expectTblsError(() => eciesDecrypt(generateEciesKeyPair().privateKey, ECIESJS_VECTOR.ciphertext), 'ECIES_DECRYPT_FAILED', /wrong key/);
    for (const position of [70, 90, 150]) {
      const tampered = Uint8Array.from(ECIESJS_VECTOR.ciphertext);
      tampered[position] ^= 0x01; // nonce, tag, body
      expectTblsError(() => eciesDecrypt(ECIESJS_VECTOR.privateKey, tampered), 'ECIES_DECRYPT_FAILED');
    }
    const badEphemeral = Uint8Array.from(ECIESJS_VECTOR.ciphertext);
    badEphemeral[0] = 0x07;
    expectTblsError(() => eciesDecrypt(ECIESJS_VECTOR.privateKey, badEphemeral), 'ECIES_DECRYPT_FAILED', /ephemeral/);
    expectTblsError(() => eciesDecrypt(ECIESJS_VECTOR.privateKey, ECIESJS_VECTOR.ciphertext.subarray(0, 96)), 'ECIES_DECRYPT_FAILED', /at least 97/);
  });

  describe('interoperates with eciesjs 0.5 both ways', () => {
    const { privateKey, publicKey } = generateEciesKeyPair();
    const compressed = Uint8Array.of(publicKey[64]! % 2 === 0 ? 0x02 : 0x03, ...publicKey.subarray(1, 33));
    const keys: [string, Uint8Array][] = [
      ['64-byte raw', publicKey.subarray(1)],
      ['65-byte uncompressed', publicKey],
      ['33-byte compressed', compressed],
    ];
    const plaintexts = [new Uint8Array(0), Uint8Array.of(7), Uint8Array.from({ length: 96 }, (_, i) => i * 3), new Uint8Array(1000).fill(0xa5)];

    it.each(keys)('ours → eciesjs.decrypt, receiver key %s, before and after the key gets a precomputed table', (_name, key) => {
      // A key gets its table on its 16th encryption (ecies.ts): check ciphertexts on both sides of the switch
      // (the 64- and 65-byte forms of a key share one cache entry).
      const rounds = 20;
      for (let round = 0; round < rounds; round++) {
        const plaintext = plaintexts[round % plaintexts.length]!;
        const ciphertext = eciesEncrypt(key, plaintext);
        if (round < 2 || round >= rounds - 4) expect(bytesToHex(eciesjsDecrypt(privateKey, ciphertext))).toBe(bytesToHex(plaintext));
        else expect(bytesToHex(eciesDecrypt(privateKey, ciphertext))).toBe(bytesToHex(plaintext));
      }
    });

    it.each(keys)('eciesjs.encrypt → ours, receiver key %s', (_name, key) => {
      for (const plaintext of plaintexts) {
        // eciesjs takes a 64-byte raw key only in hex form.
        const fromEciesjs = eciesjsEncrypt(key.length === 64 ? bytesToBareHex(key) : key, plaintext);
        expect(fromEciesjs).toHaveLength(ECIES_OVERHEAD + plaintext.length);
        expect(bytesToHex(eciesDecrypt(privateKey, fromEciesjs))).toBe(bytesToHex(plaintext));
      }
    });

    it('a cached receiver key is not confused with another key of the same length', () => {
      const other = generateEciesKeyPair();
      const shard = Uint8Array.from({ length: 96 }, (_, i) => i);
      for (let round = 0; round < 3; round++) {
        expect(eciesjsDecrypt(privateKey, eciesEncrypt(publicKey.subarray(1), shard))).toEqual(shard);
        expect(eciesjsDecrypt(other.privateKey, eciesEncrypt(other.publicKey.subarray(1), shard))).toEqual(shard);
        expectTblsError(() => eciesDecrypt(other.privateKey, eciesEncrypt(publicKey.subarray(1), shard)), 'ECIES_DECRYPT_FAILED');
      }
    });
  });

  describe('eciesEncryptEach: one ciphertext per receiver, one ephemeral key per batch', () => {
    const receivers = Array.from({ length: 11 }, () => generateEciesKeyPair());
    const shards = receivers.map((_, i) => Uint8Array.from({ length: 96 }, (_, j) => (i * 31 + j) & 0xff));

    it('each receiver (eciesjs and ours) decrypts its own shard and no other', () => {
      const ciphertexts = eciesEncryptEach(
        receivers.map((r) => r.publicKey),
        shards,
      );
      expect(ciphertexts).toHaveLength(11);
      ciphertexts.forEach((ciphertext, i) => {
        expect(ciphertext).toHaveLength(ECIES_OVERHEAD + 96);
        expect(eciesjsDecrypt(receivers[i]!.privateKey, ciphertext)).toEqual(shards[i]);
        expect(eciesDecrypt(receivers[i]!.privateKey, ciphertext)).toEqual(shards[i]);
        expectTblsError(() => eciesDecrypt(receivers[(i + 1) % 11]!.privateKey, ciphertext), 'ECIES_DECRYPT_FAILED');
      });
    });

    it('shares the ephemeral key within a batch, never the nonce, and draws a new ephemeral key per batch', () => {
      const keys = receivers.map((r) => r.publicKey);
      const first = eciesEncryptEach(keys, shards);
      const second = eciesEncryptEach(keys, shards);
      const ephemeral = (c: Uint8Array) => bytesToHex(c.subarray(0, 65));
      const nonce = (c: Uint8Array) => bytesToHex(c.subarray(65, 81));
      expect(new Set(first.map(ephemeral)).size).toBe(1);
      expect(new Set([...first, ...second].map(nonce)).size).toBe(22);
      expect(ephemeral(first[0]!)).not.toBe(ephemeral(second[0]!));
    });

    it('rejects mismatched lists and bad keys (naming the position) before encrypting anything', () => {
      expectTblsError(() => eciesEncryptEach([receivers[0]!.publicKey], []), 'ECIES_INVALID_KEY', /as many public keys as plaintexts/);
      expectTblsError(() => eciesEncryptEach([receivers[0]!.publicKey, new Uint8Array(12)], [shards[0]!, shards[1]!]), 'ECIES_INVALID_KEY', /ECIES public key \[1\]: expected 64, 65 or 33 bytes, got 12/);
      expect(eciesEncryptEach([], [])).toEqual([]);
    });
  });

  it('keeps working for keys evicted from the receiver cache and used again', () => {
    const pairs = Array.from({ length: 20 }, () => generateEciesKeyPair());
    for (let round = 0; round < 2; round++) {
      pairs.forEach((pair, i) => {
        const message = Uint8Array.of(round, i);
        expect(eciesDecrypt(pair.privateKey, eciesEncrypt(pair.publicKey.subarray(1), message))).toEqual(message);
      });
    }
  });

  it('rejects a 65-byte key with a prefix other than 0x04, even when its body is a cached key', () => {
    const { publicKey } = generateEciesKeyPair();
    eciesEncrypt(publicKey.subarray(1), new Uint8Array(1));
    const hybrid = Uint8Array.from(publicKey);
    hybrid[0] = 0x06;
    expectTblsError(() => eciesEncrypt(hybrid, new Uint8Array(1)), 'ECIES_INVALID_KEY', /not a point/);
    expectTblsError(() => eciesEncrypt('04ab' as unknown as Uint8Array, new Uint8Array(1)), 'ECIES_INVALID_KEY', /expected bytes/);
    expectTblsError(() => eciesEncrypt(publicKey, 'hello' as unknown as Uint8Array), 'ECIES_INVALID_KEY', /plaintext/);
  });
});

describe('ECIES on libsecp256k1 (the default here)', () => {
  it('refuses an ephemeral key that is not on the curve with ECIES_DECRYPT_FAILED', () => {
    const { privateKey, publicKey } = generateEciesKeyPair();
    const ciphertext = eciesEncrypt(publicKey, Uint8Array.of(1, 2, 3));
    const offCurve = Uint8Array.from(ciphertext);
    offCurve[64] ^= 1;
    expectTblsError(() => eciesDecrypt(privateKey, offCurve), 'ECIES_DECRYPT_FAILED', /ephemeral/);
    const compressedForm = Uint8Array.from(ciphertext);
    compressedForm[0] = 0x02;
    expectTblsError(() => eciesDecrypt(privateKey, compressedForm), 'ECIES_DECRYPT_FAILED', /ephemeral/);
  });
});
