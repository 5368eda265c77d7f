import { DvtError } from '@dvt/common';

export type SidecarErrorCode =
  /** the configuration does not parse (names the setting) */
  | 'CONFIG_INVALID'
  /** the relayer serves another network than the sidecar's */
  | 'NETWORK_MISMATCH'
  /** key shares that cannot be loaded or do not match the cluster (names the validator) */
  | 'KEYS_INVALID'
  /** an SSV operator key file that cannot be read or decrypted */
  | 'OPERATOR_KEY_INVALID'
  /** SSV ValidatorAdded shares that do not parse or decrypt */
  | 'SSV_SHARES_INVALID'
  /** the relayer cannot be reached or timed out */
  | 'RELAYER_UNAVAILABLE'
  /** the relayer answered with an HTTP error status */
  | 'RELAYER_REJECTED'
  /** the relayer answered something that is not the documented JSON */
  | 'RELAYER_BAD_RESPONSE';

export class SidecarError extends DvtError<SidecarErrorCode> {
  constructor(code: SidecarErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
