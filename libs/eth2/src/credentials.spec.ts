import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { InvalidInputError, bytesToHex } from '@dvt/common';
import { type Eth2Error, parseExecutionAddress, parseWithdrawalCredentials, vaultWithdrawalCredentials } from './index.js';

const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const VAULT_CHECKSUM = '0x8Ae5c1046158526Cf236f74D8FB88fabE2E94ACa';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as Eth2Error).code;
  }
  return undefined;
}

describe('vaultWithdrawalCredentials', () => {
  it('is prefix ‖ 11 zero bytes ‖ vault address', () => {
    expect(bytesToHex(vaultWithdrawalCredentials(VAULT, '0x02'))).toBe(`0x02${'00'.repeat(11)}${VAULT.slice(2)}`);
    expect(bytesToHex(vaultWithdrawalCredentials(VAULT, '0x01'))).toBe(`0x01${'00'.repeat(11)}${VAULT.slice(2)}`);
    expect(vaultWithdrawalCredentials(VAULT_CHECKSUM, '0x02')).toEqual(vaultWithdrawalCredentials(VAULT, '0x02'));
  });

  it.each([
    ['no 0x', VAULT.slice(2), /not an address/],
    ['39 hex digits', VAULT.slice(0, -1), /not an address/],
    ['41 hex digits', VAULT + 'a', /not an address/],
    ['non-hex', VAULT.replace('8ae5', '8ag5'), /not an address/],
    ['bad checksum', VAULT_CHECKSUM.replace('8Ae5', '8AE5'), /bad EIP-55 checksum/],
    ['empty', '', /not an address/],
  ])('rejects an address with %s', (_case, address, message) => {
    expect(codeOf(() => vaultWithdrawalCredentials(address, '0x02'))).toBe('INVALID_ADDRESS');
    expect(() => vaultWithdrawalCredentials(address, '0x02')).toThrow(message);
    expect(() => vaultWithdrawalCredentials(address, '0x02')).toThrow(/^vaultAddress: /);
  });

  it('rejects a non-string address and an unknown type', () => {
    expect(() => vaultWithdrawalCredentials(42 as unknown as string, '0x01')).toThrow('vaultAddress: expected an address string, got number');
    expect(codeOf(() => vaultWithdrawalCredentials(VAULT, '0x03' as '0x01'))).toBe('INVALID_WITHDRAWAL_CREDENTIALS');
    expect(() => vaultWithdrawalCredentials(VAULT, '0x00' as '0x01')).toThrow('type must be 0x01 or 0x02, got "0x00"');
  });
});

describe('parseWithdrawalCredentials', () => {
  it('reads execution credentials back to the checksum address', () => {
    expect(parseWithdrawalCredentials(vaultWithdrawalCredentials(VAULT, '0x02'))).toEqual({ type: '0x02', address: VAULT_CHECKSUM });
    expect(parseWithdrawalCredentials(`0x01${'00'.repeat(11)}${VAULT.slice(2)}`)).toEqual({ type: '0x01', address: VAULT_CHECKSUM });
  });

  it('round-trips any address and type', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.constantFrom('0x01' as const, '0x02' as const), (addr, type) => {
        const address = parseExecutionAddress(bytesToHex(addr));
        expect(parseWithdrawalCredentials(vaultWithdrawalCredentials(address, type))).toEqual({ type, address });
      }),
      { numRuns: 100 },
    );
  });

  it('reads BLS (0x00) credentials as the key hash', () => {
    const credentials = '0x00' + 'ab'.repeat(31);
    expect(parseWithdrawalCredentials(credentials)).toEqual({ type: '0x00', blsPubkeyHash: '0x' + 'ab'.repeat(31) });
  });

  it('rejects unknown prefixes, non-zero padding, wrong lengths and malformed hex', () => {
    expect(codeOf(() => parseWithdrawalCredentials('0x03' + '00'.repeat(31)))).toBe('INVALID_WITHDRAWAL_CREDENTIALS');
    expect(() => parseWithdrawalCredentials('0x03' + '00'.repeat(31))).toThrow('unknown prefix 0x03');
    const padded = `0x01${'00'.repeat(10)}01${VAULT.slice(2)}`;
    expect(() => parseWithdrawalCredentials(padded)).toThrow('bytes 1..11 must be zero');
    expect(() => parseWithdrawalCredentials('0x01' + '00'.repeat(30))).toThrow(InvalidInputError);
    expect(() => parseWithdrawalCredentials('0x01' + '00'.repeat(30))).toThrow('withdrawalCredentials: expected 32 bytes, got 31');
    expect(() => parseWithdrawalCredentials(new Uint8Array(33))).toThrow('expected 32 bytes, got 33');
    expect(() => parseWithdrawalCredentials('0x01' + 'zz'.repeat(31))).toThrow('withdrawalCredentials: not hex');
  });
});
