import { describe, expect, it } from '@jest/globals';
import { constants, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { Pkcs1DecryptError, rsaPkcs1v15Decrypt } from './rsa-pkcs1.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const encrypt = (data: Buffer) => publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, data);

describe('RSA PKCS#1 v1.5 decryption', () => {
  it('decrypts what PKCS#1 v1.5 encryption produced (node:crypto refuses to since CVE-2023-46809)', () => {
    for (const message of [Buffer.from('ab'.repeat(32)), Buffer.from('0x' + 'cd'.repeat(32)), Buffer.alloc(0), randomBytes(245)]) {
      expect(Buffer.from(rsaPkcs1v15Decrypt(privateKey, encrypt(message)))).toEqual(message);
    }
  });

  it('fails with one generic error on a wrong key, a corrupted or a mis-sized ciphertext', () => {
    const ciphertext = encrypt(Buffer.from('secret'));
    expect(() => rsaPkcs1v15Decrypt(other.privateKey, ciphertext)).toThrow(Pkcs1DecryptError);
    const corrupted = Buffer.from(ciphertext);
    corrupted[100] = corrupted[100]! ^ 0xff;
    expect(() => rsaPkcs1v15Decrypt(privateKey, corrupted)).toThrow(Pkcs1DecryptError);
    expect(() => rsaPkcs1v15Decrypt(privateKey, ciphertext.subarray(1))).toThrow(Pkcs1DecryptError);
  });

  it('rejects a block without the 0x00 0x02 header or with a short padding string', () => {
    const raw = (em: Buffer) => publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, em);
    const good = Buffer.alloc(256, 0x11);
    good[0] = 0;
    good[1] = 2;
    good[200] = 0;
    expect(Buffer.from(rsaPkcs1v15Decrypt(privateKey, raw(good)))).toEqual(good.subarray(201));
    const wrongType = Buffer.from(good);
    wrongType[1] = 1;
    expect(() => rsaPkcs1v15Decrypt(privateKey, raw(wrongType))).toThrow(Pkcs1DecryptError);
    const shortPadding = Buffer.from(good);
    shortPadding[5] = 0; // separator after only 3 padding bytes
    expect(() => rsaPkcs1v15Decrypt(privateKey, raw(shortPadding))).toThrow(Pkcs1DecryptError);
    const noSeparator = Buffer.alloc(256, 0x11);
    noSeparator[0] = 0;
    noSeparator[1] = 2;
    expect(() => rsaPkcs1v15Decrypt(privateKey, raw(noSeparator))).toThrow(Pkcs1DecryptError);
  });
});
