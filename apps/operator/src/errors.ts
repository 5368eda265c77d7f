import { DvtError } from '@dvt/common';

export type OperatorErrorCode =
  // start-up
  | 'CONFIG_INVALID'
  | 'WALLET_INVALID'
  | 'DEPOSIT_DATA_INVALID'
  | 'REDIS_UNREACHABLE'
  | 'NETWORK_MISMATCH'
  | 'NOT_VALIDATORS_MANAGER'
  // dependencies (retried)
  | 'EXECUTION_UNAVAILABLE'
  | 'BEACON_UNAVAILABLE'
  | 'PROTOCOL_CONFIG_UNAVAILABLE'
  | 'RELAYER_UNAVAILABLE'
  | 'RELAYER_NOT_READY'
  | 'GAS_PRICE_TOO_HIGH'
  | 'TX_NOT_CONFIRMED'
  // the batch is wrong: never sent
  | 'RELAYER_INVALID_ANSWER'
  | 'INVALID_DEPOSIT_SIGNATURE'
  | 'INVALID_DEPOSIT_DATA_ROOT'
  | 'INVALID_EXIT_SHARDS'
  | 'INVALID_MANAGER_SIGNATURE'
  | 'ALREADY_REGISTERED'
  // the world moved on: start over
  | 'REGISTRY_ROOT_CHANGED'
  | 'START_INDEX_CHANGED'
  /** another manager action used the signature's nonce first: ask the relayer again */
  | 'MANAGER_NONCE_CHANGED'
  | 'DEADLINE_EXPIRED'
  | 'TX_SIMULATION_FAILED'
  | 'TX_REVERTED'
  // test hooks
  | 'SIMULATED_CRASH';

/** Every failure of the operator; `retryable` says whether a job hitting it should be attempted again. */
export class OperatorError extends DvtError<OperatorErrorCode> {
  constructor(code: OperatorErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

const RETRYABLE: ReadonlySet<OperatorErrorCode> = new Set<OperatorErrorCode>([
  'EXECUTION_UNAVAILABLE',
  'BEACON_UNAVAILABLE',
  'PROTOCOL_CONFIG_UNAVAILABLE',
  'RELAYER_UNAVAILABLE',
  'RELAYER_NOT_READY',
  'GAS_PRICE_TOO_HIGH',
  'TX_NOT_CONFIRMED',
  'MANAGER_NONCE_CHANGED',
  'SIMULATED_CRASH',
]);

/** The short message of an ethers / fetch error. */
export function errorMessage(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return e?.shortMessage ?? e?.message ?? String(err);
}
