/**
 * Fixtures of the operator tests: a local chain with the test contracts and four mock oracles
 * (approval threshold 3, exit threshold 3), a beacon mock, hot-wallet keystores, a fake relayer
 * holding whole validator keys (for fault tests that need a misbehaving relayer), a JSON-RPC proxy
 * that fails chosen calls, operators started from raw settings with a queue prefix of their own,
 * and Redis clean-up of that prefix.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Contract, type Log, type Wallet, encryptKeystoreJson, parseEther } from 'ethers';
import { Redis } from 'ioredis';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositDataRoot, depositSigningRoot, getNetwork, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { type ValidatorType, encodeValidators, signTypedData, validatorsManagerNonceRoot, vaultValidatorsTypedData } from '@dvt/stakewise';
import { generateSecretKey, reshareAndEncryptSignature, secretKeyToPublicKey, sign } from '@dvt/tbls';
import {
  BeaconNodeMock,
  type LocalChain,
  type MockOracleSet,
  type StakewiseDeployment,
  deployStakewiseContracts,
  mockOracleWallets,
  startLocalChain,
  startMockOracles,
} from '@dvt/testing';
import { type CreatedCluster, createCluster, writeClusterFolders } from '@dvt/cluster';
import { type OperatorOverrides, type RunningOperator, startOperator } from '../../apps/operator/src/app.js';
import { type RunningRelayer, startRelayer } from '../../apps/relayer/src/app.js';
import { consolidationValidators, fundingValidators, withdrawalValidators } from '../../apps/relayer/src/chain/validators-manager.js';
import { type RawSettings as RelayerRawSettings, parseRelayerConfig } from '../../apps/relayer/src/config.js';
import { silentLogger as relayerSilentLogger } from '../../apps/relayer/src/logger.js';
import { type RunningSidecar, startSidecar } from '../../apps/sidecar/src/app.js';
import { parseSidecarConfig } from '../../apps/sidecar/src/config.js';
import { silentLogger as sidecarSilentLogger } from '../../apps/sidecar/src/logger.js';
import { type RawSettings, parseOperatorConfig } from '../../apps/operator/src/config.js';
import { type Logger, memoryLogger } from '../../apps/operator/src/logger.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const ORACLE_COUNT = 4;
export const THRESHOLD = 3;
export const GWEI_32_ETH = 32_000_000_000;

export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'operator-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A V3 keystore with cheap scrypt parameters (tests only) and its password file. */
export async function writeHotWallet(dir: string, wallet: Wallet, name = 'wallet'): Promise<{ file: string; passwordFile: string }> {
  const password = `pw-${randomBytes(4).toString('hex')}`;
  const json = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, { scrypt: { N: 1 << 10 } });
  const file = join(dir, `${name}.json`);
  const passwordFile = join(dir, `${name}.password`);
  await writeFile(file, json);
  await writeFile(passwordFile, `${password}\n`);
  return { file, passwordFile };
}

/** Deletes every Redis key under the queue prefix (queue, schedulers, intents). */
export async function clearRedisPrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) removed += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

export function uniquePrefix(label: string): string {
  return `dvt-op-test-${label}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

// ---- chain + oracles ----

export interface ChainFixture {
  chain: LocalChain;
  deployment: StakewiseDeployment;
  network: NetworkConfig;
  vault: Contract;
  depositContract: Contract;
  oracleWallets: Wallet[];
  oracles: MockOracleSet;
  /** the vault's validators manager */
  manager: Wallet;
  /** the operator's transaction sender */
  hotWallet: Wallet;
  beacon: BeaconNodeMock;
  dir: TempDir;
  protocolConfigFile: string;
  fund(eth: number): Promise<void>;
  /** events `name` of `contract` since deployment */
  events(contract: Contract, name: string): Promise<unknown[][]>;
  stop(): Promise<void>;
}

export interface ChainFixtureOptions {
  /** who manages the vault: a separate key (relayer mode) or the hot wallet (deposit-data mode) */
  managerIsHotWallet?: boolean;
  /** oracles check registry root and manager signature on chain (default true) */
  oraclesCheckChain?: boolean;
}

export async function startChainFixture(options: ChainFixtureOptions = {}): Promise<ChainFixture> {
  const dir = await tempDir();
  const chain = await startLocalChain();
  const hotWallet = chain.wallet(2);
  const manager = options.managerIsHotWallet ? hotWallet : chain.wallet(1);
  const oracleWallets = mockOracleWallets(ORACLE_COUNT, `oracle-${randomBytes(3).toString('hex')}`);
  const deployment = await deployStakewiseContracts(chain, {
    oracles: oracleWallets.map((w) => w.address),
    validatorsMinOracles: THRESHOLD,
    validatorsManager: manager.address,
  });
  const network = getNetwork('devnet', { chainId: chain.chainId, depositContractAddress: deployment.depositContract.address });
  const oracles = await startMockOracles({
    wallets: oracleWallets,
    validatorsMinOracles: THRESHOLD,
    exitSignatureRecoverThreshold: THRESHOLD,
    network,
    chainId: chain.chainId,
    keeper: deployment.keeper.address,
    chain: options.oraclesCheckChain === false ? undefined : { provider: chain.provider, depositContract: deployment.depositContract.address },
  });
  const beacon = new BeaconNodeMock({ network });
  await beacon.start();
  const protocolConfigFile = join(dir.path, 'oracles.json');
  await writeFile(protocolConfigFile, JSON.stringify(oracles.configDocument));
  const vault = deployment.vault.contract;
  const depositContract = deployment.depositContract.contract;
  return {
    chain,
    deployment,
    network,
    vault,
    depositContract,
    oracleWallets,
    oracles,
    manager,
    hotWallet,
    beacon,
    dir,
    protocolConfigFile,
    async fund(eth) {
      const depositor = chain.wallet(5);
      await (await (vault.connect(depositor) as Contract).getFunction('deposit')(depositor.address, '0x0000000000000000000000000000000000000000', { value: parseEther(String(eth)) })).wait();
    },
    async events(contract, name) {
      const logs: Log[] = await chain.provider.getLogs({ address: await contract.getAddress(), fromBlock: deployment.fromBlock, toBlock: 'latest' });
      return logs
        .map((log) => contract.interface.parseLog(log))
        .filter((parsed) => parsed?.name === name)
        .map((parsed) => parsed!.args.toArray());
    },
    async stop() {
      await oracles.stop();
      await beacon.stop();
      await chain.stop();
      await dir.remove();
    },
  };
}

// ---- operator ----

export interface TestOperator {
  operator: RunningOperator;
  logger: Logger & { lines: { level: string; msg: string; [k: string]: unknown }[] };
  prefix: string;
}

/** Raw settings of an operator against the fixture. */
export async function operatorSettings(fx: ChainFixture, relayerUrl: string, prefix: string, extra: RawSettings = {}): Promise<RawSettings> {
  const wallet = await writeHotWallet(fx.dir.path, fx.hotWallet, `hot-${prefix}`);
  return {
    NETWORK: 'devnet',
    DEVNET_CHAIN_ID: String(fx.chain.chainId),
    DEPOSIT_CONTRACT_ADDRESS: fx.deployment.depositContract.address,
    VAULT: fx.deployment.vault.address,
    KEEPER_ADDRESS: fx.deployment.keeper.address,
    EXECUTION_ENDPOINTS: fx.chain.rpcUrl,
    CONSENSUS_ENDPOINTS: fx.beacon.url,
    RELAYER_ENDPOINT: relayerUrl,
    RELAYER_POLL_INTERVAL: '0.05',
    RELAYER_READY_TIMEOUT: '15',
    WALLET_FILE: wallet.file,
    WALLET_PASSWORD_FILE: wallet.passwordFile,
    PROTOCOL_CONFIG_FILE: fx.protocolConfigFile,
    ORACLES_VALIDATORS_TIMEOUT: '2',
    DVT_REDIS_URL: REDIS_URL,
    DVT_QUEUE_PREFIX: prefix,
    POLL_INTERVAL: '0.25',
    JOB_ATTEMPTS: '4',
    JOB_BACKOFF: '0.1',
    JOB_LOCK_DURATION: '5',
    JOB_STALLED_INTERVAL: '1',
    TX_CONFIRMATION_TIMEOUT: '10',
    METRICS_PORT: '0',
    ...extra,
  };
}

export async function startTestOperator(settings: RawSettings, overrides: OperatorOverrides = {}): Promise<TestOperator> {
  const logger = memoryLogger('debug');
  const config = parseOperatorConfig(settings);
  const operator = await startOperator(config, { logger, defaultMetrics: false, receiptPollMs: 50, ...overrides });
  return { operator, logger, prefix: config.redis.prefix };
}

/** Log lines whose message matches. */
export function logged(op: TestOperator, pattern: RegExp): { level: string; msg: string; [k: string]: unknown }[] {
  return op.logger.lines.filter((l) => pattern.test(l.msg) || pattern.test(String(l.error ?? '')));
}

// ---- a fake relayer with whole keys ----

export interface FakeRelayerOptions {
  network: NetworkConfig;
  fx: ChainFixture;
  validatorType: ValidatorType;
  keys: number;
}

/**
 * Serves /info, /register (current API) and POST /validators (legacy) from validator keys it holds
 * whole: deposit and exit signatures are real, exit signatures are re-shared and encrypted to the
 * fixture's oracles, the manager signature is real. Knobs make it misbehave.
 */
export class FakeRelayer {
  readonly secretKeys: Uint8Array[];
  readonly publicKeys: string[];
  /** answers with nulls ("not ready") this many times first */
  pendingAnswers = 0;
  /** replaces the first validator's deposit signature by another key's */
  corruptDepositSignature = false;
  /** the next legacy POST /validators binds keys from this index */
  legacyStartIndex = 0;
  /** who signs /fund, /withdraw, /consolidate (default the validators manager) */
  managerActionSigner?: Wallet;
  readonly requests: { path: string; body: unknown }[] = [];
  private server?: Server;

  constructor(private readonly opts: FakeRelayerOptions) {
    this.secretKeys = Array.from({ length: opts.keys }, () => generateSecretKey());
    this.publicKeys = this.secretKeys.map((k) => bytesToHex(secretKeyToPublicKey(k)));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async deposited(): Promise<Set<string>> {
    const args = await this.opts.fx.events(this.opts.fx.depositContract, 'DepositEvent');
    return new Set(args.map((a) => String(a[0]).toLowerCase()));
  }

  private shards(secretKey: Uint8Array, validatorIndex: number) {
    const message = voluntaryExitSigningData(this.opts.network, validatorIndex).signingRoot;
    const { publicKeyShards, encryptedShards } = reshareAndEncryptSignature({
      publicKey: secretKeyToPublicKey(secretKey),
      signature: sign(secretKey, message),
      message,
      threshold: THRESHOLD,
      oraclePublicKeys: this.opts.fx.oracleWallets.map((w) => hexToBytes(`0x${w.signingKey.publicKey.slice(4)}`)),
    });
    return { public_keys: publicKeyShards.map(bytesToHex), encrypted_exit_signatures: encryptedShards.map(bytesToHex) };
  }

  private async register(body: { vault: string; validators_start_index: number; amounts: number[]; validator_type: ValidatorType }) {
    const deposited = await this.deposited();
    const free = this.secretKeys.map((k, i) => ({ k, pk: this.publicKeys[i]! })).filter((v) => !deposited.has(v.pk));
    const picked = free.slice(0, body.amounts.length);
    if (this.pendingAnswers > 0) {
      this.pendingAnswers--;
      return {
        validators: picked.map((v, i) => ({ public_key: v.pk, amount: body.amounts[i], deposit_signature: null, exit_signature: null, oracles_exit_signature_shares: null })),
        validators_manager_signature: null,
      };
    }
    const credentials = vaultWithdrawalCredentials(body.vault, body.validator_type);
    const validators = picked.map((v, i) => {
      const amount = body.amounts[i]!;
      const signer = this.corruptDepositSignature && i === 0 ? generateSecretKey() : v.k;
      const signature = sign(signer, depositSigningRoot(this.opts.network, { pubkey: v.pk, withdrawalCredentials: credentials, amount }));
      return { v, amount, signature: bytesToHex(signature), index: body.validators_start_index + i };
    });
    const bytes = encodeValidators(
      validators.map((x) => ({
        publicKey: x.v.pk,
        signature: x.signature,
        depositDataRoot: depositDataRoot({ pubkey: x.v.pk, withdrawalCredentials: credentials, amount: x.amount, signature: x.signature }),
        amountGwei: x.amount,
      })),
      body.validator_type,
    );
    const root = (await this.opts.fx.depositContract.getFunction('get_deposit_root')()) as string;
    return {
      validators: validators.map((x) => ({
        public_key: x.v.pk,
        amount: x.amount,
        deposit_signature: x.signature,
        exit_signature: null,
        oracles_exit_signature_shares: this.shards(x.v.k, x.index),
      })),
      validators_manager_signature: validators.length === 0 ? null : signTypedData(vaultValidatorsTypedData(this.opts.fx.chain.chainId, body.vault, root, bytes), this.opts.fx.manager.privateKey),
    };
  }

  private legacy(body: { public_keys: string[] }) {
    const ready = this.pendingAnswers <= 0;
    if (!ready) this.pendingAnswers--;
    return {
      ready,
      validators: body.public_keys.map((pk, i) => {
        const k = this.secretKeys[this.publicKeys.indexOf(pk)];
        return { public_key: pk, oracles_exit_signature_shares: ready && k ? this.shards(k, this.legacyStartIndex + i) : null };
      }),
    };
  }

  /** Signs like the suite's relayer: VaultValidators(bytes32(validatorsManagerNonce), validators). */
  private async managerAction(path: string, body: Record<string, unknown>) {
    const vault = String(body.vault);
    const keys = (body.public_keys ?? []) as string[];
    const amounts = (body.amounts ?? []) as number[];
    const validators =
      path === '/fund'
        ? fundingValidators(vault, keys.map((publicKey, i) => ({ publicKey, amountGwei: amounts[i]! })))
        : path === '/withdraw'
          ? withdrawalValidators(keys.map((publicKey, i) => ({ publicKey, amountGwei: amounts[i]! })))
          : consolidationValidators((body.source_public_keys as string[]).map((source, i) => ({ source, target: (body.target_public_keys as string[])[i]! })));
    const nonce = (await this.opts.fx.vault.getFunction('validatorsManagerNonce')()) as bigint;
    const signer = this.managerActionSigner ?? this.opts.fx.manager;
    return { validators_manager_signature: signTypedData(vaultValidatorsTypedData(this.opts.fx.chain.chainId, vault, validatorsManagerNonceRoot(nonce), validators), signer.privateKey) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push({ path: `${req.method} ${path}`, body });
    const send = (status: number, json: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    try {
      if (req.method === 'GET' && path === '/info') return send(200, { network: this.opts.network.name, validators_manager_address: this.opts.fx.manager.address });
      if (req.method === 'POST' && path === '/register') return send(200, await this.register(body as Parameters<FakeRelayer['register']>[0]));
      if (req.method === 'POST' && path === '/validators') return send(200, this.legacy(body as { public_keys: string[] }));
      if (req.method === 'POST' && (path === '/fund' || path === '/withdraw' || path === '/consolidate')) return send(200, await this.managerAction(path, body as Record<string, unknown>));
      send(404, { error: 'NOT_FOUND', message: path });
    } catch (err) {
      send(500, { error: 'INTERNAL', message: (err as Error).message });
    }
  }
}

// ---- a JSON-RPC proxy that fails chosen calls ----

export interface RpcFault {
  method: string;
  /** how many calls it hits */
  times: number;
  /** 'refuse': answer 503 without forwarding; 'lose-answer': forward, then answer 503 (the node did act) */
  mode: 'refuse' | 'lose-answer';
}

export class FlakyRpcProxy {
  readonly faults: RpcFault[] = [];
  readonly calls: { method: string; failed: boolean }[] = [];
  private server?: Server;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = (JSON.parse(text) as { method?: string }).method ?? '?';
    const fault = this.faults.find((f) => f.method === method && f.times > 0);
    if (fault) fault.times--;
    this.calls.push({ method, failed: fault !== undefined });
    if (fault?.mode === 'refuse') {
      res.writeHead(503).end('node unavailable');
      return;
    }
    const upstream = await fetch(this.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    const answer = await upstream.text();
    if (fault?.mode === 'lose-answer') {
      res.writeHead(503).end('connection lost');
      return;
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(answer);
  }
}

// ---- the suite's relayer and sidecars over a trusted-dealer cluster ----

export interface DvtStack {
  cluster: CreatedCluster;
  clusterDir: string;
  relayer: RunningRelayer;
  sidecars: RunningSidecar[];
  stop(): Promise<void>;
}

export interface DvtStackOptions {
  validatorType: ValidatorType;
  validators: number;
  /** sidecar API generation */
  api: 'current' | 'legacy';
  /** give the relayer the validators manager's key (relayer mode) */
  relayerSignsAsManager: boolean;
  /** nodes whose sidecar runs (default all four) */
  sidecarNodes?: number[];
}

/** A 4-node cluster (threshold 3) for the fixture's vault, the relayer in process (SQLite), and one sidecar per running node. */
export async function startDvtStack(fx: ChainFixture, opts: DvtStackOptions): Promise<DvtStack> {
  const cluster = createCluster({
    network: fx.network,
    operators: ORACLE_COUNT,
    validators: opts.validators,
    withdrawalAddress: fx.deployment.vault.address,
    validatorType: opts.validatorType,
    feeRecipient: fx.deployment.vault.address,
  });
  const clusterDir = join(fx.dir.path, 'cluster');
  await writeClusterFolders(cluster, clusterDir, { kdf: 'pbkdf2', fastKdfForTests: true });
  const settings: RelayerRawSettings = {
    NETWORK: 'devnet',
    DEVNET_CHAIN_ID: String(fx.chain.chainId),
    DEPOSIT_CONTRACT_ADDRESS: fx.deployment.depositContract.address,
    RELAYER_PORT: '0',
    CONSENSUS_ENDPOINT: fx.beacon.url,
    EXECUTION_ENDPOINT: fx.chain.rpcUrl,
    PROTOCOL_CONFIG_FILE: fx.protocolConfigFile,
    RELAYER_KEYS_FILES: join(clusterDir, 'node0', 'cluster-lock.json'),
    DATABASE: join(fx.dir.path, 'relayer.sqlite'),
    RELAYER_CRYPTO_WORKERS: '0',
    LOG_LEVEL: 'error',
  };
  if (opts.relayerSignsAsManager) {
    const keystore = await writeHotWallet(fx.dir.path, fx.manager, 'manager');
    settings.VALIDATORS_MANAGER_KEYSTORE_FILE = keystore.file;
    settings.VALIDATORS_MANAGER_PASSWORD_FILE = keystore.passwordFile;
  }
  const relayer = await startRelayer(parseRelayerConfig(settings), { logger: relayerSilentLogger, defaultMetrics: false });
  const sidecars: RunningSidecar[] = [];
  try {
    for (const node of opts.sidecarNodes ?? [0, 1, 2, 3]) {
      const config = parseSidecarConfig({
        network: 'devnet',
        relayer: { url: relayer.url, api: opts.api, timeoutMs: 2_000 },
        pollIntervalMs: 50,
        maxBackoffMs: 400,
        vaults: [fx.deployment.vault.address],
        cluster: {
          type: 'obol',
          lockFile: join(clusterDir, 'node{node_index}', 'cluster-lock.json'),
          keysDir: join(clusterDir, 'node{node_index}', 'validator_keys'),
          identityKeyFile: join(clusterDir, 'node{node_index}', 'charon-enr-private-key'),
          nodeIndexes: [node],
        },
      });
      sidecars.push(await startSidecar(config, { logger: sidecarSilentLogger, network: fx.network }));
    }
  } catch (err) {
    for (const s of sidecars) await s.stop();
    await relayer.close();
    throw err;
  }
  return {
    cluster,
    clusterDir,
    relayer,
    sidecars,
    async stop() {
      for (const s of sidecars) await s.stop();
      await relayer.close();
    },
  };
}
