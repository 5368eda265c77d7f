import { DvtError } from '@dvt/common';

export type RelayerErrorCode =
  // configuration (start-up)
  | 'CONFIG_INVALID'
  | 'KEYS_CONFIG_INVALID'
  | 'PROTOCOL_CONFIG_INVALID'
  | 'MANAGER_KEYSTORE_INVALID'
  // requests
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'UNKNOWN_VALIDATOR'
  | 'KEY_NOT_CONFIGURED'
  | 'BINDING_CHANGED'
  | 'INVALID_SHARE'
  | 'SHARE_INDEX_FILLED'
  | 'SHARE_INDEX_NOT_IN_CLUSTER'
  | 'PUBLIC_KEY_SHARES_INVALID'
  | 'PUBLIC_KEY_SHARES_MISMATCH'
  | 'SHARES_REJECTED'
  // dependencies
  | 'BEACON_UNAVAILABLE'
  | 'EXECUTION_UNAVAILABLE'
  | 'PROTOCOL_CONFIG_UNAVAILABLE'
  | 'DATABASE_UNAVAILABLE'
  | 'INTERNAL';

/** Every failure the relayer reports. The HTTP status of each code is decided in one place (http/exception.filter.ts). */
export class RelayerError extends DvtError<RelayerErrorCode> {
  constructor(code: RelayerErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

/** Why one item (public key, share index) of a push was refused; the push's other items are unaffected. */
export interface ShareRejection {
  public_key: string;
  share_index: number;
  code: RelayerErrorCode;
  message: string;
}

/** Some items of a push were refused (the others were stored): the answer lists each refusal. */
export class SharesRejectedError extends RelayerError {
  constructor(
    readonly rejected: ShareRejection[],
    readonly accepted: number,
  ) {
    const head = rejected
      .slice(0, 3)
      .map((r) => r.message)
      .join('; ');
    const more = rejected.length > 3 ? `; and ${rejected.length - 3} more` : '';
    super('SHARES_REJECTED', `${rejected.length} share(s) rejected, ${accepted} accepted: ${head}${more}`, { rejected: rejected.length, accepted });
  }
}

/** The error message of one refused item, naming the public key and share index. */
export function shareRejection(publicKey: string, shareIndex: number, code: RelayerErrorCode, reason: string): ShareRejection {
  return { public_key: publicKey, share_index: shareIndex, code, message: `public key ${publicKey}, share index ${shareIndex}: ${reason}` };
}
