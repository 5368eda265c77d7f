import { describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { getNetwork, validateDepositData, vaultWithdrawalCredentials } from '@dvt/eth2';
import { generateSecretKey, recoverSecretKey, secretKeyToPublicKey, verify } from '@dvt/tbls';
import { type ClusterLock, computeConfigHash, computeDefinitionHash, computeLockHash } from './lock.js';
import { createCluster, defaultThreshold } from './create.js';
import { signDigest } from './identity.js';
import { verifyClusterLock } from './verify.js';

const hoodi = getNetwork('hoodi');
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const FEE = '0x1111111111111111111111111111111111111111';

function makeCluster(validators = 3, extra: Partial<Parameters<typeof createCluster>[0]> = {}) {
  return createCluster({ network: hoodi, operators: 4, validators, withdrawalAddress: VAULT, validatorType: '0x02', feeRecipient: FEE, ...extra });
}

/** Re-hashes and re-signs a modified lock, as a dealer that lies consistently would. */
function reseal(lock: ClusterLock, identityKeys: Uint8Array[]): ClusterLock {
  const def = lock.cluster_definition;
  def.config_hash = computeConfigHash(def);
  def.definition_hash = computeDefinitionHash(def);
  lock.lock_hash = computeLockHash(lock);
  lock.node_signatures = identityKeys.map((k) => bytesToHex(signDigest(k, hexToBytes(lock.lock_hash))));
  return lock;
}

const clone = (lock: ClusterLock): ClusterLock => JSON.parse(JSON.stringify(lock)) as ClusterLock;

describe('createCluster', () => {
  const cluster = makeCluster();
  const identityKeys = cluster.nodes.map((n) => n.identityKey);

  it('defaults the threshold to ceil(2n/3)', () => {
    expect([defaultThreshold(3), defaultThreshold(4), defaultThreshold(7), defaultThreshold(10)]).toEqual([2, 3, 5, 7]);
    expect(cluster.lock.cluster_definition.threshold).toBe(3);
  });

  it('writes a lock that verifies: hashes, node signatures, public shares and deposits', () => {
    const verified = verifyClusterLock(cluster.lock);
    expect(verified.network?.name).toBe('hoodi');
    expect(verified.hashesVerified).toBe(true);
    expect(verified.depositsVerified).toBe(true);
    expect(cluster.lock.cluster_definition.compounding).toBe(true);
    expect(cluster.lock.distributed_validators[0]!.public_shares).toHaveLength(4);
  });

  it('gives node i the share at x = i + 1: any 3 shares rebuild each validator key', () => {
    cluster.lock.distributed_validators.forEach((dv, v) => {
      for (const subset of [[0, 1, 2], [1, 2, 3], [0, 2, 3]]) {
        const secret = recoverSecretKey(subset.map((i) => ({ index: i + 1, secretKey: cluster.nodes[i]!.keyShares[v]! })));
        expect(bytesToHex(secretKeyToPublicKey(secret))).toBe(dv.distributed_public_key);
      }
      cluster.nodes.forEach((node, i) => expect(bytesToHex(secretKeyToPublicKey(node.keyShares[v]!))).toBe(dv.public_shares[i]));
    });
  });

  it('signs deposit data with the full keys for the vault credentials', () => {
    const result = validateDepositData(cluster.depositData, hoodi, { withdrawalCredentials: vaultWithdrawalCredentials(VAULT, '0x02') });
    expect(result.problems).toEqual([]);
    expect(cluster.depositData.map((d) => bytesToHex(d.pubkey))).toEqual(cluster.lock.distributed_validators.map((d) => d.distributed_public_key));
  });

  it('signature_aggregate of a one-validator cluster is the validator key signing lock_hash', () => {
    const single = makeCluster(1);
    const dv = single.lock.distributed_validators[0]!;
    expect(verify(hexToBytes(dv.distributed_public_key), hexToBytes(single.lock.lock_hash), hexToBytes(single.lock.signature_aggregate))).toBe(true);
  });

  it('splits imported keys instead of generating new ones', () => {
    const keys = [generateSecretKey(), generateSecretKey()];
    const imported = createCluster({ network: hoodi, operators: 3, importedKeys: keys, withdrawalAddress: VAULT, validatorType: '0x01', feeRecipient: FEE });
    expect(imported.lock.distributed_validators.map((d) => d.distributed_public_key)).toEqual(keys.map((k) => bytesToHex(secretKeyToPublicKey(k))));
    expect(imported.lock.cluster_definition.threshold).toBe(2);
    expect(keys[0]!.some((b) => b !== 0)).toBe(true); // the caller's keys are not wiped
  });

  it('rejects bad options with a clear message', () => {
    expect(() => makeCluster(3, { operators: 1 })).toThrow(/operators must be an integer in \[2, 256\]/);
    expect(() => makeCluster(3, { threshold: 2 })).toThrow(/strict majority/);
    expect(() => makeCluster(3, { threshold: 5 })).toThrow(/strict majority/);
    expect(() => makeCluster(0)).toThrow(/number of validators/);
    expect(() => makeCluster(1, { withdrawalAddress: '0x1234' })).toThrow(/withdrawal address/);
    expect(() => makeCluster(1, { feeRecipient: 'nope' })).toThrow(/fee recipient/);
    expect(() => makeCluster(1, { validatorType: '0x01', depositAmountGwei: 33e9 })).toThrow(/between 1 and 32 ETH/);
    expect(() => makeCluster(1, { depositAmountGwei: 5e8 })).toThrow(/between 1 and 2048 ETH/);
    const key = generateSecretKey();
    expect(() => makeCluster(1, { validators: undefined, importedKeys: [key, key] })).toThrow(/given twice/);
  });

  describe('verifyClusterLock refuses a modified lock', () => {
    it('any edit without re-hashing: LOCK_HASH_MISMATCH', () => {
      const lock = clone(cluster.lock);
      lock.distributed_validators[1]!.public_shares[2] = lock.distributed_validators[0]!.public_shares[2]!;
      expect(() => verifyClusterLock(lock)).toThrow(expect.objectContaining({ code: 'LOCK_HASH_MISMATCH' }));
      const renamed = clone(cluster.lock);
      renamed.cluster_definition.name = 'other';
      expect(() => verifyClusterLock(renamed)).toThrow(/config_hash/);
    });

    it('a public share that does not rebuild the key, even re-sealed: PUBLIC_SHARES_MISMATCH naming the validator', () => {
      const lock = clone(cluster.lock);
      const dv = lock.distributed_validators[2]!;
      dv.public_shares[3] = bytesToHex(secretKeyToPublicKey(generateSecretKey()));
      reseal(lock, identityKeys);
      expect(() => verifyClusterLock(lock)).toThrow(expect.objectContaining({ code: 'PUBLIC_SHARES_MISMATCH' }));
      expect(() => verifyClusterLock(lock)).toThrow(dv.distributed_public_key);
    });

    it('a node signature by another key: LOCK_SIGNATURE_INVALID', () => {
      const lock = clone(cluster.lock);
      lock.node_signatures![1] = lock.node_signatures![0]!;
      expect(() => verifyClusterLock(lock)).toThrow(/node_signatures\[1\]/);
      const missing = clone(cluster.lock);
      delete missing.node_signatures;
      expect(() => verifyClusterLock(missing)).toThrow(expect.objectContaining({ code: 'LOCK_SIGNATURE_INVALID' }));
    });

    it('a deposit signature of another validator: LOCK_DEPOSIT_INVALID', () => {
      const lock = clone(cluster.lock);
      lock.distributed_validators[0]!.partial_deposit_data![0]!.signature = lock.distributed_validators[1]!.partial_deposit_data![0]!.signature;
      reseal(lock, identityKeys);
      expect(() => verifyClusterLock(lock)).toThrow(/validator 0 .*deposit 0 signature does not verify on hoodi/);
    });

    it('the wrong network, a bad threshold, a wrong validator count', () => {
      expect(() => verifyClusterLock(cluster.lock, { network: getNetwork('mainnet') })).toThrow(/fork version 0x10000910 \(hoodi\), not mainnet/);
      const threshold = reseal(Object.assign(clone(cluster.lock), {}), identityKeys);
      threshold.cluster_definition.threshold = 5;
      expect(() => verifyClusterLock(reseal(threshold, identityKeys))).toThrow(/threshold 5 is not in \[1, 4\]/);
      const count = clone(cluster.lock);
      count.cluster_definition.num_validators = 4;
      expect(() => verifyClusterLock(reseal(count, identityKeys))).toThrow(/num_validators is 4/);
    });

    it('a Charon-versioned lock: hashes not recomputed, signatures and shares still checked', () => {
      const lock = clone(cluster.lock);
      lock.cluster_definition.version = 'v1.10.0';
      const verified = verifyClusterLock(lock);
      expect(verified.hashesVerified).toBe(false);
      lock.distributed_validators[0]!.public_shares.reverse();
      expect(() => verifyClusterLock(lock)).toThrow(expect.objectContaining({ code: 'PUBLIC_SHARES_MISMATCH' }));
    });
  });
});
