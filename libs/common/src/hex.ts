import { InvalidInputError } from './errors.js';

const HEX_RE = /^(0x)?[0-9a-fA-F]*$/;

/**
 * Parses hex (with or without 0x) into bytes. `field` names the value in the error message;
 * `length` (bytes), when given, is enforced.
 */
export function hexToBytes(hex: string, field = 'value', length?: number): Uint8Array {
  if (typeof hex !== 'string') throw new InvalidInputError(`${field}: expected a hex string, got ${typeof hex}`);
  if (!HEX_RE.test(hex)) throw new InvalidInputError(`${field}: not hex: ${abbreviate(hex)}`);
  const body = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0) throw new InvalidInputError(`${field}: odd number of hex digits (${body.length})`);
  const bytes = Uint8Array.from(Buffer.from(body, 'hex'));
  if (length !== undefined && bytes.length !== length) {
    throw new InvalidInputError(`${field}: expected ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** Lowercase 0x-prefixed hex. */
export function bytesToHex(bytes: Uint8Array): string {
  return '0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Lowercase hex without 0x (deposit_data.json byte fields). */
export function bytesToBareHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function abbreviate(s: string, max = 24): string {
  return s.length <= max ? s : `${s.slice(0, max / 2)}…${s.slice(-max / 2 + 2)}`;
}
