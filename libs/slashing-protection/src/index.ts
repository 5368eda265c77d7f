export { SlashingProtectionError, type SlashingProtectionErrorCode } from './errors.js';
export {
  SlashingProtectionDb,
  SCHEMA_VERSION,
  type AttestationRecordEntry,
  type BatchVerdict,
  type OpenOptions,
  type SlashingVerdict,
} from './db.js';
export { parseInterchange, type Interchange, type InterchangeValidator, INTERCHANGE_FORMAT_VERSION } from './interchange.js';
