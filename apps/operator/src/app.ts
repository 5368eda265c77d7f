/**
 * Assembles an operator from its configuration: Redis (required), execution node, hot wallet,
 * beacon node, oracles config, relayer or deposit data, the job queue and its worker, and the
 * NestJS server for health, readiness, metrics and status. Tests replace parts through overrides.
 */
import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { TerminusModule } from '@nestjs/terminus';
import { JsonRpcProvider, Network, type Wallet, getAddress } from 'ethers';
import { type Redis } from 'ioredis';
import { BeaconClient } from '@dvt/beacon';
import { type NetworkConfig, getNetwork } from '@dvt/eth2';
import { OraclesClient, RelayerClient, ethVaultContract } from '@dvt/stakewise';
import { loadHotWallet } from './chain/hot-wallet.js';
import { type IntentStore, RedisIntentStore } from './chain/intent-store.js';
import { TransactionSender, type TxHooks } from './chain/tx-sender.js';
import { VaultReader } from './chain/vault-reader.js';
import { type OperatorConfig } from './config.js';
import { OperatorError, errorMessage } from './errors.js';
import { OperatorProbe, OpsController } from './http/ops.controller.js';
import { type Logger, NestLogBridge, createJsonLogger } from './logger.js';
import { OperatorMetrics } from './metrics.js';
import { OperatorQueue } from './queue/job-queue.js';
import { BeaconView } from './registration/beacon-view.js';
import { type ValidatorSource } from './registration/batch.js';
import { DepositDataValidatorSource, loadDepositData } from './registration/deposit-data-source.js';
import { FileOraclesConfig, KeeperOraclesConfig, type OraclesConfigSource } from './registration/oracles-config.js';
import { RelayerValidatorSource } from './registration/relayer-source.js';
import { ManagerActions, requestConsolidation, requestWithdrawal } from './registration/manager-actions.js';
import { RegistrationService } from './registration/registration.service.js';
import { connectRedis, redisConnectionOptions } from './redis.js';
import { collectStatus } from './status.js';

export interface OperatorOverrides {
  logger?: Logger;
  network?: NetworkConfig;
  /** test seams of the transaction sender (a crash between broadcast and completion, …) */
  hooks?: TxHooks;
  /** prom-client process metrics (default true; tests running several operators turn them off) */
  defaultMetrics?: boolean;
  /** run the worker (default true) */
  worker?: boolean;
  /** schedule watch-vault every poll interval (default true) */
  schedule?: boolean;
  /** receipt polling (default 1 s) */
  receiptPollMs?: number;
  fetch?: typeof fetch;
}

export interface RunningOperator {
  /** http://host:port of health / ready / metrics / status */
  url: string;
  config: OperatorConfig;
  network: NetworkConfig;
  wallet: Wallet;
  provider: JsonRpcProvider;
  redis: Redis;
  service: RegistrationService;
  queue: OperatorQueue;
  intents: IntentStore;
  metrics: OperatorMetrics;
  /** queues withdrawals (amount 0 = full exit) through the relayer's POST /withdraw */
  requestWithdrawal(validators: readonly { publicKey: string; amountGwei: number }[]): Promise<{ jobId: string; added: boolean }>;
  /** queues consolidations through the relayer's POST /consolidate */
  requestConsolidation(pairs: readonly { source: string; target: string }[]): Promise<{ jobId: string; added: boolean }>;
  /** stops everything gracefully */
  close(): Promise<void>;
  /** abandons the running job without finishing it, then closes (a killed worker, for tests) */
  kill(): Promise<void>;
}

@Module({})
class OperatorHttpModule {
  static with(providers: Provider[]): DynamicModule {
    return { module: OperatorHttpModule, imports: [TerminusModule.forRoot({ logger: false })], controllers: [OpsController], providers };
  }
}

/** A JSON-RPC provider pinned to the network's chain id, failing requests after `timeoutMs`. */
export function createExecutionProvider(url: string, chainId: number, timeoutMs: number): JsonRpcProvider {
  const provider = new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1, pollingInterval: 1000 });
  // ethers would otherwise keep retrying an unreachable node; the jobs do the retrying
  (provider as unknown as { _getConnection(): { timeout: number } })._getConnection().timeout = timeoutMs;
  return provider;
}

/** The network of the config: a public one, or the devnet with its overrides. */
export function resolveNetwork(config: Pick<OperatorConfig, 'network' | 'devnet'>): NetworkConfig {
  if (config.network !== 'devnet') return getNetwork(config.network);
  const overrides = Object.fromEntries(
    Object.entries({
      genesisValidatorsRoot: config.devnet.genesisValidatorsRoot,
      chainId: config.devnet.chainId,
      depositContractAddress: config.devnet.depositContractAddress,
    }).filter(([, v]) => v !== undefined),
  );
  return getNetwork('devnet', overrides);
}

export async function startOperator(config: OperatorConfig, overrides: OperatorOverrides = {}): Promise<RunningOperator> {
  const logger = overrides.logger ?? createJsonLogger(config.logLevel, (line) => process.stderr.write(line + '\n'));
  const network = overrides.network ?? resolveNetwork(config);
  const redis = await connectRedis(config.redis.url);
  const cleanups: (() => Promise<unknown> | void)[] = [() => redis.quit().catch(() => undefined)];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const provider = createExecutionProvider(config.execution.url, network.chainId, config.execution.timeoutMs);
    cleanups.push(() => provider.destroy());
    await checkChainId(provider, network, config.execution.url);
    const wallet = await loadHotWallet(config.wallet.file, config.wallet.passwordFile, provider);
    const chain = new VaultReader(provider, {
      vault: config.vault,
      keeper: config.keeper,
      depositContract: network.depositContractAddress,
      fromBlock: config.scan.vaultFromBlock,
      logChunkBlocks: config.scan.logChunkBlocks,
    });
    const beacon = new BeaconClient({ baseUrl: config.beacon.url, timeoutMs: config.beacon.timeoutMs, fetch: overrides.fetch });
    const consensus = new BeaconView(beacon, network, chain);
    const oraclesSource: OraclesConfigSource =
      config.protocolConfig.kind === 'file'
        ? new FileOraclesConfig(config.protocolConfig.file, provider, config.keeper)
        : new KeeperOraclesConfig({
            provider,
            keeper: config.keeper,
            fromBlock: config.scan.keeperFromBlock,
            logChunkBlocks: config.scan.logChunkBlocks,
            ipfsGateways: config.protocolConfig.ipfsGateways,
            ipfsTimeoutMs: config.protocolConfig.ipfsTimeoutMs,
            fetch: overrides.fetch,
          });
    await checkOracles(oraclesSource, logger);
    const relayer = new RelayerClient({ baseUrl: config.relayer.url, timeoutMs: config.relayer.timeoutMs, token: config.relayer.token, userAgent: 'dvt-operator', fetch: overrides.fetch });
    await checkRelayer(relayer, network, logger);
    const source = await createSource(config, network, relayer, consensus, oraclesSource, wallet, provider);

    // the gauge reads the queue on scrape, long after both exist
    const metrics: OperatorMetrics = new OperatorMetrics(overrides.defaultMetrics ?? true, (): Promise<Record<string, number>> => jobQueue.counts());
    const jobQueue: OperatorQueue = new OperatorQueue({
      connection: redisConnectionOptions(config.redis.url),
      prefix: config.redis.prefix,
      attempts: config.jobs.attempts,
      backoffMs: config.jobs.backoffMs,
      lockDurationMs: config.jobs.lockDurationMs,
      stalledIntervalMs: config.jobs.stalledIntervalMs,
      logger,
      metrics,
    });
    cleanups.push(() => jobQueue.close());
    const intents = new RedisIntentStore(redis, config.redis.prefix);
    const sender = new TransactionSender({
      provider,
      wallet,
      chainId: network.chainId,
      store: intents,
      fees: { maxFeePerGasWei: config.gas.maxFeePerGasWei, priorityFeeWei: config.gas.priorityFeeWei },
      logger,
      confirmationTimeoutMs: config.txConfirmationTimeoutMs,
      receiptPollMs: overrides.receiptPollMs,
      hooks: overrides.hooks,
    });
    const managerActions =
      config.mode === 'relayer'
        ? new ManagerActions({
            vault: config.vault,
            chainId: network.chainId,
            relayer,
            provider,
            chain,
            sender,
            wallet,
            maxRequestFeeWei: config.staking.maxRequestFeeWei,
            logger,
            metrics,
          })
        : undefined;
    const service = new RegistrationService({
      vault: config.vault,
      validatorType: config.validatorType,
      network,
      chainId: network.chainId,
      keeper: config.keeper,
      vaultMinBalanceGwei: config.staking.vaultMinBalanceGwei,
      batchSize: config.staking.batchSize,
      funding:
        managerActions && config.staking.fundingEnabled
          ? {
              maxValidatorBalanceGwei: config.staking.maxValidatorBalanceGwei,
              minDepositGwei: config.staking.minDepositGwei,
              minDepositDelaySeconds: config.staking.minDepositDelaySeconds,
            }
          : undefined,
      managerActions,
      relayerPollMs: config.relayer.pollIntervalMs,
      relayerReadyTimeoutMs: config.relayer.readyTimeoutMs,
      chain,
      consensus,
      source,
      oracles: oraclesSource,
      oraclesClient: new OraclesClient({ timeoutMs: config.oraclesTimeoutMs, fetch: overrides.fetch, userAgent: 'dvt-operator' }),
      queue: jobQueue,
      sender,
      wallet,
      logger,
      metrics,
    });

    const watch = { vault: config.vault };
    if (overrides.worker !== false) {
      jobQueue.start(service.handlers(), (name, error) => {
        // the world moved on (new registry root, expired approval, …): look again at once
        const code = (error as { code?: string }).code;
        if (name !== 'watch-vault' && code !== undefined && ['REGISTRY_ROOT_CHANGED', 'START_INDEX_CHANGED', 'DEADLINE_EXPIRED', 'TX_REVERTED'].includes(code)) {
          void jobQueue.add('watch-vault', watch).catch(() => undefined);
        }
      });
    }
    if (overrides.schedule !== false) await jobQueue.schedule('watch-vault', watch, config.pollIntervalMs);

    const probe: OperatorProbe = {
      redisPing: async () => void (await redis.ping()),
      executionBlock: () => provider.getBlockNumber(),
      oraclesConfigured: async () => {
        const oracles = await oraclesSource.load();
        return { oracles: oracles.oracles.length, threshold: oracles.validatorsThreshold };
      },
      status: () => collectStatus({ vault: config.vault, chain, provider, queue: jobQueue, intents, vaultMinBalanceGwei: config.staking.vaultMinBalanceGwei, wallet: wallet.address }),
    };
    const app = await NestFactory.create<NestExpressApplication>(
      OperatorHttpModule.with([
        { provide: OperatorProbe, useValue: probe },
        { provide: OperatorMetrics, useValue: metrics },
      ]),
      { logger: new NestLogBridge(logger), abortOnError: false },
    );
    cleanups.push(() => app.close());
    await app.listen(config.http.port, config.http.host);
    const { port } = app.getHttpServer().address() as { port: number };
    const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    logger.info('operator started', {
      vault: config.vault,
      mode: config.mode,
      validatorType: config.validatorType,
      network: network.name,
      hotWallet: wallet.address,
      queuePrefix: config.redis.prefix,
      url,
    });

    let closed: Promise<void> | undefined;
    const close = () =>
      (closed ??= (async () => {
        await cleanup();
        logger.info('operator stopped');
      })());
    return {
      url,
      config,
      network,
      wallet,
      provider,
      redis,
      service,
      queue: jobQueue,
      intents,
      metrics,
      requestWithdrawal: (validators) => requestWithdrawal(jobQueue, provider, config.vault, validators),
      requestConsolidation: (pairs) => requestConsolidation(jobQueue, provider, config.vault, pairs),
      close,
      async kill() {
        await jobQueue.stopWorker(true);
        await close();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function checkChainId(provider: JsonRpcProvider, network: NetworkConfig, url: string): Promise<void> {
  let chainId: bigint;
  try {
    chainId = BigInt((await provider.send('eth_chainId', [])) as string);
  } catch (err) {
    throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node ${url} unreachable: ${errorMessage(err)} (EXECUTION_ENDPOINTS)`);
  }
  if (chainId !== BigInt(network.chainId)) {
    throw new OperatorError('NETWORK_MISMATCH', `execution node ${url} is on chain ${chainId}, ${network.name} is chain ${network.chainId}`);
  }
}

/** A broken oracles file fails the start; an unreachable Keeper / IPFS only delays the first registration. */
async function checkOracles(source: OraclesConfigSource, logger: Logger): Promise<void> {
  try {
    const config = await source.load();
    logger.info('oracles config loaded', { source: source.description, oracles: config.oracles.length, threshold: config.validatorsThreshold });
  } catch (err) {
    if (source instanceof FileOraclesConfig) throw err;
    logger.warn('oracles config not available yet', { source: source.description, error: errorMessage(err) });
  }
}

async function checkRelayer(relayer: RelayerClient, network: NetworkConfig, logger: Logger): Promise<void> {
  try {
    const info = await relayer.info();
    if (info.network !== network.name) {
      throw new OperatorError('NETWORK_MISMATCH', `relayer ${relayer.baseUrl} serves ${info.network}, the operator runs on ${network.name}`);
    }
    logger.info('relayer reachable', { url: relayer.baseUrl, validatorsManager: info.validators_manager_address });
  } catch (err) {
    if (err instanceof OperatorError) throw err;
    logger.warn('relayer not reachable at start', { url: relayer.baseUrl, error: errorMessage(err) });
  }
}

async function createSource(
  config: OperatorConfig,
  network: NetworkConfig,
  relayer: RelayerClient,
  consensus: BeaconView,
  oracles: OraclesConfigSource,
  wallet: Wallet,
  provider: JsonRpcProvider,
): Promise<ValidatorSource> {
  if (config.mode === 'relayer') {
    return new RelayerValidatorSource({
      relayer,
      network,
      vault: config.vault,
      validatorType: config.validatorType,
      maxValidatorBalanceGwei: config.staking.maxValidatorBalanceGwei,
      oracles: () => oracles.load(),
    });
  }
  const entries = await loadDepositData(config.depositDataFile!, network, config.vault, config.validatorType);
  // the legacy API has no validators-manager signatures: the hot wallet signs them, so it must be the manager
  let manager: string;
  try {
    manager = getAddress((await ethVaultContract(config.vault, provider).getFunction('validatorsManager').staticCall()) as string);
  } catch (err) {
    throw new OperatorError('EXECUTION_UNAVAILABLE', `vault ${config.vault}: validatorsManager() failed: ${errorMessage(err)}`);
  }
  if (manager !== wallet.address) {
    throw new OperatorError(
      'NOT_VALIDATORS_MANAGER',
      `deposit-data mode signs the validators-manager approvals with the hot wallet, but the vault's validators manager is ${manager}, not ${wallet.address}: set the hot wallet as manager or use relayer mode`,
    );
  }
  return new DepositDataValidatorSource({ relayer, consensus, vault: config.vault, validatorType: config.validatorType, entries });
}
