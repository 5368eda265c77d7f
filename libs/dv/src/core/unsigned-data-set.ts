import { DV_PUBKEY_BYTES, toDvPubkey, type DvPubkey } from './dv-pubkey.js';
import { DvError } from './errors.js';

/**
 * The unsigned data of one duty for every DV that has it: DV root key → opaque SSZ bytes
 * (attestation data, a block, a sync contribution …). The value QBFT agrees on. Treat as
 * immutable once built: it is shared between components.
 */
export type UnsignedDataSet = ReadonlyMap<DvPubkey, Uint8Array>;

export interface UnsignedDataSetLimits {
  /** most DVs in one set */
  readonly maxEntries: number;
  /** largest data of one DV, bytes */
  readonly maxEntryBytes: number;
  /** largest encoded set, bytes */
  readonly maxEncodedBytes: number;
}

/** A block with blobs fits one entry; the whole set fits a default 8 MiB QBFT message with room for its header. */
export const DEFAULT_UNSIGNED_DATA_SET_LIMITS: UnsignedDataSetLimits = {
  maxEntries: 65_536,
  maxEntryBytes: 4 * 1024 * 1024,
  maxEncodedBytes: 8 * 1024 * 1024 - 64 * 1024,
};

/*
 * Canonical encoding (integers big-endian):
 *   version u8 (= 1) | count u32 | count × (pubkey [48] | length u32 | data [length])
 * Entries are in strictly ascending pubkey byte order, so each set has exactly one encoding and
 * equal sets hash equally. A set has at least one entry.
 */
export const UNSIGNED_DATA_SET_VERSION = 1;
const HEADER_BYTES = 1 + 4;
const ENTRY_HEADER_BYTES = DV_PUBKEY_BYTES + 4;

const invalid = (message: string, details?: Record<string, unknown>): never => {
  throw new DvError('INVALID_UNSIGNED_DATA', message, details);
};

/** Builds a set from entries in any order (keys as bytes or hex); throws INVALID_DV_PUBKEY / INVALID_UNSIGNED_DATA on bad or repeated keys. */
export function unsignedDataSet(entries: Iterable<readonly [Uint8Array | string, Uint8Array]>): UnsignedDataSet {
  const map = new Map<DvPubkey, Uint8Array>();
  let i = 0;
  for (const [key, data] of entries) {
    const pubkey = toDvPubkey(key, `entry ${i}`);
    if (!(data instanceof Uint8Array)) invalid(`entry ${i} (${pubkey}): data must be bytes`, { pubkey });
    if (map.has(pubkey)) invalid(`${pubkey} appears twice`, { pubkey });
    map.set(pubkey, data);
    i++;
  }
  return map;
}

export function encodeUnsignedDataSet(set: UnsignedDataSet, limits: UnsignedDataSetLimits = DEFAULT_UNSIGNED_DATA_SET_LIMITS): Uint8Array {
  if (set.size === 0) invalid('an unsigned data set needs at least one DV');
  if (set.size > limits.maxEntries) invalid(`${set.size} DVs exceed the limit of ${limits.maxEntries}`, { entries: set.size });
  const keys = [...set.keys()].sort();
  for (const key of keys) {
    if (toDvPubkey(key) !== key) invalid(`key ${key} is not in canonical form (lowercase 0x-hex); build sets with unsignedDataSet()`, { pubkey: key });
  }
  let size = HEADER_BYTES;
  for (const key of keys) {
    const data = set.get(key)!;
    if (data.length > limits.maxEntryBytes) {
      invalid(`data of ${key} is ${data.length} bytes, above the limit of ${limits.maxEntryBytes}`, { pubkey: key, bytes: data.length });
    }
    size += ENTRY_HEADER_BYTES + data.length;
  }
  if (size > limits.maxEncodedBytes) invalid(`the set encodes to ${size} bytes, above the limit of ${limits.maxEncodedBytes}`, { bytes: size });
  const out = Buffer.allocUnsafe(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = UNSIGNED_DATA_SET_VERSION;
  view.setUint32(1, keys.length);
  let offset = HEADER_BYTES;
  for (const key of keys) {
    const data = set.get(key)!;
    out.write(key.slice(2), offset, DV_PUBKEY_BYTES, 'hex');
    view.setUint32(offset + DV_PUBKEY_BYTES, data.length);
    out.set(data, offset + ENTRY_HEADER_BYTES);
    offset += ENTRY_HEADER_BYTES + data.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export interface DecodeUnsignedDataSetOptions {
  /**
   * Copy each DV's data out of `bytes` (default). Without copying the entries are views into
   * `bytes`, which the caller then must never modify: cheaper for bytes it owns.
   */
  readonly copy?: boolean;
}

/** Decodes untrusted bytes; only the canonical encoding within `limits` is accepted (DvError INVALID_UNSIGNED_DATA). */
export function decodeUnsignedDataSet(
  bytes: Uint8Array,
  limits: UnsignedDataSetLimits = DEFAULT_UNSIGNED_DATA_SET_LIMITS,
  options: DecodeUnsignedDataSetOptions = {},
): UnsignedDataSet {
  if (!(bytes instanceof Uint8Array)) invalid('expected bytes');
  if (bytes.length > limits.maxEncodedBytes) invalid(`${bytes.length} bytes exceed the limit of ${limits.maxEncodedBytes}`, { bytes: bytes.length });
  if (bytes.length < HEADER_BYTES) invalid(`truncated header: ${bytes.length} bytes`, { field: 'header' });
  if (bytes[0] !== UNSIGNED_DATA_SET_VERSION) invalid(`unsupported version ${bytes[0]}`, { field: 'version' });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(1);
  if (count === 0) invalid('an unsigned data set needs at least one DV', { field: 'count' });
  if (count > limits.maxEntries) invalid(`${count} DVs exceed the limit of ${limits.maxEntries}`, { field: 'count' });
  const copy = options.copy ?? true;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const set = new Map<DvPubkey, Uint8Array>();
  let offset = HEADER_BYTES;
  let previous = '';
  for (let i = 0; i < count; i++) {
    if (bytes.length - offset < ENTRY_HEADER_BYTES) invalid(`entry ${i}: truncated`, { field: 'entry', index: i });
    const pubkey = ('0x' + buffer.toString('hex', offset, offset + DV_PUBKEY_BYTES)) as DvPubkey;
    if (pubkey <= previous) invalid(`entry ${i}: ${pubkey} is not above the previous key (keys must be unique and ascending)`, { field: 'pubkey', index: i });
    previous = pubkey;
    const length = view.getUint32(offset + DV_PUBKEY_BYTES);
    if (length > limits.maxEntryBytes) invalid(`entry ${i}: ${length} bytes exceed the limit of ${limits.maxEntryBytes}`, { field: 'length', index: i });
    offset += ENTRY_HEADER_BYTES;
    if (bytes.length - offset < length) invalid(`entry ${i}: data truncated`, { field: 'data', index: i });
    set.set(pubkey, copy ? bytes.slice(offset, offset + length) : bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length) invalid(`${bytes.length - offset} trailing bytes`, { field: 'trailing' });
  return set;
}
