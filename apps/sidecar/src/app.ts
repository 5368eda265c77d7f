/** Assembles a sidecar from its configuration: keys, relayer client, loop, health/metrics server. */
import { type NetworkConfig, getNetwork } from '@dvt/eth2';
import { type SidecarConfig } from './config.js';
import { type HealthServer, startHealthServer } from './http.js';
import { loadObolShareSets } from './keys/obol.js';
import { loadSsvShareSets } from './keys/ssv.js';
import { type Logger } from './logger.js';
import { SidecarMetrics } from './metrics.js';
import { HttpRelayer, type RelayerPort } from './relayer.js';
import { ShareBook } from './share-book.js';
import { Sidecar } from './sidecar.js';

export interface StartSidecarOptions {
  logger: Logger;
  /** default: HTTP client of config.relayer */
  relayer?: RelayerPort;
  /** default: getNetwork(config.network) (devnet with other settings: pass it) */
  network?: NetworkConfig;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RunningSidecar {
  sidecar: Sidecar;
  book: ShareBook;
  metrics: SidecarMetrics;
  http?: HealthServer;
  /** settles when the loop ends: resolves on stop(), rejects on NETWORK_MISMATCH */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Loads and checks the key shares (throws before anything runs if they are wrong), then starts. */
export async function loadShareBook(config: SidecarConfig, network: NetworkConfig, logger: Logger): Promise<ShareBook> {
  const sets =
    config.cluster.type === 'obol'
      ? await loadObolShareSets(config.cluster, network, (message, fields) => logger.info(message, fields))
      : await loadSsvShareSets(config.cluster);
  const book = new ShareBook(sets);
  logger.info('key shares loaded', {
    cluster: config.cluster.type,
    shareIndexes: book.shareIndexes(),
    validators: book.validatorCount(),
  });
  return book;
}

export async function startSidecar(config: SidecarConfig, opts: StartSidecarOptions): Promise<RunningSidecar> {
  const network =
    opts.network ??
    getNetwork(
      config.network,
      config.devnetGenesisValidatorsRoot === undefined ? undefined : { genesisValidatorsRoot: config.devnetGenesisValidatorsRoot },
    );
  const book = await loadShareBook(config, network, opts.logger);
  const metrics = new SidecarMetrics();
  const relayer = opts.relayer ?? new HttpRelayer({ baseUrl: config.relayer.url, timeoutMs: config.relayer.timeoutMs, token: config.relayer.token });
  const sidecar = new Sidecar({ config, network, book, relayer, logger: opts.logger, metrics, sleep: opts.sleep });
  const http = config.http === undefined ? undefined : await startHealthServer(config.http.host, config.http.port, () => sidecar.health(), metrics);
  if (http !== undefined) opts.logger.info('health and metrics server listening', { url: http.url });
  const done = sidecar.run();
  // the caller observes `done`; keep an unobserved rejection from crashing the process meanwhile
  done.catch(() => undefined);
  return {
    sidecar,
    book,
    metrics,
    http,
    done,
    stop: async () => {
      sidecar.stop();
      await done.catch(() => undefined);
      await http?.close();
      book.wipe();
    },
  };
}
