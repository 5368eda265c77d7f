export { TblsError, type TblsErrorCode } from './errors.js';
export {
  SECRET_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  type SignatureSetBytes,
  generateSecretKey,
  secretKeyToPublicKey,
  sign,
  verify,
  verifyPartial,
  verifyBatch,
  verifyEach,
  assertSecretKey,
  assertPublicKey,
  assertSignature,
} from './bls.js';
export {
  type SecretShare,
  type PublicShare,
  type SignatureShare,
  type RecoverVerifiedArgs,
  type RecoverVerifiedResult,
  type ReshareArgs,
  assertShareIndex,
  splitSecret,
  recoverSignature,
  recoverPublicKey,
  firstShareOffPolynomial,
  recoverSecretKey,
  recoverVerifiedSignature,
  reshareSignature,
} from './threshold.js';
export { type ReshareAndEncryptArgs, type ReshareAndEncryptResult, reshareAndEncryptSignature } from './oracle-shards.js';
export { type TblsExecutor, type TblsWorkerPoolOptions, createInlineTblsExecutor, createTblsWorkerPool } from './executor.js';
export {
  ECIES_OVERHEAD,
  type EciesKeyPair,
  eciesEncrypt,
  eciesEncryptEach,
  eciesDecrypt,
  generateEciesKeyPair,
  eciesPublicKey,
  assertEciesPublicKey,
} from './ecies.js';
export {
  type Keystore,
  type KeystoreKdf,
  type ScryptKdfParams,
  type Pbkdf2KdfParams,
  type EncryptKeystoreOptions,
  encryptKeystore,
  decryptKeystore,
  parseKeystore,
  normalizeKeystorePassword,
} from './keystore.js';
export { type PublicKeyAndSignature, verifySameMessage, verifySameMessageAsync, verifySets } from './same-message.js';
export { type ThresholdBatchItem, type ThresholdBatchResult, recoverAndVerifyBatch, recoverSignatureUnchecked, verifySetsCachedKeys } from './threshold-batch.js';
