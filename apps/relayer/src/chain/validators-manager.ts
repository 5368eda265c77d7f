/**
 * The validators manager: an Ethereum key, loaded from an encrypted V3 JSON keystore, that signs
 * the vault's EIP-712 `VaultValidators(validatorsRegistryRoot, validators)` approvals
 * (STAKEWISE.md §4). The key never leaves this object and is never logged.
 */
import { readFile } from 'node:fs/promises';
import { Wallet } from 'ethers';
import { bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import { depositDataRoot, vaultWithdrawalCredentials } from '@dvt/eth2';
import { type ValidatorDepositInput, type ValidatorType, encodeValidators, signTypedData, validatorsManagerNonceRoot, vaultValidatorsTypedData } from '@dvt/stakewise';
import { RelayerError } from '../errors.js';

export class ValidatorsManager {
  private constructor(private readonly wallet: Wallet) {}

  static async fromKeystore(keystoreFile: string, passwordFile: string): Promise<ValidatorsManager> {
    let json: string;
    let password: string;
    try {
      json = await readFile(keystoreFile, 'utf8');
      password = (await readFile(passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new RelayerError('MANAGER_KEYSTORE_INVALID', `validators manager keystore: ${(err as Error).message}`);
    }
    try {
      const wallet = await Wallet.fromEncryptedJson(json, password);
      return new ValidatorsManager(new Wallet(wallet.privateKey));
    } catch (err) {
      const reason = /password/i.test((err as Error).message) ? 'wrong password' : (err as Error).message;
      throw new RelayerError('MANAGER_KEYSTORE_INVALID', `validators manager keystore ${keystoreFile}: ${reason}`);
    }
  }

  static fromPrivateKey(privateKey: string): ValidatorsManager {
    return new ValidatorsManager(new Wallet(privateKey));
  }

  /** EIP-55 checksum address */
  get address(): string {
    return this.wallet.address;
  }

  /** Signature over `validators` (0x hex) with `root` as validatorsRegistryRoot, in the vault's domain. */
  sign(chainId: number, vault: string, root: string, validators: string): string {
    return signTypedData(vaultValidatorsTypedData(chainId, vault, root, validators), this.wallet.privateKey);
  }

  signRegistration(chainId: number, vault: string, depositRoot: string, validators: string): string {
    return this.sign(chainId, vault, depositRoot, validators);
  }

  signWithNonce(chainId: number, vault: string, nonce: bigint, validators: string): string {
    return this.sign(chainId, vault, validatorsManagerNonceRoot(nonce), validators);
  }
}

/** A registration batch in the vault's layout: each validator's deposit (pubkey, signature, data root[, amount]). */
export function registrationValidators(
  vault: string,
  type: ValidatorType,
  items: { publicKey: string; depositSignature: string; amountGwei: number }[],
): string {
  const credentials = vaultWithdrawalCredentials(vault, type);
  const deposits: ValidatorDepositInput[] = items.map((v) => ({
    publicKey: v.publicKey,
    signature: v.depositSignature,
    depositDataRoot: depositDataRoot({ pubkey: v.publicKey, withdrawalCredentials: credentials, amount: v.amountGwei, signature: v.depositSignature }),
    amountGwei: v.amountGwei,
  }));
  return encodeValidators(deposits, type);
}

const ZERO_SIGNATURE = bytesToHex(new Uint8Array(96));

/** A top-up batch (fundValidators): 0x02 layout with an empty signature, which the beacon chain does not check for top-ups. */
export function fundingValidators(vault: string, items: { publicKey: string; amountGwei: number }[]): string {
  return registrationValidators(
    vault,
    '0x02',
    items.map((v) => ({ ...v, depositSignature: ZERO_SIGNATURE })),
  );
}

/** withdrawValidators: pubkey (48) ‖ amount as big-endian uint64 gwei, per validator. */
export function withdrawalValidators(items: { publicKey: string; amountGwei: number }[]): string {
  return bytesToHex(
    concatBytes(
      ...items.map((v, i) => {
        const amount = new Uint8Array(8);
        new DataView(amount.buffer).setBigUint64(0, BigInt(v.amountGwei), false);
        return concatBytes(hexToBytes(v.publicKey, `public_keys[${i}]`, 48), amount);
      }),
    ),
  );
}

/** consolidateValidators: source pubkey (48) ‖ target pubkey (48), per pair. */
export function consolidationValidators(pairs: { source: string; target: string }[]): string {
  return bytesToHex(
    concatBytes(...pairs.map((p, i) => concatBytes(hexToBytes(p.source, `source_public_keys[${i}]`, 48), hexToBytes(p.target, `target_public_keys[${i}]`, 48)))),
  );
}
