/**
 * The key shares this process holds, by share index and validator public key, and the only two
 * things it signs with them: a validator's VoluntaryExit and its DepositMessage.
 */
import { hexToBytes } from '@dvt/common';
import {
  type ExecutionCredentialsType,
  type NetworkConfig,
  depositSigningRoot,
  vaultWithdrawalCredentials,
  voluntaryExitSigningData,
} from '@dvt/eth2';
import { sign } from '@dvt/tbls';

export interface PublicKeyShareEntry {
  share_index: number;
  public_key_share: string;
}

export interface HeldShare {
  /** the validator's (distributed) public key, lowercase 0x hex */
  publicKey: string;
  shareIndex: number;
  /** public key of this share, lowercase 0x hex */
  publicShare: string;
  secretShare: Uint8Array;
  /** every share's public key (sent to the relayer with each signature) */
  publicShares: PublicKeyShareEntry[];
  /** when the cluster files bind the validator to a withdrawal address (lowercase), deposits are only signed for it */
  withdrawalAddress?: string;
}

/** Shares of one share index (one node / one SSV operator). */
export interface ShareSet {
  shareIndex: number;
  /** where the shares came from, for logs: "node 1", "operator 263" */
  label: string;
  shares: HeldShare[];
}

export class ShareBook {
  private readonly byIndex = new Map<number, Map<string, HeldShare>>();
  private readonly labels = new Map<number, string>();

  constructor(sets: readonly ShareSet[]) {
    for (const set of sets) {
      if (this.byIndex.has(set.shareIndex)) throw new Error(`share index ${set.shareIndex} is loaded twice`);
      this.labels.set(set.shareIndex, set.label);
      this.byIndex.set(set.shareIndex, new Map(set.shares.map((s) => [s.publicKey, s])));
    }
  }

  /** Overwrites every secret share with zeros (on shutdown). */
  wipe(): void {
    for (const m of this.byIndex.values()) for (const share of m.values()) share.secretShare.fill(0);
  }

  /** Share indexes held, ascending. */
  shareIndexes(): number[] {
    return [...this.byIndex.keys()].sort((a, b) => a - b);
  }

  label(shareIndex: number): string {
    return this.labels.get(shareIndex) ?? `share index ${shareIndex}`;
  }

  get(shareIndex: number, publicKey: string): HeldShare | undefined {
    return this.byIndex.get(shareIndex)?.get(publicKey.toLowerCase());
  }

  /** Number of (share index, validator) pairs held. */
  size(): number {
    let n = 0;
    for (const m of this.byIndex.values()) n += m.size;
    return n;
  }

  /** Public keys of the validators any held share belongs to. */
  validatorKeys(): string[] {
    const keys = new Set<string>();
    for (const m of this.byIndex.values()) for (const k of m.keys()) keys.add(k);
    return [...keys];
  }

  validatorCount(): number {
    return this.validatorKeys().length;
  }
}

/** Exit share: VoluntaryExit{epoch: Capella fork epoch, validator_index} under the EIP-7044 domain. */
export function signExitShare(network: NetworkConfig, share: HeldShare, validatorIndex: number): Uint8Array {
  return sign(share.secretShare, voluntaryExitSigningData(network, validatorIndex).signingRoot);
}

/** Deposit share: DepositMessage{full validator key, vault credentials, amount} under the deposit domain. */
export function signDepositShare(
  network: NetworkConfig,
  share: HeldShare,
  vault: string,
  validatorType: ExecutionCredentialsType,
  amountGwei: number,
): Uint8Array {
  const root = depositSigningRoot(network, {
    pubkey: hexToBytes(share.publicKey, 'public_key', 48),
    withdrawalCredentials: vaultWithdrawalCredentials(vault, validatorType),
    amount: amountGwei,
  });
  return sign(share.secretShare, root);
}
