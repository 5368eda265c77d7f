/** What the relayer reads from the execution chain: the deposit root (registration) and a vault's manager nonce. */
import { JsonRpcProvider } from 'ethers';
import { depositContract, ethVaultContract } from '@dvt/stakewise';
import { RelayerError } from '../errors.js';

export interface ExecutionPort {
  /** the deposit contract's get_deposit_root(), 0x hex */
  depositRoot(): Promise<string>;
  /** the vault's validatorsManagerNonce() */
  validatorsManagerNonce(vault: string): Promise<bigint>;
}

export function createProvider(url: string, timeoutMs: number, chainId?: number): JsonRpcProvider {
  const provider = new JsonRpcProvider(url, chainId, { staticNetwork: chainId !== undefined, batchMaxCount: 1 });
  provider.pollingInterval = 1000;
  // ethers retries an unreachable endpoint forever by default; a request should fail within the timeout instead
  (provider as unknown as { _getConnection(): { timeout: number } })._getConnection().timeout = timeoutMs;
  return provider;
}

export class EthersExecution implements ExecutionPort {
  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly depositContractAddress: string,
  ) {}

  async depositRoot(): Promise<string> {
    try {
      const root = (await depositContract(this.depositContractAddress, this.provider).getFunction('get_deposit_root').staticCall()) as string;
      return root.toLowerCase();
    } catch (err) {
      throw new RelayerError('EXECUTION_UNAVAILABLE', `deposit contract ${this.depositContractAddress}: get_deposit_root() failed: ${shortError(err)}`);
    }
  }

  async validatorsManagerNonce(vault: string): Promise<bigint> {
    try {
      return (await ethVaultContract(vault, this.provider).getFunction('validatorsManagerNonce').staticCall()) as bigint;
    } catch (err) {
      throw new RelayerError('EXECUTION_UNAVAILABLE', `vault ${vault}: validatorsManagerNonce() failed: ${shortError(err)}`);
    }
  }
}

function shortError(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return e.shortMessage ?? e.message ?? String(err);
}
