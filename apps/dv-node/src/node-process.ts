/**
 * A DV node as an operator runs it: the node folder written by `dvt create-cluster` (verified
 * lock, identity key), libp2p to the other members, the persistent slashing-protection database,
 * the beacon node, the validator API for the VC, and a health/metrics/status HTTP server.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BeaconClient } from '@dvt/beacon';
import {
  IDENTITY_KEY_FILE,
  LOCK_FILE,
  identityPublicKey,
  loadClusterLock,
  networkForForkVersion,
  parseIdentityKeyFile,
  verifyClusterLock,
} from '@dvt/cluster';
import { DvtError, type Logger, type OpsServer, equalBytes, hexToBytes, libsecp256k1Unavailable, startOpsServer } from '@dvt/common';
import { DvNode, type DvNodeObserver, type ValidatorApiClusterValidator } from '@dvt/dv';
import { type NetworkConfig, getNetwork } from '@dvt/eth2';
import { type ClusterNode, startClusterNode } from '@dvt/p2p';
import { SlashingProtectionDb } from '@dvt/slashing-protection';
import { DvNodeMetrics } from './metrics.js';

export class DvNodeConfigError extends DvtError<'INVALID_NODE_CONFIG' | 'BEACON_NODE_MISMATCH'> {}

export interface DvNodeProcessConfig {
  /** folder with cluster-lock.json and charon-enr-private-key */
  nodeDir: string;
  beaconNodeUrl: string;
  /** where the validator client connects; default 127.0.0.1:3600 */
  validatorApi?: { host?: string; port?: number };
  p2p: {
    /** multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/3610 */
    listen: string[];
    /** addresses of the other members by node index */
    peers: { index: number; addrs: string[] }[];
    reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  };
  /** SQLite file of the slashing-protection database */
  slashingDbFile: string;
  /** health (/health, /ready), metrics (/metrics) and status (/status) server; omit to skip */
  http?: { host?: string; port: number };
  /** process metrics of prom-client; default true */
  defaultMetrics?: boolean;
  /** how long to wait for the beacon node at start; default 60 s */
  beaconWaitMs?: number;
}

export interface DvNodeStatus {
  nodeIndex: number;
  shareIndex: number;
  slot: number;
  peersConnected: number[];
  beaconNodeSynced: boolean;
  ready: boolean;
  duties: { success: number; failure: number };
  decided: number;
  roundChanges: number;
}

export interface RunningDvNode {
  readonly node: DvNode;
  readonly network: NetworkConfig;
  readonly metrics: DvNodeMetrics;
  readonly validatorApiUrl: string;
  /** http://host:port of the health server, when configured */
  readonly httpUrl?: string;
  status(): DvNodeStatus;
  stop(): Promise<void>;
}

/** Loads and checks the node folder: the verified lock, this node's index in it, its identity key. */
export async function loadNodeFolder(nodeDir: string): Promise<{
  network: NetworkConfig;
  nodeIndex: number;
  threshold: number;
  identityKey: Uint8Array;
  peers: Uint8Array[];
  validators: ValidatorApiClusterValidator[];
}> {
  const lock = await loadClusterLock(join(nodeDir, LOCK_FILE));
  const forkVersion = lock.cluster_definition.fork_version;
  const known = networkForForkVersion(forkVersion);
  if (known === undefined) throw new DvNodeConfigError('INVALID_NODE_CONFIG', `the cluster lock is for fork version ${forkVersion}, which is not a network this node knows`);
  const verified = verifyClusterLock(lock, { network: known });
  let keyText: string;
  try {
    keyText = await readFile(join(nodeDir, IDENTITY_KEY_FILE), 'utf8');
  } catch (error) {
    throw new DvNodeConfigError('INVALID_NODE_CONFIG', `cannot read the node identity key ${join(nodeDir, IDENTITY_KEY_FILE)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const identityKey = parseIdentityKeyFile(keyText, join(nodeDir, IDENTITY_KEY_FILE));
  const ownKey = identityPublicKey(identityKey);
  const nodeIndex = verified.operatorPublicKeys.findIndex((key) => equalBytes(key, ownKey));
  if (nodeIndex < 0) throw new DvNodeConfigError('INVALID_NODE_CONFIG', `the identity key in ${nodeDir} is not one of the cluster lock's operators`);
  return {
    network: known,
    nodeIndex,
    threshold: lock.cluster_definition.threshold,
    identityKey,
    peers: verified.operatorPublicKeys,
    validators: lock.distributed_validators.map((dv, i) => ({
      dv: dv.distributed_public_key,
      publicShares: dv.public_shares.map((share, s) => hexToBytes(share, `distributed_validators[${i}].public_shares[${s}]`, 48)),
    })),
  };
}

/** The devnet's genesis comes from its beacon node; public networks must match theirs. */
async function networkOfBeaconNode(beacon: BeaconClient, lockNetwork: NetworkConfig, waitMs: number, logger: Logger): Promise<NetworkConfig> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const genesis = await beacon.getGenesis();
      const spec = await beacon.getSpec();
      const network =
        lockNetwork.name === 'devnet'
          ? getNetwork('devnet', { genesisTime: genesis.genesisTime, secondsPerSlot: Number(spec.SECONDS_PER_SLOT), genesisValidatorsRoot: genesis.genesisValidatorsRoot })
          : lockNetwork;
      if (genesis.genesisValidatorsRoot.toLowerCase() !== network.genesisValidatorsRoot.toLowerCase()) {
        throw new DvNodeConfigError('BEACON_NODE_MISMATCH', `the beacon node's genesis validators root ${genesis.genesisValidatorsRoot} is not ${network.name}'s (${network.genesisValidatorsRoot})`);
      }
      return network;
    } catch (error) {
      if (error instanceof DvNodeConfigError || Date.now() > deadline) throw error;
      logger.warn('beacon node not reachable yet; retrying', { attempt, error: (error as Error).message });
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * attempt)));
    }
  }
}

export async function startDvNodeProcess(config: DvNodeProcessConfig, logger: Logger): Promise<RunningDvNode> {
  const folder = await loadNodeFolder(config.nodeDir);
  const beacon = new BeaconClient({ baseUrl: config.beaconNodeUrl });
  const network = await networkOfBeaconNode(beacon, folder.network, config.beaconWaitMs ?? 60_000, logger);
  const metrics = new DvNodeMetrics(config.defaultMetrics ?? true);
  const slashing = SlashingProtectionDb.open({ file: config.slashingDbFile, genesisValidatorsRoot: network.genesisValidatorsRoot });
  let p2p: ClusterNode | undefined;
  let node: DvNode | undefined;
  let server: OpsServer | undefined;
  const counts = { success: 0, failure: 0, decided: 0, roundChanges: 0 };
  let synced = false;
  let syncTimer: ReturnType<typeof setInterval> | undefined;
  const cleanup = async (): Promise<void> => {
    if (syncTimer) clearInterval(syncTimer);
    await node?.stop();
    await p2p?.stop();
    if (server) await server.close();
    slashing.close();
  };
  try {
    p2p = await startClusterNode({
      identityKey: folder.identityKey,
      selfIndex: folder.nodeIndex,
      listen: config.p2p.listen,
      peers: folder.peers.map((publicKey, index) => ({ index, publicKey, addrs: config.p2p.peers.find((peer) => peer.index === index)?.addrs ?? [] })),
      reconnect: config.p2p.reconnect,
      logger: { debug: (message, fields) => logger.debug(message, fields), warn: (message, fields) => logger.warn(message, fields) },
    });
    const metricsObserver = metrics.observer();
    const observer: DvNodeObserver = {
      ...metricsObserver,
      onDecided: (duty, round, durationMs, dvs) => {
        counts.decided++;
        metricsObserver.onDecided?.(duty, round, durationMs, dvs);
      },
      onRoundChange: () => counts.roundChanges++,
      onDutyResult: (duty, ok, dvs, reason) => {
        counts[ok ? 'success' : 'failure']++;
        metricsObserver.onDutyResult?.(duty, ok, dvs, reason);
      },
    };
    node = new DvNode({
      network,
      nodeIndex: folder.nodeIndex,
      threshold: folder.threshold,
      validators: folder.validators,
      peers: folder.peers,
      identityKey: folder.identityKey,
      messaging: p2p,
      beacon,
      beaconNodeUrl: config.beaconNodeUrl,
      slashing,
      validatorApi: { host: config.validatorApi?.host ?? '127.0.0.1', port: config.validatorApi?.port ?? 3600 },
      logger,
      observer,
    });
    const running = node;
    p2p.on('peerUp', (peer) => {
      metrics.peersConnected.set(p2p!.connectedPeers().length);
      logger.info('peer connected', { peer });
      running.peerReconnected(peer);
    });
    p2p.on('peerDown', (peer) => {
      metrics.peersConnected.set(p2p!.connectedPeers().length);
      logger.warn('peer disconnected', { peer });
    });
    await node.start();
    const checkSync = () =>
      beacon
        .getSyncing()
        .then((sync) => (synced = !sync.isSyncing))
        .catch(() => (synced = false));
    await checkSync();
    syncTimer = setInterval(() => void checkSync(), 5000);
    syncTimer.unref();
  } catch (error) {
    await cleanup();
    throw error;
  }
  const status = (): DvNodeStatus => {
    const peersConnected = p2p!.connectedPeers();
    return {
      nodeIndex: folder.nodeIndex,
      shareIndex: folder.nodeIndex + 1,
      slot: Math.floor((Date.now() / 1000 - network.genesisTime) / network.secondsPerSlot),
      peersConnected,
      beaconNodeSynced: synced,
      ready: synced && peersConnected.length + 1 >= folder.threshold,
      duties: { success: counts.success, failure: counts.failure },
      decided: counts.decided,
      roundChanges: counts.roundChanges,
    };
  };
  if (config.http) {
    server = await startOpsServer(
      config.http.host ?? '127.0.0.1',
      config.http.port,
      {
        '/health': () => ({ status: 200, body: { status: 'ok' } }),
        '/ready': () => {
          const s = status();
          return { status: s.ready ? 200 : 503, body: { status: s.ready ? 'ok' : 'unavailable', beaconNodeSynced: s.beaconNodeSynced, peersConnected: s.peersConnected } };
        },
        '/status': () => ({ status: 200, body: status() }),
      },
      metrics.registry,
    );
  }
  const httpUrl = server?.url;
  const slowSecp256k1 = libsecp256k1Unavailable();
  if (slowSecp256k1 !== undefined) logger.warn('QBFT signatures run on node:crypto, about 6x slower than libsecp256k1', { reason: slowSecp256k1 });
  logger.info('DV node running', { node: folder.nodeIndex, validatorApi: node.validatorApi.url, http: httpUrl });
  let stopped: Promise<void> | undefined;
  return {
    node,
    network,
    metrics,
    validatorApiUrl: node.validatorApi.url,
    httpUrl,
    status,
    stop: () => (stopped ??= cleanup()),
  };
}
