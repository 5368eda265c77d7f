/** Key shares of an Obol/Charon cluster (also what `dvt create-cluster` writes). */
import { type VerifiedClusterLock, loadClusterLock, loadNodeKeyShares, verifyClusterLock } from '@dvt/cluster';
import { access } from 'node:fs/promises';
import { DvtError } from '@dvt/common';
import { type NetworkConfig } from '@dvt/eth2';
import { type ObolClusterConfig, nodePath } from '../config.js';
import { SidecarError } from '../errors.js';
import { type ShareSet } from '../share-book.js';

const ZERO_ADDRESS = '0x' + '00'.repeat(20);

export interface LoadProgress {
  (message: string, fields?: Record<string, unknown>): void;
}

async function verifiedLock(path: string, network: NetworkConfig, cache: Map<string, VerifiedClusterLock>): Promise<VerifiedClusterLock> {
  let verified = cache.get(path);
  if (verified === undefined) {
    verified = verifyClusterLock(await loadClusterLock(path), { network });
    cache.set(path, verified);
  }
  return verified;
}

/** The identity key is used when it exists; without a node index it must exist. */
async function identityKeyPath(path: string | undefined, nodeIndex: number | undefined): Promise<string | false> {
  if (path === undefined) return false;
  if (nodeIndex === undefined) return path;
  try {
    await access(path);
    return path;
  } catch {
    return false;
  }
}

/**
 * Loads the shares of every configured node (several in test mode). Refuses, naming the node and
 * the validator, a lock that does not verify (hashes, operator signatures, public shares that do
 * not rebuild a validator key, another network) and key files that are not this node's shares.
 */
export async function loadObolShareSets(config: ObolClusterConfig, network: NetworkConfig, progress?: LoadProgress): Promise<ShareSet[]> {
  const nodeIndexes: (number | undefined)[] = config.nodeIndexes ?? [undefined];
  const locks = new Map<string, VerifiedClusterLock>();
  const sets: ShareSet[] = [];
  for (const nodeIndex of nodeIndexes) {
    const at = (template: string) => (nodeIndex === undefined ? template : nodePath(template, nodeIndex));
    const lockPath = at(config.lockFile);
    const keysDir = at(config.keysDir);
    const label = nodeIndex === undefined ? keysDir : `node ${nodeIndex}`;
    try {
      const verified = await verifiedLock(lockPath, network, locks);
      const loaded = await loadNodeKeyShares(keysDir, {
        nodeIndex,
        lockPath,
        keysDir,
        identityKeyPath: await identityKeyPath(config.identityKeyFile === undefined ? undefined : at(config.identityKeyFile), nodeIndex),
        verifiedLock: verified,
        onKeystore: (p) => {
          if (p.done === p.total || p.done % 500 === 0) progress?.('decrypted keystores', { node: nodeIndex, done: p.done, total: p.total });
        },
      });
      const addresses = verified.lock.cluster_definition.validators;
      sets.push({
        shareIndex: loaded.shareIndex,
        label: `node ${loaded.nodeIndex}`,
        shares: loaded.validators.map((v) => {
          const bound = addresses?.[v.lockIndex]?.withdrawal_address.toLowerCase();
          return {
            publicKey: v.publicKey,
            shareIndex: loaded.shareIndex,
            publicShare: v.publicShare,
            secretShare: v.secretShare,
            publicShares: v.publicShares.map((s) => ({ share_index: s.shareIndex, public_key_share: s.publicKey })),
            withdrawalAddress: bound === undefined || bound === '' || bound === ZERO_ADDRESS ? undefined : bound,
          };
        }),
      });
      progress?.('loaded key shares', { node: loaded.nodeIndex, shareIndex: loaded.shareIndex, validators: loaded.validators.length });
    } catch (err) {
      if (err instanceof DvtError && !(err instanceof SidecarError)) {
        throw new SidecarError('KEYS_INVALID', `${label}: ${err.message} — refusing to start`, { cause: err.code, node: nodeIndex });
      }
      throw err;
    }
  }
  return sets;
}
