import { DvtError } from '@dvt/common';

export type ValidatorApiErrorCode =
  /** a body that is not JSON */
  | 'INVALID_JSON'
  /** a body that is not the SSZ of the expected type */
  | 'INVALID_SSZ'
  /** a well-formed body or parameter with a wrong shape or value */
  | 'INVALID_REQUEST'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** a validator client key that is the public share of another share index */
  | 'WRONG_NODE_KEY'
  /** a signature that does not verify against this node's public share */
  | 'INVALID_SIGNATURE'
  /** a validator index or key that is not one of the cluster's DVs */
  | 'UNKNOWN_VALIDATOR'
  /** the rest of the node refused a submission (not the decided data, …) */
  | 'REJECTED'
  /** an endpoint answered 404 on purpose */
  | 'NOT_FOUND'
  | 'NOT_IMPLEMENTED'
  /** the beacon node cannot be reached or did not answer in time */
  | 'BEACON_NODE_UNAVAILABLE'
  /** the cluster did not decide in time */
  | 'NOT_AVAILABLE'
  | 'INVALID_CONFIG';

/** Errors of the validator API; each code has one HTTP status (`validatorApiHttpStatus`). */
export class ValidatorApiError extends DvtError<ValidatorApiErrorCode> {
  constructor(code: ValidatorApiErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

const STATUS: Readonly<Record<ValidatorApiErrorCode, number>> = {
  INVALID_JSON: 400,
  INVALID_SSZ: 400,
  INVALID_REQUEST: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WRONG_NODE_KEY: 400,
  INVALID_SIGNATURE: 400,
  UNKNOWN_VALIDATOR: 400,
  REJECTED: 400,
  NOT_FOUND: 404,
  NOT_IMPLEMENTED: 501,
  BEACON_NODE_UNAVAILABLE: 503,
  NOT_AVAILABLE: 503,
  INVALID_CONFIG: 500,
};

export function validatorApiHttpStatus(code: ValidatorApiErrorCode): number {
  return STATUS[code];
}
