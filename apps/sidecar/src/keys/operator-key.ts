/**
 * SSV operator RSA keys. SSV stores them as JSON shaped like an EIP-2335 `crypto` section
 * (kdf scrypt/pbkdf2, aes-128-ctr, sha256 checksum) plus `pubKey` (base64 of the PEM public key);
 * the plaintext is the PEM private key. A plain PEM file (unencrypted) is accepted too.
 */
import { type KeyObject, createCipheriv, createHash, createPrivateKey, createPublicKey, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SidecarError } from '../errors.js';

interface CryptoSection {
  kdf: { function: string; params: Record<string, unknown> };
  checksum: { function: string; message: string };
  cipher: { function: string; params: { iv?: unknown }; message: string };
}

const MAX_SCRYPT_MEMORY = 1 << 30;
const MAX_PBKDF2_C = 1 << 24;

function keyError(path: string, message: string): SidecarError {
  return new SidecarError('OPERATOR_KEY_INVALID', `SSV operator key ${path}: ${message}`, { path });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hexField(v: unknown, field: string, path: string): Buffer {
  if (typeof v !== 'string' || !/^(0x)?([0-9a-fA-F]{2})*$/.test(v)) throw keyError(path, `${field} must be hex`);
  return Buffer.from(v.replace(/^0x/, ''), 'hex');
}

function intParam(params: Record<string, unknown>, name: string, path: string): number {
  const v = params[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw keyError(path, `kdf.params.${name} must be a positive integer`);
  return v;
}

/** Decrypts an EIP-2335-style crypto section holding any plaintext. */
export function decryptCryptoSection(section: unknown, password: string, path: string): Buffer {
  if (!isRecord(section) || !isRecord(section.kdf) || !isRecord(section.checksum) || !isRecord(section.cipher)) {
    throw keyError(path, 'expected kdf, checksum and cipher sections');
  }
  const crypto = section as unknown as CryptoSection;
  if (!isRecord(crypto.kdf.params)) throw keyError(path, 'kdf.params is required');
  const params = crypto.kdf.params;
  const salt = hexField(params.salt, 'kdf.params.salt', path);
  const dklen = intParam(params, 'dklen', path);
  if (dklen < 32) throw keyError(path, 'kdf.params.dklen must be at least 32');
  // EIP-2335 password normalisation: NFKD, control codes removed
  // eslint-disable-next-line no-control-regex
  const secret = Buffer.from(password.normalize('NFKD').replace(/[\u0000-\u001f\u007f-\u009f]/g, ''), 'utf8');
  let key: Buffer;
  if (crypto.kdf.function === 'scrypt') {
    const n = intParam(params, 'n', path);
    const r = intParam(params, 'r', path);
    const p = intParam(params, 'p', path);
    if (128 * n * r * p > MAX_SCRYPT_MEMORY) throw keyError(path, 'scrypt parameters need more than 1 GiB');
    key = scryptSync(secret, salt, dklen, { N: n, r, p, maxmem: 256 * n * r * p + (1 << 20) });
  } else if (crypto.kdf.function === 'pbkdf2') {
    if (params.prf !== 'hmac-sha256') throw keyError(path, 'kdf.params.prf must be hmac-sha256');
    const c = intParam(params, 'c', path);
    if (c > MAX_PBKDF2_C) throw keyError(path, 'kdf.params.c is too large');
    key = pbkdf2Sync(secret, salt, c, dklen, 'sha256');
  } else {
    throw keyError(path, `unsupported kdf ${String(crypto.kdf.function)}`);
  }
  if (crypto.checksum.function !== 'sha256' || crypto.cipher.function !== 'aes-128-ctr') {
    throw keyError(path, 'only sha256 checksums and aes-128-ctr ciphers are supported');
  }
  const cipherMessage = hexField(crypto.cipher.message, 'cipher.message', path);
  const expected = hexField(crypto.checksum.message, 'checksum.message', path);
  const actual = createHash('sha256').update(key.subarray(16, 32)).update(cipherMessage).digest();
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw keyError(path, 'wrong password (checksum mismatch)');
  const iv = hexField(crypto.cipher.params?.iv, 'cipher.params.iv', path);
  if (iv.length !== 16) throw keyError(path, 'cipher.params.iv must be 16 bytes');
  const decipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), iv);
  const plaintext = Buffer.concat([decipher.update(cipherMessage), decipher.final()]);
  key.fill(0);
  return plaintext;
}

function importPrivateKey(material: Buffer, path: string): KeyObject {
  const text = material.toString('utf8').trim();
  const candidates: (() => KeyObject)[] = [
    () => createPrivateKey(text),
    () => createPrivateKey(Buffer.from(text, 'base64').toString('utf8')), // base64 of the PEM
    () => createPrivateKey({ key: material, format: 'der', type: 'pkcs1' }),
    () => createPrivateKey({ key: material, format: 'der', type: 'pkcs8' }),
  ];
  for (const attempt of candidates) {
    try {
      const key = attempt();
      if (key.asymmetricKeyType !== 'rsa') throw keyError(path, `not an RSA key (${key.asymmetricKeyType})`);
      return key;
    } catch (err) {
      if (err instanceof SidecarError) throw err;
    }
  }
  throw keyError(path, 'does not hold an RSA private key (PEM or DER)');
}

/** Reads an SSV operator key (encrypted JSON with its password file, or PEM) and checks its pubKey. */
export async function loadOperatorKey(path: string, passwordPath: string | undefined): Promise<KeyObject> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    throw keyError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    json = undefined;
  }
  if (!isRecord(json)) return importPrivateKey(raw, path);

  if (passwordPath === undefined) throw keyError(path, 'the key is encrypted: give its password file');
  let password: string;
  try {
    password = (await readFile(passwordPath, 'utf8')).trim();
  } catch (err) {
    throw keyError(path, `cannot read the password file ${passwordPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const section = isRecord(json.crypto) ? json.crypto : json;
  const plaintext = decryptCryptoSection(section, password, path);
  const key = importPrivateKey(plaintext, path);
  plaintext.fill(0);
  if (typeof json.pubKey === 'string') {
    let declared: string;
    try {
      declared = createPublicKey(Buffer.from(json.pubKey, 'base64').toString('utf8')).export({ format: 'der', type: 'spki' }).toString('hex');
    } catch {
      throw keyError(path, 'pubKey is not a base64 PEM public key');
    }
    const derived = createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('hex');
    if (declared !== derived) throw keyError(path, 'pubKey does not match the private key');
  }
  return key;
}
