/**
 * Checks a batch before anything is asked of the oracles or sent: every deposit signature against
 * the vault's withdrawal credentials (a bad one loses the deposit), every deposit data root, the
 * oracle shard lists, and the validators-manager signature against the vault's manager.
 */
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositDataRoot, depositSigningRoot, vaultWithdrawalCredentials } from '@dvt/eth2';
import { type OraclesConfig, encodeValidators, recoverTypedDataSigner, vaultValidatorsTypedData } from '@dvt/stakewise';
import { recoverPublicKey, verifyEach } from '@dvt/tbls';
import { getAddress } from 'ethers';
import { OperatorError } from '../errors.js';
import { type RegistrationBatch } from './batch.js';

export interface BatchCheckContext {
  readonly network: NetworkConfig;
  readonly chainId: number;
  readonly oracles: OraclesConfig;
  /** the vault's validatorsManager() */
  readonly validatorsManager: string;
  /** the hot wallet: an empty manager signature is valid only when it sends as the manager */
  readonly sender: string;
}

/** The validators blob of registerValidators, after every check passed. */
export function checkBatch(batch: RegistrationBatch, ctx: BatchCheckContext): string {
  const credentials = vaultWithdrawalCredentials(batch.vault, batch.validatorType);
  const sets = batch.validators.map((v) => ({
    publicKey: hexToBytes(v.publicKey, 'public key', 48),
    message: depositSigningRoot(ctx.network, { pubkey: v.publicKey, withdrawalCredentials: credentials, amount: v.amountGwei }),
    signature: hexToBytes(v.depositSignature, 'deposit signature', 96),
  }));
  let results: boolean[];
  try {
    results = verifyEach(sets);
  } catch (err) {
    throw new OperatorError('INVALID_DEPOSIT_SIGNATURE', `deposit signatures: ${(err as Error).message}`);
  }
  const bad = batch.validators.filter((_, i) => !results[i]);
  if (bad.length > 0) {
    throw new OperatorError(
      'INVALID_DEPOSIT_SIGNATURE',
      `deposit signature of ${bad.map((v) => v.publicKey).join(', ')} does not verify for vault ${batch.vault} (${batch.validatorType}): not sending`,
      { publicKeys: bad.map((v) => v.publicKey) },
    );
  }
  for (const v of batch.validators) {
    const root = bytesToHex(depositDataRoot({ pubkey: v.publicKey, withdrawalCredentials: credentials, amount: v.amountGwei, signature: v.depositSignature }));
    if (root !== v.depositDataRoot.toLowerCase()) {
      throw new OperatorError('INVALID_DEPOSIT_DATA_ROOT', `validator ${v.publicKey}: deposit data root ${v.depositDataRoot}, recomputed ${root}`);
    }
    checkShards(v.publicKey, v.publicKeyShards, v.encryptedExitSignatures, ctx.oracles);
  }
  const validators = encodeValidators(
    batch.validators.map((v) => ({ publicKey: v.publicKey, signature: v.depositSignature, depositDataRoot: v.depositDataRoot, amountGwei: v.amountGwei })),
    batch.validatorType,
  );
  checkManagerSignature(batch, validators, ctx);
  return validators;
}

function checkShards(publicKey: string, publicShards: readonly string[], encrypted: readonly string[], oracles: OraclesConfig): void {
  const n = oracles.oracles.length;
  if (publicShards.length !== n || encrypted.length !== n) {
    throw new OperatorError('INVALID_EXIT_SHARDS', `validator ${publicKey}: ${publicShards.length} public key shard(s) and ${encrypted.length} encrypted shard(s) for ${n} oracles`);
  }
  const t = oracles.exitSignatureRecoverThreshold;
  try {
    const shares = publicShards.map((key, i) => ({ index: i + 1, publicKey: hexToBytes(key, `public key shard ${i + 1}`, 48) }));
    for (const subset of [shares.slice(0, t), shares.slice(-t)]) {
      if (bytesToHex(recoverPublicKey(subset, t)) !== publicKey.toLowerCase()) throw new Error('they do not rebuild the validator public key');
    }
  } catch (err) {
    throw new OperatorError('INVALID_EXIT_SHARDS', `validator ${publicKey}: oracle public key shards: ${(err as Error).message}`);
  }
}

function checkManagerSignature(batch: RegistrationBatch, validators: string, ctx: BatchCheckContext): void {
  const manager = getAddress(ctx.validatorsManager);
  const signature = batch.validatorsManagerSignature ?? '0x';
  if (signature === '0x') {
    if (getAddress(ctx.sender) !== manager) {
      throw new OperatorError('INVALID_MANAGER_SIGNATURE', `no validators-manager signature, and the hot wallet ${ctx.sender} is not the vault's validators manager ${manager}`);
    }
    return;
  }
  let signer: string;
  try {
    signer = recoverTypedDataSigner(vaultValidatorsTypedData(ctx.chainId, batch.vault, batch.registryRoot, validators), signature);
  } catch (err) {
    throw new OperatorError('INVALID_MANAGER_SIGNATURE', `validators-manager signature: ${(err as Error).message}`);
  }
  if (signer !== manager) {
    throw new OperatorError(
      'INVALID_MANAGER_SIGNATURE',
      `validators-manager signature over registry root ${batch.registryRoot} is by ${signer}, not by the vault's validators manager ${manager}: not sending`,
    );
  }
}
