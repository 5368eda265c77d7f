import { DvtError } from '@dvt/common';

export type TblsErrorCode =
  | 'INVALID_SECRET_KEY'
  | 'INVALID_PUBLIC_KEY'
  | 'INVALID_SIGNATURE'
  | 'INFINITY_POINT'
  | 'INVALID_MESSAGE'
  | 'INVALID_SHARE_INDEX'
  | 'DUPLICATE_SHARE_INDEX'
  | 'NOT_ENOUGH_SHARES'
  | 'THRESHOLD_OUT_OF_RANGE'
  | 'NO_VALID_SUBSET'
  | 'KEYSTORE_INVALID'
  | 'KEYSTORE_WRONG_PASSWORD'
  | 'ECIES_INVALID_KEY'
  | 'ECIES_DECRYPT_FAILED'
  | 'INVALID_ARGUMENT'
  | 'WORKER_FAILED'
  | 'EXECUTOR_CLOSED';

/** Every failure of the crypto lib: bad keys/points/indexes, failed reconstruction, keystores, ECIES, the worker pool. */
export class TblsError extends DvtError<TblsErrorCode> {
  constructor(code: TblsErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
