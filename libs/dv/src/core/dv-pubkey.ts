import { bytesToHex } from '@dvt/common';
import { DvError } from './errors.js';

export const DV_PUBKEY_BYTES = 48;

/** A DV root public key (48-byte compressed BLS G1) as lowercase 0x-hex: usable as a map key. */
export type DvPubkey = string & { readonly __brand: 'DvPubkey' };

const HEX = /^0x[0-9a-fA-F]{96}$/;

/** Normalises 48 bytes or 0x-hex (any case) to a DvPubkey; throws DvError INVALID_DV_PUBKEY. Not a curve check. */
export function toDvPubkey(key: Uint8Array | string, field = 'DV public key'): DvPubkey {
  if (key instanceof Uint8Array) {
    if (key.length !== DV_PUBKEY_BYTES) {
      throw new DvError('INVALID_DV_PUBKEY', `${field}: expected ${DV_PUBKEY_BYTES} bytes, got ${key.length}`, { field });
    }
    return bytesToHex(key) as DvPubkey;
  }
  if (typeof key !== 'string' || !HEX.test(key)) {
    throw new DvError('INVALID_DV_PUBKEY', `${field}: expected 0x and ${2 * DV_PUBKEY_BYTES} hex digits`, { field });
  }
  return key.toLowerCase() as DvPubkey;
}

export function dvPubkeyBytes(pubkey: DvPubkey): Uint8Array {
  return new Uint8Array(Buffer.from(pubkey.slice(2), 'hex'));
}
