/**
 * Beacon-API values as the client returns them: camelCase, numbers for slots / epochs / indexes /
 * gwei (all far below 2^53 on real chains), FAR_FUTURE_EPOCH as Infinity, hex as lowercase 0x.
 */

export type StateId = 'head' | 'genesis' | 'finalized' | 'justified' | number | `0x${string}`;

export const VALIDATOR_STATUSES = [
  'pending_initialized',
  'pending_queued',
  'active_ongoing',
  'active_exiting',
  'active_slashed',
  'exited_unslashed',
  'exited_slashed',
  'withdrawal_possible',
  'withdrawal_done',
] as const;
export type ValidatorStatus = (typeof VALIDATOR_STATUSES)[number];

export interface Genesis {
  genesisTime: number;
  genesisValidatorsRoot: string;
  genesisForkVersion: string;
}

export interface Fork {
  previousVersion: string;
  currentVersion: string;
  epoch: number;
}

export interface ValidatorInfo {
  index: number;
  /** gwei */
  balance: number;
  status: ValidatorStatus;
  pubkey: string;
  withdrawalCredentials: string;
  /** gwei */
  effectiveBalance: number;
  slashed: boolean;
  activationEligibilityEpoch: number;
  activationEpoch: number;
  exitEpoch: number;
  withdrawableEpoch: number;
}

/** An entry of the state's `pending_deposits` queue (Electra). */
export interface PendingDeposit {
  pubkey: string;
  withdrawalCredentials: string;
  /** gwei */
  amount: number;
  signature: string;
  slot: number;
}

export interface SyncStatus {
  headSlot: number;
  syncDistance: number;
  isSyncing: boolean;
  isOptimistic: boolean;
  elOffline: boolean;
}
