import { bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import { parseExecutionAddress } from './address.js';
import { Eth2Error } from './errors.js';
import { type BytesInput, toBytes } from './input.js';

/** 0x01: execution address, 32 ETH max effective balance; 0x02: compounding (EIP-7251). */
export type ExecutionCredentialsType = '0x01' | '0x02';
export type WithdrawalCredentialsType = '0x00' | ExecutionCredentialsType;

export type ParsedWithdrawalCredentials =
  | { readonly type: '0x00'; readonly blsPubkeyHash: string }
  | { readonly type: ExecutionCredentialsType; readonly address: string };

const ELEVEN_ZERO_BYTES = new Uint8Array(11);

/** A vault's withdrawal credentials: prefix ‖ 11 zero bytes ‖ vault address (32 bytes). */
export function vaultWithdrawalCredentials(vaultAddress: string, type: ExecutionCredentialsType): Uint8Array {
  if (type !== '0x01' && type !== '0x02') {
    throw new Eth2Error(
      'INVALID_WITHDRAWAL_CREDENTIALS',
      `withdrawal credentials type must be 0x01 or 0x02, got ${JSON.stringify(type)}`,
      { type },
    );
  }
  const address = parseExecutionAddress(vaultAddress, 'vaultAddress');
  return concatBytes(hexToBytes(type), ELEVEN_ZERO_BYTES, hexToBytes(address));
}

/**
 * Reads withdrawal credentials back: 0x00 → the BLS key hash (31 bytes, hex); 0x01/0x02 → the
 * checksum address, after checking the 11 padding bytes are zero. Any other prefix is an error.
 */
export function parseWithdrawalCredentials(credentials: BytesInput): ParsedWithdrawalCredentials {
  const bytes = toBytes(credentials, 'withdrawalCredentials', 32);
  const prefix = bytes[0]!;
  if (prefix === 0x00) return { type: '0x00', blsPubkeyHash: bytesToHex(bytes.subarray(1)) };
  if (prefix !== 0x01 && prefix !== 0x02) {
    throw new Eth2Error(
      'INVALID_WITHDRAWAL_CREDENTIALS',
      `withdrawal credentials: unknown prefix 0x${prefix.toString(16).padStart(2, '0')} (expected 0x00, 0x01 or 0x02)`,
      { prefix },
    );
  }
  if (bytes.subarray(1, 12).some((b) => b !== 0)) {
    throw new Eth2Error(
      'INVALID_WITHDRAWAL_CREDENTIALS',
      'withdrawal credentials: bytes 1..11 must be zero for an execution address',
      { credentials: bytesToHex(bytes) },
    );
  }
  const type: ExecutionCredentialsType = prefix === 0x01 ? '0x01' : '0x02';
  return { type, address: parseExecutionAddress(bytesToHex(bytes.subarray(12)), 'withdrawalCredentials address') };
}
