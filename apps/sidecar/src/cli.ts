/**
 * `dvt sidecar`: signs exit and deposit messages with this node's key shares and pushes them to
 * the relayer. Options fall back to the Python sidecar's environment variables (NETWORK,
 * RELAYER_ENDPOINT, OBOL_*, SSV_*), so an existing .env keeps working.
 */
import { readFile } from 'node:fs/promises';
import { type Command } from 'commander';
import { SidecarError } from './errors.js';
import { type SidecarConfigInput, parseSidecarConfig } from './config.js';
import { createJsonLogger } from './logger.js';
import { startSidecar } from './app.js';
import { type CommandIo } from '@dvt/common';

export interface SidecarCliOptions {
  network?: string;
  devnetGenesisValidatorsRoot?: string;
  relayerUrl?: string;
  relayerApi?: string;
  relayerTimeout?: string;
  relayerTokenFile?: string;
  pollInterval?: string;
  maxBackoff?: string;
  clusterType?: string;
  nodeDir?: string;
  clusterLock?: string;
  keysDir?: string;
  identityKey?: string;
  nodeIndex?: string;
  ssvEventsFile?: string;
  ssvOperatorId?: string;
  ssvOperatorKeyFile?: string;
  ssvOperatorPasswordFile?: string;
  vault?: string[];
  httpHost?: string;
  httpPort?: string;
  logLevel?: string;
}

type Env = Record<string, string | undefined>;

const seconds = (value: string | undefined) => (value === undefined || value === '' ? undefined : Math.round(Number(value) * 1000));
const integer = (value: string | undefined) => (value === undefined || value === '' ? undefined : Number(value));
const list = (value: string | undefined) =>
  value === undefined || value.trim() === '' ? undefined : value.split(',').map((v) => Number(v.trim()));
const first = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v !== '');

/** Builds the raw configuration from options, then the Python sidecar's environment variables. */
export function sidecarConfigFromOptions(opts: SidecarCliOptions, env: Env = {}, relayerToken?: string): SidecarConfigInput {
  const clusterType = (first(opts.clusterType, env.CLUSTER_TYPE) ?? 'obol').toLowerCase();
  const nodeDir = opts.nodeDir;
  const cluster =
    clusterType === 'ssv'
      ? {
          type: 'ssv' as const,
          eventsFile: first(opts.ssvEventsFile, env.SSV_EVENTS_FILE) as string,
          operatorIds: list(first(opts.ssvOperatorId, env.SSV_OPERATOR_IDS, env.SSV_OPERATOR_ID)) as number[],
          operatorKeyFile: first(opts.ssvOperatorKeyFile, env.SSV_OPERATOR_KEY_FILE_TEMPLATE, env.SSV_OPERATOR_KEY_FILE) as string,
          operatorPasswordFile: first(opts.ssvOperatorPasswordFile, env.SSV_OPERATOR_PASSWORD_FILE_TEMPLATE, env.SSV_OPERATOR_PASSWORD_FILE),
        }
      : {
          type: clusterType as 'obol',
          lockFile: first(opts.clusterLock, nodeDir && `${nodeDir}/cluster-lock.json`, env.OBOL_CLUSTER_LOCK_FILE) as string,
          keysDir: first(opts.keysDir, nodeDir && `${nodeDir}/validator_keys`, env.OBOL_KEYSTORES_DIR_TEMPLATE, env.OBOL_KEYSTORES_DIR) as string,
          identityKeyFile: first(opts.identityKey, nodeDir && `${nodeDir}/charon-enr-private-key`),
          nodeIndexes: list(first(opts.nodeIndex, env.OBOL_NODE_INDEXES, env.OBOL_NODE_INDEX)),
        };
  const vaults = opts.vault ?? (env.VAULTS === undefined ? undefined : env.VAULTS.split(',').map((v) => v.trim()).filter(Boolean));
  const httpPort = integer(first(opts.httpPort, env.SIDECAR_HTTP_PORT));
  return {
    network: first(opts.network, env.NETWORK) as SidecarConfigInput['network'],
    devnetGenesisValidatorsRoot: first(opts.devnetGenesisValidatorsRoot, env.DEVNET_GENESIS_VALIDATORS_ROOT),
    relayer: {
      url: first(opts.relayerUrl, env.RELAYER_ENDPOINT) as string,
      api: first(opts.relayerApi, env.RELAYER_API) as 'auto' | 'current' | 'legacy' | undefined,
      timeoutMs: seconds(first(opts.relayerTimeout, env.RELAYER_TIMEOUT)),
      token: relayerToken ?? first(env.RELAYER_SIDECAR_TOKEN),
    },
    pollIntervalMs: seconds(first(opts.pollInterval, env.POLL_INTERVAL)),
    maxBackoffMs: seconds(opts.maxBackoff),
    vaults,
    cluster,
    http: httpPort === undefined ? undefined : { host: first(opts.httpHost, env.SIDECAR_HTTP_HOST), port: httpPort },
    logLevel: first(opts.logLevel, env.LOG_LEVEL)?.toLowerCase() as SidecarConfigInput['logLevel'],
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

async function readSecretFile(path: string, option: string): Promise<string> {
  try {
    const value = (await readFile(path, 'utf8')).trim();
    if (value === '') throw new Error('the file is empty');
    return value;
  } catch (err) {
    throw new SidecarError('CONFIG_INVALID', `${option} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function registerSidecarCommand(program: Command, io: CommandIo, env: Env = process.env): void {
  program
    .command('sidecar')
    .description(
      "Sign validators' exit and deposit messages with this node's key shares and push them to the StakeWise DVT relayer " +
        '(Obol/Charon layout as written by create-cluster, or SSV shares); several --node-index values simulate a whole cluster',
    )
    .option('--network <name>', 'mainnet, hoodi, gnosis or devnet [env NETWORK]')
    .option('--devnet-genesis-validators-root <hex>', 'a local devnet\'s genesis validators root [env DEVNET_GENESIS_VALIDATORS_ROOT]')
    .option('--relayer-url <url>', 'relayer base URL [env RELAYER_ENDPOINT]')
    .option('--relayer-api <api>', 'auto (from GET /info), current or legacy [env RELAYER_API]')
    .option('--relayer-timeout <seconds>', 'timeout of each relayer request (default 10) [env RELAYER_TIMEOUT]')
    .option('--relayer-token-file <file>', "file with the bearer token of the relayer's sidecar routes [env RELAYER_SIDECAR_TOKEN(_FILE)]")
    .option('--poll-interval <seconds>', 'pause between polls (default 2) [env POLL_INTERVAL]')
    .option('--max-backoff <seconds>', 'longest pause after repeated relayer failures (default 60)')
    .option('--cluster-type <type>', 'obol (default) or ssv [env CLUSTER_TYPE]')
    .option('--node-dir <dir>', 'node folder (cluster-lock.json, validator_keys/, charon-enr-private-key); may contain {node_index}')
    .option('--cluster-lock <file>', 'cluster-lock.json; may contain {node_index} [env OBOL_CLUSTER_LOCK_FILE]')
    .option('--keys-dir <dir>', 'keystore-*.json + .txt; may contain {node_index} [env OBOL_KEYSTORES_DIR(_TEMPLATE)]')
    .option('--identity-key <file>', 'charon-enr-private-key: finds or confirms the node index')
    .option('--node-index <list>', '0-based node index, or several comma-separated (test mode) [env OBOL_NODE_INDEX(ES)]')
    .option('--ssv-events-file <file>', 'JSON array of ValidatorAdded events {publicKey, operatorIds, shares} [env SSV_EVENTS_FILE]')
    .option('--ssv-operator-id <list>', 'SSV operator id, or several comma-separated (test mode) [env SSV_OPERATOR_ID(S)]')
    .option('--ssv-operator-key-file <file>', 'operator RSA key (SSV JSON or PEM); may contain {operator_id}')
    .option('--ssv-operator-password-file <file>', 'password of the operator key; may contain {operator_id}')
    .option('--vault <address>', 'only sign deposits for this vault (repeat) [env VAULTS]', collect)
    .option('--http-host <host>', 'health/metrics server host (default 127.0.0.1)')
    .option('--http-port <port>', 'health/metrics server port (/health, /ready, /metrics) [env SIDECAR_HTTP_PORT]')
    .option('--log-level <level>', 'debug, info, warn or error [env LOG_LEVEL]')
    .action(async (opts: SidecarCliOptions) => {
      const tokenFile = first(opts.relayerTokenFile, env.RELAYER_SIDECAR_TOKEN_FILE);
      const token = tokenFile === undefined ? undefined : await readSecretFile(tokenFile, '--relayer-token-file');
      const config = parseSidecarConfig(sidecarConfigFromOptions(opts, env, token));
      const logger = createJsonLogger(config.logLevel, io.stderr);
      const running = await startSidecar(config, { logger });
      const stop = () => void running.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await running.done;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await running.stop();
      }
    });
}
