import { DvtError } from '@dvt/common';

export type SlashingProtectionErrorCode =
  /** signing would be slashable or below the low watermark */
  | 'SLASHABLE_ATTESTATION'
  | 'SLASHABLE_BLOCK'
  /** an interchange file or argument that does not follow EIP-3076 v5 */
  | 'INVALID_INTERCHANGE'
  /** the interchange (or database) belongs to another network */
  | 'INVALID_GENESIS_VALIDATORS_ROOT'
  | 'INVALID_PUBKEY'
  /** the database file has an unknown schema or cannot be used */
  | 'DATABASE_ERROR';

export class SlashingProtectionError extends DvtError<SlashingProtectionErrorCode> {
  constructor(code: SlashingProtectionErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
