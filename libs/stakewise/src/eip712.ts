import { InvalidInputError, bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import {
  Signature,
  SigningKey,
  TypedDataEncoder,
  type TypedDataField,
  getAddress,
  isAddress,
  keccak256,
  recoverAddress,
  toUtf8Bytes,
} from 'ethers';
import { StakewiseError } from './errors.js';

export const EIP712_VERSION = '1';
export const VAULT_VALIDATORS_DOMAIN_NAME = 'VaultValidators';
export const KEEPER_ORACLES_DOMAIN_NAME = 'KeeperOracles';
export const ECDSA_SIGNATURE_LENGTH = 65;
// secp256k1 group order / 2: contracts reject the malleable high-s twin of a signature
const SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Validators-manager approval of a validators blob (registration, top-up, withdrawal, consolidation). */
export const VAULT_VALIDATORS_TYPES: Readonly<Record<'VaultValidators', readonly TypedDataField[]>> = {
  VaultValidators: [
    { name: 'validatorsRegistryRoot', type: 'bytes32' },
    { name: 'validators', type: 'bytes' },
  ],
};

/** Oracle approval of a validator registration. */
export const KEEPER_VALIDATORS_TYPES: Readonly<Record<'KeeperValidators', readonly TypedDataField[]>> = {
  KeeperValidators: [
    { name: 'validatorsRegistryRoot', type: 'bytes32' },
    { name: 'vault', type: 'address' },
    { name: 'validators', type: 'bytes' },
    { name: 'exitSignaturesIpfsHash', type: 'string' },
    { name: 'deadline', type: 'uint256' },
  ],
};

export interface Eip712Domain {
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
  /** Checksum address. */
  readonly verifyingContract: string;
}

/**
 * A complete EIP-712 request; JSON-serialisable (bytes as 0x hex, integers as numbers), so it can be
 * handed to eth_signTypedData_v4 as well as to the helpers below.
 */
export interface TypedDataPayload<P extends string = string> {
  readonly domain: Eip712Domain;
  readonly types: Readonly<Record<P, readonly TypedDataField[]>>;
  readonly primaryType: P;
  readonly message: Readonly<Record<string, string | number>>;
}

export interface KeeperValidatorsMessage {
  /** The deposit contract's get_deposit_root() the oracles approved against; 32 bytes. */
  readonly validatorsRegistryRoot: string | Uint8Array;
  readonly vault: string;
  /** The validators blob (see encodeValidators). */
  readonly validators: string | Uint8Array;
  readonly exitSignaturesIpfsHash: string;
  /** Unix seconds. */
  readonly deadline: number;
}

/** keccak256 of the EIP-712 type string of `primaryType`. */
export function eip712TypeHash(types: Readonly<Record<string, readonly TypedDataField[]>>, primaryType: string): string {
  return keccak256(toUtf8Bytes(TypedDataEncoder.from(mutableTypes(types)).encodeType(primaryType)));
}

export const VAULT_VALIDATORS_TYPE_HASH = eip712TypeHash(VAULT_VALIDATORS_TYPES, 'VaultValidators');
export const KEEPER_VALIDATORS_TYPE_HASH = eip712TypeHash(KEEPER_VALIDATORS_TYPES, 'KeeperValidators');

/**
 * What the validators manager signs. For registration `validatorsRegistryRoot` is the deposit
 * contract's current root; for fund / withdraw / consolidate it is validatorsManagerNonceRoot(nonce).
 */
export function vaultValidatorsTypedData(
  chainId: number,
  vault: string,
  validatorsRegistryRoot: string | Uint8Array,
  validators: string | Uint8Array,
): TypedDataPayload<'VaultValidators'> {
  return {
    domain: domain(VAULT_VALIDATORS_DOMAIN_NAME, chainId, vault, 'vault'),
    types: VAULT_VALIDATORS_TYPES,
    primaryType: 'VaultValidators',
    message: {
      validatorsRegistryRoot: hex(validatorsRegistryRoot, 'validatorsRegistryRoot', 32),
      validators: nonEmptyHex(validators, 'validators'),
    },
  };
}

/** What every oracle signs to approve a registration, in the Keeper's domain. */
export function keeperValidatorsTypedData(
  chainId: number,
  keeper: string,
  message: KeeperValidatorsMessage,
): TypedDataPayload<'KeeperValidators'> {
  const { deadline } = message;
  if (!Number.isSafeInteger(deadline) || deadline < 0) {
    throw new StakewiseError('INVALID_DEADLINE', `deadline: expected unix seconds ≥ 0, got ${String(deadline)}`, {
      deadline,
    });
  }
  if (typeof message.exitSignaturesIpfsHash !== 'string') {
    throw new InvalidInputError('exitSignaturesIpfsHash: expected a string');
  }
  return {
    domain: domain(KEEPER_ORACLES_DOMAIN_NAME, chainId, keeper, 'keeper'),
    types: KEEPER_VALIDATORS_TYPES,
    primaryType: 'KeeperValidators',
    message: {
      validatorsRegistryRoot: hex(message.validatorsRegistryRoot, 'validatorsRegistryRoot', 32),
      vault: address(message.vault, 'vault'),
      validators: nonEmptyHex(message.validators, 'validators'),
      exitSignaturesIpfsHash: message.exitSignaturesIpfsHash,
      deadline,
    },
  };
}

/** The vault's validatorsManagerNonce as the bytes32 that replaces the registry root outside registration. */
export function validatorsManagerNonceRoot(nonce: bigint | number): string {
  const value = typeof nonce === 'number' && Number.isSafeInteger(nonce) ? BigInt(nonce) : nonce;
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << 256n) {
    throw new StakewiseError('INVALID_NONCE', `validatorsManagerNonce: expected a uint256, got ${String(nonce)}`);
  }
  return `0x${value.toString(16).padStart(64, '0')}`;
}

/** The 32-byte digest that gets signed: keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)). */
export function typedDataDigest(payload: TypedDataPayload): string {
  return TypedDataEncoder.hash(payload.domain, mutableTypes(payload.types), payload.message);
}

/** 65-byte r ‖ s ‖ v (v = 27 / 28, low s) signature of the payload, 0x hex. */
export function signTypedData(payload: TypedDataPayload, privateKey: string | Uint8Array): string {
  const key = new SigningKey(hex(privateKey, 'privateKey', 32));
  return key.sign(typedDataDigest(payload)).serialized;
}

/**
 * The checksum address that signed the payload. Signatures the contracts would reject (wrong length,
 * v other than 27 / 28, high s) are errors here too.
 */
export function recoverTypedDataSigner(payload: TypedDataPayload, signature: string | Uint8Array): string {
  const bytes = bytesOf(signature, 'signature', ECDSA_SIGNATURE_LENGTH);
  const v = bytes[64]!;
  const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
  if (v !== 27 && v !== 28) {
    throw new StakewiseError('INVALID_ECDSA_SIGNATURE', `signature: v must be 27 or 28, got ${v}`, { v });
  }
  if (s > SECP256K1_HALF_ORDER) {
    throw new StakewiseError('INVALID_ECDSA_SIGNATURE', 'signature: s is in the upper half of the curve order (malleable)');
  }
  try {
    return getAddress(recoverAddress(typedDataDigest(payload), Signature.from(bytesToHex(bytes))));
  } catch (error) {
    throw new StakewiseError('INVALID_ECDSA_SIGNATURE', `signature does not recover: ${(error as Error).message}`);
  }
}

export interface OracleSignature {
  /** The oracle's signer address. */
  readonly oracle: string;
  /** 65 bytes. */
  readonly signature: string | Uint8Array;
}

/** Concatenates oracle signatures in strictly ascending oracle-address order, as the Keeper requires. */
export function packOracleSignatures(signatures: readonly OracleSignature[]): string {
  const entries = signatures.map((entry, i) => ({
    oracle: address(entry.oracle, `signatures[${i}].oracle`),
    signature: bytesOf(entry.signature, `signatures[${i}].signature`, ECDSA_SIGNATURE_LENGTH),
  }));
  entries.sort((a, b) => (BigInt(a.oracle) < BigInt(b.oracle) ? -1 : BigInt(a.oracle) > BigInt(b.oracle) ? 1 : 0));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.oracle === entries[i - 1]!.oracle) {
      throw new StakewiseError('DUPLICATE_ORACLE_SIGNATURE', `two signatures from oracle ${entries[i]!.oracle}`, {
        oracle: entries[i]!.oracle,
      });
    }
  }
  return bytesToHex(concatBytes(...entries.map((entry) => entry.signature)));
}

function domain(name: string, chainId: number, verifyingContract: string, field: string): Eip712Domain {
  if (!Number.isSafeInteger(chainId) || chainId < 1) {
    throw new StakewiseError('INVALID_CHAIN_ID', `chainId: expected a positive integer, got ${String(chainId)}`, { chainId });
  }
  return { name, version: EIP712_VERSION, chainId, verifyingContract: address(verifyingContract, field) };
}

function address(value: string, field: string): string {
  if (typeof value !== 'string' || !isAddress(value)) {
    throw new StakewiseError('INVALID_ADDRESS', `${field}: not an address: ${String(value)}`, { field });
  }
  return getAddress(value);
}

function bytesOf(value: string | Uint8Array, field: string, length?: number): Uint8Array {
  if (value instanceof Uint8Array) {
    if (length !== undefined && value.length !== length) {
      throw new InvalidInputError(`${field}: expected ${length} bytes, got ${value.length}`, { field });
    }
    return value;
  }
  return hexToBytes(value, field, length);
}

function hex(value: string | Uint8Array, field: string, length?: number): string {
  return bytesToHex(bytesOf(value, field, length));
}

function nonEmptyHex(value: string | Uint8Array, field: string): string {
  const bytes = bytesOf(value, field);
  if (bytes.length === 0) throw new InvalidInputError(`${field}: must not be empty`, { field });
  return bytesToHex(bytes);
}

function mutableTypes(types: Readonly<Record<string, readonly TypedDataField[]>>): Record<string, TypedDataField[]> {
  return Object.fromEntries(Object.entries(types).map(([name, fields]) => [name, [...fields]]));
}
