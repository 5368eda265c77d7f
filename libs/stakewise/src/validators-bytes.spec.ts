import { describe, expect, it } from '@jest/globals';
import { InvalidInputError, bytesToHex, hexToBytes } from '@dvt/common';
import fc from 'fast-check';
import { StakewiseError } from './errors.js';
import {
  V1_DEPOSIT_AMOUNT_GWEI,
  V1_VALIDATOR_LENGTH,
  V2_VALIDATOR_LENGTH,
  type ValidatorType,
  decodeValidators,
  encodeValidators,
} from './validators-bytes.js';

const fill = (length: number, byte: number) => bytesToHex(new Uint8Array(length).fill(byte));
const validator = (seed: number, amountGwei?: number) => ({
  publicKey: fill(48, seed),
  signature: fill(96, seed + 1),
  depositDataRoot: fill(32, seed + 2),
  amountGwei,
});

function expectStakewiseError(action: () => unknown, code: string, message?: RegExp): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StakewiseError);
    expect((error as StakewiseError).code).toBe(code);
    if (message) expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected StakewiseError ${code}`);
}

describe('encodeValidators', () => {
  it('lays out a 0x01 validator as pubkey ‖ signature ‖ deposit data root (176 bytes)', () => {
    const bytes = hexToBytes(encodeValidators([validator(1)], '0x01'));
    expect(bytes.length).toBe(V1_VALIDATOR_LENGTH);
    expect(bytesToHex(bytes.subarray(0, 48))).toBe(fill(48, 1));
    expect(bytesToHex(bytes.subarray(48, 144))).toBe(fill(96, 2));
    expect(bytesToHex(bytes.subarray(144, 176))).toBe(fill(32, 3));
  });

  it('appends the 0x02 amount as a big-endian uint64 of gwei (184 bytes)', () => {
    const bytes = hexToBytes(encodeValidators([validator(1, 32_000_000_000), validator(9, 2_048_000_000_000)], '0x02'));
    expect(bytes.length).toBe(2 * V2_VALIDATOR_LENGTH);
    expect(bytesToHex(bytes.subarray(176, 184))).toBe('0x0000000773594000');
    expect(bytesToHex(bytes.subarray(184 + 176, 2 * 184))).toBe('0x000001dcd6500000');
  });

  it('takes byte arrays as well as hex', () => {
    const asBytes = {
      publicKey: hexToBytes(fill(48, 1)),
      signature: hexToBytes(fill(96, 2)),
      depositDataRoot: hexToBytes(fill(32, 3)),
    };
    expect(encodeValidators([asBytes], '0x01')).toBe(encodeValidators([validator(1)], '0x01'));
  });

  it('accepts an explicit 32 ETH for 0x01 and rejects any other amount', () => {
    expect(encodeValidators([validator(1, V1_DEPOSIT_AMOUNT_GWEI)], '0x01')).toBe(encodeValidators([validator(1)], '0x01'));
    expectStakewiseError(() => encodeValidators([validator(1, 33_000_000_000)], '0x01'), 'INVALID_VALIDATOR_AMOUNT', /always/);
  });

  it.each([undefined, 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1])('rejects the 0x02 amount %p', (amount) => {
    expectStakewiseError(() => encodeValidators([validator(1, amount)], '0x02'), 'INVALID_VALIDATOR_AMOUNT', /validators\[0\]/);
  });

  it('names the field of a wrong-length input', () => {
    const short = { ...validator(1), signature: fill(95, 2) };
    expect(() => encodeValidators([validator(1), short], '0x01')).toThrow(InvalidInputError);
    expect(() => encodeValidators([validator(1), short], '0x01')).toThrow(/validators\[1\]\.signature: expected 96 bytes, got 95/);
    const shortBytes = { ...validator(1), publicKey: new Uint8Array(47) };
    expect(() => encodeValidators([shortBytes], '0x01')).toThrow(/validators\[0\]\.publicKey: expected 48 bytes, got 47/);
  });

  it('rejects an empty list and an unknown type', () => {
    expectStakewiseError(() => encodeValidators([], '0x01'), 'INVALID_VALIDATORS_LENGTH', /empty/);
    expectStakewiseError(() => encodeValidators([validator(1)], '0x00' as ValidatorType), 'INVALID_VALIDATOR_TYPE');
  });
});

describe('decodeValidators', () => {
  it('infers the layout from the length, as the vault does', () => {
    expect(decodeValidators(encodeValidators([validator(1)], '0x01'))).toEqual({
      type: '0x01',
      validators: [{ ...validator(1), amountGwei: V1_DEPOSIT_AMOUNT_GWEI }],
    });
    expect(decodeValidators(encodeValidators([validator(1, 40_000_000_000)], '0x02')).type).toBe('0x02');
  });

  it('needs the type for a length that fits both layouts (4048 bytes = 23 × 176 = 22 × 184)', () => {
    const v1 = encodeValidators(Array.from({ length: 23 }, (_, i) => validator(i)), '0x01');
    const v2 = encodeValidators(Array.from({ length: 22 }, (_, i) => validator(i, 32_000_000_000 + i)), '0x02');
    expect(hexToBytes(v1)).toHaveLength(4048);
    expect(hexToBytes(v2)).toHaveLength(4048);
    expectStakewiseError(() => decodeValidators(v1), 'AMBIGUOUS_VALIDATORS_LENGTH', /pass the validator type/);
    expectStakewiseError(() => decodeValidators(v2), 'AMBIGUOUS_VALIDATORS_LENGTH');
    expect(decodeValidators(v1, '0x01').validators).toHaveLength(23);
    expect(decodeValidators(v2, '0x02').validators.map((v) => v.amountGwei)).toEqual(
      Array.from({ length: 22 }, (_, i) => 32_000_000_000 + i),
    );
  });

  it.each([
    ['no bytes', '0x', undefined],
    ['100 bytes', fill(100, 1), undefined],
    ['184 bytes read as 0x01', fill(184, 1), '0x01' as const],
    ['176 bytes read as 0x02', fill(176, 1), '0x02' as const],
  ])('rejects %s', (_name, bytes, type) => {
    expectStakewiseError(() => decodeValidators(bytes, type), 'INVALID_VALIDATORS_LENGTH');
  });

  it('rejects an amount no deposit could have, malformed hex and an unknown type', () => {
    const huge = hexToBytes(encodeValidators([validator(1, 1)], '0x02'));
    huge.fill(0xff, 176, 184);
    expectStakewiseError(() => decodeValidators(huge), 'INVALID_VALIDATOR_AMOUNT');
    expect(() => decodeValidators('0xzz')).toThrow(InvalidInputError);
    expectStakewiseError(() => decodeValidators(fill(176, 1), '1' as ValidatorType), 'INVALID_VALIDATOR_TYPE');
  });

  it('round-trips any batch', () => {
    const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length }).map(bytesToHex);
    const item = fc.record({
      publicKey: bytes(48),
      signature: bytes(96),
      depositDataRoot: bytes(32),
      amountGwei: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    });
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 6 }), fc.constantFrom<ValidatorType>('0x01', '0x02'), (list, type) => {
        const input = type === '0x01' ? list.map((v) => ({ ...v, amountGwei: V1_DEPOSIT_AMOUNT_GWEI })) : list;
        expect(decodeValidators(encodeValidators(input, type), type)).toEqual({ type, validators: input });
      }),
      { numRuns: 60 },
    );
  });
});
