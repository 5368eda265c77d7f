/**
 * Assembles a relayer from its configuration: keys, validators manager, database, beacon and
 * execution clients, protocol config, crypto engine, the core, and the NestJS HTTP server. Tests
 * replace any dependency through `RelayerOverrides`.
 */
import { readFile } from 'node:fs/promises';
import { type DynamicModule, type INestApplication, Module, type Provider } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { libsecp256k1Unavailable } from '@dvt/common';
import { BeaconClient } from '@dvt/beacon';
import { type NetworkConfig, getNetwork } from '@dvt/eth2';
import { type TblsExecutor, createInlineTblsExecutor, createTblsWorkerPool } from '@dvt/tbls';
import { BeaconChainView, type ChainView } from './beacon/chain-view.js';
import { EthersExecution, type ExecutionPort, createProvider } from './chain/execution.js';
import { ValidatorsManager } from './chain/validators-manager.js';
import { type RelayerConfig, type SecretSource } from './config.js';
import { RelayerCore } from './core/relayer-core.js';
import { SignatureWork } from './crypto/signature-work.js';
import { RelayerError } from './errors.js';
import { BearerAuthGuard, type ClientRoleName } from './http/auth.guard.js';
import { RelayerExceptionFilter } from './http/exception.filter.js';
import { setupOpenApi } from './http/openapi.js';
import { BEACON_CLIENT, OpsController } from './http/ops.controller.js';
import { CurrentApiController, LegacyApiController } from './http/relayer.controller.js';
import { KeyRegistry } from './keys/key-registry.js';
import { type Logger, NestLogBridge, createJsonLogger } from './logger.js';
import { RelayerMetrics } from './metrics.js';
import { KeeperProtocolConfigSource } from './protocol-config/keeper-source.js';
import { FileProtocolConfigSource, ProtocolConfigProvider, type ProtocolConfigSource } from './protocol-config/protocol-config.js';
import { RelayerStore } from './store/store.js';

export interface RelayerOverrides {
  logger?: Logger;
  clock?: () => number;
  network?: NetworkConfig;
  chain?: ChainView;
  execution?: ExecutionPort;
  protocolSource?: ProtocolConfigSource;
  /** where BLS / ECIES work runs (default: a worker pool of config.cryptoWorkers threads, inline when 0) */
  tbls?: TblsExecutor;
  /** register prom-client's process metrics (default true; tests running many relayers turn it off) */
  defaultMetrics?: boolean;
}

export interface RunningRelayer {
  /** http://host:port */
  url: string;
  app: INestApplication;
  core: RelayerCore;
  store: RelayerStore;
  metrics: RelayerMetrics;
  protocol: ProtocolConfigProvider;
  /** where BLS work runs: 'inline' or 'N worker thread(s)' */
  cryptoMode: string;
  close(): Promise<void>;
}

@Module({})
class RelayerHttpModule {
  static with(providers: Provider[]): DynamicModule {
    return {
      module: RelayerHttpModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [CurrentApiController, LegacyApiController, OpsController],
      providers,
    };
  }
}

async function resolveSecret(source: SecretSource | undefined, name: string): Promise<string | undefined> {
  if (source === undefined) return undefined;
  if ('value' in source) return source.value;
  try {
    const value = (await readFile(source.file, 'utf8')).trim();
    if (value.length === 0) throw new Error('file is empty');
    return value;
  } catch (err) {
    throw new RelayerError('CONFIG_INVALID', `${name} file ${source.file}: ${(err as Error).message}`);
  }
}

export async function startRelayer(config: RelayerConfig, overrides: RelayerOverrides = {}): Promise<RunningRelayer> {
  const logger = overrides.logger ?? createJsonLogger(config.logLevel, (line) => process.stderr.write(line + '\n'));
  const network =
    overrides.network ??
    getNetwork(
      config.network,
      config.network === 'devnet'
        ? Object.fromEntries(
            Object.entries({
              genesisValidatorsRoot: config.devnet.genesisValidatorsRoot,
              chainId: config.devnet.chainId,
              depositContractAddress: config.devnet.depositContractAddress,
            }).filter(([, v]) => v !== undefined),
          )
        : undefined,
    );
  const tokens: Partial<Record<ClientRoleName, string>> = {};
  const operatorToken = await resolveSecret(config.auth.operator, 'RELAYER_OPERATOR_TOKEN');
  const sidecarToken = await resolveSecret(config.auth.sidecar, 'RELAYER_SIDECAR_TOKEN');
  if (operatorToken !== undefined) tokens.operator = operatorToken;
  if (sidecarToken !== undefined) tokens.sidecar = sidecarToken;

  const keys = await KeyRegistry.load(config.keys);
  const manager = config.manager ? await ValidatorsManager.fromKeystore(config.manager.keystoreFile, config.manager.passwordFile) : undefined;
  const metrics = new RelayerMetrics(overrides.defaultMetrics ?? true);
  const beacon = new BeaconClient({ baseUrl: config.beacon.url, timeoutMs: config.beacon.timeoutMs });
  const provider = config.execution ? createProvider(config.execution.url, config.execution.timeoutMs) : undefined;
  const execution = overrides.execution ?? (provider ? new EthersExecution(provider, network.depositContractAddress) : undefined);
  const protocolSource =
    overrides.protocolSource ??
    (config.protocolConfig.kind === 'file'
      ? new FileProtocolConfigSource(config.protocolConfig.file)
      : new KeeperProtocolConfigSource({
          provider: provider!,
          keeperAddress: config.protocolConfig.keeperAddress,
          fromBlock: config.protocolConfig.fromBlock,
          logChunkBlocks: config.protocolConfig.logChunkBlocks,
          ipfsGateways: config.protocolConfig.ipfsGateways,
          ipfsTimeoutMs: config.protocolConfig.ipfsTimeoutMs,
        }));
  const protocol = new ProtocolConfigProvider(
    protocolSource,
    config.protocolConfig.kind === 'chain' ? config.protocolConfig.refreshMs : undefined,
    logger,
    metrics,
  );
  await protocol.start();
  await checkBeaconNetwork(beacon, network, logger);

  const store = await RelayerStore.open(config.database);
  const executor =
    overrides.tbls ?? (config.cryptoWorkers > 0 ? await createTblsWorkerPool({ size: config.cryptoWorkers }) : createInlineTblsExecutor());
  if (executor.fallbackReason !== undefined) logger.info('BLS work runs on the event loop', { reason: executor.fallbackReason });
  const slowSecp256k1 = libsecp256k1Unavailable();
  if (slowSecp256k1 !== undefined) logger.warn('ECIES to the oracles runs in JavaScript, about 4x slower than libsecp256k1', { reason: slowSecp256k1 });
  const crypto = new SignatureWork(executor);
  const core = new RelayerCore({
    network,
    store,
    keys,
    chain: overrides.chain ?? new BeaconChainView(beacon, network),
    protocol,
    crypto,
    metrics,
    logger,
    execution,
    manager,
    validatorLifetimeSeconds: config.validatorLifetimeSeconds,
    maxSubsetSearch: config.maxSubsetSearch,
    clock: overrides.clock,
  });

  try {
    const resumed = await core.resumeRebuilds();
    if (resumed > 0) logger.info('resumed rebuilds left unfinished', { validators: resumed });
  } catch (err) {
    logger.error('resuming unfinished rebuilds failed; they resume when the operator asks again', { error: (err as Error).message });
  }

  let app: NestExpressApplication | undefined;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      RelayerHttpModule.with([
        { provide: RelayerCore, useValue: core },
        { provide: RelayerStore, useValue: store },
        { provide: ProtocolConfigProvider, useValue: protocol },
        { provide: RelayerMetrics, useValue: metrics },
        { provide: BEACON_CLIENT, useValue: beacon },
      ]),
      { logger: new NestLogBridge(logger), bodyParser: false, abortOnError: false },
    );
    app.useBodyParser('json', { limit: config.http.maxBodyBytes });
    app.use(httpMetrics(metrics));
    app.useGlobalFilters(new RelayerExceptionFilter(logger));
    app.useGlobalGuards(new BearerAuthGuard(app.get(Reflector), tokens));
    setupOpenApi(app, network.name);
    await app.listen(config.http.port, config.http.host);
  } catch (err) {
    await app?.close().catch(() => undefined);
    protocol.stop();
    await crypto.close();
    await store.close();
    throw err;
  }
  const address = app.getHttpServer().address() as { port: number };
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  logger.info('relayer listening', {
    url,
    network: network.name,
    database: store.kind,
    keys: keys.size,
    validatorsManager: manager?.address ?? null,
    crypto: crypto.mode,
    auth: Object.keys(tokens),
  });

  let closed = false;
  const running: RunningRelayer = {
    url,
    app,
    core,
    store,
    metrics,
    protocol,
    cryptoMode: crypto.mode,
    async close() {
      if (closed) return;
      closed = true;
      protocol.stop();
      await app!.close();
      await crypto.close();
      await store.close();
      provider?.destroy();
      logger.info('relayer stopped');
    },
  };
  return running;
}

/** The beacon node must be on the configured network; an unreachable node only delays readiness. */
async function checkBeaconNetwork(beacon: BeaconClient, network: NetworkConfig, logger: Logger): Promise<void> {
  try {
    const genesis = await beacon.getGenesis();
    if (genesis.genesisValidatorsRoot !== network.genesisValidatorsRoot.toLowerCase()) {
      throw new RelayerError(
        'CONFIG_INVALID',
        `beacon node ${beacon.baseUrl} is on another network: genesis validators root ${genesis.genesisValidatorsRoot}, ${network.name} has ${network.genesisValidatorsRoot}`,
      );
    }
  } catch (err) {
    if (err instanceof RelayerError) throw err;
    logger.warn('beacon node not reachable at start', { url: beacon.baseUrl, error: (err as Error).message });
  }
}

interface HttpRequest {
  method: string;
  route?: { path?: string };
}
interface HttpResponse {
  statusCode: number;
  on(event: 'finish', listener: () => void): void;
}

function httpMetrics(metrics: RelayerMetrics) {
  return (req: HttpRequest, res: HttpResponse, next: () => void) => {
    const started = performance.now();
    res.on('finish', () => {
      const route = req.route?.path ?? 'unmatched';
      metrics.httpSeconds.observe({ method: req.method, route, status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    next();
  };
}
