import ganache from 'ganache';
import { JsonRpcProvider, Network, Wallet, parseEther } from 'ethers';
import { LocalChainError } from './errors.js';

export const LOCAL_CHAIN_ID = 1337;
const DEFAULT_ACCOUNT_COUNT = 10;
const DEFAULT_BALANCE_ETH = 10_000;
const BLOCK_GAS_LIMIT = 30_000_000;
const PRIVATE_KEY_RE = /^0x[0-9a-fA-F]{64}$/;

export interface LocalChainOptions {
  /** TCP port on 127.0.0.1; default 0 = a free port chosen by the OS. */
  readonly port?: number;
  /** How many funded accounts (deterministic keys, default 10), or the private keys to fund. */
  readonly accounts?: number | readonly string[];
  /** Balance of every account in ETH (default 10000). */
  readonly balanceEth?: number;
  /** Seconds between blocks; 0 (default) mines a block for every transaction. */
  readonly blockTime?: number;
  /** Default 1337. */
  readonly chainId?: number;
}

export interface LocalChainAccount {
  /** Checksum address. */
  readonly address: string;
  /** 0x hex. */
  readonly privateKey: string;
}

export interface LocalChain {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly provider: JsonRpcProvider;
  readonly accounts: readonly LocalChainAccount[];
  /** The index-th funded account as an ethers Wallet connected to `provider`. */
  wallet(index?: number): Wallet;
  /** Moves the chain clock forward and mines a block with the new time. */
  increaseTime(seconds: number): Promise<void>;
  /** Timestamp (seconds) of the latest block. */
  latestTimestamp(): Promise<number>;
  /** Closes the provider and the server; safe to call more than once. */
  stop(): Promise<void>;
}

/** Starts an in-process ganache (Shanghai rules) on 127.0.0.1 with funded accounts. */
export async function startLocalChain(options: LocalChainOptions = {}): Promise<LocalChain> {
  const port = options.port ?? 0;
  const chainId = options.chainId ?? LOCAL_CHAIN_ID;
  const blockTime = options.blockTime ?? 0;
  const balanceEth = options.balanceEth ?? DEFAULT_BALANCE_ETH;
  const accountsOption = options.accounts ?? DEFAULT_ACCOUNT_COUNT;
  checkOptions(port, chainId, blockTime, balanceEth, accountsOption);

  const balanceWei = `0x${parseEther(String(balanceEth)).toString(16)}`;
  const wallet =
    typeof accountsOption === 'number'
      ? { deterministic: true, totalAccounts: accountsOption, defaultBalance: balanceEth }
      : { accounts: accountsOption.map((secretKey) => ({ secretKey, balance: balanceWei })) };
  const server = ganache.server({
    logging: { quiet: true },
    chain: { chainId, hardfork: 'shanghai' },
    miner: { blockTime, blockGasLimit: BLOCK_GAS_LIMIT },
    wallet,
  });
  try {
    await server.listen(port, '127.0.0.1');
  } catch (error) {
    await server.close().catch(() => undefined);
    throw new LocalChainError('CHAIN_START_FAILED', `local chain: cannot listen on 127.0.0.1:${port}: ${String(error)}`, {
      port,
    });
  }
  const { port: boundPort } = server.address() as { port: number };
  const rpcUrl = `http://127.0.0.1:${boundPort}`;
  const initial = server.provider.getInitialAccounts();
  const accounts: LocalChainAccount[] = Object.values(initial).map(({ secretKey }) => {
    const signer = new Wallet(secretKey);
    return { address: signer.address, privateKey: signer.privateKey };
  });
  const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), {
    staticNetwork: true,
    pollingInterval: 100,
    // ethers caches identical reads for 250 ms by default, which hands out stale nonces on an instant-mining chain
    cacheTimeout: -1,
    // no 10 ms batching stall per request: tests make many small sequential calls
    batchMaxCount: 1,
  });

  let stopped: Promise<void> | null = null;
  return {
    rpcUrl,
    chainId,
    provider,
    accounts,
    wallet(index = 0) {
      const account = accounts[index];
      if (!account) {
        throw new LocalChainError('INVALID_CHAIN_OPTIONS', `local chain: no account ${index} (have ${accounts.length})`, {
          index,
        });
      }
      return new Wallet(account.privateKey, provider);
    },
    async increaseTime(seconds: number) {
      if (!Number.isSafeInteger(seconds) || seconds < 0) {
        throw new LocalChainError('INVALID_CHAIN_OPTIONS', `increaseTime: expected whole seconds ≥ 0, got ${seconds}`);
      }
      await provider.send('evm_increaseTime', [seconds]);
      await provider.send('evm_mine', []);
    },
    async latestTimestamp() {
      const block = await provider.getBlock('latest');
      if (!block) throw new LocalChainError('CHAIN_START_FAILED', 'local chain returned no latest block');
      return block.timestamp;
    },
    stop() {
      stopped ??= (async () => {
        provider.destroy();
        await server.close();
      })();
      return stopped;
    },
  };
}

function checkOptions(
  port: number,
  chainId: number,
  blockTime: number,
  balanceEth: number,
  accounts: number | readonly string[],
): void {
  const fail = (message: string, details: Record<string, unknown>): never => {
    throw new LocalChainError('INVALID_CHAIN_OPTIONS', `local chain: ${message}`, details);
  };
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`port must be 0..65535, got ${port}`, { port });
  if (!Number.isSafeInteger(chainId) || chainId < 1) fail(`chainId must be a positive integer, got ${chainId}`, { chainId });
  if (!Number.isFinite(blockTime) || blockTime < 0) fail(`blockTime must be ≥ 0 seconds, got ${blockTime}`, { blockTime });
  if (!Number.isFinite(balanceEth) || balanceEth <= 0) fail(`balanceEth must be > 0, got ${balanceEth}`, { balanceEth });
  if (typeof accounts === 'number') {
    if (!Number.isInteger(accounts) || accounts < 1 || accounts > 1000) {
      fail(`accounts must be 1..1000, got ${accounts}`, { accounts });
    }
    return;
  }
  if (accounts.length === 0) fail('accounts: the private key list is empty', {});
  accounts.forEach((key, index) => {
    if (typeof key !== 'string' || !PRIVATE_KEY_RE.test(key) || !isUsablePrivateKey(key)) {
      fail(`accounts[${index}] is not a valid 0x-prefixed 32-byte secp256k1 private key`, { index });
    }
  });
  if (new Set(accounts.map((key) => key.toLowerCase())).size !== accounts.length) {
    fail('accounts: duplicate private keys', {});
  }
}

function isUsablePrivateKey(key: string): boolean {
  try {
    return new Wallet(key).address.length === 42;
  } catch {
    // zero or ≥ the curve order
    return false;
  }
}
