import { DvtError } from '@dvt/common';

export type DvErrorCode =
  /** a slot or duty type that is not a valid duty */
  | 'INVALID_DUTY'
  /** not a 48-byte BLS public key in bytes or 0x-hex */
  | 'INVALID_DV_PUBKEY'
  /** bytes that are not the canonical encoding of an unsigned data set, or a set over its limits */
  | 'INVALID_UNSIGNED_DATA'
  /** a signing message or partial signature that does not decode or does not belong to its duty */
  | 'INVALID_SIGNED_DATA'
  /** a validator client's partial over something else than the decided object */
  | 'SUBMISSION_MISMATCH'
  | 'INVALID_CONFIG';

/** Errors of the DV node's shared core types (duties, DV keys, unsigned data sets, clocks). */
export class DvError extends DvtError<DvErrorCode> {
  constructor(code: DvErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
