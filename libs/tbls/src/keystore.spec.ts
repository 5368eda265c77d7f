import { describe, expect, it } from '@jest/globals';
import { bytesToBareHex, bytesToHex, hexToBytes } from '@dvt/common';
import { type Keystore, type Pbkdf2KdfParams, TblsError, decryptKeystore, encryptKeystore, generateSecretKey, normalizeKeystorePassword, parseKeystore, secretKeyToPublicKey } from './index.js';

async function expectTblsError(promise: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TblsError);
  expect((caught as TblsError).code).toBe(code);
  if (message) expect((caught as TblsError).message).toMatch(message);
}

// EIP-2335 test vectors (https://eips.ethereum.org/EIPS/eip-2335#test-cases), real cost parameters.
const EIP_PASSWORD = '𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑';
const EIP_SECRET = '0x000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
const EIP_COMMON = {
  pubkey: '9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07',
  uuid: '1d85ae20-35c5-4611-98e8-aa14a633906f',
  version: 4,
};
const EIP_SCRYPT = {
  crypto: {
    kdf: { function: 'scrypt', params: { dklen: 32, n: 262144, p: 1, r: 8, salt: 'd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3' }, message: '' },
    checksum: { function: 'sha256', params: {}, message: 'd2217fe5f3e9a1e34581ef8a78f7c9928e436d36dacc5e846690a5581e8ea484' },
    cipher: { function: 'aes-128-ctr', params: { iv: '264daa3f303d7259501c93d997d84fe6' }, message: '06ae90d55fe0a6e9c5c3bc5b170827b2e5cce3929ed3f116c2811e6366dfe20f' },
  },
  description: 'This is a test keystore that uses scrypt to secure the secret.',
  path: 'm/12381/60/3141592653/589793238',
  ...EIP_COMMON,
};
const EIP_PBKDF2 = {
  crypto: {
    kdf: { function: 'pbkdf2', params: { dklen: 32, c: 262144, prf: 'hmac-sha256', salt: 'd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3' }, message: '' },
    checksum: { function: 'sha256', params: {}, message: '8a9f5d9912ed7e75ea794bc5a89bca5f193721d30868ade6f73043c6ea6febf1' },
    cipher: { function: 'aes-128-ctr', params: { iv: '264daa3f303d7259501c93d997d84fe6' }, message: 'cee03fde2af33149775b7223e7845e4fb2c8ae1792e5f99fe9ecf474cc8c16ad' },
  },
  description: 'This is a test keystore that uses PBKDF2 to secure the secret.',
  path: 'm/12381/60/0/0',
  ...EIP_COMMON,
};

describe('EIP-2335 keystores', () => {
  it('normalises passwords per EIP-2335 (NFKD, control codes stripped)', () => {
    expect(bytesToBareHex(normalizeKeystorePassword(EIP_PASSWORD))).toBe('7465737470617373776f7264f09f9491');
    expect(Buffer.from(normalizeKeystorePassword('pa\u0000ss\u0007wo\u007frd\u009f\n')).toString()).toBe('password');
  });

  it.each([
    ['scrypt', EIP_SCRYPT],
    ['pbkdf2', EIP_PBKDF2],
  ])('decrypts the EIP-2335 %s test vector', async (_kdf, vector) => {
    expect(bytesToHex(await decryptKeystore(vector, EIP_PASSWORD))).toBe(EIP_SECRET);
    expect(bytesToHex(await decryptKeystore(JSON.stringify(vector), 'testpassword🔑'))).toBe(EIP_SECRET);
  });

  it.each(['scrypt', 'pbkdf2'] as const)('round-trips a %s keystore with a matching pubkey and an empty path', async (kdf) => {
    const secret = generateSecretKey();
    const ks = await encryptKeystore(secret, 'correct horse', { kdf, fastKdfForTests: true, description: 'share 3' });
    expect(ks.version).toBe(4);
    expect(ks.path).toBe('');
    expect(ks.description).toBe('share 3');
    expect(ks.pubkey).toBe(bytesToBareHex(secretKeyToPublicKey(secret)));
    expect(ks.crypto.kdf.function).toBe(kdf);
    expect(ks.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // survives JSON serialisation and parses back to the same shape
    const json = JSON.stringify(ks);
    expect(parseKeystore(json)).toEqual(ks);
    expect(bytesToHex(await decryptKeystore(json, 'correct horse'))).toBe(bytesToHex(secret));
    await expectTblsError(decryptKeystore(ks, 'correct horsE'), 'KEYSTORE_WRONG_PASSWORD', /wrong password/);
  });

  it('defaults to scrypt with the EIP-2335 cost parameters', async () => {
    const ks = await encryptKeystore(generateSecretKey(), 'pw', { path: 'm/12381/3600/0/0/0' });
    expect(ks.crypto.kdf).toMatchObject({ function: 'scrypt', params: { n: 262144, r: 8, p: 1, dklen: 32 } });
    expect(ks.path).toBe('m/12381/3600/0/0/0');
  });

  it('rejects a wrong password on the EIP vector', async () => {
    await expectTblsError(decryptKeystore(EIP_PBKDF2, 'testpassword'), 'KEYSTORE_WRONG_PASSWORD');
  });

  it('reports corrupted keystores as KEYSTORE_INVALID', async () => {
    const secret = generateSecretKey();
    const ks = await encryptKeystore(secret, 'pw', { kdf: 'pbkdf2', fastKdfForTests: true });
    const mutate = (f: (k: Keystore & { crypto: { kdf: { params: Pbkdf2KdfParams } } }) => void): unknown => {
      const copy = JSON.parse(JSON.stringify(ks)) as Keystore & { crypto: { kdf: { params: Pbkdf2KdfParams } } };
      f(copy);
      return copy;
    };
    const cases: [string, unknown, RegExp][] = [
      ['not JSON', '{"version": 4,', /not JSON/],
      ['an array', [], /JSON object/],
      ['version 3', mutate((k) => (k.version = 3 as 4)), /version must be 4/],
      ['checksum not hex', mutate((k) => (k.crypto.checksum.message = 'zz' + k.crypto.checksum.message.slice(2))), /checksum\.message must be hex/],
      ['checksum truncated', mutate((k) => (k.crypto.checksum.message = k.crypto.checksum.message.slice(4))), /checksum\.message must be 32 bytes/],
      ['unknown kdf', mutate((k) => (k.crypto.kdf.function = 'argon2' as 'pbkdf2')), /unsupported kdf argon2/],
      ['unknown cipher', mutate((k) => (k.crypto.cipher.function = 'aes-256-gcm' as 'aes-128-ctr')), /aes-128-ctr/],
      ['bad iv', mutate((k) => (k.crypto.cipher.params.iv = '00')), /iv must be 16 bytes/],
      ['missing crypto', mutate((k) => delete (k as Partial<Keystore>).crypto), /crypto\.kdf/],
      ['prf', mutate((k) => (k.crypto.kdf.params.prf = 'hmac-sha512' as 'hmac-sha256')), /prf/],
      ['huge pbkdf2 cost', mutate((k) => (k.crypto.kdf.params.c = 2 ** 30)), /crypto\.kdf\.params\.c above/],
      ['pubkey wrong length', mutate((k) => (k.pubkey = 'abcd')), /pubkey must be 48 bytes/],
    ];
    for (const [, input, message] of cases) {
      await expectTblsError(() => parseKeystore(input), 'KEYSTORE_INVALID', message);
      await expectTblsError(decryptKeystore(input, 'pw'), 'KEYSTORE_INVALID', message);
    }
    const scrypt = await encryptKeystore(secret, 'pw', { fastKdfForTests: true });
    await expectTblsError(() => parseKeystore({ ...scrypt, crypto: { ...scrypt.crypto, kdf: { ...scrypt.crypto.kdf, params: { ...scrypt.crypto.kdf.params, n: 1000 } } } }), 'KEYSTORE_INVALID', /power of two/);
    await expectTblsError(() => parseKeystore({ ...scrypt, crypto: { ...scrypt.crypto, kdf: { ...scrypt.crypto.kdf, params: { ...scrypt.crypto.kdf.params, n: 2 ** 24 } } } }), 'KEYSTORE_INVALID', /2 GiB/);
  });

  it('reports a flipped ciphertext byte as a checksum failure, and a pubkey that does not match the secret as KEYSTORE_INVALID', async () => {
    const secret = generateSecretKey();
    const ks: Keystore = await encryptKeystore(secret, 'pw', { kdf: 'pbkdf2', fastKdfForTests: true });
    const flipped = ks.crypto.cipher.message.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await expectTblsError(decryptKeystore({ ...ks, crypto: { ...ks.crypto, cipher: { ...ks.crypto.cipher, message: flipped } } }, 'pw'), 'KEYSTORE_WRONG_PASSWORD');
    const otherPubkey = bytesToBareHex(secretKeyToPublicKey(generateSecretKey()));
    await expectTblsError(decryptKeystore({ ...ks, pubkey: otherPubkey }, 'pw'), 'KEYSTORE_INVALID', /pubkey does not match/);
    // an empty pubkey skips the check
    expect(bytesToHex(await decryptKeystore({ ...ks, pubkey: '' }, 'pw'))).toBe(bytesToHex(secret));
  });

  it('refuses to encrypt an invalid secret key or with an unknown kdf', async () => {
    await expectTblsError(encryptKeystore(new Uint8Array(32), 'pw', { fastKdfForTests: true }), 'INVALID_SECRET_KEY');
    await expectTblsError(encryptKeystore(hexToBytes(EIP_SECRET), 'pw', { kdf: 'argon2' as 'scrypt' }), 'KEYSTORE_INVALID', /unsupported kdf/);
  });
});
