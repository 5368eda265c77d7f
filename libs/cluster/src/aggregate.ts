import { bytesToHex } from '@dvt/common';
import { sign } from '@dvt/tbls';

/** Order r of the BLS12-381 groups (the scalar field of secret keys). */
const CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

/**
 * The BLS aggregate of every key's signature over one message. Signatures are linear in the key,
 * so Σ sign(sk_i, m) = sign(Σ sk_i mod r, m): one signing instead of n signings plus G2 additions
 * (@dvt/tbls exposes no point addition).
 */
export function aggregateSignatureOverSameMessage(secretKeys: readonly Uint8Array[], message: Uint8Array): Uint8Array {
  let sum = 0n;
  for (const key of secretKeys) sum = (sum + BigInt(bytesToHex(key))) % CURVE_ORDER;
  const bytes = Uint8Array.from(Buffer.from(sum.toString(16).padStart(64, '0'), 'hex'));
  sum = 0n;
  try {
    return sign(bytes, message);
  } finally {
    bytes.fill(0);
  }
}
