import { DvtError } from '@dvt/common';

export type QbftErrorCode =
  /** bytes that do not parse as a QBFT envelope, or fields in a non-canonical shape */
  | 'MALFORMED_MESSAGE'
  | 'UNKNOWN_MESSAGE_TYPE'
  | 'MESSAGE_TOO_LARGE'
  | 'TOO_MANY_JUSTIFICATIONS'
  /** a justification that itself carries justifications */
  | 'NESTED_JUSTIFICATION'
  /** a message for another duty (slot, duty type) than the instance's */
  | 'WRONG_INSTANCE'
  | 'UNKNOWN_SIGNER'
  | 'INVALID_SIGNATURE'
  /** round 0, a round beyond the duty deadline, or a round that the message type does not allow */
  | 'INVALID_ROUND'
  /** a proposal from a node that does not lead its round */
  | 'WRONG_LEADER'
  | 'MISSING_VALUE'
  | 'UNEXPECTED_VALUE'
  | 'VALUE_HASH_MISMATCH'
  /** a value that does not decode or fails the validity predicate */
  | 'INVALID_VALUE'
  | 'INVALID_JUSTIFICATION'
  | 'VALUE_TOO_LARGE'
  | 'INVALID_CONFIG'
  | 'INVALID_KEY'
  | 'INVALID_STATE';

/** Every error of the QBFT library; `code` says which rule was broken. */
export class QbftError extends DvtError<QbftErrorCode> {
  constructor(code: QbftErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
