/**
 * The operator's jobs: name → payload (JSON-safe: big numbers as decimal strings), and their
 * deterministic ids. The same work always gets the same id, so adding it twice queues it once.
 */
import { keccak256, toUtf8Bytes } from 'ethers';
import { type ValidatorType } from '@dvt/stakewise';

/** Periodic look at the vault: is there ETH to stake and nothing in flight? */
export interface WatchVaultJob {
  readonly vault: string;
}

/** Off-chain half of a registration: relayer (or deposit data), checks, oracle approvals. */
export interface PrepareRegistrationJob {
  readonly vault: string;
  readonly registryRoot: string;
  readonly startIndex: number;
  /** gwei, decimal */
  readonly availableGwei: string;
}

/** On-chain half: one registerValidators transaction, sent at most once. */
export interface RegisterValidatorsJob {
  readonly vault: string;
  readonly validatorType: ValidatorType;
  readonly startIndex: number;
  readonly registryRoot: string;
  readonly publicKeys: readonly string[];
  readonly amountsGwei: readonly number[];
  /** the validators blob (pubkey ‖ signature ‖ deposit data root [‖ amount]) */
  readonly validators: string;
  readonly validatorsManagerSignature: string;
  readonly approval: {
    readonly deadline: number;
    readonly signatures: string;
    readonly exitSignaturesIpfsHash: string;
    readonly oracles: readonly string[];
  };
}

/** Top-up of compounding validators (relayer POST /fund → fundValidators). */
export interface FundValidatorsJob {
  readonly vault: string;
  /** block the plan was made at: ValidatorFunded events after it mean "done" */
  readonly plannedAtBlock: number;
  readonly validators: readonly { readonly publicKey: string; readonly amountGwei: number }[];
}

/** Withdrawal requests (relayer POST /withdraw → withdrawValidators); amount 0 = full exit. */
export interface WithdrawValidatorsJob {
  readonly vault: string;
  /** the vault's validatorsManagerNonce when requested (part of the job id) */
  readonly managerNonce: string;
  readonly validators: readonly { readonly publicKey: string; readonly amountGwei: number }[];
}

/** Consolidation requests (relayer POST /consolidate → consolidateValidators). */
export interface ConsolidateValidatorsJob {
  readonly vault: string;
  readonly managerNonce: string;
  readonly pairs: readonly { readonly source: string; readonly target: string }[];
}

export interface OperatorJobs {
  'watch-vault': WatchVaultJob;
  'prepare-registration': PrepareRegistrationJob;
  'register-validators': RegisterValidatorsJob;
  'fund-validators': FundValidatorsJob;
  'withdraw-validators': WithdrawValidatorsJob;
  'consolidate-validators': ConsolidateValidatorsJob;
}

export type OperatorJobName = keyof OperatorJobs;
export const OPERATOR_JOB_NAMES: readonly OperatorJobName[] = [
  'watch-vault',
  'prepare-registration',
  'register-validators',
  'fund-validators',
  'withdraw-validators',
  'consolidate-validators',
];
/** Jobs that spend the vault's assets: while one waits or runs, the watcher starts no other. */
export const STAKING_JOB_NAMES: readonly OperatorJobName[] = ['prepare-registration', 'register-validators', 'fund-validators'];

/** Custom BullMQ ids may not contain ':' (nor be integers). */
export function prepareRegistrationJobId(job: PrepareRegistrationJob): string {
  return `prepare-${job.vault.toLowerCase()}-${job.registryRoot.slice(2, 18)}-${job.startIndex}-${job.availableGwei}`;
}

/** One id per (vault, registry root, validators blob): the same batch approved twice is registered once. */
export function registerValidatorsJobId(job: Pick<RegisterValidatorsJob, 'vault' | 'registryRoot' | 'validators'>): string {
  return `register-${job.vault.toLowerCase()}-${job.registryRoot.slice(2, 18)}-${keccak256(job.validators).slice(2, 18)}`;
}

export function fundValidatorsJobId(job: FundValidatorsJob): string {
  const items = job.validators.map((v) => `${v.publicKey}:${v.amountGwei}`).join(',');
  return `fund-${job.vault.toLowerCase()}-${job.plannedAtBlock}-${keccak256(toUtf8Bytes(items)).slice(2, 18)}`;
}

export function withdrawValidatorsJobId(job: WithdrawValidatorsJob): string {
  const items = job.validators.map((v) => `${v.publicKey}:${v.amountGwei}`).join(',');
  return `withdraw-${job.vault.toLowerCase()}-n${job.managerNonce}-${keccak256(toUtf8Bytes(items)).slice(2, 18)}`;
}

export function consolidateValidatorsJobId(job: ConsolidateValidatorsJob): string {
  const items = job.pairs.map((p) => `${p.source}>${p.target}`).join(',');
  return `consolidate-${job.vault.toLowerCase()}-n${job.managerNonce}-${keccak256(toUtf8Bytes(items)).slice(2, 18)}`;
}
