import { DvtError } from '@dvt/common';

export type LocalChainErrorCode =
  | 'CONTRACTS_NOT_FOUND'
  | 'COMPILATION_FAILED'
  | 'INVALID_CHAIN_OPTIONS'
  | 'CHAIN_START_FAILED'
  | 'INVALID_DEPLOY_OPTIONS'
  | 'DEPLOYMENT_FAILED'
  | 'EXPECTED_REVERT';

/** Every error of the local chain helpers: test-contract compilation, chain start-up, deployment. */
export class LocalChainError extends DvtError<LocalChainErrorCode> {}
