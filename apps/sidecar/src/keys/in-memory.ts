/** Share sets straight from an in-memory trusted-dealer cluster (tests, benchmarks: no keystore decryption). */
import { type CreatedCluster } from '@dvt/cluster';
import { type ShareSet } from '../share-book.js';

export function shareSetsFromCluster(cluster: CreatedCluster, nodeIndexes: readonly number[]): ShareSet[] {
  const { lock } = cluster;
  return nodeIndexes.map((nodeIndex) => {
    const node = cluster.nodes[nodeIndex];
    if (node === undefined) throw new Error(`the cluster has no node ${nodeIndex}`);
    return {
      shareIndex: nodeIndex + 1,
      label: `node ${nodeIndex}`,
      shares: lock.distributed_validators.map((dv, v) => ({
        publicKey: dv.distributed_public_key.toLowerCase(),
        shareIndex: nodeIndex + 1,
        publicShare: dv.public_shares[nodeIndex]!.toLowerCase(),
        secretShare: node.keyShares[v]!,
        publicShares: dv.public_shares.map((s, i) => ({ share_index: i + 1, public_key_share: s.toLowerCase() })),
        withdrawalAddress: lock.cluster_definition.validators?.[v]?.withdrawal_address.toLowerCase() || undefined,
      })),
    };
  });
}
