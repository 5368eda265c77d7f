import {
  BLS_SIGNATURE_BYTES,
  DV_PUBKEY_BYTES,
  DvError,
  isDutyType,
  newDuty,
  toDvPubkey,
  type Duty,
  type DvPubkey,
  type PartialSignature,
  type PartialSignatureBatch,
} from '../core/index.js';

/*
 * Wire format of a batch of partial signatures (integers big-endian):
 *   version u8 (= 1) | slot u64 | duty type u8 | count u32 |
 *   count × (DV key [48] | share index u16 | message length u32 | message | signature [96])
 * Keys strictly ascending, so a batch has one encoding and a DV appears once.
 */
export const PARTIAL_SIGNATURE_WIRE_VERSION = 1;
const HEADER = 1 + 8 + 1 + 4;
const ENTRY_FIXED = DV_PUBKEY_BYTES + 2 + 4 + BLS_SIGNATURE_BYTES;

export interface PartialSignatureWireLimits {
  readonly maxEntries: number;
  readonly maxMessageBytes: number;
  readonly maxBytes: number;
}

export const DEFAULT_PARTIAL_SIGNATURE_WIRE_LIMITS: PartialSignatureWireLimits = {
  maxEntries: 65_536,
  maxMessageBytes: 1024 * 1024,
  maxBytes: 8 * 1024 * 1024,
};

const invalid = (message: string): never => {
  throw new DvError('INVALID_SIGNED_DATA', `partial signature batch: ${message}`);
};

export function encodePartialSignatureBatch(batch: PartialSignatureBatch, limits = DEFAULT_PARTIAL_SIGNATURE_WIRE_LIMITS): Uint8Array {
  const keys = [...batch.partials.keys()].sort();
  if (keys.length === 0) invalid('no partial signatures');
  if (keys.length > limits.maxEntries) invalid(`${keys.length} entries exceed the limit of ${limits.maxEntries}`);
  let size = HEADER;
  for (const key of keys) {
    const p = batch.partials.get(key)!;
    if (p.signature.length !== BLS_SIGNATURE_BYTES) invalid(`signature of ${key} is ${p.signature.length} bytes`);
    if (p.message.length > limits.maxMessageBytes) invalid(`message of ${key} is ${p.message.length} bytes, above ${limits.maxMessageBytes}`);
    if (!Number.isInteger(p.shareIndex) || p.shareIndex < 1 || p.shareIndex > 0xffff) invalid(`share index ${p.shareIndex} of ${key}`);
    size += ENTRY_FIXED + p.message.length;
  }
  if (size > limits.maxBytes) invalid(`${size} bytes exceed the limit of ${limits.maxBytes}`);
  const out = Buffer.allocUnsafe(size);
  out[0] = PARTIAL_SIGNATURE_WIRE_VERSION;
  out.writeBigUInt64BE(BigInt(batch.duty.slot), 1);
  out[9] = batch.duty.type;
  out.writeUInt32BE(keys.length, 10);
  let offset = HEADER;
  for (const key of keys) {
    const p = batch.partials.get(key)!;
    out.write(key.slice(2), offset, DV_PUBKEY_BYTES, 'hex');
    offset += DV_PUBKEY_BYTES;
    out.writeUInt16BE(p.shareIndex, offset);
    out.writeUInt32BE(p.message.length, offset + 2);
    offset += 6;
    out.set(p.message, offset);
    offset += p.message.length;
    out.set(p.signature, offset);
    offset += BLS_SIGNATURE_BYTES;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decodes untrusted bytes; throws DvError INVALID_SIGNED_DATA on anything but the canonical encoding within limits. */
export function decodePartialSignatureBatch(bytes: Uint8Array, limits = DEFAULT_PARTIAL_SIGNATURE_WIRE_LIMITS): PartialSignatureBatch {
  if (!(bytes instanceof Uint8Array)) invalid('expected bytes');
  if (bytes.length > limits.maxBytes) invalid(`${bytes.length} bytes exceed the limit of ${limits.maxBytes}`);
  if (bytes.length < HEADER) invalid(`truncated header (${bytes.length} bytes)`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf[0] !== PARTIAL_SIGNATURE_WIRE_VERSION) invalid(`unsupported version ${buf[0]}`);
  const slot = buf.readBigUInt64BE(1);
  if (slot > BigInt(Number.MAX_SAFE_INTEGER)) invalid(`slot ${slot} is out of range`);
  const type = buf[9]!;
  if (!isDutyType(type)) invalid(`duty type ${type} is not a duty type`);
  let duty: Duty;
  try {
    duty = newDuty(Number(slot), type);
  } catch (error) {
    return invalid((error as Error).message);
  }
  const count = buf.readUInt32BE(10);
  if (count === 0) invalid('no partial signatures');
  if (count > limits.maxEntries) invalid(`${count} entries exceed the limit of ${limits.maxEntries}`);
  const partials = new Map<DvPubkey, PartialSignature>();
  let offset = HEADER;
  let previous = '';
  for (let i = 0; i < count; i++) {
    if (buf.length - offset < ENTRY_FIXED) invalid(`entry ${i} truncated`);
    const dv = toDvPubkey('0x' + buf.toString('hex', offset, offset + DV_PUBKEY_BYTES));
    if (dv <= previous) invalid(`entry ${i}: keys must be unique and ascending`);
    previous = dv;
    offset += DV_PUBKEY_BYTES;
    const shareIndex = buf.readUInt16BE(offset);
    const length = buf.readUInt32BE(offset + 2);
    offset += 6;
    if (shareIndex === 0) invalid(`entry ${i}: share index 0`);
    if (length > limits.maxMessageBytes) invalid(`entry ${i}: message of ${length} bytes exceeds ${limits.maxMessageBytes}`);
    if (buf.length - offset < length + BLS_SIGNATURE_BYTES) invalid(`entry ${i} truncated`);
    const message = bytes.slice(offset, offset + length);
    offset += length;
    const signature = bytes.slice(offset, offset + BLS_SIGNATURE_BYTES);
    offset += BLS_SIGNATURE_BYTES;
    partials.set(dv, { shareIndex, message, signature });
  }
  if (offset !== buf.length) invalid(`${buf.length - offset} trailing bytes`);
  return { duty, partials };
}
