/**
 * `dvt operator start` runs the operator; `dvt operator status` prints the vault's state and the
 * job queue's. Every option has an environment variable (see config.ts); flags win. The
 * environment is read here and nowhere else.
 */
import { readFile } from 'node:fs/promises';
import { type Command } from 'commander';
import { type JsonRpcProvider, getAddress } from 'ethers';
import { createExecutionProvider, resolveNetwork, startOperator } from './app.js';
import { RedisIntentStore } from './chain/intent-store.js';
import { VaultReader } from './chain/vault-reader.js';
import { OPERATOR_SETTINGS, type SettingName, type SettingSpec, type StatusConfig, parseOperatorConfig, parseStatusConfig, rawSettingsFrom } from './config.js';
import { OperatorError } from './errors.js';
import { createJsonLogger, silentLogger } from './logger.js';
import { OperatorMetrics } from './metrics.js';
import { OperatorQueue } from './queue/job-queue.js';
import { connectRedis, redisConnectionOptions } from './redis.js';
import { requestConsolidation, requestWithdrawal } from './registration/manager-actions.js';
import { collectStatus, formatStatus } from './status.js';
import { type CommandIo } from '@dvt/common';

const STATUS_SETTINGS: readonly SettingName[] = [
  'NETWORK',
  'DEVNET_GENESIS_VALIDATORS_ROOT',
  'DEVNET_CHAIN_ID',
  'DEPOSIT_CONTRACT_ADDRESS',
  'VAULT',
  'KEEPER_ADDRESS',
  'EXECUTION_ENDPOINTS',
  'EXECUTION_TIMEOUT',
  'DVT_REDIS_URL',
  'DVT_QUEUE_PREFIX',
  'VAULT_GENESIS_BLOCK',
  'LOG_CHUNK_BLOCKS',
  'VAULT_MIN_BALANCE_GWEI',
  'WALLET_FILE',
];

const collect = (value: string, previous: string[] = []) => [...previous, value];

function addSettings(command: Command, names: readonly SettingName[]): void {
  for (const name of names) {
    const spec: SettingSpec = OPERATOR_SETTINGS[name];
    const help = `${spec.description} [env ${spec.env}${spec.list ? ', comma-separated' : ''}]`;
    if (spec.list) command.option(spec.flag, help, collect);
    else command.option(spec.flag, help);
  }
}

export function registerOperatorCommand(program: Command, io: CommandIo, env: Record<string, string | undefined> = process.env): void {
  const operator = program
    .command('operator')
    .description('StakeWise vault operator: registers the vault’s distributed validators (relayer or deposit-data mode) through oracle approvals and queued, idempotent transactions');

  const start = operator
    .command('start')
    .description('Watch the vault and register validators when it holds ETH to stake; /health, /ready, /metrics and /status on the metrics port');
  addSettings(start, Object.keys(OPERATOR_SETTINGS) as SettingName[]);
  start.action(async (options: Record<string, unknown>) => {
    const config = parseOperatorConfig(rawSettingsFrom(options, env));
    const logger = createJsonLogger(config.logLevel, io.stderr);
    const running = await startOperator(config, { logger });
    io.stdout(`operator running for vault ${config.vault} (${config.mode} mode); health and metrics on ${running.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await running.close();
  });

  const status = operator.command('status').description("Print the vault's state (assets, validators manager, registry root, registrations) and the job queue's").option('--json', 'print JSON');
  addSettings(status, STATUS_SETTINGS);
  status.action(async (options: Record<string, unknown>) => {
    const config = parseStatusConfig(rawSettingsFrom(options, env));
    const report = await readStatus(config);
    if (options.json) io.stdout(JSON.stringify(report, null, 2));
    else for (const line of formatStatus(report)) io.stdout(line);
  });

  const withdraw = operator
    .command('withdraw')
    .description('Queue withdrawals of the vault’s validators (relayer POST /withdraw → withdrawValidators); the running operator sends them')
    .requiredOption('--public-key <hex>', 'validator public key (repeat for several)', collect)
    .requiredOption('--amount-gwei <gwei>', 'gwei to withdraw per key, in the same order; 0 = full exit', collect);
  addSettings(withdraw, STATUS_SETTINGS);
  withdraw.action(async (options: Record<string, unknown>) => {
    const keys = options.publicKey as string[];
    const amounts = (options.amountGwei as string[]).map((a) => (/^\d+$/.test(a) ? Number(a) : Number.NaN));
    if (amounts.length !== keys.length) throw new OperatorError('CONFIG_INVALID', `--amount-gwei: ${amounts.length} amount(s) for ${keys.length} key(s)`);
    const config = parseStatusConfig(rawSettingsFrom(options, env));
    const { jobId, added } = await withQueue(config, (queue, provider) =>
      requestWithdrawal(queue, provider, config.vault, keys.map((publicKey, i) => ({ publicKey, amountGwei: amounts[i]! }))),
    );
    io.stdout(added ? `withdrawal queued as job ${jobId}` : `the same withdrawal is already queued as job ${jobId}`);
  });

  const consolidate = operator
    .command('consolidate')
    .description('Queue consolidations (relayer POST /consolidate → consolidateValidators); the running operator sends them')
    .requiredOption('--source <hex>', 'source validator public key (repeat for several)', collect)
    .requiredOption('--target <hex>', 'target validator public key, in the same order', collect);
  addSettings(consolidate, STATUS_SETTINGS);
  consolidate.action(async (options: Record<string, unknown>) => {
    const sources = options.source as string[];
    const targets = options.target as string[];
    if (sources.length !== targets.length) throw new OperatorError('CONFIG_INVALID', `--target: ${targets.length} target(s) for ${sources.length} source(s)`);
    const config = parseStatusConfig(rawSettingsFrom(options, env));
    const { jobId, added } = await withQueue(config, (queue, provider) =>
      requestConsolidation(queue, provider, config.vault, sources.map((source, i) => ({ source, target: targets[i]! }))),
    );
    io.stdout(added ? `consolidation queued as job ${jobId}` : `the same consolidation is already queued as job ${jobId}`);
  });
}

/** The queue and the chain for a one-shot command (no worker). */
async function withQueue<T>(config: StatusConfig, fn: (queue: OperatorQueue, provider: JsonRpcProvider) => Promise<T>): Promise<T> {
  const network = resolveNetwork(config);
  const redis = await connectRedis(config.redis.url);
  await redis.quit();
  const provider = createExecutionProvider(config.execution.url, network.chainId, config.execution.timeoutMs);
  const queue = oneShotQueue(config);
  try {
    return await fn(queue, provider);
  } finally {
    await queue.close();
    provider.destroy();
  }
}

function oneShotQueue(config: StatusConfig): OperatorQueue {
  return new OperatorQueue({
    connection: redisConnectionOptions(config.redis.url),
    prefix: config.redis.prefix,
    attempts: 1,
    backoffMs: 1000,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    logger: silentLogger,
    metrics: new OperatorMetrics(false),
  });
}

/** Reads the status without starting anything (no worker, no HTTP server). */
export async function readStatus(config: StatusConfig) {
  const network = resolveNetwork(config);
  const redis = await connectRedis(config.redis.url);
  const provider = createExecutionProvider(config.execution.url, network.chainId, config.execution.timeoutMs);
  const queue = oneShotQueue(config);
  try {
    const chain = new VaultReader(provider, {
      vault: config.vault,
      keeper: config.keeper,
      depositContract: network.depositContractAddress,
      fromBlock: config.scan.vaultFromBlock,
      logChunkBlocks: config.scan.logChunkBlocks,
    });
    return await collectStatus({
      vault: config.vault,
      chain,
      provider,
      queue,
      intents: new RedisIntentStore(redis, config.redis.prefix),
      vaultMinBalanceGwei: config.vaultMinBalanceGwei,
      wallet: config.walletFile === undefined ? undefined : await keystoreAddress(config.walletFile),
    });
  } finally {
    await queue.close();
    provider.destroy();
    await redis.quit().catch(() => undefined);
  }
}

/** The address a V3 keystore names in clear (no password needed). */
async function keystoreAddress(file: string): Promise<string> {
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as { address?: unknown };
    if (typeof json.address !== 'string') throw new Error('no "address" field');
    return getAddress(json.address.startsWith('0x') ? json.address : `0x${json.address}`);
  } catch (err) {
    throw new OperatorError('WALLET_INVALID', `hot wallet keystore ${file}: ${(err as Error).message} (WALLET_FILE)`);
  }
}
