import { describe, expect, it } from '@jest/globals';
import { InvalidInputError, bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import { AbiCoder, Wallet, getAddress, keccak256, solidityPacked, toUtf8Bytes } from 'ethers';
import {
  KEEPER_VALIDATORS_TYPE_HASH,
  VAULT_VALIDATORS_TYPE_HASH,
  keeperValidatorsTypedData,
  packOracleSignatures,
  recoverTypedDataSigner,
  signTypedData,
  typedDataDigest,
  validatorsManagerNonceRoot,
  vaultValidatorsTypedData,
} from './eip712.js';
import { StakewiseError } from './errors.js';

const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const KEEPER = '0x6B5815467da09DaA7DC83Db21c9239d98Bb487b5';
const ROOT = `0x${'ab'.repeat(32)}`;
const VALIDATORS = `0x${'cd'.repeat(176)}`;
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const signer = new Wallet(keccak256(toUtf8Bytes('eip712-spec-signer')));
const coder = AbiCoder.defaultAbiCoder();

/** EIP-712 digest written out from the spec, without ethers' TypedDataEncoder. */
function manualDigest(name: string, chainId: number, verifyingContract: string, structHash: string): string {
  const domainTypeHash = keccak256(
    toUtf8Bytes('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
  );
  const separator = keccak256(
    coder.encode(
      ['bytes32', 'bytes32', 'bytes32', 'uint256', 'address'],
      [domainTypeHash, keccak256(toUtf8Bytes(name)), keccak256(toUtf8Bytes('1')), chainId, verifyingContract],
    ),
  );
  return keccak256(solidityPacked(['bytes2', 'bytes32', 'bytes32'], ['0x1901', separator, structHash]));
}

function expectStakewiseError(action: () => unknown, code: string): void {
  expect(action).toThrow(StakewiseError);
  try {
    action();
  } catch (error) {
    expect((error as StakewiseError).code).toBe(code);
  }
}

describe('type hashes (StakeWise v3 known answers)', () => {
  it('VaultValidators', () => {
    expect(VAULT_VALIDATORS_TYPE_HASH).toBe('0x838af86bfca91ada6557e38d913af1c2f24ef9b2567b3b77cc9e1144314b35b0');
  });
  it('KeeperValidators', () => {
    expect(KEEPER_VALIDATORS_TYPE_HASH).toBe('0x4dc81caa2659eadb78c32372188c14ef1941bf7dac776c2621705d839377aee8');
  });
});

describe('digests', () => {
  it('VaultValidators digest matches the EIP-712 formula the vault uses', () => {
    const payload = vaultValidatorsTypedData(560048, VAULT, ROOT, VALIDATORS);
    const structHash = keccak256(
      coder.encode(['bytes32', 'bytes32', 'bytes32'], [VAULT_VALIDATORS_TYPE_HASH, ROOT, keccak256(VALIDATORS)]),
    );
    expect(typedDataDigest(payload)).toBe(manualDigest('VaultValidators', 560048, VAULT, structHash));
    expect(payload.domain).toEqual({ name: 'VaultValidators', version: '1', chainId: 560048, verifyingContract: getAddress(VAULT) });
  });

  it('KeeperValidators digest matches the EIP-712 formula the keeper uses', () => {
    const payload = keeperValidatorsTypedData(1, KEEPER, {
      validatorsRegistryRoot: ROOT,
      vault: VAULT,
      validators: VALIDATORS,
      exitSignaturesIpfsHash: 'bafkreiexample',
      deadline: 1_700_000_000,
    });
    const structHash = keccak256(
      coder.encode(
        ['bytes32', 'bytes32', 'address', 'bytes32', 'bytes32', 'uint256'],
        [KEEPER_VALIDATORS_TYPE_HASH, ROOT, VAULT, keccak256(VALIDATORS), keccak256(toUtf8Bytes('bafkreiexample')), 1_700_000_000],
      ),
    );
    expect(typedDataDigest(payload)).toBe(manualDigest('KeeperOracles', 1, KEEPER, structHash));
  });

  it('payloads survive JSON (eth_signTypedData_v4) with the same digest', () => {
    const payload = vaultValidatorsTypedData(1, VAULT, hexToBytes(ROOT), hexToBytes(VALIDATORS));
    const copy = JSON.parse(JSON.stringify(payload)) as typeof payload;
    expect(copy).toEqual(payload);
    expect(typedDataDigest(copy)).toBe(typedDataDigest(payload));
  });

  it('fund / withdraw / consolidate sign the manager nonce as bytes32', () => {
    expect(validatorsManagerNonceRoot(5)).toBe(`0x${'00'.repeat(31)}05`);
    expect(validatorsManagerNonceRoot(2n ** 255n)).toBe(`0x8${'0'.repeat(63)}`);
    for (const bad of [-1, 1.5, 2n ** 256n, -1n]) {
      expectStakewiseError(() => validatorsManagerNonceRoot(bad), 'INVALID_NONCE');
    }
  });
});

describe('sign and recover', () => {
  const payload = vaultValidatorsTypedData(1337, VAULT, ROOT, VALIDATORS);

  it('recovers the signer of signTypedData, and ethers Wallet agrees on the signature', async () => {
    const signature = signTypedData(payload, signer.privateKey);
    expect(hexToBytes(signature)).toHaveLength(65);
    expect(recoverTypedDataSigner(payload, signature)).toBe(signer.address);
    const types = { VaultValidators: [...payload.types.VaultValidators] };
    expect(await signer.signTypedData(payload.domain, types, payload.message)).toBe(signature);
  });

  it('recovers someone else for another message', () => {
    const signature = signTypedData(payload, signer.privateKey);
    const other = vaultValidatorsTypedData(1337, VAULT, ROOT, `0x${'ce'.repeat(176)}`);
    expect(recoverTypedDataSigner(other, signature)).not.toBe(signer.address);
  });

  it('rejects what the contracts reject: v not 27/28, high s, wrong length, malformed key', () => {
    const bytes = hexToBytes(signTypedData(payload, signer.privateKey));
    const v0 = Uint8Array.from(bytes);
    v0[64] = v0[64]! - 27;
    expectStakewiseError(() => recoverTypedDataSigner(payload, v0), 'INVALID_ECDSA_SIGNATURE');
    const highS = SECP256K1_ORDER - BigInt(bytesToHex(bytes.subarray(32, 64)));
    const twin = concatBytes(bytes.subarray(0, 32), hexToBytes(highS.toString(16).padStart(64, '0')), new Uint8Array([bytes[64] === 27 ? 28 : 27]));
    expectStakewiseError(() => recoverTypedDataSigner(payload, twin), 'INVALID_ECDSA_SIGNATURE');
    expect(() => recoverTypedDataSigner(payload, bytes.subarray(0, 64))).toThrow(InvalidInputError);
    expect(() => signTypedData(payload, '0x1234')).toThrow(/privateKey: expected 32 bytes/);
  });
});

describe('input checks', () => {
  const message = {
    validatorsRegistryRoot: ROOT,
    vault: VAULT,
    validators: VALIDATORS,
    exitSignaturesIpfsHash: 'x',
    deadline: 1,
  };
  it.each([
    ['a negative deadline', 1, KEEPER, { ...message, deadline: -1 }, 'INVALID_DEADLINE'],
    ['a fractional deadline', 1, KEEPER, { ...message, deadline: 1.5 }, 'INVALID_DEADLINE'],
    ['chain id 0', 0, KEEPER, message, 'INVALID_CHAIN_ID'],
    ['a malformed keeper address', 1, '0x1234', message, 'INVALID_ADDRESS'],
    ['a malformed vault address', 1, KEEPER, { ...message, vault: 'vault' }, 'INVALID_ADDRESS'],
    ['a bad checksum', 1, KEEPER.replace('B', 'b'), message, 'INVALID_ADDRESS'],
  ] as const)('keeper typed data rejects %s', (_name, chainId, keeper, input, code) => {
    expectStakewiseError(() => keeperValidatorsTypedData(chainId, keeper, input), code);
  });

  it('byte fields must have their size and validators must not be empty', () => {
    expect(() => vaultValidatorsTypedData(1, VAULT, `0x${'ab'.repeat(31)}`, VALIDATORS)).toThrow(/validatorsRegistryRoot: expected 32 bytes/);
    expect(() => vaultValidatorsTypedData(1, VAULT, ROOT, '0x')).toThrow(/validators: must not be empty/);
    expect(() => keeperValidatorsTypedData(1, KEEPER, { ...message, validators: new Uint8Array() })).toThrow(InvalidInputError);
  });
});

describe('packOracleSignatures', () => {
  const oracles = [1, 2, 3, 4].map((i) => new Wallet(keccak256(toUtf8Bytes(`eip712-spec-oracle-${i}`))));
  const payload = keeperValidatorsTypedData(1, KEEPER, {
    validatorsRegistryRoot: ROOT,
    vault: VAULT,
    validators: VALIDATORS,
    exitSignaturesIpfsHash: 'x',
    deadline: 1,
  });
  const signed = oracles.map((o) => ({ oracle: o.address.toLowerCase(), signature: signTypedData(payload, o.privateKey) }));

  it('orders the signatures by ascending oracle address, whatever the input order', () => {
    const packed = hexToBytes(packOracleSignatures([...signed].reverse()));
    expect(packed).toHaveLength(65 * oracles.length);
    const signers = Array.from({ length: oracles.length }, (_, i) =>
      BigInt(recoverTypedDataSigner(payload, packed.subarray(i * 65, (i + 1) * 65))),
    );
    expect(signers).toEqual([...signers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(signers).size).toBe(oracles.length);
  });

  it('rejects two signatures from one oracle, malformed addresses and wrong lengths', () => {
    expectStakewiseError(() => packOracleSignatures([signed[0]!, { ...signed[1]!, oracle: signed[0]!.oracle.toUpperCase().replace('0X', '0x') }]), 'DUPLICATE_ORACLE_SIGNATURE');
    expectStakewiseError(() => packOracleSignatures([{ ...signed[0]!, oracle: 'oracle' }]), 'INVALID_ADDRESS');
    expect(() => packOracleSignatures([{ ...signed[0]!, signature: '0x1234' }])).toThrow(/signatures\[0\]\.signature: expected 65 bytes/);
  });
});
