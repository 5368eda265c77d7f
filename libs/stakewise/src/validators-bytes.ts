import { InvalidInputError, bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import { StakewiseError } from './errors.js';

/** 0x01: 32 ETH validators; 0x02: compounding validators with an explicit amount. */
export type ValidatorType = '0x01' | '0x02';

export const VALIDATOR_TYPES: readonly ValidatorType[] = ['0x01', '0x02'];
/** pubkey(48) ‖ deposit signature(96) ‖ deposit data root(32). */
export const V1_VALIDATOR_LENGTH = 176;
/** V1 layout ‖ amount as big-endian uint64 gwei. */
export const V2_VALIDATOR_LENGTH = 184;
/** The amount of every V1 registration. */
export const V1_DEPOSIT_AMOUNT_GWEI = 32_000_000_000;

/** One validator of a `registerValidators` / `fundValidators` batch; bytes as 0x hex or Uint8Array. */
export interface ValidatorDepositInput {
  readonly publicKey: string | Uint8Array;
  readonly signature: string | Uint8Array;
  readonly depositDataRoot: string | Uint8Array;
  /** Gwei. Required for 0x02; for 0x01 it may be omitted and must otherwise be 32 ETH. */
  readonly amountGwei?: number;
}

export interface ValidatorDeposit {
  /** 0x hex, 48 bytes. */
  readonly publicKey: string;
  /** 0x hex, 96 bytes. */
  readonly signature: string;
  /** 0x hex, 32 bytes. */
  readonly depositDataRoot: string;
  readonly amountGwei: number;
}

export interface DecodedValidators {
  readonly type: ValidatorType;
  readonly validators: readonly ValidatorDeposit[];
}

export function isValidatorType(value: unknown): value is ValidatorType {
  return value === '0x01' || value === '0x02';
}

export function validatorLength(type: ValidatorType): number {
  assertValidatorType(type);
  return type === '0x01' ? V1_VALIDATOR_LENGTH : V2_VALIDATOR_LENGTH;
}

/** Encodes one validator in the vault's layout for `type`. */
export function encodeValidator(validator: ValidatorDepositInput, type: ValidatorType, index = 0): Uint8Array {
  assertValidatorType(type);
  const field = (name: string) => `validators[${index}].${name}`;
  const publicKey = toBytes(validator.publicKey, field('publicKey'), 48);
  const signature = toBytes(validator.signature, field('signature'), 96);
  const root = toBytes(validator.depositDataRoot, field('depositDataRoot'), 32);
  if (type === '0x01') {
    if (validator.amountGwei !== undefined && validator.amountGwei !== V1_DEPOSIT_AMOUNT_GWEI) {
      throw new StakewiseError(
        'INVALID_VALIDATOR_AMOUNT',
        `${field('amountGwei')}: a 0x01 validator is always ${V1_DEPOSIT_AMOUNT_GWEI} gwei, got ${validator.amountGwei}`,
        { index, amountGwei: validator.amountGwei },
      );
    }
    return concatBytes(publicKey, signature, root);
  }
  const amount = validator.amountGwei;
  if (amount === undefined || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new StakewiseError(
      'INVALID_VALIDATOR_AMOUNT',
      `${field('amountGwei')}: a 0x02 validator needs a positive whole gwei amount, got ${String(amount)}`,
      { index, amountGwei: amount },
    );
  }
  const amountBytes = new Uint8Array(8);
  new DataView(amountBytes.buffer).setBigUint64(0, BigInt(amount), false);
  return concatBytes(publicKey, signature, root, amountBytes);
}

/** Concatenates validators in the layout of `type` (all of one type, as the vault requires); 0x hex. */
export function encodeValidators(validators: readonly ValidatorDepositInput[], type: ValidatorType): string {
  assertValidatorType(type);
  if (!Array.isArray(validators) || validators.length === 0) {
    throw new StakewiseError('INVALID_VALIDATORS_LENGTH', 'validators: the list is empty', { count: 0 });
  }
  return bytesToHex(concatBytes(...validators.map((v, i) => encodeValidator(v, type, i))));
}

/**
 * Splits a validators blob. Without `type` the layout is inferred from the length the way the vault
 * does: a length that is a multiple of exactly one of 176 / 184 decides; a multiple of both (e.g.
 * 4048 bytes) is ambiguous and needs `type`.
 */
export function decodeValidators(bytes: string | Uint8Array, type?: ValidatorType): DecodedValidators {
  const data = toBytes(bytes, 'validators');
  const resolvedType = type === undefined ? inferType(data.length) : checkedType(type, data.length);
  const itemLength = validatorLength(resolvedType);
  const validators: ValidatorDeposit[] = [];
  for (let offset = 0; offset < data.length; offset += itemLength) {
    const item = data.subarray(offset, offset + itemLength);
    let amountGwei = V1_DEPOSIT_AMOUNT_GWEI;
    if (resolvedType === '0x02') {
      const amount = new DataView(item.buffer, item.byteOffset + 176, 8).getBigUint64(0, false);
      if (amount > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new StakewiseError(
          'INVALID_VALIDATOR_AMOUNT',
          `validators[${offset / itemLength}].amount: ${amount} gwei is beyond any real deposit`,
          { index: offset / itemLength, amountGwei: amount.toString() },
        );
      }
      amountGwei = Number(amount);
    }
    validators.push({
      publicKey: bytesToHex(item.subarray(0, 48)),
      signature: bytesToHex(item.subarray(48, 144)),
      depositDataRoot: bytesToHex(item.subarray(144, 176)),
      amountGwei,
    });
  }
  return { type: resolvedType, validators };
}

function inferType(length: number): ValidatorType {
  const fitsV1 = length > 0 && length % V1_VALIDATOR_LENGTH === 0;
  const fitsV2 = length > 0 && length % V2_VALIDATOR_LENGTH === 0;
  if (fitsV1 && fitsV2) {
    throw new StakewiseError(
      'AMBIGUOUS_VALIDATORS_LENGTH',
      `validators: ${length} bytes is a multiple of both ${V1_VALIDATOR_LENGTH} and ${V2_VALIDATOR_LENGTH}; pass the validator type`,
      { length },
    );
  }
  if (!fitsV1 && !fitsV2) throw lengthError(length);
  return fitsV1 ? '0x01' : '0x02';
}

function checkedType(type: ValidatorType, length: number): ValidatorType {
  const itemLength = validatorLength(type);
  if (length === 0 || length % itemLength !== 0) throw lengthError(length, type);
  return type;
}

function lengthError(length: number, type?: ValidatorType): StakewiseError {
  const expected =
    type === undefined
      ? `a non-zero multiple of ${V1_VALIDATOR_LENGTH} (0x01) or ${V2_VALIDATOR_LENGTH} (0x02)`
      : `a non-zero multiple of ${validatorLength(type)} (${type})`;
  return new StakewiseError('INVALID_VALIDATORS_LENGTH', `validators: ${length} bytes is not ${expected}`, {
    length,
    type,
  });
}

function assertValidatorType(type: unknown): asserts type is ValidatorType {
  if (!isValidatorType(type)) {
    throw new StakewiseError('INVALID_VALIDATOR_TYPE', `validator type must be "0x01" or "0x02", got ${JSON.stringify(type)}`, {
      type,
    });
  }
}

function toBytes(value: string | Uint8Array, field: string, length?: number): Uint8Array {
  if (value instanceof Uint8Array) {
    if (length !== undefined && value.length !== length) {
      throw new InvalidInputError(`${field}: expected ${length} bytes, got ${value.length}`, { field });
    }
    return value;
  }
  return hexToBytes(value, field, length);
}
