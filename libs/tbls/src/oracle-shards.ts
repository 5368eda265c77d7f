/**
 * The relayer's per-validator oracle step in one call: re-share the exit signature (STAKEWISE.md §3)
 * and ECIES-encrypt each signature shard to its oracle.
 */
import { assertEciesPublicKey, eciesEncryptEach } from './ecies.js';
import { TblsError } from './errors.js';
import { reshareSignature } from './threshold.js';

export interface ReshareAndEncryptArgs {
  /** the validator public key */
  publicKey: Uint8Array;
  /** the full exit signature of `message` under `publicKey` */
  signature: Uint8Array;
  message: Uint8Array;
  threshold: number;
  /** the oracles' secp256k1 keys (64-byte raw, 65 or 33 bytes) in the protocol's order: shard x = i + 1 goes to key i */
  oraclePublicKeys: Uint8Array[];
  /** skip the check that `signature` verifies (the caller has just verified it); default false */
  alreadyVerified?: boolean;
}

export interface ReshareAndEncryptResult {
  /** P(x), 48 bytes, for x = i + 1 */
  publicKeyShards: Uint8Array[];
  /** ECIES(oraclePublicKeys[i], S(x)), 193 bytes, for x = i + 1 */
  encryptedShards: Uint8Array[];
}

/**
 * `reshareSignature` to `oraclePublicKeys.length` shards, each signature shard encrypted to its
 * oracle. Oracle keys are checked before any shard is made (ECIES_INVALID_KEY naming the key).
 */
export function reshareAndEncryptSignature(args: ReshareAndEncryptArgs): ReshareAndEncryptResult {
  if (args === null || typeof args !== 'object') throw new TblsError('INVALID_ARGUMENT', 'reshareAndEncrypt: expected an arguments object');
  const { oraclePublicKeys } = args;
  if (!Array.isArray(oraclePublicKeys) || oraclePublicKeys.length === 0) {
    throw new TblsError('INVALID_ARGUMENT', 'oraclePublicKeys: expected a non-empty array of oracle ECIES public keys');
  }
  oraclePublicKeys.forEach((key, i) => assertEciesPublicKey(key, `oraclePublicKeys[${i}]`));
  const { publicKeyShards, signatureShards } = reshareSignature({
    publicKey: args.publicKey,
    signature: args.signature,
    message: args.message,
    threshold: args.threshold,
    count: oraclePublicKeys.length,
    alreadyVerified: args.alreadyVerified,
  });
  return { publicKeyShards, encryptedShards: eciesEncryptEach(oraclePublicKeys, signatureShards) };
}
