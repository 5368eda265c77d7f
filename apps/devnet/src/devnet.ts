/**
 * The whole suite on one machine with only Node and Redis: an in-process chain with the suite's
 * contracts, mock oracles, the beacon-node mock (duty mode, fast slots), a 4-node DV cluster made
 * on the fly — each dv-node its own `dvt node run` process, with a validator-client mock — the
 * relayer on a SQLite file, the sidecars and the operator. The vault is funded, the operator
 * registers the cluster's validators, deposits become active validators on the beacon mock, and
 * the cluster performs their duties.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Contract, type Log, type Wallet, encryptKeystoreJson, parseEther } from 'ethers';
import { type CreatedCluster, createCluster, writeClusterFolders } from '@dvt/cluster';
import { type Logger, silentLogger } from '@dvt/common';
import { type NetworkConfig, getNetwork } from '@dvt/eth2';
import {
  BeaconNodeMock,
  type LocalChain,
  type MockOracleSet,
  type StakewiseDeployment,
  ValidatorClientMock,
  deployStakewiseContracts,
  mockOracleWallets,
  startLocalChain,
  startMockOracles,
} from '@dvt/testing';
import { type RunningOperator, startOperator } from '../../operator/src/app.js';
import { parseOperatorConfig } from '../../operator/src/config.js';
import { type RunningRelayer, startRelayer } from '../../relayer/src/app.js';
import { parseRelayerConfig } from '../../relayer/src/config.js';
import { type RunningSidecar, startSidecar } from '../../sidecar/src/app.js';
import { parseSidecarConfig } from '../../sidecar/src/config.js';

export interface DevnetOptions {
  /** validators to register (default 4) */
  validators: number;
  secondsPerSlot: number;
  /** stop after this many epochs and judge the run; undefined: run until stopped */
  epochs?: number;
  redisUrl: string;
  /** working folder (default a temporary one, removed at the end) */
  dir?: string;
  /** the `dvt` entry the node processes run (default bin/dvt.js of this checkout) */
  dvtBin?: string;
  logger?: Logger;
}

export interface NodeView {
  index: number;
  pid?: number;
  up: boolean;
  successes: number;
  failures: number;
  decided: number;
  roundChanges: number;
  peers: number;
}

export interface DevnetStatus {
  slot: number;
  epoch: number;
  nodes: NodeView[];
  validatorsRegistered: number;
  validatorsActive: number;
  oracleApprovals: number;
  attestations: number;
  blocks: number;
  offences: number;
}

export interface DevnetSummary {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  status: DevnetStatus;
}

const NODES = 4;
const ORACLES = 4;
const ORACLE_THRESHOLD = 3;

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

async function writeKeystore(dir: string, wallet: Wallet, name: string): Promise<{ file: string; passwordFile: string }> {
  const password = randomBytes(12).toString('hex');
  const json = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, { scrypt: { N: 1 << 12 } });
  const file = join(dir, `${name}.json`);
  const passwordFile = join(dir, `${name}.password`);
  await writeFile(file, json, { mode: 0o600 });
  await writeFile(passwordFile, password, { mode: 0o600 });
  return { file, passwordFile };
}

interface NodeProcess {
  index: number;
  child?: ChildProcess;
  httpPort: number;
  validatorApiPort: number;
  p2pPort: number;
  up: boolean;
  last?: { successes: number; failures: number; decided: number; roundChanges: number; peers: number };
}

export class Devnet {
  private dir!: string;
  private ownDir = false;
  private chain?: LocalChain;
  private deployment?: StakewiseDeployment;
  private oracles?: MockOracleSet;
  private beacon?: BeaconNodeMock;
  private relayer?: RunningRelayer;
  private sidecar?: RunningSidecar;
  private operator?: RunningOperator;
  private cluster?: CreatedCluster;
  private readonly nodes: NodeProcess[] = [];
  private readonly vcs: (ValidatorClientMock | undefined)[] = [];
  private network!: NetworkConfig;
  private depositTimer?: ReturnType<typeof setInterval>;
  private readonly activatedAtSlot = new Map<string, number>();
  private readonly logger: Logger;
  private stopping = false;
  private registered = 0;

  constructor(private readonly options: DevnetOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  get genesisTime(): number {
    return this.network.genesisTime;
  }

  currentSlot(): number {
    return Math.floor((Date.now() / 1000 - this.network.genesisTime) / this.network.secondsPerSlot);
  }

  async start(onProgress: (message: string) => void = () => {}): Promise<void> {
    this.ownDir = this.options.dir === undefined;
    this.dir = this.options.dir ?? (await mkdtemp(join(tmpdir(), 'dvt-devnet-')));
    await mkdir(this.dir, { recursive: true });
    onProgress(`working folder ${this.dir}`);

    this.chain = await startLocalChain();
    const manager = this.chain.wallet(1);
    const hotWallet = this.chain.wallet(2);
    const oracleWallets = mockOracleWallets(ORACLES, `devnet-${randomBytes(3).toString('hex')}`);
    this.deployment = await deployStakewiseContracts(this.chain, { oracles: oracleWallets.map((w) => w.address), validatorsMinOracles: ORACLE_THRESHOLD, validatorsManager: manager.address });
    const vaultAddress = this.deployment.vault.address;
    onProgress(`local chain ${this.chain.rpcUrl}: vault ${vaultAddress}, keeper ${this.deployment.keeper.address}, deposit contract ${this.deployment.depositContract.address}`);

    const genesisTime = Math.floor(Date.now() / 1000) + 20;
    this.network = getNetwork('devnet', { chainId: this.chain.chainId, depositContractAddress: this.deployment.depositContract.address, genesisTime, secondsPerSlot: this.options.secondsPerSlot });
    this.oracles = await startMockOracles({
      wallets: oracleWallets,
      validatorsMinOracles: ORACLE_THRESHOLD,
      exitSignatureRecoverThreshold: ORACLE_THRESHOLD,
      network: this.network,
      chainId: this.chain.chainId,
      keeper: this.deployment.keeper.address,
      chain: { provider: this.chain.provider, depositContract: this.deployment.depositContract.address },
    });
    const protocolConfigFile = join(this.dir, 'oracles.json');
    await writeFile(protocolConfigFile, JSON.stringify(this.oracles.configDocument));
    onProgress(`${ORACLES} mock oracles, ${ORACLE_THRESHOLD} approvals needed`);

    this.cluster = createCluster({
      network: this.network,
      operators: NODES,
      validators: this.options.validators,
      withdrawalAddress: vaultAddress,
      validatorType: '0x01',
      feeRecipient: vaultAddress,
    });
    const clusterDir = join(this.dir, 'cluster');
    await writeClusterFolders(this.cluster, clusterDir, { kdf: 'pbkdf2', fastKdfForTests: true });
    const dvs = this.cluster.lock.distributed_validators.map((dv) => dv.distributed_public_key.toLowerCase());
    onProgress(`cluster of ${NODES} nodes (threshold ${this.cluster.lock.cluster_definition.threshold}) with ${dvs.length} validators in ${clusterDir}`);

    this.beacon = new BeaconNodeMock({ network: this.network, dutyChain: { proposers: dvs } });
    await this.beacon.start();
    onProgress(`beacon node mock ${this.beacon.url}: ${this.options.secondsPerSlot} s slots, genesis in ${genesisTime - Math.floor(Date.now() / 1000)} s`);

    this.relayer = await startRelayer(
      parseRelayerConfig({
        NETWORK: 'devnet',
        DEVNET_CHAIN_ID: String(this.chain.chainId),
        DEPOSIT_CONTRACT_ADDRESS: this.deployment.depositContract.address,
        RELAYER_PORT: '0',
        CONSENSUS_ENDPOINT: this.beacon.url,
        EXECUTION_ENDPOINT: this.chain.rpcUrl,
        PROTOCOL_CONFIG_FILE: protocolConfigFile,
        RELAYER_KEYS_FILES: join(clusterDir, 'node0', 'cluster-lock.json'),
        DATABASE: join(this.dir, 'relayer.sqlite'),
        VALIDATORS_MANAGER_KEYSTORE_FILE: (await writeKeystore(this.dir, manager, 'manager')).file,
        VALIDATORS_MANAGER_PASSWORD_FILE: join(this.dir, 'manager.password'),
        RELAYER_CRYPTO_WORKERS: '0',
        LOG_LEVEL: 'error',
      }),
      { defaultMetrics: false, network: this.network },
    );
    onProgress(`relayer ${this.relayer.url} (SQLite ${join(this.dir, 'relayer.sqlite')})`);

    this.sidecar = await startSidecar(
      parseSidecarConfig({
        network: 'devnet',
        relayer: { url: this.relayer.url, api: 'current', timeoutMs: 5_000 },
        pollIntervalMs: 250,
        maxBackoffMs: 2_000,
        vaults: [vaultAddress],
        cluster: {
          type: 'obol',
          lockFile: join(clusterDir, 'node{node_index}', 'cluster-lock.json'),
          keysDir: join(clusterDir, 'node{node_index}', 'validator_keys'),
          identityKeyFile: join(clusterDir, 'node{node_index}', 'charon-enr-private-key'),
          nodeIndexes: [0, 1, 2, 3],
        },
      }),
      { logger: silentLogger, network: this.network },
    );
    onProgress('sidecar (test mode) signing for nodes 0–3');

    await this.startNodes(clusterDir, onProgress);

    const wallet = await writeKeystore(this.dir, hotWallet, 'hot-wallet');
    this.operator = await startOperator(
      parseOperatorConfig({
        NETWORK: 'devnet',
        DEVNET_CHAIN_ID: String(this.chain.chainId),
        DEPOSIT_CONTRACT_ADDRESS: this.deployment.depositContract.address,
        VAULT: vaultAddress,
        VALIDATOR_TYPE: '0x01',
        KEEPER_ADDRESS: this.deployment.keeper.address,
        EXECUTION_ENDPOINTS: this.chain.rpcUrl,
        CONSENSUS_ENDPOINTS: this.beacon.url,
        RELAYER_ENDPOINT: this.relayer.url,
        RELAYER_POLL_INTERVAL: '0.25',
        RELAYER_READY_TIMEOUT: '60',
        WALLET_FILE: wallet.file,
        WALLET_PASSWORD_FILE: wallet.passwordFile,
        PROTOCOL_CONFIG_FILE: protocolConfigFile,
        DVT_REDIS_URL: this.options.redisUrl,
        DVT_QUEUE_PREFIX: `dvt-devnet-${randomBytes(4).toString('hex')}`,
        POLL_INTERVAL: '1',
        METRICS_PORT: '0',
        LOG_LEVEL: process.env.DEVNET_OPERATOR_LOG_LEVEL ?? 'error',
      }),
      { defaultMetrics: false, network: this.network },
    );
    onProgress(`operator (queue on ${this.options.redisUrl})`);

    const depositor = this.chain.wallet(5);
    const eth = 32 * this.options.validators;
    await (await (this.deployment.vault.contract.connect(depositor) as Contract).getFunction('deposit')(depositor.address, '0x' + '00'.repeat(20), { value: parseEther(String(eth)) })).wait();
    onProgress(`vault funded with ${eth} ETH: the operator registers ${this.options.validators} validators`);
    this.depositTimer = setInterval(() => void this.activateDeposits(), 500);
  }

  /** Deposits seen on chain become active validators of the beacon mock (a fast activation queue). */
  private async activateDeposits(): Promise<void> {
    if (!this.chain || !this.deployment || !this.beacon) return;
    try {
      const contract = this.deployment.depositContract.contract;
      const logs: Log[] = await this.chain.provider.getLogs({ address: this.deployment.depositContract.address, fromBlock: this.deployment.fromBlock, toBlock: 'latest' });
      for (const log of logs) {
        const parsed = contract.interface.parseLog(log);
        if (parsed?.name !== 'DepositEvent') continue;
        const pubkey = String(parsed.args[0]).toLowerCase();
        if (this.activatedAtSlot.has(pubkey)) continue;
        this.beacon.addValidator({ pubkey, withdrawalCredentials: String(parsed.args[1]) });
        this.activatedAtSlot.set(pubkey, Math.max(0, this.currentSlot()));
      }
      const vaultLogs = await this.chain.provider.getLogs({ address: this.deployment.vault.address, fromBlock: this.deployment.fromBlock, toBlock: 'latest' });
      this.registered = vaultLogs.map((l) => this.deployment!.vault.contract.interface.parseLog(l)).filter((p) => p?.name === 'ValidatorRegistered' || p?.name === 'V2ValidatorRegistered').length;
    } catch (error) {
      this.logger.warn('reading deposits failed', { error: (error as Error).message });
    }
  }

  private async startNodes(clusterDir: string, onProgress: (message: string) => void): Promise<void> {
    for (let index = 0; index < NODES; index++) this.nodes.push({ index, httpPort: await freePort(), validatorApiPort: await freePort(), p2pPort: await freePort(), up: false });
    for (const node of this.nodes) this.spawnNode(node, clusterDir);
    for (const node of this.nodes) {
      await this.waitReady(node);
      const vc = new ValidatorClientMock({ baseUrl: `http://127.0.0.1:${node.validatorApiPort}`, network: this.network, secretKeys: this.cluster!.nodes[node.index]!.keyShares });
      await vc.start();
      this.vcs[node.index] = vc;
    }
    onProgress(`${NODES} dv-node processes (pids ${this.nodes.map((n) => n.child?.pid).join(', ')}), each with a validator client mock`);
  }

  private spawnNode(node: NodeProcess, clusterDir: string): void {
    const bin = this.options.dvtBin ?? resolve(process.cwd(), 'bin', 'dvt.js');
    const peers = this.nodes.filter((n) => n.index !== node.index).flatMap((n) => ['--peer', `${n.index}=/ip4/127.0.0.1/tcp/${n.p2pPort}`]);
    const child = fork(
      bin,
      [
        'node',
        'run',
        '--node-dir',
        join(clusterDir, `node${node.index}`),
        '--beacon-node-url',
        this.beacon!.url,
        '--validator-api-port',
        String(node.validatorApiPort),
        '--p2p-listen',
        `/ip4/127.0.0.1/tcp/${node.p2pPort}`,
        ...peers,
        '--http-port',
        String(node.httpPort),
        '--slashing-db',
        join(this.dir, `node${node.index}-slashing.sqlite`),
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => this.logger.debug(`node ${node.index}: ${chunk.toString().trim()}`));
    child.on('exit', (code, signal) => {
      node.up = false;
      if (!this.stopping) this.logger.warn(`dv-node ${node.index} exited`, { code, signal });
    });
    node.child = child;
  }

  private async waitReady(node: NodeProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (node.child?.exitCode !== null && node.child?.exitCode !== undefined) throw new Error(`dv-node ${node.index} exited with code ${node.child.exitCode} at start`);
      try {
        const response = await fetch(`http://127.0.0.1:${node.httpPort}/health`);
        if (response.ok) {
          node.up = true;
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`dv-node ${node.index} did not start within 60 s`);
  }

  /** The pid of dv-node `index` (tests kill it). */
  nodePid(index: number): number | undefined {
    return this.nodes[index]?.child?.pid;
  }

  async status(): Promise<DevnetStatus> {
    const views: NodeView[] = [];
    for (const node of this.nodes) {
      let view: NodeView = { index: node.index, pid: node.child?.pid, up: false, successes: node.last?.successes ?? 0, failures: node.last?.failures ?? 0, decided: node.last?.decided ?? 0, roundChanges: node.last?.roundChanges ?? 0, peers: 0 };
      if (node.child && node.child.exitCode === null && node.child.signalCode === null) {
        try {
          const response = await fetch(`http://127.0.0.1:${node.httpPort}/status`, { signal: AbortSignal.timeout(1000) });
          const s = (await response.json()) as { duties: { success: number; failure: number }; decided: number; roundChanges: number; peersConnected: number[] };
          node.last = { successes: s.duties.success, failures: s.duties.failure, decided: s.decided, roundChanges: s.roundChanges, peers: s.peersConnected.length };
          view = { ...view, up: true, ...node.last };
        } catch {
          // unreachable this time: shown as down
        }
      }
      views.push(view);
    }
    const chain = this.beacon!.chain!;
    const slot = this.currentSlot();
    return {
      slot,
      epoch: Math.floor(slot / this.network.slotsPerEpoch),
      nodes: views,
      validatorsRegistered: this.registered,
      validatorsActive: this.activatedAtSlot.size,
      oracleApprovals: this.oracles!.oracles.reduce((sum, o) => sum + o.decisions.filter((d) => d.approved).length, 0),
      attestations: chain.attestations.length,
      blocks: chain.blocks.length,
      offences: chain.offences.length,
    };
  }

  /** Whether every step of the run succeeded (the bounded run's verdict). */
  async summary(): Promise<DevnetSummary> {
    const status = await this.status();
    const chain = this.beacon!.chain!;
    const spe = this.network.slotsPerEpoch;
    const checks: DevnetSummary['checks'] = [];
    checks.push({ name: 'validators registered on the local chain', ok: status.validatorsRegistered === this.options.validators, detail: `${status.validatorsRegistered} of ${this.options.validators}` });
    const approvals = this.oracles!.oracles.map((o) => o.decisions.filter((d) => d.approved).length);
    checks.push({ name: 'oracle shards accepted by the mock oracles', ok: approvals.filter((a) => a > 0).length >= ORACLE_THRESHOLD, detail: `approvals per oracle: ${approvals.join(', ')}` });
    // duties from the epoch after each validator became active, to the last finished slot
    const last = this.currentSlot() - 2;
    let expected = 0;
    let done = 0;
    const missing: string[] = [];
    // from the epoch after activation: the nodes and clients fetch an epoch's duties before it starts
    const validators = [...this.activatedAtSlot].map(([pubkey, slot]) => ({ index: this.beacon!.getValidatorByPubkey(pubkey)!.index, from: (Math.floor(slot / spe) + 1) * spe }));
    for (const v of validators) {
      for (let epoch = Math.floor(v.from / spe); epoch * spe <= last; epoch++) {
        const slot = epoch * spe + ((v.index + epoch) % spe);
        if (slot < v.from || slot > last) continue;
        expected++;
        const roots = new Set(chain.attestations.filter((a) => a.validatorIndex === v.index && a.data.slot === slot).map((a) => a.signingRoot));
        if (roots.size === 1) done++;
        else missing.push(`attestation of validator ${v.index} at slot ${slot}`);
      }
    }
    const firstDutySlot = Math.min(...validators.map((v) => v.from));
    let expectedBlocks = 0;
    let blocks = 0;
    for (let slot = firstDutySlot; slot <= last; slot++) {
      expectedBlocks++;
      const roots = new Set(chain.blocks.filter((b) => b.slot === slot).map((b) => b.signingRoot));
      if (roots.size === 1) blocks++;
      else missing.push(`block at slot ${slot}`);
    }
    checks.push({ name: 'every attestation duty aggregated and broadcast', ok: expected > 0 && done === expected, detail: expected === 0 ? 'no attestation duty fell within the run (duties count from the epoch after activation): run 2 epochs or more' : `${done} of ${expected}` });
    checks.push({ name: 'every proposal duty aggregated and broadcast', ok: expectedBlocks > 0 && blocks === expectedBlocks, detail: `${blocks} of ${expectedBlocks}${missing.length ? `; missing: ${missing.slice(0, 5).join('; ')}` : ''}` });
    checks.push({ name: 'nothing slashable and nothing refused by the beacon node', ok: chain.offences.length === 0 && chain.rejected.length === 0, detail: `${chain.offences.length} offences, ${chain.rejected.length} refused` });
    return { ok: checks.every((c) => c.ok), checks, status };
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.depositTimer) clearInterval(this.depositTimer);
    for (const vc of this.vcs) await vc?.stop();
    await this.operator?.close().catch(() => undefined);
    await this.sidecar?.stop().catch(() => undefined);
    await Promise.all(
      this.nodes.map(
        (node) =>
          new Promise<void>((done) => {
            const child = node.child;
            if (!child || child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    await this.relayer?.close().catch(() => undefined);
    await this.beacon?.stop();
    await this.oracles?.stop();
    await this.chain?.stop();
    if (this.ownDir) await rm(this.dir, { recursive: true, force: true });
  }
}
