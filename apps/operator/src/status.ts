/** The vault's state and the queue's, for `dvt operator status`, GET /status and readiness. */
import { type JsonRpcProvider, formatEther, formatUnits, getAddress } from 'ethers';
import { type IntentStore } from './chain/intent-store.js';
import { type ChainReader } from './chain/vault-reader.js';
import { type FailedJobInfo, type OperatorQueue } from './queue/job-queue.js';
import { stakeableGwei } from './registration/amounts.js';

export interface OperatorStatus {
  readonly vault: {
    readonly address: string;
    readonly blockNumber: number;
    readonly withdrawableAssetsEth: string;
    readonly stakeableEth: string;
    readonly validatorsManager: string;
    readonly registryRoot: string;
    readonly validatorsMinOracles: number;
    readonly registeredValidators: number;
  };
  readonly wallet?: { readonly address: string; readonly balanceEth: string; readonly isValidatorsManager: boolean };
  readonly queue: {
    readonly counts: Record<string, number>;
    readonly pending: readonly { id: string; name: string; attemptsMade: number }[];
    readonly failed: readonly FailedJobInfo[];
  };
  readonly openIntents: readonly { key: string; nonce: number; txHashes: string[]; ageSeconds: number }[];
}

export interface StatusDeps {
  readonly vault: string;
  readonly chain: ChainReader;
  readonly provider: JsonRpcProvider;
  readonly queue: OperatorQueue;
  readonly intents: IntentStore;
  readonly vaultMinBalanceGwei: bigint;
  /** the hot wallet's address, when known */
  readonly wallet?: string;
  readonly now?: () => number;
}

export async function collectStatus(deps: StatusDeps): Promise<OperatorStatus> {
  const now = deps.now ?? Date.now;
  const [state, registrations, counts, pending, failed, intents, balance] = await Promise.all([
    deps.chain.state(),
    deps.chain.registrations(),
    deps.queue.counts(),
    deps.queue.active(),
    deps.queue.failed(10),
    deps.intents.open(),
    deps.wallet ? deps.provider.getBalance(deps.wallet) : Promise.resolve(undefined),
  ]);
  return {
    vault: {
      address: getAddress(deps.vault),
      blockNumber: state.blockNumber,
      withdrawableAssetsEth: formatEther(state.withdrawableAssetsWei),
      stakeableEth: formatUnits(stakeableGwei(state.withdrawableAssetsWei, deps.vaultMinBalanceGwei), 'gwei'),
      validatorsManager: state.validatorsManager,
      registryRoot: state.registryRoot,
      validatorsMinOracles: state.validatorsMinOracles,
      registeredValidators: registrations.size,
    },
    wallet:
      deps.wallet === undefined
        ? undefined
        : { address: getAddress(deps.wallet), balanceEth: formatEther(balance ?? 0n), isValidatorsManager: getAddress(deps.wallet) === state.validatorsManager },
    queue: { counts, pending, failed },
    openIntents: intents.map((i) => ({ key: i.key, nonce: i.nonce, txHashes: i.versions.map((v) => v.hash), ageSeconds: Math.round((now() - i.createdAt) / 1000) })),
  };
}

/** Human-readable lines. */
export function formatStatus(s: OperatorStatus): string[] {
  const lines = [
    `vault ${s.vault.address} (block ${s.vault.blockNumber})`,
    `  withdrawable assets   ${s.vault.withdrawableAssetsEth} ETH (stakeable ${s.vault.stakeableEth} ETH)`,
    `  validators manager    ${s.vault.validatorsManager}`,
    `  registry root         ${s.vault.registryRoot}`,
    `  registered validators ${s.vault.registeredValidators}`,
    `  oracle approvals      ${s.vault.validatorsMinOracles} needed`,
  ];
  if (s.wallet) {
    lines.push(`hot wallet ${s.wallet.address}: ${s.wallet.balanceEth} ETH${s.wallet.isValidatorsManager ? ' (the validators manager)' : ''}`);
  }
  const counts = Object.entries(s.queue.counts)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  lines.push(`queue: ${counts}`);
  for (const job of s.queue.pending) lines.push(`  pending ${job.name} ${job.id} (attempts ${job.attemptsMade})`);
  for (const job of s.queue.failed) lines.push(`  failed  ${job.name} ${job.id} after ${job.attemptsMade} attempt(s): ${job.reason}`);
  for (const intent of s.openIntents) {
    lines.push(`  unconfirmed transaction ${intent.key}: nonce ${intent.nonce}, ${intent.txHashes.join(', ')} (${intent.ageSeconds} s old)`);
  }
  return lines;
}
