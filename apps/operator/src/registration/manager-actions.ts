/**
 * The validators manager's other actions, in relayer mode: top-ups of compounding validators
 * (POST /fund → fundValidators), withdrawals (POST /withdraw → withdrawValidators, EIP-7002) and
 * consolidations (POST /consolidate → consolidateValidators, EIP-7251). Each relayer signature is
 * checked locally — VaultValidators(bytes32(validatorsManagerNonce), validators) by the vault's
 * manager — before the transaction is queued; the vault bumps the nonce on use, so a signature
 * works once.
 */
import { type JsonRpcProvider, type Wallet, getAddress } from 'ethers';
import { bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import { depositDataRoot, vaultWithdrawalCredentials } from '@dvt/eth2';
import {
  type RelayerClient,
  contractInterface,
  encodeValidators,
  ethVaultContract,
  recoverTypedDataSigner,
  validatorsManagerNonceRoot,
  vaultValidatorsTypedData,
} from '@dvt/stakewise';
import { type TransactionSender, type TxOutcome } from '../chain/tx-sender.js';
import { type ChainReader } from '../chain/vault-reader.js';
import { OperatorError, errorMessage } from '../errors.js';
import { type Logger } from '../logger.js';
import { type OperatorMetrics } from '../metrics.js';
import { type ConsolidateValidatorsJob, type FundValidatorsJob, type WithdrawValidatorsJob, consolidateValidatorsJobId, withdrawValidatorsJobId } from '../queue/jobs.js';
import { relayerCall } from './relayer-source.js';

/** EIP-7002 / EIP-7251 system contracts: an empty call returns the current fee per request. */
export const WITHDRAWAL_REQUEST_PREDEPLOY = '0x00000961Ef480Eb55e80D19ad83579A64c007002';
export const CONSOLIDATION_REQUEST_PREDEPLOY = '0x0000BBdDc7CE488642fb579F8B00f3a590007251';
const ZERO_SIGNATURE = bytesToHex(new Uint8Array(96));

export interface ManagerActionsOptions {
  readonly vault: string;
  readonly chainId: number;
  readonly relayer: RelayerClient;
  readonly provider: JsonRpcProvider;
  readonly chain: ChainReader;
  readonly sender: TransactionSender;
  readonly wallet: Wallet;
  /** wei; refuse withdrawals / consolidations whose request fee exceeds this per validator */
  readonly maxRequestFeeWei: bigint;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
}

/** fundValidators bytes: the 0x02 layout with a zero signature (top-ups are not signature-checked). */
export function fundingValidatorsBytes(vault: string, items: readonly { publicKey: string; amountGwei: number }[]): string {
  const credentials = vaultWithdrawalCredentials(vault, '0x02');
  return encodeValidators(
    items.map((v) => ({
      publicKey: v.publicKey,
      signature: ZERO_SIGNATURE,
      depositDataRoot: depositDataRoot({ pubkey: v.publicKey, withdrawalCredentials: credentials, amount: v.amountGwei, signature: ZERO_SIGNATURE }),
      amountGwei: v.amountGwei,
    })),
    '0x02',
  );
}

/** withdrawValidators bytes: pubkey (48) ‖ amount as big-endian uint64 gwei (0 = full exit). */
export function withdrawalValidatorsBytes(items: readonly { publicKey: string; amountGwei: number }[]): string {
  return bytesToHex(
    concatBytes(
      ...items.map((v, i) => {
        const amount = new Uint8Array(8);
        new DataView(amount.buffer).setBigUint64(0, BigInt(v.amountGwei), false);
        return concatBytes(hexToBytes(v.publicKey, `validators[${i}].publicKey`, 48), amount);
      }),
    ),
  );
}

/** consolidateValidators bytes: source pubkey (48) ‖ target pubkey (48). */
export function consolidationValidatorsBytes(pairs: readonly { source: string; target: string }[]): string {
  return bytesToHex(concatBytes(...pairs.map((p, i) => concatBytes(hexToBytes(p.source, `pairs[${i}].source`, 48), hexToBytes(p.target, `pairs[${i}].target`, 48)))));
}

export class ManagerActions {
  constructor(private readonly opts: ManagerActionsOptions) {}

  async fund(job: FundValidatorsJob, jobId: string): Promise<TxOutcome> {
    const validators = fundingValidatorsBytes(job.vault, job.validators);
    const { nonce, signature } = await this.signature('POST /fund', validators, () =>
      this.opts.relayer.fund({ vault: job.vault, public_keys: job.validators.map((v) => v.publicKey), amounts: job.validators.map((v) => v.amountGwei) }),
    );
    const data = contractInterface('EthVault').encodeFunctionData('fundValidators', [validators, signature]);
    return this.send('fund-validators', jobId, data, 0n, job.validators.map((v) => v.publicKey), nonce, async () => {
      // funded already: the vault emitted ValidatorFunded for each (key, amount) since the job was planned
      const funded = await this.fundedSince(job.plannedAtBlock);
      return job.validators.every((v) => funded.has(`${v.publicKey}:${v.amountGwei}`));
    });
  }

  async withdraw(job: WithdrawValidatorsJob, jobId: string): Promise<TxOutcome> {
    const validators = withdrawalValidatorsBytes(job.validators);
    const { nonce, signature } = await this.signature('POST /withdraw', validators, () =>
      this.opts.relayer.withdraw({ vault: job.vault, public_keys: job.validators.map((v) => v.publicKey), amounts: job.validators.map((v) => v.amountGwei) }),
    );
    const fee = await this.requestFee(WITHDRAWAL_REQUEST_PREDEPLOY, 'withdrawal');
    const data = contractInterface('EthVault').encodeFunctionData('withdrawValidators', [validators, signature]);
    return this.send('withdraw-validators', jobId, data, fee * BigInt(job.validators.length), job.validators.map((v) => v.publicKey), nonce, async () => false);
  }

  async consolidate(job: ConsolidateValidatorsJob, jobId: string): Promise<TxOutcome> {
    const validators = consolidationValidatorsBytes(job.pairs);
    const { nonce, signature } = await this.signature('POST /consolidate', validators, () =>
      this.opts.relayer.consolidate({ vault: job.vault, source_public_keys: job.pairs.map((p) => p.source), target_public_keys: job.pairs.map((p) => p.target) }),
    );
    const fee = await this.requestFee(CONSOLIDATION_REQUEST_PREDEPLOY, 'consolidation');
    const data = contractInterface('EthVault').encodeFunctionData('consolidateValidators', [validators, signature, '0x']);
    return this.send('consolidate-validators', jobId, data, fee * BigInt(job.pairs.length), job.pairs.map((p) => p.source), nonce, async () => false);
  }

  /** The relayer's signature over `validators` at the vault's current manager nonce, checked; '0x' when the hot wallet is the manager and the relayer signs nothing. */
  private async signature(what: string, validators: string, ask: () => Promise<{ validators_manager_signature: string | null }>): Promise<{ nonce: bigint; signature: string }> {
    const vault = ethVaultContract(this.opts.vault, this.opts.provider);
    let nonce: bigint;
    let manager: string;
    try {
      [nonce, manager] = await Promise.all([vault.getFunction('validatorsManagerNonce').staticCall() as Promise<bigint>, vault.getFunction('validatorsManager').staticCall() as Promise<string>]);
    } catch (err) {
      throw new OperatorError('EXECUTION_UNAVAILABLE', `vault ${this.opts.vault}: validators manager nonce: ${errorMessage(err)}`);
    }
    manager = getAddress(manager);
    const answer = await relayerCall(what, ask);
    const signature = answer.validators_manager_signature;
    if (signature === null) {
      if (this.opts.wallet.address === manager) return { nonce, signature: '0x' };
      throw new OperatorError('INVALID_MANAGER_SIGNATURE', `relayer ${what} gave no validators-manager signature, and the hot wallet ${this.opts.wallet.address} is not the manager ${manager}`);
    }
    let signer: string;
    try {
      signer = recoverTypedDataSigner(vaultValidatorsTypedData(this.opts.chainId, this.opts.vault, validatorsManagerNonceRoot(nonce), validators), signature);
    } catch (err) {
      throw new OperatorError('INVALID_MANAGER_SIGNATURE', `relayer ${what}: validators-manager signature: ${(err as Error).message}`);
    }
    if (signer !== manager) {
      throw new OperatorError('INVALID_MANAGER_SIGNATURE', `relayer ${what}: signature at manager nonce ${nonce} is by ${signer}, not by the validators manager ${manager}: not sending`);
    }
    return { nonce, signature };
  }

  private async send(kind: string, key: string, data: string, value: bigint, publicKeys: string[], nonce: bigint, isDone: () => Promise<boolean>): Promise<TxOutcome> {
    const outcome = await this.opts.sender.send({
      key,
      kind,
      to: this.opts.vault,
      data,
      value,
      publicKeys,
      isDone,
      preflight: async () => {
        const current = (await ethVaultContract(this.opts.vault, this.opts.provider).getFunction('validatorsManagerNonce').staticCall()) as bigint;
        if (current !== nonce) throw new OperatorError('MANAGER_NONCE_CHANGED', `the vault's validators manager nonce moved from ${nonce} to ${current}: asking the relayer again`);
      },
    });
    if (outcome.status === 'confirmed') {
      this.opts.metrics.transactions.inc({ kind, outcome: outcome.resumed ? 'resumed' : 'sent' });
      this.opts.metrics.gasUsed.inc({ kind }, Number(outcome.gasUsed));
      this.opts.logger.info(`${kind}: confirmed`, { txHash: outcome.txHash, publicKeys, blockNumber: outcome.blockNumber });
    }
    return outcome;
  }

  private async fundedSince(fromBlock: number): Promise<Set<string>> {
    const iface = contractInterface('EthVault');
    const topic = iface.getEvent('ValidatorFunded')!.topicHash;
    try {
      const logs = await this.opts.provider.getLogs({ address: this.opts.vault, topics: [topic], fromBlock: fromBlock + 1, toBlock: 'latest' });
      return new Set(
        logs.map((log) => {
          const parsed = iface.parseLog(log)!;
          return `${String(parsed.args[0]).toLowerCase()}:${Number((parsed.args[1] as bigint) / 1_000_000_000n)}`;
        }),
      );
    } catch (err) {
      throw new OperatorError('EXECUTION_UNAVAILABLE', `vault ValidatorFunded events: ${errorMessage(err)}`);
    }
  }

  /** The EIP-7002 / 7251 request fee now (0 where the system contract does not exist, as on a bare local chain). */
  private async requestFee(predeploy: string, what: string): Promise<bigint> {
    let fee: bigint;
    try {
      const answer = await this.opts.provider.call({ to: predeploy, data: '0x' });
      fee = answer === '0x' ? 0n : BigInt(answer);
    } catch (err) {
      throw new OperatorError('EXECUTION_UNAVAILABLE', `${what} request fee: ${errorMessage(err)}`);
    }
    if (fee > this.opts.maxRequestFeeWei) {
      throw new OperatorError('GAS_PRICE_TOO_HIGH', `${what} request fee ${fee} wei exceeds the cap ${this.opts.maxRequestFeeWei} wei; waiting`);
    }
    return fee;
  }
}

/** Queues a withdrawal (or full exit, amount 0) of the vault's validators; the running operator sends it. */
export async function requestWithdrawal(
  queue: { add(name: 'withdraw-validators', data: WithdrawValidatorsJob, jobId?: string): Promise<boolean> },
  provider: JsonRpcProvider,
  vault: string,
  validators: readonly { publicKey: string; amountGwei: number }[],
): Promise<{ jobId: string; added: boolean }> {
  if (validators.length === 0) throw new OperatorError('CONFIG_INVALID', 'withdraw: give at least one validator');
  withdrawalValidatorsBytes(validators); // a malformed key throws, naming it
  validators.forEach((v, i) => checkGwei(v.amountGwei, `validators[${i}].amountGwei`));
  const job: WithdrawValidatorsJob = { vault, managerNonce: (await managerNonce(provider, vault)).toString(), validators: validators.map((v) => ({ publicKey: v.publicKey.toLowerCase(), amountGwei: v.amountGwei })) };
  const jobId = withdrawValidatorsJobId(job);
  return { jobId, added: await queue.add('withdraw-validators', job, jobId) };
}

/** Queues consolidations of source validators into targets; the running operator sends them. */
export async function requestConsolidation(
  queue: { add(name: 'consolidate-validators', data: ConsolidateValidatorsJob, jobId?: string): Promise<boolean> },
  provider: JsonRpcProvider,
  vault: string,
  pairs: readonly { source: string; target: string }[],
): Promise<{ jobId: string; added: boolean }> {
  if (pairs.length === 0) throw new OperatorError('CONFIG_INVALID', 'consolidate: give at least one source and target');
  consolidationValidatorsBytes(pairs);
  const job: ConsolidateValidatorsJob = { vault, managerNonce: (await managerNonce(provider, vault)).toString(), pairs: pairs.map((p) => ({ source: p.source.toLowerCase(), target: p.target.toLowerCase() })) };
  const jobId = consolidateValidatorsJobId(job);
  return { jobId, added: await queue.add('consolidate-validators', job, jobId) };
}

async function managerNonce(provider: JsonRpcProvider, vault: string): Promise<bigint> {
  try {
    return (await ethVaultContract(vault, provider).getFunction('validatorsManagerNonce').staticCall()) as bigint;
  } catch (err) {
    throw new OperatorError('EXECUTION_UNAVAILABLE', `vault ${vault}: validatorsManagerNonce() failed: ${errorMessage(err)}`);
  }
}

function checkGwei(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new OperatorError('CONFIG_INVALID', `${field}: expected whole gwei ≥ 0, got ${String(value)}`);
}
