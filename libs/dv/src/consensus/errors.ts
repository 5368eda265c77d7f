import { DvtError } from '@dvt/common';

export type ConsensusErrorCode =
  | 'INVALID_CONFIG'
  /** a duty type this node runs no consensus for */
  | 'UNSUPPORTED_DUTY_TYPE'
  /** a duty too far in the future to start now */
  | 'DUTY_OUT_OF_WINDOW'
  /** a duty whose deadline has passed */
  | 'DUTY_EXPIRED'
  /** propose / participate called twice for one duty */
  | 'ALREADY_STARTED'
  /** the limit of concurrently running instances is reached */
  | 'TOO_MANY_INSTANCES'
  | 'NOT_RUNNING';

/** Errors of the consensus component; each names the duty or setting at fault. */
export class ConsensusError extends DvtError<ConsensusErrorCode> {
  constructor(code: ConsensusErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
