import { describe, expect, it } from '@jest/globals';
import { InvalidInputError, bytesToHex, hexToBytes } from '@dvt/common';

describe('hex', () => {
  it('round-trips with and without 0x', () => {
    expect(bytesToHex(hexToBytes('0xABcd'))).toBe('0xabcd');
    expect(bytesToHex(hexToBytes('abcd'))).toBe('0xabcd');
  });
  it('rejects non-hex, odd length and wrong length with the field name', () => {
    expect(() => hexToBytes('0xzz', 'public_key')).toThrow(InvalidInputError);
    expect(() => hexToBytes('0xzz', 'public_key')).toThrow(/public_key: not hex/);
    expect(() => hexToBytes('0xabc', 'sig')).toThrow(/odd number/);
    expect(() => hexToBytes('0xabcd', 'root', 32)).toThrow(/expected 32 bytes, got 2/);
  });
});
