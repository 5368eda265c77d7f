import { DvtError } from '@dvt/common';

export type ClusterErrorCode =
  /** a command-line or API argument is out of range (operators, threshold, addresses...) */
  | 'INVALID_CLUSTER_OPTIONS'
  /** the lock file is not JSON or misses / mistypes a field */
  | 'LOCK_INVALID'
  /** config_hash, definition_hash or lock_hash does not match the content */
  | 'LOCK_HASH_MISMATCH'
  /** an operator ENR or node signature is missing or does not verify */
  | 'LOCK_SIGNATURE_INVALID'
  /** the public shares of a validator do not rebuild its distributed public key */
  | 'PUBLIC_SHARES_MISMATCH'
  /** a deposit or builder-registration signature in the lock does not verify */
  | 'LOCK_DEPOSIT_INVALID'
  /** an identity (secp256k1) key or ENR that does not parse */
  | 'IDENTITY_INVALID'
  /** this node's identity key is not one of the cluster's operators, or contradicts the configured index */
  | 'NODE_NOT_IN_CLUSTER'
  /** a key share file that is unreadable, undecryptable, or belongs to another node / cluster */
  | 'KEY_SHARE_INVALID'
  /** a validator of the lock has no key share for this node */
  | 'KEY_SHARE_MISSING'
  /** refusing to overwrite existing cluster files */
  | 'OUTPUT_EXISTS'
  /** an EIP-2335 keystore to import that cannot be read or decrypted */
  | 'IMPORT_FAILED';

/** Every failure of @dvt/cluster: creating, writing, loading or verifying cluster files. */
export class ClusterError extends DvtError<ClusterErrorCode> {
  constructor(code: ClusterErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
