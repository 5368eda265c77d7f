/**
 * Trusted-dealer cluster creation: one process generates (or imports) every validator key, splits
 * it into n Shamir shares at x = 1..n, signs the deposits and builder registrations with the full
 * key, writes the lock, and forgets the full keys. Only the per-node shares leave this module.
 */
import { randomUUID } from 'node:crypto';
import { bytesToHex, hexToBytes } from '@dvt/common';
import {
  type DepositDataEntry,
  type ExecutionCredentialsType,
  type NetworkConfig,
  buildDepositData,
  builderRegistrationSigningRoot,
  depositSigningRoot,
  parseExecutionAddress,
  vaultWithdrawalCredentials,
} from '@dvt/eth2';
import { generateSecretKey, secretKeyToPublicKey, sign, splitSecret } from '@dvt/tbls';
import { ClusterError } from './errors.js';
import { encodeEnr, generateIdentityKey, signDigest } from './identity.js';
import {
  type ClusterDefinition,
  type ClusterLock,
  type DistributedValidator,
  LOCK_VERSION,
  computeConfigHash,
  computeDefinitionHash,
  computeLockHash,
} from './lock.js';
import { aggregateSignatureOverSameMessage } from './aggregate.js';

export const GWEI_PER_ETH = 1_000_000_000;
const MAX_OPERATORS = 256; // Charon's limit on public_shares
const MAX_VALIDATORS = 65_536;
const DEFAULT_GAS_LIMIT = 36_000_000;

/** Default threshold of an n-node cluster: ceil(2n/3), the QBFT quorum. */
export function defaultThreshold(operators: number): number {
  return Math.ceil((2 * operators) / 3);
}

export interface CreateClusterOptions {
  network: NetworkConfig;
  /** number of nodes (operators), n */
  operators: number;
  /** shares needed to sign; default ceil(2n/3); must be a strict majority of n */
  threshold?: number;
  /** how many validator keys to generate (when none are imported) */
  validators?: number;
  /** full validator secret keys to split instead of generating new ones */
  importedKeys?: Uint8Array[];
  /** the vault: withdrawal credentials are prefix ‖ 11 zero bytes ‖ this address */
  withdrawalAddress: string;
  /** 0x01 (32 ETH) or 0x02 (compounding) credentials */
  validatorType: ExecutionCredentialsType;
  feeRecipient: string;
  /** deposit per validator in gwei (default 32 ETH) */
  depositAmountGwei?: number;
  name?: string;
  /** builder registration gas limit */
  gasLimit?: number;
  /** creation time (lock timestamp); default now */
  now?: Date;
  uuid?: string;
  /** called after each validator key is split */
  onValidator?: (done: number, total: number) => void;
}

export interface CreatedNode {
  /** 0-based node index; its share index is index + 1 */
  index: number;
  identityKey: Uint8Array;
  /** secret key share of each distributed validator, in lock order */
  keyShares: Uint8Array[];
}

export interface CreatedCluster {
  network: NetworkConfig;
  lock: ClusterLock;
  nodes: CreatedNode[];
  /** staking-deposit-cli entries signed by the full keys, in lock order */
  depositData: DepositDataEntry[];
}

function optionsError(message: string): ClusterError {
  return new ClusterError('INVALID_CLUSTER_OPTIONS', message);
}

function checkedAddress(value: string, option: string): string {
  try {
    return parseExecutionAddress(value, option).toLowerCase();
  } catch (err) {
    throw optionsError((err as Error).message);
  }
}

interface CheckedOptions {
  operators: number;
  threshold: number;
  keyCount: number;
  amount: number;
  withdrawalAddress: string;
  feeRecipient: string;
}

function checkOptions(opts: CreateClusterOptions): CheckedOptions {
  const { operators } = opts;
  if (!Number.isSafeInteger(operators) || operators < 2 || operators > MAX_OPERATORS) {
    throw optionsError(`operators must be an integer in [2, ${MAX_OPERATORS}], got ${String(operators)}`);
  }
  const threshold = opts.threshold ?? defaultThreshold(operators);
  if (!Number.isSafeInteger(threshold) || threshold > operators || threshold * 2 <= operators) {
    throw optionsError(
      `threshold must be an integer with n/2 < t ≤ n (a strict majority of the ${operators} operators), got ${String(threshold)}`,
    );
  }
  const keyCount = opts.importedKeys?.length ?? opts.validators ?? 0;
  if (opts.importedKeys !== undefined && opts.validators !== undefined && opts.validators !== opts.importedKeys.length) {
    throw optionsError(`${opts.importedKeys.length} keys imported but validators = ${opts.validators}`);
  }
  if (!Number.isSafeInteger(keyCount) || keyCount < 1 || keyCount > MAX_VALIDATORS) {
    throw optionsError(`the number of validators must be an integer in [1, ${MAX_VALIDATORS}], got ${String(keyCount)}`);
  }
  if (opts.validatorType !== '0x01' && opts.validatorType !== '0x02') {
    throw optionsError(`validator type must be 0x01 or 0x02, got ${String(opts.validatorType)}`);
  }
  const amount = opts.depositAmountGwei ?? 32 * GWEI_PER_ETH;
  const maxEth = opts.validatorType === '0x01' ? 32 : 2048;
  if (!Number.isSafeInteger(amount) || amount < GWEI_PER_ETH || amount > maxEth * GWEI_PER_ETH) {
    throw optionsError(`deposit amount must be between 1 and ${maxEth} ETH for ${opts.validatorType} validators, got ${String(amount)} gwei`);
  }
  return {
    operators,
    threshold,
    keyCount,
    amount,
    withdrawalAddress: checkedAddress(opts.withdrawalAddress, 'withdrawal address'),
    feeRecipient: checkedAddress(opts.feeRecipient, 'fee recipient'),
  };
}

/** Creates a cluster in memory: identity keys, split validator keys, signed deposits and the lock. */
export function createCluster(opts: CreateClusterOptions): CreatedCluster {
  const checked = checkOptions(opts);
  const { network } = opts;
  const { operators, threshold, keyCount, amount } = checked;
  const imported = opts.importedKeys;
  if (imported !== undefined) {
    const seen = new Set<string>();
    imported.forEach((key, i) => {
      let publicKey: string;
      try {
        publicKey = bytesToHex(secretKeyToPublicKey(key));
      } catch (err) {
        throw optionsError(`imported key ${i}: ${(err as Error).message}`);
      }
      if (seen.has(publicKey)) throw optionsError(`imported key ${i} (${publicKey}) is given twice`);
      seen.add(publicKey);
    });
  }

  const identityKeys = Array.from({ length: operators }, () => generateIdentityKey());
  const nodes: CreatedNode[] = identityKeys.map((identityKey, index) => ({ index, identityKey, keyShares: [] }));
  const indexes = nodes.map((n) => n.index + 1);
  const withdrawalCredentials = vaultWithdrawalCredentials(checked.withdrawalAddress, opts.validatorType);
  const gasLimit = opts.gasLimit ?? DEFAULT_GAS_LIMIT;
  const feeRecipient = hexToBytes(checked.feeRecipient, 'fee recipient', 20);

  const validators: DistributedValidator[] = [];
  const depositData: DepositDataEntry[] = [];
  const fullKeys: Uint8Array[] = [];
  for (let v = 0; v < keyCount; v++) {
    const secret = imported?.[v] ?? generateSecretKey();
    const split = splitSecret(secret, threshold, indexes);
    split.shares.forEach((share, i) => nodes[i]!.keyShares.push(share.secretKey));
    const pubkey = split.publicKey;
    const depositSignature = sign(secret, depositSigningRoot(network, { pubkey, withdrawalCredentials, amount }));
    const registration = { feeRecipient, gasLimit, timestamp: network.genesisTime, pubkey };
    const registrationSignature = sign(secret, builderRegistrationSigningRoot(network, registration));
    depositData.push(buildDepositData(network, { pubkey, withdrawalCredentials, amount, signature: depositSignature }, { verifySignature: false }));
    validators.push({
      distributed_public_key: bytesToHex(pubkey),
      public_shares: split.publicShares.map((s) => bytesToHex(s.publicKey)),
      builder_registration: {
        message: { fee_recipient: checked.feeRecipient, gas_limit: gasLimit, timestamp: network.genesisTime, pubkey: bytesToHex(pubkey) },
        signature: bytesToHex(registrationSignature),
      },
      partial_deposit_data: [
        {
          pubkey: bytesToHex(pubkey),
          withdrawal_credentials: bytesToHex(withdrawalCredentials),
          amount: String(amount),
          signature: bytesToHex(depositSignature),
        },
      ],
    });
    fullKeys.push(imported === undefined ? secret : secret.slice());
    opts.onValidator?.(v + 1, keyCount);
  }

  const definition: ClusterDefinition = {
    name: opts.name ?? `dvt cluster of ${operators} nodes`,
    creator: { address: '', config_signature: '' },
    operators: identityKeys.map((key) => ({ address: '', enr: encodeEnr(key), config_signature: '', enr_signature: '' })),
    uuid: (opts.uuid ?? randomUUID()).toUpperCase(),
    version: LOCK_VERSION,
    timestamp: (opts.now ?? new Date()).toISOString(),
    num_validators: keyCount,
    threshold,
    validators: Array.from({ length: keyCount }, () => ({
      fee_recipient_address: checked.feeRecipient,
      withdrawal_address: checked.withdrawalAddress,
    })),
    dkg_algorithm: 'trusted_dealer',
    fork_version: network.genesisForkVersion,
    deposit_amounts: [String(amount)],
    consensus_protocol: 'qbft',
    target_gas_limit: gasLimit,
    compounding: opts.validatorType === '0x02',
    config_hash: '',
    definition_hash: '',
  };
  definition.config_hash = computeConfigHash(definition);
  definition.definition_hash = computeDefinitionHash(definition);

  const unsigned = { cluster_definition: definition, distributed_validators: validators };
  const lockHash = computeLockHash(unsigned);
  const lockHashBytes = hexToBytes(lockHash, 'lock_hash', 32);
  const lock: ClusterLock = {
    ...unsigned,
    signature_aggregate: bytesToHex(aggregateSignatureOverSameMessage(fullKeys, lockHashBytes)),
    lock_hash: lockHash,
    node_signatures: identityKeys.map((key) => bytesToHex(signDigest(key, lockHashBytes))),
  };
  for (const key of fullKeys) key.fill(0);
  return { network, lock, nodes, depositData };
}
