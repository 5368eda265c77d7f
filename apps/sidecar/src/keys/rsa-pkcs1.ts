/**
 * RSA PKCS#1 v1.5 decryption (RFC 8017 §7.2.2), as SSV encrypts key shares to operators.
 *
 * Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt (CVE-2023-46809, the Marvin attack) unless
 * started with --security-revert. So the raw RSA operation runs with RSA_NO_PADDING and the
 * padding is checked here, scanning every byte whatever the content and failing with one generic
 * error, so neither timing nor the message tells which check failed. (The inputs are key shares
 * from chain events, not an oracle an attacker can query; the care is cheap anyway.)
 */
import { type KeyObject, constants, privateDecrypt } from 'node:crypto';

export class Pkcs1DecryptError extends Error {
  constructor() {
    super('RSA PKCS#1 v1.5 decryption failed (wrong key or corrupted ciphertext)');
  }
}

export function rsaPkcs1v15Decrypt(privateKey: KeyObject, ciphertext: Uint8Array): Uint8Array {
  const modulusBytes = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (privateKey.asymmetricKeyType !== 'rsa' || ciphertext.length !== modulusBytes) throw new Pkcs1DecryptError();
  let em: Buffer;
  try {
    em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    throw new Pkcs1DecryptError();
  }
  // EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero bytes) ‖ 0x00 ‖ M
  let bad = em[0]! | (em[1]! ^ 0x02);
  let separator = 0; // index of the first zero byte after PS, 0 while not found
  for (let i = 2; i < em.length; i++) {
    const isZero = em[i] === 0 ? 1 : 0;
    const firstZero = isZero & (separator === 0 ? 1 : 0);
    separator = firstZero ? i : separator;
  }
  bad |= separator === 0 ? 1 : 0;
  bad |= separator < 10 ? 1 : 0; // PS shorter than 8 bytes
  const message = em.subarray(separator + 1);
  const out = Uint8Array.from(message);
  em.fill(0);
  if (bad !== 0) {
    out.fill(0);
    throw new Pkcs1DecryptError();
  }
  return out;
}
