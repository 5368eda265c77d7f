import { DvtError } from '@dvt/common';

export type StakewiseErrorCode =
  | 'INVALID_VALIDATOR_TYPE'
  | 'INVALID_VALIDATORS_LENGTH'
  | 'AMBIGUOUS_VALIDATORS_LENGTH'
  | 'INVALID_VALIDATOR_AMOUNT'
  | 'INVALID_ADDRESS'
  | 'INVALID_CHAIN_ID'
  | 'INVALID_DEADLINE'
  | 'INVALID_NONCE'
  | 'INVALID_ECDSA_SIGNATURE'
  | 'DUPLICATE_ORACLE_SIGNATURE'
  | 'ABI_NOT_FOUND';

/** Every error of @dvt/stakewise (malformed hex / byte lengths excepted: InvalidInputError). */
export class StakewiseError extends DvtError<StakewiseErrorCode> {}
