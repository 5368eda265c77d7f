import { InvalidInputError, hexToBytes } from '@dvt/common';
import { Eth2Error } from './errors.js';

/** Bytes given either as a Uint8Array or as hex (with or without 0x). */
export type BytesInput = Uint8Array | string;

/** Converts a BytesInput, enforcing `length`; errors are InvalidInputError naming `field`. */
export function toBytes(input: BytesInput, field: string, length?: number): Uint8Array {
  if (input instanceof Uint8Array) {
    if (length !== undefined && input.length !== length) {
      throw new InvalidInputError(`${field}: expected ${length} bytes, got ${input.length}`, { field });
    }
    return input;
  }
  return hexToBytes(input, field, length);
}

/** Slots, epochs, indexes and gwei amounts: non-negative safe integers. */
export function assertUint(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Eth2Error('INVALID_INTEGER', `${field}: expected a non-negative integer, got ${String(value)}`, { field });
  }
}
