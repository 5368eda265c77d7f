/**
 * @dvt/cluster — distributed-validator cluster files: trusted-dealer creation, the Obol-compatible
 * cluster lock (definition, distributed validators, hashes and signatures), node identities
 * (secp256k1 + ENR), the node{i}/ layout with EIP-2335 keystores, and loading + verifying a
 * node's key shares.
 */
export { ClusterError, type ClusterErrorCode } from './errors.js';
export { canonicalJson } from './canonical-json.js';
export {
  IDENTITY_KEY_LENGTH,
  NODE_SIGNATURE_LENGTH,
  type Enr,
  generateIdentityKey,
  identityPublicKey,
  formatIdentityKeyFile,
  parseIdentityKeyFile,
  encodeEnr,
  parseEnr,
  signDigest,
  verifyDigestSignature,
} from './identity.js';
export {
  LOCK_VERSION,
  type LockOperator,
  type LockCreator,
  type ValidatorAddresses,
  type ClusterDefinition,
  type LockDepositData,
  type BuilderRegistration,
  type DistributedValidator,
  type ClusterLock,
  parseClusterLock,
  loadClusterLock,
  computeConfigHash,
  computeDefinitionHash,
  computeLockHash,
  isSuiteLock,
  lockDeposits,
} from './lock.js';
export { type VerifyClusterLockOptions, type VerifiedClusterLock, verifyClusterLock, networkForForkVersion, assertPublicSharesRebuild } from './verify.js';
export {
  GWEI_PER_ETH,
  type CreateClusterOptions,
  type CreatedNode,
  type CreatedCluster,
  defaultThreshold,
  createCluster,
} from './create.js';
export {
  LOCK_FILE,
  IDENTITY_KEY_FILE,
  DEPOSIT_DATA_FILE,
  VALIDATOR_KEYS_DIR,
  type KeystoreProgress,
  type WriteClusterOptions,
  type ValidatorKeyShare,
  type NodeKeyShares,
  type LoadNodeKeySharesOptions,
  type ImportKeystoresOptions,
  nodeDirName,
  writeClusterFolders,
  listKeystoreFiles,
  loadNodeKeyShares,
  importKeystores,
} from './layout.js';
