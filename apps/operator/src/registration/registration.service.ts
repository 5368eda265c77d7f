/**
 * Validator registration as three jobs:
 *   watch-vault           enough ETH to stake and nothing in flight? → prepare-registration
 *   prepare-registration  validators from the relayer (polled until ready) or the deposit data file,
 *                         every signature checked, oracle approvals combined → register-validators
 *   register-validators   one registerValidators transaction, sent at most once (TransactionSender)
 * A changed registry root ends the running job; the watcher then starts over with a new relayer call.
 */
import { type Job } from 'bullmq';
import { type Wallet } from 'ethers';
import { type NetworkConfig } from '@dvt/eth2';
import {
  OracleApprovalError,
  type OraclesClient,
  type ValidatorType,
  buildApprovalRequest,
  combineOracleApprovals,
  contractInterface,
  encodeValidators,
  signTypedData,
  vaultValidatorsTypedData,
} from '@dvt/stakewise';
import { type ChainReader } from '../chain/vault-reader.js';
import { type TransactionSender, type TxOutcome } from '../chain/tx-sender.js';
import { OperatorError } from '../errors.js';
import { type Logger, ThrottledLogger } from '../logger.js';
import { type OperatorMetrics } from '../metrics.js';
import {
  type ConsolidateValidatorsJob,
  type FundValidatorsJob,
  type OperatorJobName,
  type OperatorJobs,
  type PrepareRegistrationJob,
  type RegisterValidatorsJob,
  type WithdrawValidatorsJob,
  fundValidatorsJobId,
  prepareRegistrationJobId,
  registerValidatorsJobId,
} from '../queue/jobs.js';
import { MIN_ACTIVATION_BALANCE_GWEI, fundingAmounts, stakeableGwei } from './amounts.js';
import { type BatchResult, type RegistrationBatch, type ValidatorSource } from './batch.js';
import { type ConsensusView } from './beacon-view.js';
import { checkBatch } from './checks.js';
import { type ManagerActions } from './manager-actions.js';
import { type OraclesConfigSource } from './oracles-config.js';

/** What the service needs of the queue. */
export interface JobSink {
  add<N extends OperatorJobName>(name: N, data: OperatorJobs[N], jobId?: string): Promise<boolean>;
  stakingInFlight(): Promise<boolean>;
}

export interface RegistrationServiceOptions {
  readonly vault: string;
  readonly validatorType: ValidatorType;
  readonly network: NetworkConfig;
  readonly chainId: number;
  readonly keeper: string;
  readonly vaultMinBalanceGwei: bigint;
  readonly batchSize?: number;
  /** top up compounding validators before registering new ones (0x02 only; relayer mode) */
  readonly funding?: {
    readonly maxValidatorBalanceGwei: bigint;
    readonly minDepositGwei: bigint;
    /** seconds between top-ups (the StakeWise operator's gas-griefing guard; also lets the beacon chain catch up) */
    readonly minDepositDelaySeconds: number;
  };
  /** fund / withdraw / consolidate through the relayer (relayer mode) */
  readonly managerActions?: ManagerActions;
  readonly relayerPollMs: number;
  readonly relayerReadyTimeoutMs: number;
  readonly chain: ChainReader;
  readonly consensus: ConsensusView;
  readonly source: ValidatorSource;
  readonly oracles: OraclesConfigSource;
  readonly oraclesClient: OraclesClient;
  readonly queue: JobSink;
  readonly sender: TransactionSender;
  /** the hot wallet: signs as validators manager when it is the vault's manager and the source gave no signature */
  readonly wallet: Wallet;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export type WatchOutcome =
  | { status: 'busy' }
  | { status: 'idle'; stakeableGwei: string }
  | { status: 'funding'; jobId: string; added: boolean }
  | { status: 'funding-delayed'; secondsLeft: number }
  | { status: 'started'; jobId: string; added: boolean };
export type PrepareOutcome = { status: 'none'; reason: string } | { status: 'queued'; jobId: string; added: boolean; publicKeys: string[] };

/** Seconds of margin before an approval's deadline: a transaction mined later would revert. */
const DEADLINE_MARGIN_SECONDS = 12;
const GWEI = 1_000_000_000n;
const WEI_PER_ETH = 10n ** 18n;

export class RegistrationService {
  private readonly throttled: ThrottledLogger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly opts: RegistrationServiceOptions) {
    this.throttled = new ThrottledLogger(opts.logger, 30_000);
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = opts.now ?? Date.now;
  }

  get mode(): 'relayer' | 'deposit-data' {
    return this.opts.source.mode;
  }

  /** watch-vault: starts a registration when there is ETH to stake and none is in flight. */
  async watch(): Promise<WatchOutcome> {
    const { queue, chain, logger, metrics } = this.opts;
    if (await queue.stakingInFlight()) return { status: 'busy' };
    const state = await chain.state();
    const available = stakeableGwei(state.withdrawableAssetsWei, this.opts.vaultMinBalanceGwei);
    metrics.stakeableGwei.set(Number(available));
    const funding = await this.planFunding(available, state.blockNumber, state.timestamp);
    if (funding) return funding;
    if (available < MIN_ACTIVATION_BALANCE_GWEI) return { status: 'idle', stakeableGwei: available.toString() };
    const startIndex = await this.opts.consensus.nextValidatorIndex();
    const job: PrepareRegistrationJob = { vault: this.opts.vault, registryRoot: state.registryRoot, startIndex, availableGwei: available.toString() };
    const jobId = prepareRegistrationJobId(job);
    const added = await queue.add('prepare-registration', job, jobId);
    if (added) logger.info('registration started', { vault: job.vault, stakeableGwei: job.availableGwei, startIndex, registryRoot: job.registryRoot, mode: this.mode });
    return { status: 'started', jobId, added };
  }

  /** 0x02 vaults fill their compounding validators up to the max balance before adding new ones. */
  private async planFunding(available: bigint, blockNumber: number, now: number): Promise<WatchOutcome | undefined> {
    const funding = this.opts.funding;
    if (!funding || this.opts.validatorType !== '0x02' || available < funding.minDepositGwei) return undefined;
    const registrations = await this.opts.chain.registrations();
    const compounding = [...registrations.values()].filter((r) => r.compounding).map((r) => r.publicKey);
    if (compounding.length === 0) return undefined;
    const balances = await this.opts.consensus.compoundingBalances(compounding);
    const validators = fundingAmounts(balances, available, funding.maxValidatorBalanceGwei, funding.minDepositGwei, this.opts.batchSize);
    if (validators.length === 0) return undefined;
    const last = await this.opts.chain.lastFundingTime();
    if (last !== null && now - last < funding.minDepositDelaySeconds) {
      const secondsLeft = funding.minDepositDelaySeconds - (now - last);
      this.throttled.log('info', 'funding-delay', 'top-up due, waiting for the minimum delay since the last one', { secondsLeft, validators });
      return { status: 'funding-delayed', secondsLeft };
    }
    const job: FundValidatorsJob = { vault: this.opts.vault, plannedAtBlock: blockNumber, validators };
    const jobId = fundValidatorsJobId(job);
    const added = await this.opts.queue.add('fund-validators', job, jobId);
    if (added) this.opts.logger.info('funding compounding validators', { validators, stakeableGwei: available.toString() });
    return { status: 'funding', jobId, added };
  }

  /** prepare-registration: validators, checks, oracle approvals → the register-validators job. */
  async prepare(job: PrepareRegistrationJob): Promise<PrepareOutcome> {
    const { chain, logger } = this.opts;
    await this.assertRoot(job.registryRoot, 'before asking for validators');
    const oracles = await this.opts.oracles.load();
    const limit = Math.min(oracles.validatorsApprovalBatchLimit, this.opts.batchSize ?? Number.MAX_SAFE_INTEGER);
    const registered = await chain.registrations();
    const result = await this.pollSource({ startIndex: job.startIndex, registryRoot: job.registryRoot, availableGwei: BigInt(job.availableGwei), limit, registered });
    if (result.status === 'none') {
      logger.info('nothing to register', { reason: result.reason, mode: this.mode });
      return { status: 'none', reason: result.reason };
    }
    const state = await chain.state();
    if (state.registryRoot !== job.registryRoot) throw rootChanged(job.registryRoot, state.registryRoot, 'while the relayer prepared the validators');
    const batch = this.withManagerSignature(result.batch, state.validatorsManager);
    const validators = checkBatch(batch, {
      network: this.opts.network,
      chainId: this.opts.chainId,
      oracles,
      validatorsManager: state.validatorsManager,
      sender: this.opts.wallet.address,
    });
    const publicKeys = batch.validators.map((v) => v.publicKey);
    logger.info('validators ready and checked; asking the oracles', { count: publicKeys.length, startIndex: batch.startIndex, publicKeys });

    const request = buildApprovalRequest(oracles, {
      vault: this.opts.vault,
      validatorType: batch.validatorType,
      startIndex: batch.startIndex,
      registryRoot: batch.registryRoot,
      deadline: state.timestamp + oracles.signatureValidityPeriod,
      validatorsManagerSignature: batch.validatorsManagerSignature!,
      validators: batch.validators,
    });
    const answers = await this.opts.oraclesClient.requestApprovals(oracles, request);
    let approval;
    try {
      approval = combineOracleApprovals(answers, oracles.validatorsThreshold, {
        chainId: this.opts.chainId,
        keeper: this.opts.keeper,
        vault: this.opts.vault,
        registryRoot: batch.registryRoot,
        validators,
      });
    } catch (err) {
      if (err instanceof OracleApprovalError && err.code === 'NOT_ENOUGH_APPROVALS') {
        this.opts.metrics.oracleAnswers.inc({ outcome: 'ignored' }, answers.length);
        logger.warn('oracle quorum not reached: no transaction; retrying later', { ...err.details, error: err.message });
      }
      throw err;
    }
    this.opts.metrics.oracleAnswers.inc({ outcome: 'approved' }, approval.oracles.length);
    if (approval.ignored.length > 0) {
      this.opts.metrics.oracleAnswers.inc({ outcome: 'ignored' }, approval.ignored.length);
      logger.warn('oracle answers ignored', { ignored: approval.ignored });
    }
    await this.assertRoot(job.registryRoot, 'while the oracles approved');

    const registerJob: RegisterValidatorsJob = {
      vault: this.opts.vault,
      validatorType: batch.validatorType,
      startIndex: batch.startIndex,
      registryRoot: batch.registryRoot,
      publicKeys,
      amountsGwei: batch.validators.map((v) => v.amountGwei),
      validators,
      validatorsManagerSignature: batch.validatorsManagerSignature!,
      approval: { deadline: approval.deadline, signatures: approval.signatures, exitSignaturesIpfsHash: approval.ipfsHash, oracles: approval.oracles },
    };
    const jobId = registerValidatorsJobId(registerJob);
    const added = await this.opts.queue.add('register-validators', registerJob, jobId);
    logger.info('oracles approved: registration queued', { jobId, added, oracles: approval.oracles.length, deadline: approval.deadline, ipfsHash: approval.ipfsHash });
    return { status: 'queued', jobId, added, publicKeys };
  }

  /** register-validators: the transaction, at most once per job id. */
  async register(job: RegisterValidatorsJob, jobId: string): Promise<TxOutcome> {
    const { chain, consensus, logger, metrics } = this.opts;
    const data = contractInterface('EthVault').encodeFunctionData('registerValidators', [
      [job.registryRoot, job.approval.deadline, job.validators, job.approval.signatures, job.approval.exitSignaturesIpfsHash],
      job.validatorsManagerSignature,
    ]);
    const kind = 'register-validators';
    const outcome = await this.opts.sender.send({
      key: jobId,
      kind: 'register-validators',
      to: job.vault,
      data,
      publicKeys: job.publicKeys,
      isDone: async () => {
        const registered = await chain.registrations();
        const done = job.publicKeys.filter((k) => registered.has(k));
        if (done.length === job.publicKeys.length) return true;
        if (done.length > 0) {
          throw new OperatorError('ALREADY_REGISTERED', `validator(s) ${done.join(', ')} of this batch are registered already; not sending the batch`, { publicKeys: done });
        }
        return false;
      },
      preflight: async () => {
        await this.assertRoot(job.registryRoot, 'before sending');
        const timestamp = await chain.latestTimestamp();
        if (timestamp + DEADLINE_MARGIN_SECONDS >= job.approval.deadline) {
          throw new OperatorError('DEADLINE_EXPIRED', `the oracles' approval expires at ${job.approval.deadline}, the chain is at ${timestamp}: asking again`);
        }
        const startIndex = await consensus.nextValidatorIndex();
        if (startIndex !== job.startIndex) {
          throw new OperatorError('START_INDEX_CHANGED', `the next validator index is ${startIndex}, the exit signatures were made for ${job.startIndex}: starting over`);
        }
      },
    }).catch((err: unknown) => {
      if (err instanceof OperatorError && err.code === 'TX_REVERTED') {
        // a revert still costs gas (e.g. the registry root changed between broadcast and inclusion)
        metrics.transactions.inc({ kind, outcome: 'reverted' });
        metrics.gasUsed.inc({ kind }, Number(err.details?.gasUsed ?? 0));
        metrics.gasSpentEth.inc({ kind }, weiToEth(BigInt(String(err.details?.gasUsed ?? 0)) * BigInt(String(err.details?.effectiveGasPrice ?? 0))));
      }
      throw err;
    });
    if (outcome.status === 'confirmed') {
      metrics.transactions.inc({ kind, outcome: outcome.resumed ? 'resumed' : 'sent' });
      metrics.gasUsed.inc({ kind }, Number(outcome.gasUsed));
      metrics.gasSpentEth.inc({ kind }, weiToEth(outcome.gasUsed * outcome.effectiveGasPrice));
      metrics.validatorsRegistered.inc({ type: job.validatorType }, job.publicKeys.length);
      logger.info('validators registered', {
        count: job.publicKeys.length,
        txHash: outcome.txHash,
        blockNumber: outcome.blockNumber,
        resumed: outcome.resumed,
        publicKeys: job.publicKeys,
        gasUsed: outcome.gasUsed,
      });
    }
    return outcome;
  }

  /** Handlers for the queue's worker. */
  handlers() {
    return {
      'watch-vault': () => this.watch(),
      'prepare-registration': (data: PrepareRegistrationJob) => this.prepare(data),
      'register-validators': async (data: RegisterValidatorsJob, job: Job<RegisterValidatorsJob>) => jsonSafe(await this.register(data, job.id!)),
      'fund-validators': async (data: FundValidatorsJob, job: Job<FundValidatorsJob>) => jsonSafe(await this.actions('fund').fund(data, job.id!)),
      'withdraw-validators': async (data: WithdrawValidatorsJob, job: Job<WithdrawValidatorsJob>) => jsonSafe(await this.actions('withdraw').withdraw(data, job.id!)),
      'consolidate-validators': async (data: ConsolidateValidatorsJob, job: Job<ConsolidateValidatorsJob>) =>
        jsonSafe(await this.actions('consolidate').consolidate(data, job.id!)),
    };
  }

  private actions(what: string): ManagerActions {
    if (!this.opts.managerActions) throw new OperatorError('CONFIG_INVALID', `${what} needs the relayer's current API (relayer mode)`);
    return this.opts.managerActions;
  }

  private async pollSource(request: Parameters<ValidatorSource['next']>[0]): Promise<Exclude<BatchResult, { status: 'pending' }>> {
    const started = this.now();
    for (;;) {
      const result = await this.opts.source.next(request);
      if (result.status !== 'pending') return result;
      if (this.now() - started >= this.opts.relayerReadyTimeoutMs) {
        throw new OperatorError('RELAYER_NOT_READY', `relayer not ready after ${this.opts.relayerReadyTimeoutMs} ms: ${result.reason}`);
      }
      this.throttled.log('info', 'relayer-pending', 'waiting for the relayer', { reason: result.reason, startIndex: request.startIndex });
      await this.sleep(this.opts.relayerPollMs);
      await this.assertRoot(request.registryRoot, 'while waiting for the relayer');
    }
  }

  /** The source's manager signature, or the hot wallet's when it is the vault's manager. */
  private withManagerSignature(batch: RegistrationBatch, manager: string): RegistrationBatch {
    if (batch.validatorsManagerSignature !== null) return batch;
    if (this.opts.wallet.address !== manager) {
      throw new OperatorError(
        'INVALID_MANAGER_SIGNATURE',
        `no validators-manager signature from the ${this.mode === 'relayer' ? 'relayer' : 'deposit data'}, and the hot wallet ${this.opts.wallet.address} is not the vault's validators manager ${manager}`,
      );
    }
    const validators = encodeValidators(
      batch.validators.map((v) => ({ publicKey: v.publicKey, signature: v.depositSignature, depositDataRoot: v.depositDataRoot, amountGwei: v.amountGwei })),
      batch.validatorType,
    );
    const signature = signTypedData(vaultValidatorsTypedData(this.opts.chainId, batch.vault, batch.registryRoot, validators), this.opts.wallet.privateKey);
    return { ...batch, validatorsManagerSignature: signature };
  }

  private async assertRoot(expected: string, when: string): Promise<void> {
    const current = await this.opts.chain.registryRoot();
    if (current !== expected) throw rootChanged(expected, current, when);
  }
}

function rootChanged(expected: string, current: string, when: string): OperatorError {
  return new OperatorError('REGISTRY_ROOT_CHANGED', `registry root changed ${when} (${expected} → ${current}): starting over`, { expected, current });
}

/** BullMQ stores return values as JSON. */
function jsonSafe(outcome: TxOutcome): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outcome).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
}

function weiToEth(wei: bigint): number {
  return Number(wei / GWEI) / Number(WEI_PER_ETH / GWEI);
}
