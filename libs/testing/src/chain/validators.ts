import { randomBytes } from 'node:crypto';
import { bytesToHex } from '@dvt/common';
import { depositDataRoot, vaultWithdrawalCredentials } from '@dvt/eth2';
import { V1_DEPOSIT_AMOUNT_GWEI, type ValidatorDeposit, type ValidatorType } from '@dvt/stakewise';

export interface FakeValidatorDeposit extends ValidatorDeposit {
  readonly type: ValidatorType;
  /** The vault's withdrawal credentials for `type`, 0x hex. */
  readonly withdrawalCredentials: string;
}

/**
 * A validator deposit the test contracts accept: random bytes stand in for the BLS public key and
 * deposit signature (nothing on the execution chain verifies BLS), while the deposit data root is the
 * real SSZ root over them and the vault's withdrawal credentials.
 */
export function fakeValidatorDeposit(
  vault: string,
  type: ValidatorType,
  amountGwei: number = V1_DEPOSIT_AMOUNT_GWEI,
): FakeValidatorDeposit {
  const publicKey = randomBytes(48);
  const signature = randomBytes(96);
  const withdrawalCredentials = vaultWithdrawalCredentials(vault, type);
  const root = depositDataRoot({ pubkey: publicKey, withdrawalCredentials, amount: amountGwei, signature });
  return {
    type,
    publicKey: bytesToHex(publicKey),
    signature: bytesToHex(signature),
    depositDataRoot: bytesToHex(root),
    amountGwei,
    withdrawalCredentials: bytesToHex(withdrawalCredentials),
  };
}
