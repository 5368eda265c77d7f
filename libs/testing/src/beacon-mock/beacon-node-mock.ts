/**
 * An HTTP beacon node for tests: the standard beacon-API routes the suite reads, over a state the
 * test sets up (validators, pending deposits, sync status, fork), and a record of every request and
 * of what was submitted. One state answers every state id (head, finalized, a slot, a root).
 *
 *   const beacon = new BeaconNodeMock({ network: getNetwork('hoodi') });
 *   await beacon.start();            // 127.0.0.1, random port
 *   beacon.addValidator({ pubkey });  // index = next free
 *   new BeaconClient({ baseUrl: beacon.url });
 *   await beacon.stop();
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  type Fork,
  type PendingDeposit,
  type SyncStatus,
  type ValidatorInfo,
  type ValidatorStatus,
  toForkJson,
  toGenesisJson,
  toPendingDepositJson,
  toSyncingJson,
  toValidatorJson,
} from '@dvt/beacon';
import { type NetworkConfig, forkAtEpoch } from '@dvt/eth2';
import { ssz } from '@lodestar/types';
import { type ChainAnswer, DutyChain, type DutyChainOptions } from './duty-chain.js';

export interface BeaconNodeMockOptions {
  network: NetworkConfig;
  /** serve the Electra pending_deposits route; default true */
  pendingDepositsRoute?: boolean;
  /** serve POST …/validators; default true (false: clients must fall back to GET) */
  postValidatorsRoute?: boolean;
  /**
   * Duty mode: a wall-clock chain from the network's genesis time with deterministic attester and
   * proposer duties, attestation data, block production (v3) and verified, slashing-checked
   * submissions (see duty-chain.ts; `beacon.chain` exposes what was submitted).
   */
  dutyChain?: DutyChainOptions | boolean;
}

export interface MockValidatorInput {
  pubkey: string;
  /** default: the next free index */
  index?: number;
  status?: ValidatorStatus;
  /** gwei; default 32 ETH */
  balance?: number;
  effectiveBalance?: number;
  withdrawalCredentials?: string;
  slashed?: boolean;
  activationEpoch?: number;
  exitEpoch?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** A fault the next matching requests get instead of an answer. */
export interface InjectedFault {
  /** path prefix, e.g. /eth/v1/beacon/states/head/pending_deposits */
  pathPrefix: string;
  status: number;
  /** how many requests it hits; default 1 */
  times?: number;
  /** answer after this delay (ms) instead of a status */
  delayMs?: number;
}

const FAR_FUTURE = Number.POSITIVE_INFINITY;
const GWEI_32_ETH = 32_000_000_000;

export class BeaconNodeMock {
  readonly network: NetworkConfig;
  readonly requests: RecordedRequest[] = [];
  readonly submittedVoluntaryExits: unknown[] = [];
  private readonly validators: ValidatorInfo[] = [];
  private readonly byPubkey = new Map<string, ValidatorInfo>();
  private pendingDeposits: PendingDeposit[] = [];
  private syncing: SyncStatus = { headSlot: 0, syncDistance: 0, isSyncing: false, isOptimistic: false, elOffline: false };
  private healthStatus = 200;
  private headEpoch = 0;
  private faults: InjectedFault[] = [];
  private server?: Server;
  private readonly options: Required<Omit<BeaconNodeMockOptions, 'network' | 'dutyChain'>>;
  /** the duty-mode chain, when enabled */
  readonly chain?: DutyChain;

  constructor(opts: BeaconNodeMockOptions) {
    this.network = opts.network;
    this.options = { pendingDepositsRoute: opts.pendingDepositsRoute ?? true, postValidatorsRoute: opts.postValidatorsRoute ?? true };
    if (opts.dutyChain) this.chain = new DutyChain(opts.network, () => this.validators, opts.dutyChain === true ? {} : opts.dutyChain);
  }

  /** Base URL; only valid after start(). */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('BeaconNodeMock: not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(port = 0): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- state ----

  addValidator(input: MockValidatorInput): ValidatorInfo {
    const pubkey = input.pubkey.toLowerCase();
    if (this.byPubkey.has(pubkey)) throw new Error(`BeaconNodeMock: validator ${pubkey} already exists`);
    const index = input.index ?? this.validators.length;
    if (index !== this.validators.length) throw new Error(`BeaconNodeMock: validators are added in index order; next index is ${this.validators.length}`);
    const balance = input.balance ?? GWEI_32_ETH;
    const validator: ValidatorInfo = {
      index,
      pubkey,
      balance,
      status: input.status ?? 'active_ongoing',
      withdrawalCredentials: (input.withdrawalCredentials ?? '0x' + '00'.repeat(32)).toLowerCase(),
      effectiveBalance: input.effectiveBalance ?? Math.min(balance, GWEI_32_ETH),
      slashed: input.slashed ?? false,
      activationEligibilityEpoch: 0,
      activationEpoch: input.activationEpoch ?? 0,
      exitEpoch: input.exitEpoch ?? FAR_FUTURE,
      withdrawableEpoch: FAR_FUTURE,
    };
    this.validators.push(validator);
    this.byPubkey.set(pubkey, validator);
    return validator;
  }

  /** Adds `count` validators with distinct placeholder public keys (not curve points). */
  addPlaceholderValidators(count: number): void {
    for (let i = 0; i < count; i++) {
      const n = this.validators.length;
      this.addValidator({ pubkey: '0x' + 'ee'.repeat(40) + n.toString(16).padStart(16, '0') });
    }
  }

  get validatorCount(): number {
    return this.validators.length;
  }

  getValidatorByPubkey(pubkey: string): ValidatorInfo | undefined {
    return this.byPubkey.get(pubkey.toLowerCase());
  }

  addPendingDeposit(deposit: Omit<PendingDeposit, 'slot'> & { slot?: number }): void {
    this.pendingDeposits.push({
      pubkey: deposit.pubkey.toLowerCase(),
      withdrawalCredentials: deposit.withdrawalCredentials.toLowerCase(),
      amount: deposit.amount,
      signature: deposit.signature.toLowerCase(),
      slot: deposit.slot ?? this.syncing.headSlot,
    });
  }

  /** Processes the pending deposits queue the way Electra does for new keys: each becomes a validator. */
  activatePendingDeposits(): void {
    for (const d of this.pendingDeposits) {
      const known = this.byPubkey.get(d.pubkey);
      if (known) known.balance += d.amount;
      else this.addValidator({ pubkey: d.pubkey, balance: d.amount, withdrawalCredentials: d.withdrawalCredentials, status: 'pending_queued' });
    }
    this.pendingDeposits = [];
  }

  clearPendingDeposits(): void {
    this.pendingDeposits = [];
  }

  setSyncing(status: Partial<SyncStatus>): void {
    this.syncing = { ...this.syncing, ...status };
  }

  setHealth(status: number): void {
    this.healthStatus = status;
  }

  setHeadEpoch(epoch: number): void {
    this.headEpoch = epoch;
    this.syncing = { ...this.syncing, headSlot: epoch * this.network.slotsPerEpoch };
  }

  injectFault(fault: InjectedFault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  requestsTo(pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix));
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readRaw(req);
    const isSsz = (req.headers['content-type'] ?? '').startsWith('application/octet-stream');
    const body = isSsz ? raw : parseBody(raw);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body });
    const fault = this.faults.find((f) => url.pathname.startsWith(f.pathPrefix) && (f.times ?? 0) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.delayMs !== undefined) await new Promise((r) => setTimeout(r, fault.delayMs));
      return send(res, fault.status, { code: fault.status, message: 'injected fault' });
    }
    try {
      if (this.chain) {
        const answer = this.chainRoute(this.chain, method, url, body, raw, isSsz, req);
        if (answer) return answerWith(res, answer);
      }
      this.route(method, url, body, res);
    } catch (err) {
      send(res, 400, { code: 400, message: (err as Error).message });
    }
  }

  private chainRoute(chain: DutyChain, method: string, url: URL, body: unknown, raw: Buffer, isSsz: boolean, req: IncomingMessage): ChainAnswer | undefined {
    const path = url.pathname;
    const fork = (req.headers['eth-consensus-version'] as string | undefined)?.toLowerCase();
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/eth/v1/node/syncing') {
      this.syncing = { ...this.syncing, headSlot: chain.currentSlot() };
      return undefined;
    }
    if (method === 'POST' && (m = /^\/eth\/v1\/validator\/duties\/attester\/(\d+)$/.exec(path))) {
      if (!Array.isArray(body)) return { status: 400, json: { code: 400, message: 'expected a JSON array of validator indexes' } };
      return { status: 200, json: chain.attesterDuties(Number(m[1]), body.map((x) => Number(x))) };
    }
    if (method === 'GET' && (m = /^\/eth\/v1\/validator\/duties\/proposer\/(\d+)$/.exec(path))) return { status: 200, json: chain.proposerDuties(Number(m[1])) };
    if (method === 'GET' && path === '/eth/v1/validator/attestation_data') {
      const slot = Number(url.searchParams.get('slot'));
      if (!Number.isSafeInteger(slot) || slot < 0) return { status: 400, json: { code: 400, message: 'slot is required' } };
      return { status: 200, json: { data: ssz.phase0.AttestationData.toJson(chain.attestationData(slot)) } };
    }
    if (method === 'GET' && (m = /^\/eth\/v3\/validator\/blocks\/(\d+)$/.exec(path))) {
      return chain.produceBlock(Number(m[1]), url.searchParams.get('randao_reveal') ?? '', (req.headers.accept ?? '').includes('application/octet-stream'));
    }
    if (method === 'POST' && path === '/eth/v2/beacon/pool/attestations') return chain.submitAttestations(fork, body);
    if (method === 'POST' && path === '/eth/v2/beacon/blocks') return chain.submitBlock(false, fork, raw, isSsz);
    if (method === 'POST' && path === '/eth/v2/beacon/blinded_blocks') return chain.submitBlock(true, fork, raw, isSsz);
    if (method === 'POST' && path === '/eth/v1/beacon/pool/voluntary_exits') {
      const answer = chain.submitExit(body);
      if (answer.status === 200) this.submittedVoluntaryExits.push(body);
      return answer;
    }
    return undefined;
  }

  private route(method: string, url: URL, body: unknown, res: ServerResponse): void {
    const path = url.pathname;
    if (method === 'GET' && path === '/eth/v1/beacon/genesis') {
      return send(res, 200, {
        data: toGenesisJson({
          genesisTime: this.network.genesisTime,
          genesisValidatorsRoot: this.network.genesisValidatorsRoot,
          genesisForkVersion: this.network.genesisForkVersion,
        }),
      });
    }
    if (method === 'GET' && path === '/eth/v1/config/spec') return send(res, 200, { data: this.spec() });
    if (method === 'GET' && path === '/eth/v1/node/syncing') return send(res, 200, { data: toSyncingJson(this.syncing) });
    if (method === 'GET' && path === '/eth/v1/node/health') return send(res, this.healthStatus, undefined);
    if (method === 'POST' && path === '/eth/v1/beacon/pool/voluntary_exits') {
      this.submittedVoluntaryExits.push(body);
      return send(res, 200, undefined);
    }
    const state = /^\/eth\/v1\/beacon\/states\/([^/]+)\/(fork|validators|pending_deposits)(?:\/([^/]+))?$/.exec(path);
    if (state) {
      const [, , resource, id] = state;
      if (resource === 'fork' && method === 'GET' && id === undefined) return send(res, 200, { data: toForkJson(this.fork()) });
      if (resource === 'pending_deposits' && method === 'GET' && id === undefined && this.options.pendingDepositsRoute) {
        return send(res, 200, { data: this.pendingDeposits.map(toPendingDepositJson) });
      }
      if (resource === 'validators' && id !== undefined && method === 'GET') {
        const found = this.lookup(decodeURIComponent(id));
        return found ? send(res, 200, { data: toValidatorJson(found) }) : send(res, 404, { code: 404, message: 'Validator not found' });
      }
      if (resource === 'validators' && id === undefined && method === 'GET') {
        const ids = url.searchParams.get('id');
        const statuses = url.searchParams.get('status');
        return send(res, 200, { data: this.select(ids ? ids.split(',') : undefined, statuses ? statuses.split(',') : undefined) });
      }
      if (resource === 'validators' && id === undefined && method === 'POST' && this.options.postValidatorsRoute) {
        const request = (body ?? {}) as { ids?: unknown; statuses?: unknown };
        if (request.ids !== undefined && !Array.isArray(request.ids)) throw new Error('ids: expected an array');
        return send(res, 200, { data: this.select(request.ids as string[] | undefined, request.statuses as string[] | undefined) });
      }
    }
    send(res, 404, { code: 404, message: `route not found: ${method} ${path}` });
  }

  private lookup(id: string): ValidatorInfo | undefined {
    if (id.startsWith('0x')) return this.byPubkey.get(id.toLowerCase());
    if (!/^\d+$/.test(id)) throw new Error(`invalid validator id ${id}`);
    return this.validators[Number(id)];
  }

  private select(ids: string[] | undefined, statuses: string[] | undefined) {
    const found = ids === undefined ? this.validators : ids.map((id) => this.lookup(String(id))).filter((v) => v !== undefined);
    return found.filter((v) => statuses === undefined || statuses.includes(v.status)).map(toValidatorJson);
  }

  private fork(): Fork {
    const forks = this.network.forks;
    const current = forkAtEpoch(this.network, this.headEpoch);
    const position = forks.findIndex((f) => f.name === current.name);
    const previous = position > 0 ? forks[position - 1]! : current;
    return { previousVersion: previous.version, currentVersion: current.version, epoch: current.epoch };
  }

  private spec(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.network.chainConfig)) {
      if (value instanceof Uint8Array) out[key] = '0x' + Buffer.from(value).toString('hex');
      else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') out[key] = String(value);
    }
    out.SLOTS_PER_EPOCH = String(this.network.slotsPerEpoch);
    out.SECONDS_PER_SLOT = String(this.network.secondsPerSlot);
    return out;
  }
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function answerWith(res: ServerResponse, answer: ChainAnswer): void {
  if (answer.ssz) {
    res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/octet-stream', 'content-length': answer.ssz.length }).end(Buffer.from(answer.ssz));
    return;
  }
  if (answer.json === undefined) {
    res.writeHead(answer.status, answer.headers).end();
    return;
  }
  const text = JSON.stringify(answer.json);
  res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
