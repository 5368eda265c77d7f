/**
 * What the operator reads from the execution chain: the vault (withdrawable assets, validators
 * manager, registered validators from its events), the deposit contract's registry root and the
 * Keeper's approval threshold. Every failure is EXECUTION_UNAVAILABLE (retried by the jobs).
 */
import { type JsonRpcProvider, type Log, getAddress } from 'ethers';
import { contractInterface, depositContract, ethVaultContract, keeperContract } from '@dvt/stakewise';
import { OperatorError, errorMessage } from '../errors.js';

export interface VaultState {
  readonly blockNumber: number;
  /** unix seconds of that block */
  readonly timestamp: number;
  readonly withdrawableAssetsWei: bigint;
  /** checksum address; the zero address when none is set */
  readonly validatorsManager: string;
  /** the deposit contract's get_deposit_root(), lowercase 0x hex */
  readonly registryRoot: string;
  readonly validatorsMinOracles: number;
}

export interface VaultRegistration {
  readonly publicKey: string;
  readonly blockNumber: number;
  readonly txHash: string;
  /** gwei */
  readonly amountGwei: number;
  /** registered as 0x02 (V2ValidatorRegistered) */
  readonly compounding: boolean;
}

export interface VaultReaderOptions {
  readonly vault: string;
  readonly keeper: string;
  readonly depositContract: string;
  readonly fromBlock: number;
  readonly logChunkBlocks: number;
}

const vaultInterface = contractInterface('EthVault');
const V1_REGISTERED = vaultInterface.getEvent('ValidatorRegistered')!.topicHash;
const V2_REGISTERED = vaultInterface.getEvent('V2ValidatorRegistered')!.topicHash;
const FUNDED = vaultInterface.getEvent('ValidatorFunded')!.topicHash;
const GWEI = 1_000_000_000n;

/** Narrow view of the chain the registration logic depends on (tests may hand in their own). */
export interface ChainReader {
  state(): Promise<VaultState>;
  registryRoot(): Promise<string>;
  /** Every validator the vault registered so far, by lowercase public key. */
  registrations(): Promise<ReadonlyMap<string, VaultRegistration>>;
  /** Unix seconds of the vault's last ValidatorFunded event, or null. */
  lastFundingTime(): Promise<number | null>;
  latestTimestamp(): Promise<number>;
}

export class VaultReader implements ChainReader {
  private scannedTo: number;
  private readonly known = new Map<string, VaultRegistration>();
  private lastFundingBlock: number | null = null;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly options: VaultReaderOptions,
  ) {
    this.scannedTo = options.fromBlock - 1;
  }

  get vault(): string {
    return this.options.vault;
  }

  async state(): Promise<VaultState> {
    return this.call('vault state', async () => {
      const block = await this.provider.getBlock('latest');
      if (!block) throw new Error('no latest block');
      const blockTag = block.number;
      const vault = ethVaultContract(this.options.vault, this.provider);
      const [assets, manager, root, minOracles] = await Promise.all([
        vault.getFunction('withdrawableAssets').staticCall({ blockTag }) as Promise<bigint>,
        vault.getFunction('validatorsManager').staticCall({ blockTag }) as Promise<string>,
        depositContract(this.options.depositContract, this.provider).getFunction('get_deposit_root').staticCall({ blockTag }) as Promise<string>,
        keeperContract(this.options.keeper, this.provider).getFunction('validatorsMinOracles').staticCall({ blockTag }) as Promise<bigint>,
      ]);
      return {
        blockNumber: block.number,
        timestamp: block.timestamp,
        withdrawableAssetsWei: assets,
        validatorsManager: getAddress(manager),
        registryRoot: root.toLowerCase(),
        validatorsMinOracles: Number(minOracles),
      };
    });
  }

  async registryRoot(): Promise<string> {
    return this.call('get_deposit_root()', async () => {
      const root = (await depositContract(this.options.depositContract, this.provider).getFunction('get_deposit_root').staticCall()) as string;
      return root.toLowerCase();
    });
  }

  async latestTimestamp(): Promise<number> {
    return this.call('latest block', async () => {
      const block = await this.provider.getBlock('latest');
      if (!block) throw new Error('no latest block');
      return block.timestamp;
    });
  }

  /** Scans the vault's registration events incrementally (chunked eth_getLogs) and returns all seen. */
  async registrations(): Promise<ReadonlyMap<string, VaultRegistration>> {
    return this.call('vault registration events', async () => {
      const head = await this.provider.getBlockNumber();
      for (let from = this.scannedTo + 1; from <= head; from += this.options.logChunkBlocks) {
        const to = Math.min(head, from + this.options.logChunkBlocks - 1);
        const logs = await this.provider.getLogs({ address: this.options.vault, topics: [[V1_REGISTERED, V2_REGISTERED, FUNDED]], fromBlock: from, toBlock: to });
        for (const log of logs) this.record(log);
        this.scannedTo = to;
      }
      return this.known;
    });
  }

  async lastFundingTime(): Promise<number | null> {
    await this.registrations();
    if (this.lastFundingBlock === null) return null;
    const block = this.lastFundingBlock;
    return this.call('block timestamp', async () => (await this.provider.getBlock(block))?.timestamp ?? null);
  }

  private record(log: Log): void {
    const parsed = vaultInterface.parseLog(log);
    if (!parsed) return;
    if (parsed.name === 'ValidatorFunded') {
      this.lastFundingBlock = log.blockNumber;
      return;
    }
    const publicKey = String(parsed.args[0]).toLowerCase();
    const amountGwei = parsed.name === 'V2ValidatorRegistered' ? Number((parsed.args[1] as bigint) / GWEI) : 32_000_000_000;
    this.known.set(publicKey, { publicKey, blockNumber: log.blockNumber, txHash: log.transactionHash, amountGwei, compounding: parsed.name === 'V2ValidatorRegistered' });
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof OperatorError) throw err;
      throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node: ${what} failed: ${errorMessage(err)}`);
    }
  }
}
