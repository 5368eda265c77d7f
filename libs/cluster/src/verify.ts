import { bytesToHex, hexToBytes } from '@dvt/common';
import {
  NETWORK_NAMES,
  type NetworkConfig,
  builderRegistrationSigningRoot,
  depositSigningRoot,
  getNetwork,
  vaultWithdrawalCredentials,
} from '@dvt/eth2';
import { type PublicShare, type SignatureSetBytes, firstShareOffPolynomial, verify, verifyBatch } from '@dvt/tbls';
import { ClusterError } from './errors.js';
import { parseEnr, verifyDigestSignature } from './identity.js';
import {
  type ClusterLock,
  type DistributedValidator,
  computeConfigHash,
  computeDefinitionHash,
  computeLockHash,
  isSuiteLock,
  lockDeposits,
} from './lock.js';

export interface VerifyClusterLockOptions {
  /**
   * The network the lock must be for (its genesis fork version must equal the lock's
   * fork_version). Default: the known network with that fork version, if any.
   */
  network?: NetworkConfig;
  /** Verify deposit and builder-registration signatures (batched). Default true. */
  verifyDeposits?: boolean;
}

export interface VerifiedClusterLock {
  lock: ClusterLock;
  /** undefined when the lock's fork version is not a known network and none was given */
  network: NetworkConfig | undefined;
  /** compressed secp256k1 key of each operator's ENR, in operator order */
  operatorPublicKeys: Uint8Array[];
  /** true when config/definition/lock hashes were recomputed (locks written by this suite) */
  hashesVerified: boolean;
  /** true when deposit (and builder registration) signatures were verified */
  depositsVerified: boolean;
}

/** The network whose genesis fork version is `forkVersion`, if the suite knows it. */
export function networkForForkVersion(forkVersion: string): NetworkConfig | undefined {
  for (const name of NETWORK_NAMES) {
    const network = getNetwork(name);
    if (network.genesisForkVersion === forkVersion.toLowerCase()) return network;
  }
  return undefined;
}

function describeValidator(index: number, dv: DistributedValidator): string {
  return `validator ${index} (${dv.distributed_public_key.toLowerCase()})`;
}

/**
 * Checks everything a lock claims, throwing a ClusterError that names the first problem:
 * structure (counts, threshold), the hashes (suite locks), every operator ENR and its node
 * signature over lock_hash, that each validator's public shares all lie on one polynomial whose
 * value at 0 is the distributed key, and the deposit / builder-registration signatures.
 */
export function verifyClusterLock(lock: ClusterLock, options: VerifyClusterLockOptions = {}): VerifiedClusterLock {
  const definition = lock.cluster_definition;
  const operatorCount = definition.operators.length;
  const { threshold } = definition;
  if (threshold < 1 || threshold > operatorCount) {
    throw new ClusterError('LOCK_INVALID', `threshold ${threshold} is not in [1, ${operatorCount}] (the number of operators)`);
  }
  if (definition.num_validators !== lock.distributed_validators.length) {
    throw new ClusterError(
      'LOCK_INVALID',
      `num_validators is ${definition.num_validators} but the lock has ${lock.distributed_validators.length} distributed validators`,
    );
  }
  if (definition.validators !== undefined && definition.validators.length !== definition.num_validators) {
    throw new ClusterError('LOCK_INVALID', `cluster_definition.validators has ${definition.validators.length} entries, expected ${definition.num_validators}`);
  }

  const network = resolveNetwork(definition.fork_version, options.network);

  const suiteLock = isSuiteLock(lock);
  if (suiteLock) verifyHashes(lock);

  const operatorPublicKeys = definition.operators.map((operator, i) => {
    try {
      return parseEnr(operator.enr).publicKey;
    } catch (err) {
      throw new ClusterError('LOCK_SIGNATURE_INVALID', `operator ${i}: ${(err as Error).message}`, { operator: i });
    }
  });
  const distinctOperators = new Set(operatorPublicKeys.map((k) => bytesToHex(k)));
  if (distinctOperators.size !== operatorCount) throw new ClusterError('LOCK_INVALID', 'two operators share the same identity key (ENR)');
  verifyNodeSignatures(lock, operatorPublicKeys, suiteLock);

  const seenKeys = new Set<string>();
  lock.distributed_validators.forEach((dv, i) => {
    const key = dv.distributed_public_key.toLowerCase();
    if (seenKeys.has(key)) throw new ClusterError('LOCK_INVALID', `${describeValidator(i, dv)} appears twice in the lock`);
    seenKeys.add(key);
    verifyPublicShares(dv, i, operatorCount, threshold);
  });

  let depositsVerified = false;
  if (options.verifyDeposits !== false && network !== undefined) {
    verifyDeposits(lock, network);
    depositsVerified = true;
  }
  return { lock, network, operatorPublicKeys, hashesVerified: suiteLock, depositsVerified };
}

function resolveNetwork(forkVersion: string, expected: NetworkConfig | undefined): NetworkConfig | undefined {
  const fromLock = networkForForkVersion(forkVersion);
  if (expected === undefined) return fromLock;
  if (expected.genesisForkVersion !== forkVersion.toLowerCase()) {
    const lockNetwork = fromLock === undefined ? 'an unknown network' : fromLock.name;
    throw new ClusterError(
      'LOCK_INVALID',
      `the cluster lock is for fork version ${forkVersion} (${lockNetwork}), not ${expected.name} (${expected.genesisForkVersion})`,
      { forkVersion, network: expected.name },
    );
  }
  return expected;
}

function verifyHashes(lock: ClusterLock): void {
  const definition = lock.cluster_definition;
  const configHash = computeConfigHash(definition);
  if (definition.config_hash?.toLowerCase() !== configHash) {
    throw new ClusterError('LOCK_HASH_MISMATCH', `cluster_definition.config_hash is ${definition.config_hash ?? '(missing)'}, the content hashes to ${configHash}`);
  }
  const definitionHash = computeDefinitionHash(definition);
  if (definition.definition_hash.toLowerCase() !== definitionHash) {
    throw new ClusterError('LOCK_HASH_MISMATCH', `cluster_definition.definition_hash is ${definition.definition_hash}, the content hashes to ${definitionHash}`);
  }
  const lockHash = computeLockHash(lock);
  if (lock.lock_hash.toLowerCase() !== lockHash) {
    throw new ClusterError('LOCK_HASH_MISMATCH', `lock_hash is ${lock.lock_hash}, the lock content hashes to ${lockHash} (the lock was modified)`);
  }
}

function verifyNodeSignatures(lock: ClusterLock, operatorPublicKeys: Uint8Array[], required: boolean): void {
  const signatures = lock.node_signatures;
  if (signatures === undefined || signatures.length === 0) {
    if (required) throw new ClusterError('LOCK_SIGNATURE_INVALID', 'node_signatures are missing: every operator must sign the lock hash');
    return;
  }
  if (signatures.length !== operatorPublicKeys.length) {
    throw new ClusterError('LOCK_SIGNATURE_INVALID', `${signatures.length} node signature(s) for ${operatorPublicKeys.length} operators`);
  }
  const lockHash = hexToBytes(lock.lock_hash, 'lock_hash', 32);
  signatures.forEach((signature, i) => {
    if (!verifyDigestSignature(operatorPublicKeys[i]!, lockHash, hexToBytes(signature, `node_signatures[${i}]`))) {
      throw new ClusterError('LOCK_SIGNATURE_INVALID', `node_signatures[${i}] is not operator ${i}'s signature over lock_hash`, { operator: i });
    }
  });
}

function verifyPublicShares(dv: DistributedValidator, index: number, operatorCount: number, threshold: number): void {
  const what = describeValidator(index, dv);
  if (dv.public_shares.length !== operatorCount) {
    throw new ClusterError('PUBLIC_SHARES_MISMATCH', `${what} has ${dv.public_shares.length} public shares for ${operatorCount} operators`);
  }
  const shares = dv.public_shares.map((s, i) => ({ index: i + 1, publicKey: hexToBytes(s, `public_shares[${i}]`, 48) }));
  assertPublicSharesRebuild(hexToBytes(dv.distributed_public_key, 'distributed_public_key', 48), shares, threshold, what);
}

/**
 * Throws PUBLIC_SHARES_MISMATCH (naming `what`) unless the public key shares all lie on one
 * polynomial of degree threshold − 1 whose value at 0 is `publicKey`. With the shares sorted as
 * given, that holds iff for every j ≥ t the first t − 1 shares plus share j rebuild the key (the
 * first t − 1 points and (0, pk) fix the polynomial; each check puts one more point on it).
 */
export function assertPublicSharesRebuild(
  publicKey: Uint8Array,
  shares: readonly PublicShare[],
  threshold: number,
  what: string,
): void {
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > shares.length) {
    throw new ClusterError('PUBLIC_SHARES_MISMATCH', `${what}: threshold ${threshold} does not fit ${shares.length} public shares`);
  }
  const distinct = new Set(shares.map((s) => bytesToHex(s.publicKey)));
  if (distinct.size !== shares.length) throw new ClusterError('PUBLIC_SHARES_MISMATCH', `${what} has repeated public shares`);
  let off: number;
  try {
    off = firstShareOffPolynomial(publicKey, shares, threshold);
  } catch (err) {
    throw new ClusterError('PUBLIC_SHARES_MISMATCH', `${what}: public shares are not valid keys (${(err as Error).message})`);
  }
  if (off >= 0) {
    throw new ClusterError(
      'PUBLIC_SHARES_MISMATCH',
      `${what}: its public shares do not rebuild the distributed public key (checked with share index ${shares[off]!.index})`,
      { shareIndex: shares[off]!.index },
    );
  }
}

interface PendingCheck extends SignatureSetBytes {
  describe: string;
}

/** Signatures verified per batch: big enough to amortise the pairing, small enough to keep memory flat. */
const DEPOSIT_BATCH = 256;

function verifyDeposits(lock: ClusterLock, network: NetworkConfig): void {
  let batch: PendingCheck[] = [];
  const flush = () => {
    verifyChecks(batch, network);
    batch = [];
  };
  lock.distributed_validators.forEach((dv, i) => {
    batch.push(...depositChecks(lock, dv, i, network));
    if (batch.length >= DEPOSIT_BATCH) flush();
  });
  flush();
}

function depositChecks(lock: ClusterLock, dv: DistributedValidator, i: number, network: NetworkConfig): PendingCheck[] {
  const definition = lock.cluster_definition;
  const expectedAmounts = definition.deposit_amounts;
  const checks: PendingCheck[] = [];
  const what = describeValidator(i, dv);
  const pubkey = hexToBytes(dv.distributed_public_key, 'distributed_public_key', 48);
  const deposits = lockDeposits(dv);
  const addresses = definition.validators?.[i];
  let expectedCredentials: string | undefined;
  if (addresses !== undefined && addresses.withdrawal_address !== '') {
    try {
      expectedCredentials = bytesToHex(vaultWithdrawalCredentials(addresses.withdrawal_address, definition.compounding === true ? '0x02' : '0x01'));
    } catch (err) {
      throw new ClusterError('LOCK_INVALID', `${what}: withdrawal_address: ${(err as Error).message}`);
    }
  }
  if (expectedAmounts !== undefined && expectedAmounts.length > 0 && deposits.length > 0) {
    const got = deposits.map((d) => d.amount).join(',');
    if (got !== expectedAmounts.join(',')) {
      throw new ClusterError('LOCK_DEPOSIT_INVALID', `${what}: deposit amounts ${got} differ from the definition's ${expectedAmounts.join(',')}`);
    }
  }
  deposits.forEach((deposit, k) => {
    if (deposit.pubkey.toLowerCase() !== dv.distributed_public_key.toLowerCase()) {
      throw new ClusterError('LOCK_DEPOSIT_INVALID', `${what}: deposit ${k} is for another public key ${deposit.pubkey}`);
    }
    if (expectedCredentials !== undefined && deposit.withdrawal_credentials.toLowerCase() !== expectedCredentials) {
      throw new ClusterError(
        'LOCK_DEPOSIT_INVALID',
        `${what}: deposit ${k} has withdrawal credentials ${deposit.withdrawal_credentials}, the definition implies ${expectedCredentials}`,
      );
    }
    const amount = Number(deposit.amount);
    if (!Number.isSafeInteger(amount) || amount <= 0) throw new ClusterError('LOCK_DEPOSIT_INVALID', `${what}: deposit ${k} amount ${deposit.amount} is invalid`);
    checks.push({
      describe: `${what}: deposit ${k} signature`,
      publicKey: pubkey,
      message: depositSigningRoot(network, { pubkey, withdrawalCredentials: deposit.withdrawal_credentials, amount }),
      signature: hexToBytes(deposit.signature, 'signature', 96),
    });
  });
  const registration = dv.builder_registration;
  if (registration !== undefined) {
    if (registration.message.pubkey.toLowerCase() !== dv.distributed_public_key.toLowerCase()) {
      throw new ClusterError('LOCK_DEPOSIT_INVALID', `${what}: builder registration is for another public key`);
    }
    checks.push({
      describe: `${what}: builder registration signature`,
      publicKey: pubkey,
      message: builderRegistrationSigningRoot(network, {
        feeRecipient: hexToBytes(registration.message.fee_recipient, 'fee_recipient', 20),
        gasLimit: registration.message.gas_limit,
        timestamp: registration.message.timestamp,
        pubkey,
      }),
      signature: hexToBytes(registration.signature, 'signature', 96),
    });
  }
  return checks;
}

/** Batch-verifies; when the batch fails, verifies one by one to name the bad signature. */
function verifyChecks(checks: PendingCheck[], network: NetworkConfig): void {
  if (checks.length === 0) return;
  let allValid: boolean;
  try {
    allValid = verifyBatch(checks);
  } catch {
    allValid = false;
  }
  if (allValid) return;
  for (const check of checks) {
    let valid = false;
    try {
      valid = verify(check.publicKey, check.message, check.signature);
    } catch {
      valid = false;
    }
    if (!valid) throw new ClusterError('LOCK_DEPOSIT_INVALID', `${check.describe} does not verify on ${network.name}`);
  }
}
