import { ClusterError } from './errors.js';

/**
 * Deterministic JSON used for the lock hashes: object keys sorted by UTF-16 code unit, no
 * whitespace, `undefined` members dropped, only safe integers as numbers (amounts are decimal
 * strings in the lock, so no float ever needs a canonical form).
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  writeCanonicalJson(value, (s) => parts.push(s));
  return parts.join('');
}

/**
 * Streams the canonical JSON of `value` to `write` piece by piece, so a lock of tens of thousands
 * of validators is hashed without building its whole text.
 */
export function writeCanonicalJson(value: unknown, write: (piece: string) => void): void {
  encode(value, () => '$', write);
}

/** `path` is built only for an error message. */
function encode(value: unknown, path: () => string, write: (piece: string) => void): void {
  if (value === null) return write('null');
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return write(JSON.stringify(value));
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new ClusterError('LOCK_INVALID', `${path()}: only safe integers can be hashed, got ${value}`);
      }
      return write(String(value));
    case 'object': {
      if (Array.isArray(value)) {
        write('[');
        value.forEach((v, i) => {
          if (i > 0) write(',');
          encode(v, () => `${path()}[${i}]`, write);
        });
        return write(']');
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      write('{');
      entries.forEach(([k, v], i) => {
        write(i > 0 ? `,${JSON.stringify(k)}:` : `${JSON.stringify(k)}:`);
        encode(v, () => `${path()}.${k}`, write);
      });
      return write('}');
    }
    default:
      throw new ClusterError('LOCK_INVALID', `${path()}: a ${typeof value} cannot be hashed`);
  }
}
