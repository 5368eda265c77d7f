import { createHash } from 'node:crypto';
import { equalBytes } from '@dvt/common';
import { QbftError } from './errors.js';
import {
  QBFT_HASH_BYTES,
  QBFT_SIGNATURE_BYTES,
  QbftMessageType,
  ZERO_HASH,
  type QbftEnvelope,
  type QbftMessage,
  type SignedQbftMessage,
} from './types.js';

/*
 * Canonical binary encoding (all integers big-endian):
 *
 *   message  = type u8 | slot u64 | dutyType u8 | source u16 | round u32 | valueHash [32]
 *              | preparedRound u32 | preparedValueHash [32]                         (84 bytes)
 *   record   = message | signature [64] | justificationCount u16 | record × count
 *   envelope = version u8 | record | hasValue u8 | (valueLength u32 | value)?
 *
 * A justification is a record whose own count must be 0: nesting is rejected, not ignored.
 * Every field has exactly one accepted encoding, so decode(encode(x)) = x and encode(decode(b)) = b.
 */

export const QBFT_ENVELOPE_VERSION = 1;
export const QBFT_MESSAGE_BYTES = 84;
const RECORD_FIXED_BYTES = QBFT_MESSAGE_BYTES + QBFT_SIGNATURE_BYTES + 2;

export interface QbftLimits {
  /** largest envelope accepted or produced, bytes */
  readonly maxMessageBytes: number;
  /** most justifications one envelope may carry */
  readonly maxJustifications: number;
}

/** 8 MiB fits a block proposal with blobs; the instance narrows justifications to 2n. */
export const DEFAULT_QBFT_LIMITS: QbftLimits = { maxMessageBytes: 8 * 1024 * 1024, maxJustifications: 64 };

/** Bytes an envelope takes besides its value, with `justifications` justifications. */
export function qbftEnvelopeOverhead(justifications: number): number {
  return 1 + RECORD_FIXED_BYTES * (1 + justifications) + 1 + 4;
}

/** sha256 of a value's encoding: the hash messages carry instead of the value. */
export function qbftValueHash(value: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(value).digest());
}

export function encodeQbftMessage(message: QbftMessage): Uint8Array {
  const out = new Uint8Array(QBFT_MESSAGE_BYTES);
  writeMessage(new DataView(out.buffer), out, 0, message);
  return out;
}

export function encodeQbftEnvelope(envelope: QbftEnvelope): Uint8Array {
  const { signed, justifications, value } = envelope;
  const size = qbftEnvelopeOverhead(justifications.length) - (value ? 0 : 4) + (value?.length ?? 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  view.setUint8(offset++, QBFT_ENVELOPE_VERSION);
  offset = writeRecord(view, out, offset, signed, justifications.length);
  for (const justification of justifications) offset = writeRecord(view, out, offset, justification, 0);
  view.setUint8(offset++, value ? 1 : 0);
  if (value) {
    view.setUint32(offset, value.length);
    out.set(value, offset + 4);
    offset += 4 + value.length;
  }
  return out;
}

function writeRecord(view: DataView, out: Uint8Array, offset: number, signed: SignedQbftMessage, count: number): number {
  if (signed.signature.length !== QBFT_SIGNATURE_BYTES) {
    throw new QbftError('MALFORMED_MESSAGE', `signature must be ${QBFT_SIGNATURE_BYTES} bytes, got ${signed.signature.length}`);
  }
  writeMessage(view, out, offset, signed.message);
  out.set(signed.signature, offset + QBFT_MESSAGE_BYTES);
  view.setUint16(offset + QBFT_MESSAGE_BYTES + QBFT_SIGNATURE_BYTES, count);
  return offset + RECORD_FIXED_BYTES;
}

function writeMessage(view: DataView, out: Uint8Array, offset: number, m: QbftMessage): void {
  checkMessageShape(m);
  view.setUint8(offset, m.type);
  view.setBigUint64(offset + 1, BigInt(m.duty.slot));
  view.setUint8(offset + 9, m.duty.type);
  view.setUint16(offset + 10, m.source);
  view.setUint32(offset + 12, m.round);
  out.set(m.valueHash, offset + 16);
  view.setUint32(offset + 48, m.preparedRound);
  out.set(m.preparedValueHash, offset + 52);
}

/**
 * Decodes untrusted bytes. Throws QbftError: MESSAGE_TOO_LARGE, TOO_MANY_JUSTIFICATIONS,
 * NESTED_JUSTIFICATION, UNKNOWN_MESSAGE_TYPE or MALFORMED_MESSAGE (with the offending field).
 */
export function decodeQbftEnvelope(bytes: Uint8Array, limits: QbftLimits = DEFAULT_QBFT_LIMITS): QbftEnvelope {
  if (bytes.length > limits.maxMessageBytes) {
    throw new QbftError('MESSAGE_TOO_LARGE', `message of ${bytes.length} bytes exceeds the limit of ${limits.maxMessageBytes}`, {
      size: bytes.length,
      limit: limits.maxMessageBytes,
    });
  }
  const reader = new Reader(bytes);
  const version = reader.u8('version');
  if (version !== QBFT_ENVELOPE_VERSION) {
    throw new QbftError('MALFORMED_MESSAGE', `unsupported envelope version ${version}`, { field: 'version' });
  }
  const signed = readSigned(reader);
  const count = reader.u16('justificationCount');
  if (count > limits.maxJustifications) {
    throw new QbftError('TOO_MANY_JUSTIFICATIONS', `${count} justifications exceed the limit of ${limits.maxJustifications}`, {
      count,
      limit: limits.maxJustifications,
    });
  }
  const justifications: SignedQbftMessage[] = [];
  for (let i = 0; i < count; i++) {
    const justification = readSigned(reader);
    const nested = reader.u16('justificationCount');
    if (nested !== 0) {
      throw new QbftError('NESTED_JUSTIFICATION', `justification ${i} carries ${nested} justifications of its own`, { index: i });
    }
    justifications.push(justification);
  }
  const hasValue = reader.u8('hasValue');
  let value: Uint8Array | undefined;
  if (hasValue === 1) {
    const length = reader.u32('valueLength');
    value = reader.bytes(length, 'value');
  } else if (hasValue !== 0) {
    throw new QbftError('MALFORMED_MESSAGE', `hasValue must be 0 or 1, got ${hasValue}`, { field: 'hasValue' });
  }
  if (reader.remaining() !== 0) {
    throw new QbftError('MALFORMED_MESSAGE', `${reader.remaining()} trailing bytes after the envelope`, { field: 'trailing' });
  }
  return value ? { signed, justifications, value } : { signed, justifications };
}

function readSigned(reader: Reader): SignedQbftMessage {
  const type = reader.u8('type');
  if (type < QbftMessageType.PrePrepare || type > QbftMessageType.Decided) {
    throw new QbftError('UNKNOWN_MESSAGE_TYPE', `unknown message type ${type}`, { type });
  }
  const slot = reader.u64('slot');
  const dutyType = reader.u8('dutyType');
  const source = reader.u16('source');
  const round = reader.u32('round');
  const valueHash = reader.bytes(QBFT_HASH_BYTES, 'valueHash');
  const preparedRound = reader.u32('preparedRound');
  const preparedValueHash = reader.bytes(QBFT_HASH_BYTES, 'preparedValueHash');
  const signature = reader.bytes(QBFT_SIGNATURE_BYTES, 'signature');
  const message: QbftMessage = {
    type: type as QbftMessageType,
    duty: { slot, type: dutyType },
    source,
    round,
    valueHash,
    preparedRound,
    preparedValueHash,
  };
  checkMessageShape(message);
  return { message, signature };
}

/** Field rules that do not depend on the cluster: which hashes are set for which type, round ≥ 1. */
function checkMessageShape(m: QbftMessage): void {
  const bad = (field: string, why: string): never => {
    throw new QbftError('MALFORMED_MESSAGE', `${field}: ${why}`, { field });
  };
  if (!Number.isSafeInteger(m.duty.slot) || m.duty.slot < 0) bad('slot', `not a slot number: ${m.duty.slot}`);
  if (!Number.isInteger(m.duty.type) || m.duty.type < 0 || m.duty.type > 0xff) bad('dutyType', `out of range: ${m.duty.type}`);
  if (!Number.isInteger(m.source) || m.source < 0 || m.source > 0xffff) bad('source', `out of range: ${m.source}`);
  if (!Number.isInteger(m.round) || m.round < 1 || m.round > 0xffffffff) bad('round', `must be 1..2^32-1, got ${m.round}`);
  if (!Number.isInteger(m.preparedRound) || m.preparedRound < 0 || m.preparedRound > 0xffffffff) {
    bad('preparedRound', `out of range: ${m.preparedRound}`);
  }
  if (m.valueHash.length !== QBFT_HASH_BYTES) bad('valueHash', `must be ${QBFT_HASH_BYTES} bytes`);
  if (m.preparedValueHash.length !== QBFT_HASH_BYTES) bad('preparedValueHash', `must be ${QBFT_HASH_BYTES} bytes`);
  if (m.type === QbftMessageType.RoundChange) {
    if (!equalBytes(m.valueHash, ZERO_HASH)) bad('valueHash', 'must be zero in a ROUND-CHANGE');
    if (m.preparedRound === 0 && !equalBytes(m.preparedValueHash, ZERO_HASH)) {
      bad('preparedValueHash', 'must be zero when nothing was prepared');
    }
    if (m.preparedRound !== 0) {
      if (equalBytes(m.preparedValueHash, ZERO_HASH)) bad('preparedValueHash', 'missing for a prepared round');
      if (m.preparedRound >= m.round) bad('preparedRound', `must be below the round (${m.preparedRound} ≥ ${m.round})`);
    }
  } else {
    if (equalBytes(m.valueHash, ZERO_HASH)) bad('valueHash', 'missing');
    if (m.preparedRound !== 0) bad('preparedRound', 'only a ROUND-CHANGE carries a prepared round');
    if (!equalBytes(m.preparedValueHash, ZERO_HASH)) bad('preparedValueHash', 'only a ROUND-CHANGE carries a prepared value');
  }
}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  remaining(): number {
    return this.data.length - this.offset;
  }
  private need(n: number, field: string): void {
    if (this.remaining() < n) {
      throw new QbftError('MALFORMED_MESSAGE', `${field}: truncated (needs ${n} bytes, ${this.remaining()} left)`, { field });
    }
  }
  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.offset++);
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  u64(field: string): number {
    this.need(8, field);
    const v = this.view.getBigUint64(this.offset);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new QbftError('MALFORMED_MESSAGE', `${field}: ${v} is beyond 2^53`, { field });
    }
    return Number(v);
  }
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.data.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}
