/**
 * The operator's one configuration schema. Every setting has an environment variable (the StakeWise
 * operator's name where it has one: NETWORK, VAULT, EXECUTION_ENDPOINTS, CONSENSUS_ENDPOINTS,
 * RELAYER_ENDPOINT, DEPOSIT_DATA_FILE, WALLET_FILE, MAX_FEE_PER_GAS_GWEI, …) and a CLI flag; flags
 * win. Parsed once at start into a typed `OperatorConfig`; a bad value fails naming the variable.
 */
import { z } from 'zod';
import { NETWORK_NAMES, parseExecutionAddress } from '@dvt/eth2';
import { OperatorError } from './errors.js';

export interface SettingSpec {
  env: string;
  flag: string;
  description: string;
  list?: boolean;
}

export const OPERATOR_SETTINGS = {
  NETWORK: { env: 'NETWORK', flag: '--network <name>', description: 'mainnet, hoodi, gnosis or devnet' },
  DEVNET_GENESIS_VALIDATORS_ROOT: { env: 'DEVNET_GENESIS_VALIDATORS_ROOT', flag: '--devnet-genesis-validators-root <hex>', description: 'devnet only' },
  DEVNET_CHAIN_ID: { env: 'DEVNET_CHAIN_ID', flag: '--devnet-chain-id <id>', description: 'devnet only (default 1337)' },
  DEPOSIT_CONTRACT_ADDRESS: {
    env: 'DEPOSIT_CONTRACT_ADDRESS',
    flag: '--deposit-contract-address <address>',
    description: "deposit contract (default: the network's; devnet: where the local chain deployed it)",
  },
  VAULT: { env: 'VAULT', flag: '--vault <address>', description: 'the vault whose validators this operator registers' },
  KEEPER_ADDRESS: { env: 'KEEPER_ADDRESS', flag: '--keeper-address <address>', description: 'Keeper contract (approvals domain, validatorsMinOracles, ConfigUpdated)' },
  EXECUTION_ENDPOINTS: { env: 'EXECUTION_ENDPOINTS', flag: '--execution-endpoints <url>', description: 'execution JSON-RPC URL (the first is used)', list: true },
  EXECUTION_TIMEOUT: { env: 'EXECUTION_TIMEOUT', flag: '--execution-timeout <seconds>', description: 'per JSON-RPC request (default 30)' },
  CONSENSUS_ENDPOINTS: { env: 'CONSENSUS_ENDPOINTS', flag: '--consensus-endpoints <url>', description: 'beacon node API URL (the first is used)', list: true },
  CONSENSUS_TIMEOUT: { env: 'CONSENSUS_TIMEOUT', flag: '--consensus-timeout <seconds>', description: 'per beacon request (default 30)' },
  OPERATOR_MODE: {
    env: 'OPERATOR_MODE',
    flag: '--mode <mode>',
    description: 'relayer (POST /register) or deposit-data (deposit_data.json + legacy POST /validators); default: deposit-data when a deposit data file is given',
  },
  RELAYER_ENDPOINT: { env: 'RELAYER_ENDPOINT', flag: '--relayer-endpoint <url>', description: 'DVT relayer URL' },
  RELAYER_TIMEOUT: { env: 'RELAYER_TIMEOUT', flag: '--relayer-timeout <seconds>', description: 'per relayer request (default 10)' },
  RELAYER_TOKEN: { env: 'RELAYER_TOKEN', flag: '--relayer-token <token>', description: "bearer token of the relayer's operator routes" },
  RELAYER_POLL_INTERVAL: { env: 'RELAYER_POLL_INTERVAL', flag: '--relayer-poll-interval <seconds>', description: 'between relayer polls while signatures are not ready (default 2)' },
  RELAYER_READY_TIMEOUT: {
    env: 'RELAYER_READY_TIMEOUT',
    flag: '--relayer-ready-timeout <seconds>',
    description: 'polling the relayer gives up after this and the job is retried later (default 120)',
  },
  DEPOSIT_DATA_FILE: { env: 'DEPOSIT_DATA_FILE', flag: '--deposit-data-file <file>', description: 'deposit_data.json of the cluster keys (deposit-data mode)' },
  VALIDATOR_TYPE: { env: 'VALIDATOR_TYPE', flag: '--validator-type <type>', description: '0x01 (32 ETH) or 0x02 (compounding; default)' },
  WALLET_FILE: { env: 'WALLET_FILE', flag: '--wallet-file <file>', description: 'hot wallet: Ethereum V3 JSON keystore of the transaction sender' },
  WALLET_PASSWORD_FILE: { env: 'WALLET_PASSWORD_FILE', flag: '--wallet-password-file <file>', description: 'its password' },
  MAX_FEE_PER_GAS_GWEI: { env: 'MAX_FEE_PER_GAS_GWEI', flag: '--max-fee-per-gas-gwei <gwei>', description: 'never pay more per gas (default 100)' },
  PRIORITY_FEE_GWEI: { env: 'PRIORITY_FEE_GWEI', flag: '--priority-fee-gwei <gwei>', description: "tip per gas (default: the node's eth_maxPriorityFeePerGas)" },
  VAULT_MIN_BALANCE_GWEI: { env: 'VAULT_MIN_BALANCE_GWEI', flag: '--vault-min-balance-gwei <gwei>', description: 'assets left unstaked in the vault (default 0)' },
  MAX_VALIDATOR_BALANCE_GWEI: {
    env: 'MAX_VALIDATOR_BALANCE_GWEI',
    flag: '--max-validator-balance-gwei <gwei>',
    description: 'largest deposit of one 0x02 validator (default 2048 ETH)',
  },
  MIN_DEPOSIT_AMOUNT_GWEI: { env: 'MIN_DEPOSIT_AMOUNT_GWEI', flag: '--min-deposit-amount-gwei <gwei>', description: 'smallest top-up of a compounding validator (default 10 ETH)' },
  MIN_DEPOSIT_DELAY: { env: 'MIN_DEPOSIT_DELAY', flag: '--min-deposit-delay <seconds>', description: 'least time between two top-ups (default 3600)' },
  DISABLE_VALIDATORS_FUNDING: { env: 'DISABLE_VALIDATORS_FUNDING', flag: '--disable-validators-funding <bool>', description: 'never top up compounding validators (default false)' },
  MAX_WITHDRAWAL_REQUEST_FEE_GWEI: {
    env: 'MAX_WITHDRAWAL_REQUEST_FEE_GWEI',
    flag: '--max-withdrawal-request-fee-gwei <gwei>',
    description: 'most to pay per EIP-7002 withdrawal / EIP-7251 consolidation request (default 1000)',
  },
  VALIDATORS_BATCH_SIZE: { env: 'VALIDATORS_BATCH_SIZE', flag: '--validators-batch-size <n>', description: 'most validators per registration (default: the oracles’ batch limit)' },
  PROTOCOL_CONFIG_FILE: {
    env: 'PROTOCOL_CONFIG_FILE',
    flag: '--protocol-config-file <file>',
    description: "oracles config JSON; else the Keeper's last ConfigUpdated document from IPFS",
  },
  KEEPER_GENESIS_BLOCK: { env: 'KEEPER_GENESIS_BLOCK', flag: '--keeper-from-block <block>', description: 'first block to scan for ConfigUpdated (default 0)' },
  VAULT_GENESIS_BLOCK: { env: 'VAULT_GENESIS_BLOCK', flag: '--vault-from-block <block>', description: 'first block to scan for the vault’s registrations (default 0)' },
  LOG_CHUNK_BLOCKS: { env: 'LOG_CHUNK_BLOCKS', flag: '--log-chunk-blocks <n>', description: 'blocks per eth_getLogs (default 10000)' },
  IPFS_FETCH_ENDPOINTS: { env: 'IPFS_FETCH_ENDPOINTS', flag: '--ipfs-gateway <url>', description: 'IPFS gateways, tried in order', list: true },
  IPFS_TIMEOUT: { env: 'IPFS_TIMEOUT', flag: '--ipfs-timeout <seconds>', description: 'per gateway request (default 60)' },
  ORACLES_VALIDATORS_TIMEOUT: { env: 'ORACLES_VALIDATORS_TIMEOUT', flag: '--oracles-timeout <seconds>', description: 'per oracle approval request (default 10)' },
  DVT_REDIS_URL: { env: 'DVT_REDIS_URL', flag: '--redis-url <url>', description: 'Redis of the job queue (default redis://127.0.0.1:6379)' },
  DVT_QUEUE_PREFIX: { env: 'DVT_QUEUE_PREFIX', flag: '--queue-prefix <prefix>', description: 'Redis key prefix of the queue and intents (default dvt-operator)' },
  POLL_INTERVAL: { env: 'POLL_INTERVAL', flag: '--poll-interval <seconds>', description: 'how often the vault is checked (default 12)' },
  JOB_ATTEMPTS: { env: 'JOB_ATTEMPTS', flag: '--job-attempts <n>', description: 'attempts of a job before it fails (default 6)' },
  JOB_BACKOFF: { env: 'JOB_BACKOFF', flag: '--job-backoff <seconds>', description: 'first retry delay, doubled on each retry (default 5)' },
  JOB_LOCK_DURATION: { env: 'JOB_LOCK_DURATION', flag: '--job-lock-duration <seconds>', description: 'a worker that stops renewing its lock this long loses the job (default 30)' },
  JOB_STALLED_INTERVAL: { env: 'JOB_STALLED_INTERVAL', flag: '--job-stalled-interval <seconds>', description: 'how often stalled jobs are looked for (default 30)' },
  TX_CONFIRMATION_TIMEOUT: {
    env: 'TX_CONFIRMATION_TIMEOUT',
    flag: '--tx-confirmation-timeout <seconds>',
    description: 'wait for a receipt this long, then retry (re-broadcast or bump fees) (default 300)',
  },
  METRICS_HOST: { env: 'METRICS_HOST', flag: '--metrics-host <host>', description: 'health and metrics listen address (default 127.0.0.1)' },
  METRICS_PORT: { env: 'METRICS_PORT', flag: '--metrics-port <port>', description: 'health and metrics port (default 9100; 0 = any free port)' },
  LOG_LEVEL: { env: 'LOG_LEVEL', flag: '--log-level <level>', description: 'debug, info, warn or error (default info)' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof OPERATOR_SETTINGS;
export type RawSettings = Partial<Record<SettingName, string | string[]>>;

const GWEI_PER_ETH = 1_000_000_000n;
const WEI_PER_GWEI = 1_000_000_000n;
const text = z.string().trim().min(1, 'must not be empty');
const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ≥ ${min}`).max(max, `must be ≤ ${max}`));
const gwei = z
  .string()
  .trim()
  .regex(/^\d+$/, 'expected whole gwei')
  .transform((s) => BigInt(s));
const seconds = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'expected seconds')
    .transform((s) => Math.round(Number(s) * 1000))
    .pipe(z.number().min(min * 1000, `must be ≥ ${min} s`).max(max * 1000, `must be ≤ ${max} s`));
const httpUrl = text.pipe(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })).transform((u) => u.replace(/\/+$/, ''));
const urlList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0))
  .pipe(z.array(httpUrl));
const address = text.transform((value, ctx) => {
  try {
    return parseExecutionAddress(value, 'address');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const redisUrl = text.regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL');

const DEFAULT_IPFS_GATEWAYS = ['https://stakewise-v3.infura-ipfs.io', 'https://gateway.pinata.cloud', 'https://ipfs.io'];

const baseSchema = z.object({
  NETWORK: z.enum(NETWORK_NAMES, { error: `expected one of ${NETWORK_NAMES.join(', ')}` }),
  DEVNET_GENESIS_VALIDATORS_ROOT: text.regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x + 32 bytes of hex').transform((s) => s.toLowerCase()).optional(),
  DEVNET_CHAIN_ID: int(1, 2 ** 32).optional(),
  DEPOSIT_CONTRACT_ADDRESS: address.optional(),
  VAULT: address,
  KEEPER_ADDRESS: address,
  EXECUTION_ENDPOINTS: urlList.pipe(z.array(z.string()).min(1, 'give at least one URL')),
  EXECUTION_TIMEOUT: seconds(1, 600).default(30_000),
  CONSENSUS_ENDPOINTS: urlList.pipe(z.array(z.string()).min(1, 'give at least one URL')),
  CONSENSUS_TIMEOUT: seconds(1, 600).default(30_000),
  OPERATOR_MODE: z.enum(['relayer', 'deposit-data'], { error: 'expected relayer or deposit-data' }).optional(),
  RELAYER_ENDPOINT: httpUrl,
  RELAYER_TIMEOUT: seconds(1, 600).default(10_000),
  RELAYER_TOKEN: text.optional(),
  RELAYER_POLL_INTERVAL: seconds(0.01, 600).default(2_000),
  RELAYER_READY_TIMEOUT: seconds(0.1, 86_400).default(120_000),
  DEPOSIT_DATA_FILE: text.optional(),
  VALIDATOR_TYPE: z.enum(['0x01', '0x02'], { error: 'expected 0x01 or 0x02' }).default('0x02'),
  WALLET_FILE: text,
  WALLET_PASSWORD_FILE: text,
  MAX_FEE_PER_GAS_GWEI: gwei.default(100n),
  PRIORITY_FEE_GWEI: gwei.optional(),
  VAULT_MIN_BALANCE_GWEI: gwei.default(0n),
  MAX_VALIDATOR_BALANCE_GWEI: gwei.default(2048n * GWEI_PER_ETH),
  VALIDATORS_BATCH_SIZE: int(1, 10_000).optional(),
  MIN_DEPOSIT_AMOUNT_GWEI: gwei.default(10_000_000_000n),
  MIN_DEPOSIT_DELAY: int(0, 365 * 86_400).default(3600),
  DISABLE_VALIDATORS_FUNDING: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' }))
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .default(false),
  MAX_WITHDRAWAL_REQUEST_FEE_GWEI: gwei.default(1000n),
  PROTOCOL_CONFIG_FILE: text.optional(),
  KEEPER_GENESIS_BLOCK: int(0, Number.MAX_SAFE_INTEGER).default(0),
  VAULT_GENESIS_BLOCK: int(0, Number.MAX_SAFE_INTEGER).default(0),
  LOG_CHUNK_BLOCKS: int(1, 10_000_000).default(10_000),
  IPFS_FETCH_ENDPOINTS: urlList.default(DEFAULT_IPFS_GATEWAYS),
  IPFS_TIMEOUT: seconds(1, 600).default(60_000),
  ORACLES_VALIDATORS_TIMEOUT: seconds(0.1, 600).default(10_000),
  DVT_REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  DVT_QUEUE_PREFIX: text.regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').default('dvt-operator'),
  POLL_INTERVAL: seconds(0.05, 86_400).default(12_000),
  JOB_ATTEMPTS: int(1, 1000).default(6),
  JOB_BACKOFF: seconds(0.01, 3600).default(5_000),
  JOB_LOCK_DURATION: seconds(0.5, 3600).default(30_000),
  JOB_STALLED_INTERVAL: seconds(0.1, 3600).default(30_000),
  TX_CONFIRMATION_TIMEOUT: seconds(0.1, 86_400).default(300_000),
  METRICS_HOST: text.default('127.0.0.1'),
  METRICS_PORT: int(0, 65_535).default(9100),
  LOG_LEVEL: z.string().trim().toLowerCase().pipe(z.enum(['debug', 'info', 'warn', 'error'])).default('info'),
});

const rawSchema = baseSchema.superRefine((c, ctx) => {
  const issue = (path: SettingName, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const mode = c.OPERATOR_MODE ?? (c.DEPOSIT_DATA_FILE !== undefined ? 'deposit-data' : 'relayer');
  if (mode === 'deposit-data' && c.DEPOSIT_DATA_FILE === undefined) issue('DEPOSIT_DATA_FILE', 'deposit-data mode needs the deposit data file');
  if (mode === 'relayer' && c.DEPOSIT_DATA_FILE !== undefined) issue('DEPOSIT_DATA_FILE', 'relayer mode takes its deposits from the relayer: drop the file or use --mode deposit-data');
  if (c.NETWORK !== 'devnet') {
    for (const name of ['DEVNET_GENESIS_VALIDATORS_ROOT', 'DEVNET_CHAIN_ID', 'DEPOSIT_CONTRACT_ADDRESS'] as const) {
      if (c[name] !== undefined) issue(name, `only for the devnet, not ${c.NETWORK}`);
    }
  }
  if (c.PRIORITY_FEE_GWEI !== undefined && c.PRIORITY_FEE_GWEI > c.MAX_FEE_PER_GAS_GWEI) {
    issue('PRIORITY_FEE_GWEI', `the tip (${c.PRIORITY_FEE_GWEI} gwei) exceeds MAX_FEE_PER_GAS_GWEI (${c.MAX_FEE_PER_GAS_GWEI} gwei)`);
  }
  if (c.MAX_VALIDATOR_BALANCE_GWEI < 32n * GWEI_PER_ETH || c.MAX_VALIDATOR_BALANCE_GWEI > 2048n * GWEI_PER_ETH) {
    issue('MAX_VALIDATOR_BALANCE_GWEI', 'must lie between 32 and 2048 ETH');
  }
});

export type OperatorMode = 'relayer' | 'deposit-data';

export interface OperatorConfig {
  network: (typeof NETWORK_NAMES)[number];
  devnet: { genesisValidatorsRoot?: string; chainId?: number; depositContractAddress?: string };
  vault: string;
  keeper: string;
  mode: OperatorMode;
  validatorType: '0x01' | '0x02';
  execution: { url: string; timeoutMs: number };
  beacon: { url: string; timeoutMs: number };
  relayer: { url: string; timeoutMs: number; token?: string; pollIntervalMs: number; readyTimeoutMs: number };
  depositDataFile?: string;
  wallet: { file: string; passwordFile: string };
  gas: { maxFeePerGasWei: bigint; priorityFeeWei?: bigint };
  staking: {
    vaultMinBalanceGwei: bigint;
    maxValidatorBalanceGwei: bigint;
    batchSize?: number;
    minDepositGwei: bigint;
    minDepositDelaySeconds: number;
    fundingEnabled: boolean;
    maxRequestFeeWei: bigint;
  };
  protocolConfig: { kind: 'file'; file: string } | { kind: 'keeper'; ipfsGateways: string[]; ipfsTimeoutMs: number };
  scan: { keeperFromBlock: number; vaultFromBlock: number; logChunkBlocks: number };
  oraclesTimeoutMs: number;
  redis: { url: string; prefix: string };
  pollIntervalMs: number;
  jobs: { attempts: number; backoffMs: number; lockDurationMs: number; stalledIntervalMs: number };
  txConfirmationTimeoutMs: number;
  http: { host: string; port: number };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

function configError(issues: z.core.$ZodIssue[], raw: RawSettings, what: string): OperatorError {
  const problems = issues.map((issue) => {
    const name = issue.path[0] as SettingName | undefined;
    const spec = name === undefined ? undefined : OPERATOR_SETTINGS[name];
    const where = spec ? `${spec.env} (${spec.flag.split(' ')[0]})` : '(config)';
    const message = issue.code === 'invalid_type' && raw[name as SettingName] === undefined ? 'is required' : issue.message;
    return `${where}: ${message}`;
  });
  return new OperatorError('CONFIG_INVALID', `invalid ${what} configuration: ${problems.join('; ')}`, { problems });
}

/** Parses raw settings; throws CONFIG_INVALID naming each bad variable and its flag. */
export function parseOperatorConfig(raw: RawSettings): OperatorConfig {
  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) throw configError(parsed.error.issues, raw, 'operator');
  const c = parsed.data;
  return {
    network: c.NETWORK,
    devnet: { genesisValidatorsRoot: c.DEVNET_GENESIS_VALIDATORS_ROOT, chainId: c.DEVNET_CHAIN_ID, depositContractAddress: c.DEPOSIT_CONTRACT_ADDRESS },
    vault: c.VAULT,
    keeper: c.KEEPER_ADDRESS,
    mode: c.OPERATOR_MODE ?? (c.DEPOSIT_DATA_FILE !== undefined ? 'deposit-data' : 'relayer'),
    validatorType: c.VALIDATOR_TYPE,
    execution: { url: c.EXECUTION_ENDPOINTS[0]!, timeoutMs: c.EXECUTION_TIMEOUT },
    beacon: { url: c.CONSENSUS_ENDPOINTS[0]!, timeoutMs: c.CONSENSUS_TIMEOUT },
    relayer: {
      url: c.RELAYER_ENDPOINT,
      timeoutMs: c.RELAYER_TIMEOUT,
      token: c.RELAYER_TOKEN,
      pollIntervalMs: c.RELAYER_POLL_INTERVAL,
      readyTimeoutMs: c.RELAYER_READY_TIMEOUT,
    },
    depositDataFile: c.DEPOSIT_DATA_FILE,
    wallet: { file: c.WALLET_FILE, passwordFile: c.WALLET_PASSWORD_FILE },
    gas: { maxFeePerGasWei: c.MAX_FEE_PER_GAS_GWEI * WEI_PER_GWEI, priorityFeeWei: c.PRIORITY_FEE_GWEI === undefined ? undefined : c.PRIORITY_FEE_GWEI * WEI_PER_GWEI },
    staking: {
      vaultMinBalanceGwei: c.VAULT_MIN_BALANCE_GWEI,
      maxValidatorBalanceGwei: c.MAX_VALIDATOR_BALANCE_GWEI,
      batchSize: c.VALIDATORS_BATCH_SIZE,
      minDepositGwei: c.MIN_DEPOSIT_AMOUNT_GWEI,
      minDepositDelaySeconds: c.MIN_DEPOSIT_DELAY,
      fundingEnabled: !c.DISABLE_VALIDATORS_FUNDING,
      maxRequestFeeWei: c.MAX_WITHDRAWAL_REQUEST_FEE_GWEI * WEI_PER_GWEI,
    },
    protocolConfig:
      c.PROTOCOL_CONFIG_FILE !== undefined
        ? { kind: 'file', file: c.PROTOCOL_CONFIG_FILE }
        : { kind: 'keeper', ipfsGateways: c.IPFS_FETCH_ENDPOINTS, ipfsTimeoutMs: c.IPFS_TIMEOUT },
    scan: { keeperFromBlock: c.KEEPER_GENESIS_BLOCK, vaultFromBlock: c.VAULT_GENESIS_BLOCK, logChunkBlocks: c.LOG_CHUNK_BLOCKS },
    oraclesTimeoutMs: c.ORACLES_VALIDATORS_TIMEOUT,
    redis: { url: c.DVT_REDIS_URL, prefix: c.DVT_QUEUE_PREFIX },
    pollIntervalMs: c.POLL_INTERVAL,
    jobs: { attempts: c.JOB_ATTEMPTS, backoffMs: c.JOB_BACKOFF, lockDurationMs: c.JOB_LOCK_DURATION, stalledIntervalMs: c.JOB_STALLED_INTERVAL },
    txConfirmationTimeoutMs: c.TX_CONFIRMATION_TIMEOUT,
    http: { host: c.METRICS_HOST, port: c.METRICS_PORT },
    logLevel: c.LOG_LEVEL,
  };
}

/** What `dvt operator status` needs: the vault, the chain, Redis (the hot wallet's address is read from its keystore, unencrypted). */
export interface StatusConfig {
  network: (typeof NETWORK_NAMES)[number];
  devnet: OperatorConfig['devnet'];
  vault: string;
  keeper: string;
  execution: OperatorConfig['execution'];
  redis: OperatorConfig['redis'];
  scan: OperatorConfig['scan'];
  vaultMinBalanceGwei: bigint;
  walletFile?: string;
}

const statusSchema = baseSchema
  .pick({
    NETWORK: true,
    DEVNET_GENESIS_VALIDATORS_ROOT: true,
    DEVNET_CHAIN_ID: true,
    DEPOSIT_CONTRACT_ADDRESS: true,
    VAULT: true,
    KEEPER_ADDRESS: true,
    EXECUTION_ENDPOINTS: true,
    EXECUTION_TIMEOUT: true,
    DVT_REDIS_URL: true,
    DVT_QUEUE_PREFIX: true,
    KEEPER_GENESIS_BLOCK: true,
    VAULT_GENESIS_BLOCK: true,
    LOG_CHUNK_BLOCKS: true,
    VAULT_MIN_BALANCE_GWEI: true,
  })
  .extend({ WALLET_FILE: text.optional() });

export function parseStatusConfig(raw: RawSettings): StatusConfig {
  const parsed = statusSchema.safeParse(raw);
  if (!parsed.success) throw configError(parsed.error.issues, raw, 'operator status');
  const c = parsed.data;
  return {
    network: c.NETWORK,
    devnet: { genesisValidatorsRoot: c.DEVNET_GENESIS_VALIDATORS_ROOT, chainId: c.DEVNET_CHAIN_ID, depositContractAddress: c.DEPOSIT_CONTRACT_ADDRESS },
    vault: c.VAULT,
    keeper: c.KEEPER_ADDRESS,
    execution: { url: c.EXECUTION_ENDPOINTS[0]!, timeoutMs: c.EXECUTION_TIMEOUT },
    redis: { url: c.DVT_REDIS_URL, prefix: c.DVT_QUEUE_PREFIX },
    scan: { keeperFromBlock: c.KEEPER_GENESIS_BLOCK, vaultFromBlock: c.VAULT_GENESIS_BLOCK, logChunkBlocks: c.LOG_CHUNK_BLOCKS },
    vaultMinBalanceGwei: c.VAULT_MIN_BALANCE_GWEI,
    walletFile: c.WALLET_FILE,
  };
}

/** Commander's camelCase key of a flag (--relayer-endpoint → relayerEndpoint). */
export function flagKey(spec: SettingSpec): string {
  return spec.flag
    .split(' ')[0]!
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

/** Raw settings from CLI options (flags win) over the environment. */
export function rawSettingsFrom(options: Record<string, unknown>, env: Record<string, string | undefined>): RawSettings {
  const raw: RawSettings = {};
  for (const [name, spec] of Object.entries(OPERATOR_SETTINGS) as [SettingName, SettingSpec][]) {
    const fromFlag = options[flagKey(spec)];
    if (fromFlag !== undefined) {
      raw[name] = Array.isArray(fromFlag) ? fromFlag.map(String) : String(fromFlag);
      continue;
    }
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') raw[name] = fromEnv;
  }
  return raw;
}
