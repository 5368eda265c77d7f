/**
 * The relayer's one configuration schema. Every setting has an environment variable (the Python
 * relayer's name where it had one) and a CLI flag; flags win. The raw values are parsed once at
 * start into a typed `RelayerConfig`; a bad value fails naming the variable and the flag.
 */
import { z } from 'zod';
import { NETWORK_NAMES, parseExecutionAddress } from '@dvt/eth2';
import { RelayerError } from './errors.js';

export interface SettingSpec {
  /** environment variable */
  env: string;
  /** commander flag, e.g. '--port <port>' */
  flag: string;
  description: string;
  /** several values: comma-separated in the variable, repeatable flag */
  list?: boolean;
}

/** Every setting, in help order. The keys are the environment variable names. */
export const RELAYER_SETTINGS = {
  NETWORK: { env: 'NETWORK', flag: '--network <name>', description: 'mainnet, hoodi, gnosis or devnet' },
  RELAYER_HOST: { env: 'RELAYER_HOST', flag: '--host <host>', description: 'listen address (default 127.0.0.1)' },
  RELAYER_PORT: { env: 'RELAYER_PORT', flag: '--port <port>', description: 'listen port (default 8000; 0 = any free port)' },
  RELAYER_MAX_BODY_BYTES: { env: 'RELAYER_MAX_BODY_BYTES', flag: '--max-body-bytes <n>', description: 'largest accepted request body (default 16 MiB)' },
  DATABASE_URL: {
    env: 'DATABASE_URL',
    flag: '--database-url <url>',
    description: 'PostgreSQL URL (postgres://user@host:5432/db); without it a SQLite file is used',
  },
  DATABASE_SCHEMA: { env: 'DATABASE_SCHEMA', flag: '--database-schema <name>', description: 'PostgreSQL schema (default public; created if missing)' },
  DATABASE: { env: 'DATABASE', flag: '--sqlite-file <file>', description: 'SQLite file when no DATABASE_URL is set (default ./relayer.sqlite)' },
  CONSENSUS_ENDPOINT: { env: 'CONSENSUS_ENDPOINT', flag: '--consensus-endpoint <url>', description: 'beacon node API URL' },
  CONSENSUS_TIMEOUT: { env: 'CONSENSUS_TIMEOUT', flag: '--consensus-timeout <seconds>', description: 'beacon request timeout (default 10)' },
  EXECUTION_ENDPOINT: {
    env: 'EXECUTION_ENDPOINT',
    flag: '--execution-endpoint <url>',
    description: 'execution JSON-RPC URL (validators-manager signatures, protocol config from the Keeper)',
  },
  EXECUTION_TIMEOUT: { env: 'EXECUTION_TIMEOUT', flag: '--execution-timeout <seconds>', description: 'execution request timeout (default 10)' },
  DEPOSIT_CONTRACT_ADDRESS: {
    env: 'DEPOSIT_CONTRACT_ADDRESS',
    flag: '--deposit-contract-address <address>',
    description: "deposit contract (default: the network's; devnet: where the local chain deployed it)",
  },
  DEVNET_GENESIS_VALIDATORS_ROOT: { env: 'DEVNET_GENESIS_VALIDATORS_ROOT', flag: '--devnet-genesis-validators-root <hex>', description: 'devnet only' },
  DEVNET_CHAIN_ID: { env: 'DEVNET_CHAIN_ID', flag: '--devnet-chain-id <id>', description: 'devnet only (default 1337)' },
  PROTOCOL_CONFIG_FILE: {
    env: 'PROTOCOL_CONFIG_FILE',
    flag: '--protocol-config-file <file>',
    description: 'oracles config JSON (the IPFS document, + validators_min_oracles); else read from the Keeper',
  },
  KEEPER_ADDRESS: { env: 'KEEPER_ADDRESS', flag: '--keeper-address <address>', description: 'Keeper contract: ConfigUpdated events + validatorsMinOracles()' },
  KEEPER_GENESIS_BLOCK: { env: 'KEEPER_GENESIS_BLOCK', flag: '--keeper-from-block <block>', description: 'first block to scan for ConfigUpdated (default 0)' },
  KEEPER_LOG_CHUNK_BLOCKS: { env: 'KEEPER_LOG_CHUNK_BLOCKS', flag: '--keeper-log-chunk <blocks>', description: 'blocks per eth_getLogs request (default 10000)' },
  IPFS_FETCH_ENDPOINTS: { env: 'IPFS_FETCH_ENDPOINTS', flag: '--ipfs-gateway <url>', description: 'IPFS gateways, tried in order', list: true },
  IPFS_TIMEOUT: { env: 'IPFS_TIMEOUT', flag: '--ipfs-timeout <seconds>', description: 'per gateway request (default 60)' },
  PROTOCOL_CONFIG_REFRESH: { env: 'PROTOCOL_CONFIG_REFRESH', flag: '--protocol-config-refresh <seconds>', description: 'how often to re-read the Keeper (default 60)' },
  VALIDATORS_MANAGER_KEYSTORE_FILE: {
    env: 'VALIDATORS_MANAGER_KEYSTORE_FILE',
    flag: '--manager-keystore <file>',
    description: "validators manager's Ethereum V3 JSON keystore (EIP-712 signatures); none: signatures are null",
  },
  VALIDATORS_MANAGER_PASSWORD_FILE: { env: 'VALIDATORS_MANAGER_PASSWORD_FILE', flag: '--manager-password-file <file>', description: 'its password' },
  SIGNATURE_THRESHOLD: {
    env: 'SIGNATURE_THRESHOLD',
    flag: '--signature-threshold <t>',
    description: 'shares needed to rebuild a signature, for keys whose file does not say',
  },
  RELAYER_PUBLIC_KEYS: { env: 'RELAYER_PUBLIC_KEYS', flag: '--public-key <hex>', description: 'validator public keys /register hands out, in order', list: true },
  RELAYER_KEYS_FILES: {
    env: 'RELAYER_KEYS_FILES',
    flag: '--keys-file <file>',
    description: 'cluster-lock.json, key-shares JSON or deposit_data.json: keys (and their public key shares), in order',
    list: true,
  },
  RELAYER_OPEN_LEGACY_KEYS: {
    env: 'RELAYER_OPEN_LEGACY_KEYS',
    flag: '--open-legacy-keys <bool>',
    description: 'legacy POST /validators accepts keys outside the configured ones (default: only when none is configured)',
  },
  RELAYER_OPERATOR_TOKEN: { env: 'RELAYER_OPERATOR_TOKEN', flag: '--operator-token-file <file>', description: 'bearer token of the operator routes (file with the flag)' },
  RELAYER_SIDECAR_TOKEN: { env: 'RELAYER_SIDECAR_TOKEN', flag: '--sidecar-token-file <file>', description: 'bearer token of the sidecar routes (file with the flag)' },
  VALIDATOR_LIFETIME: {
    env: 'VALIDATOR_LIFETIME',
    flag: '--validator-lifetime <seconds>',
    description: 'validators not requested for this long leave GET /validators and /exits (default 3600)',
  },
  RELAYER_CRYPTO_WORKERS: {
    env: 'RELAYER_CRYPTO_WORKERS',
    flag: '--crypto-workers <n>',
    description: 'worker threads for BLS and ECIES work (default 1; 0 = on the event loop)',
  },
  RELAYER_MAX_SUBSET_SEARCH: {
    env: 'RELAYER_MAX_SUBSET_SEARCH',
    flag: '--max-subset-search <n>',
    description: 'rebuild attempts over subsets of unverifiable shares (default 256)',
  },
  LOG_LEVEL: { env: 'LOG_LEVEL', flag: '--log-level <level>', description: 'debug, info, warn or error (default info)' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof RELAYER_SETTINGS;
/** Raw values: strings from the environment, strings or string lists from flags. */
export type RawSettings = Partial<Record<SettingName, string | string[]>>;

const text = z.string().trim().min(1, 'must not be empty');
const intIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ≥ ${min}`).max(max, `must be ≤ ${max}`));
const seconds = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'expected seconds')
    .transform((s) => Math.round(Number(s) * 1000))
    .pipe(z.number().min(min * 1000, `must be ≥ ${min} s`).max(max * 1000, `must be ≤ ${max} s`));
const httpUrl = text.pipe(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })).transform((u) => u.replace(/\/+$/, ''));
const address = text.transform((value, ctx) => {
  try {
    return parseExecutionAddress(value, 'address');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const hex32 = text.regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x + 32 bytes of hex').transform((s) => s.toLowerCase());
const publicKey = z
  .string()
  .trim()
  .regex(/^(0x)?[0-9a-fA-F]{96}$/, 'expected a 48-byte BLS public key in hex')
  .transform((s) => (s.startsWith('0x') ? s : `0x${s}`).toLowerCase());
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((s) => s === 'true' || s === '1' || s === 'yes');
const list = (item: z.ZodType<string, string>) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(item));

const DEFAULT_IPFS_GATEWAYS = ['https://stakewise-v3.infura-ipfs.io', 'https://gateway.pinata.cloud', 'https://ipfs.io'];

const rawSchema = z
  .object({
    NETWORK: z.enum(NETWORK_NAMES, { error: `expected one of ${NETWORK_NAMES.join(', ')}` }),
    RELAYER_HOST: text.default('127.0.0.1'),
    RELAYER_PORT: intIn(0, 65_535).default(8000),
    RELAYER_MAX_BODY_BYTES: intIn(1024, 1024 ** 3).default(16 * 1024 * 1024),
    DATABASE_URL: text.regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(),
    DATABASE_SCHEMA: text.regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'expected a plain SQL identifier').optional(),
    DATABASE: text.default('relayer.sqlite'),
    CONSENSUS_ENDPOINT: httpUrl,
    CONSENSUS_TIMEOUT: seconds(1, 600).default(10_000),
    EXECUTION_ENDPOINT: httpUrl.optional(),
    EXECUTION_TIMEOUT: seconds(1, 600).default(10_000),
    DEPOSIT_CONTRACT_ADDRESS: address.optional(),
    DEVNET_GENESIS_VALIDATORS_ROOT: hex32.optional(),
    DEVNET_CHAIN_ID: intIn(1, 2 ** 32).optional(),
    PROTOCOL_CONFIG_FILE: text.optional(),
    KEEPER_ADDRESS: address.optional(),
    KEEPER_GENESIS_BLOCK: intIn(0, Number.MAX_SAFE_INTEGER).default(0),
    KEEPER_LOG_CHUNK_BLOCKS: intIn(1, 10_000_000).default(10_000),
    IPFS_FETCH_ENDPOINTS: list(httpUrl).default(DEFAULT_IPFS_GATEWAYS),
    IPFS_TIMEOUT: seconds(1, 600).default(60_000),
    PROTOCOL_CONFIG_REFRESH: seconds(1, 86_400).default(60_000),
    VALIDATORS_MANAGER_KEYSTORE_FILE: text.optional(),
    VALIDATORS_MANAGER_PASSWORD_FILE: text.optional(),
    SIGNATURE_THRESHOLD: intIn(1, 1024).optional(),
    RELAYER_PUBLIC_KEYS: list(publicKey).default([]),
    RELAYER_KEYS_FILES: list(text).default([]),
    RELAYER_OPEN_LEGACY_KEYS: bool.optional(),
    RELAYER_OPERATOR_TOKEN: text.optional(),
    RELAYER_SIDECAR_TOKEN: text.optional(),
    VALIDATOR_LIFETIME: intIn(1, 10 * 365 * 86_400).default(3600),
    RELAYER_CRYPTO_WORKERS: intIn(0, 64).default(1),
    RELAYER_MAX_SUBSET_SEARCH: intIn(1, 1_000_000).default(256),
    LOG_LEVEL: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['debug', 'info', 'warn', 'error']))
      .default('info'),
  })
  .superRefine((c, ctx) => {
    const issue = (path: SettingName, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.PROTOCOL_CONFIG_FILE === undefined && c.KEEPER_ADDRESS === undefined) {
      issue('PROTOCOL_CONFIG_FILE', 'give a protocol config file, or KEEPER_ADDRESS (with EXECUTION_ENDPOINT) to read it from the Keeper');
    }
    if (c.PROTOCOL_CONFIG_FILE !== undefined && c.KEEPER_ADDRESS !== undefined) {
      issue('KEEPER_ADDRESS', 'give either a protocol config file or a Keeper address, not both');
    }
    if (c.KEEPER_ADDRESS !== undefined && c.EXECUTION_ENDPOINT === undefined) {
      issue('EXECUTION_ENDPOINT', 'reading the protocol config from the Keeper needs an execution endpoint');
    }
    if (c.VALIDATORS_MANAGER_KEYSTORE_FILE !== undefined && c.VALIDATORS_MANAGER_PASSWORD_FILE === undefined) {
      issue('VALIDATORS_MANAGER_PASSWORD_FILE', 'the manager keystore needs its password file');
    }
    if (c.VALIDATORS_MANAGER_KEYSTORE_FILE !== undefined && c.EXECUTION_ENDPOINT === undefined) {
      issue('EXECUTION_ENDPOINT', 'validators-manager signatures need an execution endpoint (deposit root, vault nonce)');
    }
    if (c.DATABASE_SCHEMA !== undefined && c.DATABASE_URL === undefined) {
      issue('DATABASE_SCHEMA', 'a schema only applies to PostgreSQL (DATABASE_URL)');
    }
    if (c.NETWORK !== 'devnet') {
      if (c.DEVNET_GENESIS_VALIDATORS_ROOT !== undefined) issue('DEVNET_GENESIS_VALIDATORS_ROOT', `only for the devnet, not ${c.NETWORK}`);
      if (c.DEVNET_CHAIN_ID !== undefined) issue('DEVNET_CHAIN_ID', `only for the devnet, not ${c.NETWORK}`);
      if (c.DEPOSIT_CONTRACT_ADDRESS !== undefined) issue('DEPOSIT_CONTRACT_ADDRESS', `${c.NETWORK} has its own deposit contract; only the devnet takes another`);
    }
  });

export type DatabaseConfig = { kind: 'postgres'; url: string; schema?: string } | { kind: 'sqlite'; file: string };
export type ProtocolConfigSourceConfig =
  | { kind: 'file'; file: string }
  | { kind: 'chain'; keeperAddress: string; fromBlock: number; logChunkBlocks: number; ipfsGateways: string[]; ipfsTimeoutMs: number; refreshMs: number };

export interface RelayerConfig {
  network: (typeof NETWORK_NAMES)[number];
  devnet: { genesisValidatorsRoot?: string; chainId?: number; depositContractAddress?: string };
  http: { host: string; port: number; maxBodyBytes: number };
  database: DatabaseConfig;
  beacon: { url: string; timeoutMs: number };
  execution?: { url: string; timeoutMs: number };
  protocolConfig: ProtocolConfigSourceConfig;
  manager?: { keystoreFile: string; passwordFile: string };
  keys: { publicKeys: string[]; files: string[]; defaultThreshold?: number; openLegacyKeys?: boolean };
  /** tokens as given: a value (environment) or a file to read (flag); resolved at start */
  auth: { operator?: SecretSource; sidecar?: SecretSource };
  validatorLifetimeSeconds: number;
  cryptoWorkers: number;
  maxSubsetSearch: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export type SecretSource = { value: string } | { file: string };

/** Parses raw settings; throws CONFIG_INVALID naming each bad variable and its flag. */
export function parseRelayerConfig(raw: RawSettings, tokenFiles: Partial<Record<'RELAYER_OPERATOR_TOKEN' | 'RELAYER_SIDECAR_TOKEN', boolean>> = {}): RelayerConfig {
  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path[0] as SettingName | undefined;
      const spec = name === undefined ? undefined : RELAYER_SETTINGS[name];
      const where = spec ? `${spec.env} (${spec.flag.split(' ')[0]})` : '(config)';
      const message = issue.code !== 'custom' && raw[name as SettingName] === undefined ? 'is required' : issue.message;
      return `${where}: ${message}`;
    });
    throw new RelayerError('CONFIG_INVALID', `invalid relayer configuration: ${problems.join('; ')}`, { problems });
  }
  const c = parsed.data;
  const secret = (name: 'RELAYER_OPERATOR_TOKEN' | 'RELAYER_SIDECAR_TOKEN'): SecretSource | undefined => {
    const value = c[name];
    if (value === undefined) return undefined;
    return tokenFiles[name] ? { file: value } : { value };
  };
  return {
    network: c.NETWORK,
    devnet: {
      genesisValidatorsRoot: c.DEVNET_GENESIS_VALIDATORS_ROOT,
      chainId: c.DEVNET_CHAIN_ID,
      depositContractAddress: c.DEPOSIT_CONTRACT_ADDRESS,
    },
    http: { host: c.RELAYER_HOST, port: c.RELAYER_PORT, maxBodyBytes: c.RELAYER_MAX_BODY_BYTES },
    database: c.DATABASE_URL !== undefined ? { kind: 'postgres', url: c.DATABASE_URL, schema: c.DATABASE_SCHEMA } : { kind: 'sqlite', file: c.DATABASE },
    beacon: { url: c.CONSENSUS_ENDPOINT, timeoutMs: c.CONSENSUS_TIMEOUT },
    execution: c.EXECUTION_ENDPOINT === undefined ? undefined : { url: c.EXECUTION_ENDPOINT, timeoutMs: c.EXECUTION_TIMEOUT },
    protocolConfig:
      c.PROTOCOL_CONFIG_FILE !== undefined
        ? { kind: 'file', file: c.PROTOCOL_CONFIG_FILE }
        : {
            kind: 'chain',
            keeperAddress: c.KEEPER_ADDRESS!,
            fromBlock: c.KEEPER_GENESIS_BLOCK,
            logChunkBlocks: c.KEEPER_LOG_CHUNK_BLOCKS,
            ipfsGateways: c.IPFS_FETCH_ENDPOINTS,
            ipfsTimeoutMs: c.IPFS_TIMEOUT,
            refreshMs: c.PROTOCOL_CONFIG_REFRESH,
          },
    manager:
      c.VALIDATORS_MANAGER_KEYSTORE_FILE === undefined
        ? undefined
        : { keystoreFile: c.VALIDATORS_MANAGER_KEYSTORE_FILE, passwordFile: c.VALIDATORS_MANAGER_PASSWORD_FILE! },
    keys: { publicKeys: c.RELAYER_PUBLIC_KEYS, files: c.RELAYER_KEYS_FILES, defaultThreshold: c.SIGNATURE_THRESHOLD, openLegacyKeys: c.RELAYER_OPEN_LEGACY_KEYS },
    auth: { operator: secret('RELAYER_OPERATOR_TOKEN'), sidecar: secret('RELAYER_SIDECAR_TOKEN') },
    validatorLifetimeSeconds: c.VALIDATOR_LIFETIME,
    cryptoWorkers: c.RELAYER_CRYPTO_WORKERS,
    maxSubsetSearch: c.RELAYER_MAX_SUBSET_SEARCH,
    logLevel: c.LOG_LEVEL,
  };
}

/** Commander's camelCase option key of a setting's flag (--keys-file → keysFile). */
export function flagKey(spec: SettingSpec): string {
  return spec.flag
    .split(' ')[0]!
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

/**
 * Raw settings from parsed CLI options (flags win) over the environment. Returns which token
 * settings came from a flag, since those flags name files.
 */
export function rawSettingsFrom(
  options: Record<string, unknown>,
  env: Record<string, string | undefined>,
): { raw: RawSettings; tokenFiles: Partial<Record<'RELAYER_OPERATOR_TOKEN' | 'RELAYER_SIDECAR_TOKEN', boolean>> } {
  const raw: RawSettings = {};
  const tokenFiles: Partial<Record<'RELAYER_OPERATOR_TOKEN' | 'RELAYER_SIDECAR_TOKEN', boolean>> = {};
  for (const [name, spec] of Object.entries(RELAYER_SETTINGS) as [SettingName, SettingSpec][]) {
    const fromFlag = options[flagKey(spec)];
    if (fromFlag !== undefined) {
      raw[name] = Array.isArray(fromFlag) ? fromFlag.map(String) : String(fromFlag);
      if (name === 'RELAYER_OPERATOR_TOKEN' || name === 'RELAYER_SIDECAR_TOKEN') tokenFiles[name] = true;
      continue;
    }
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') raw[name] = fromEnv;
  }
  // the Python relayer's _FILE convention for secrets
  for (const name of ['RELAYER_OPERATOR_TOKEN', 'RELAYER_SIDECAR_TOKEN'] as const) {
    const file = env[`${name}_FILE`];
    if (raw[name] === undefined && file !== undefined && file !== '') {
      raw[name] = file;
      tokenFiles[name] = true;
    }
  }
  return { raw, tokenFiles };
}
