import * as http from 'node:http';
import { type AddressInfo } from 'node:net';
import { DvtError, bytesToHex } from '@dvt/common';
import {
  type NetworkConfig,
  attestationDataSigningRoot,
  beaconBlockSigningRoot,
  epochStartSlot,
  forkAtEpoch,
  randaoSigningRoot,
  slotToEpoch,
  voluntaryExitSigningRoot,
} from '@dvt/eth2';
import { verify, verifySets } from '@dvt/tbls';
import { type Type } from '@chainsafe/ssz';
import { ForkName, ForkSeq } from '@lodestar/params';
import { type BeaconBlock, type BlindedBeaconBlock, type phase0, ssz, sszTypesFor } from '@lodestar/types';
import {
  type DecidedProposal,
  type Duty,
  type DvPubkey,
  type PartialSignature,
  type ValidatorApiBackend,
  DutyType,
  encodeAttesterMessage,
  encodeExitMessage,
  encodeProposerMessage,
  encodeRandaoMessage,
  newDuty,
} from '../core/index.js';
import { ValidatorApiError, validatorApiHttpStatus } from './errors.js';
import { JSON_MEDIA_TYPE, bodyIsSsz, parseHexBytes, parseJson, parseUint, readBody, sendJson, sendSsz, wantsSsz } from './http.js';
import { type ValidatorApiClusterValidator, ShareKeyMap } from './keys.js';
import { type BeaconAnswer, BeaconNodeProxy } from './proxy.js';

export interface ValidatorApiLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Metrics hooks; must not throw. */
export interface ValidatorApiObserver {
  /** `route` is the route template (`GET /eth/v1/validator/attestation_data`) or `proxy` */
  onRequest?(route: string, status: number, durationMs: number): void;
}

export interface ValidatorApiOptions {
  network: NetworkConfig;
  /** this node's share index, 1..n */
  shareIndex: number;
  validators: readonly ValidatorApiClusterValidator[];
  /** base URL of the beacon node everything not intercepted goes to */
  beaconNodeUrl: string;
  backend: ValidatorApiBackend;
  logger?: ValidatorApiLogger;
  observer?: ValidatorApiObserver;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (any free port) */
  port?: number;
  /**
   * Longest wait for the cluster's decision (attestation data, block) or for the beacon node's
   * answer headers; default two slots of the network.
   */
  requestTimeoutMs?: number;
  /** largest request body the API reads itself (proxied bodies stream unbounded); default 32 MiB */
  maxBodyBytes?: number;
}

interface RequestContext {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly url: URL;
  readonly params: readonly string[];
  /** aborts when the validator client closes the request */
  readonly signal: AbortSignal;
}

type Handler = (ctx: RequestContext) => Promise<void>;

interface Route {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
}

interface PoolFailure {
  readonly index: number;
  readonly message: string;
}

const silentLogger: ValidatorApiLogger = { debug() {}, warn() {}, error() {} };
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const CONSENSUS_VERSION_HEADER = 'eth-consensus-version';

function compile(template: string): RegExp {
  const source = template.replace(/\{[a-z_]+\}/g, '([^/]+)');
  return new RegExp(`^${source}/?$`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function knownFork(value: string | string[] | undefined, field: string): ForkName {
  const name = Array.isArray(value) ? value[0] : value;
  if (name === undefined || name === '') throw new ValidatorApiError('INVALID_REQUEST', `the ${field} header is required`);
  const fork = name.toLowerCase() as ForkName;
  if (!(Object.values(ForkName) as string[]).includes(fork)) throw new ValidatorApiError('INVALID_REQUEST', `${field} ${JSON.stringify(name)} is not a fork name`);
  return fork;
}

function anyType<T>(fork: ForkName, name: string): Type<T> | undefined {
  return (sszTypesFor(fork) as unknown as Record<string, Type<T> | undefined>)[name];
}

function decodeBody<T>(type: Type<T>, body: Buffer, ssz: boolean, what: string): T {
  if (ssz) {
    try {
      return type.deserialize(body);
    } catch (error) {
      throw new ValidatorApiError('INVALID_SSZ', `${what}: not the SSZ of ${type.typeName}: ${(error as Error).message}`);
    }
  }
  const json = parseJson(body, what);
  try {
    return type.fromJson(json);
  } catch (error) {
    throw new ValidatorApiError('INVALID_REQUEST', `${what}: not a JSON ${type.typeName}: ${(error as Error).message}`);
  }
}

/**
 * The beacon-API server the validator client talks to (DV-NODE.md, "Validator API"): serves the
 * cluster's decided data, verifies and hands in the VC's partial signatures, maps public shares ↔
 * DV root keys, and proxies everything else to the beacon node.
 */
export class ValidatorApi {
  private readonly keys: ShareKeyMap;
  private readonly proxy: BeaconNodeProxy;
  private readonly logger: ValidatorApiLogger;
  private readonly backend: ValidatorApiBackend;
  private readonly network: NetworkConfig;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly routes: Route[];
  private server: http.Server | undefined;
  private address: AddressInfo | undefined;

  constructor(private readonly options: ValidatorApiOptions) {
    this.network = options.network;
    this.keys = new ShareKeyMap(options.shareIndex, options.validators);
    this.backend = options.backend;
    this.logger = options.logger ?? silentLogger;
    this.timeoutMs = options.requestTimeoutMs ?? 2 * options.network.secondsPerSlot * 1000;
    if (!(this.timeoutMs > 0)) throw new ValidatorApiError('INVALID_CONFIG', `request timeout must be positive, got ${this.timeoutMs}`);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.proxy = new BeaconNodeProxy(options.beaconNodeUrl, this.timeoutMs);
    this.routes = this.buildRoutes();
  }

  /** `http://host:port` once started. */
  get url(): string {
    if (!this.address) throw new ValidatorApiError('INVALID_CONFIG', 'the validator API is not started');
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.address = server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.address = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.proxy.close();
  }

  // ---- routing ----

  private buildRoutes(): Route[] {
    const route = (method: string, template: string, handler: Handler): Route => ({ method, template, pattern: compile(template), handler });
    const notFound = (use: string): Handler => () => {
      throw new ValidatorApiError('NOT_FOUND', `this endpoint is not served by the DV node, so that a validator client cannot bypass the cluster: use ${use}`);
    };
    const notYet = (what: string): Handler => () => {
      throw new ValidatorApiError('NOT_IMPLEMENTED', `${what} are not implemented by this DV node yet; the request was not forwarded to the beacon node`);
    };
    return [
      // rewrite keys
      route('POST', '/eth/v1/validator/duties/attester/{epoch}', (ctx) => this.dutiesWithPubkeys(ctx)),
      route('GET', '/eth/v1/validator/duties/proposer/{epoch}', (ctx) => this.dutiesWithPubkeys(ctx)),
      route('POST', '/eth/v1/validator/duties/sync/{epoch}', (ctx) => this.dutiesWithPubkeys(ctx)),
      route('GET', '/eth/v1/beacon/states/{state_id}/validators', (ctx) => this.validatorsGet(ctx)),
      route('POST', '/eth/v1/beacon/states/{state_id}/validators', (ctx) => this.validatorsPost(ctx)),
      route('GET', '/eth/v1/beacon/states/{state_id}/validators/{validator_id}', (ctx) => this.validatorById(ctx)),
      // decided data
      route('GET', '/eth/v1/validator/attestation_data', (ctx) => this.attestationData(ctx)),
      route('GET', '/eth/v3/validator/blocks/{slot}', (ctx) => this.produceBlock(ctx)),
      route('GET', '/eth/v2/validator/aggregate_attestation', notYet('aggregate attestations (aggregator duties)')),
      route('GET', '/eth/v1/validator/sync_committee_contribution', notYet('sync committee contributions (sync duties)')),
      // partial signatures
      route('POST', '/eth/v2/beacon/pool/attestations', (ctx) => this.submitAttestations(ctx)),
      route('POST', '/eth/v2/beacon/blocks', (ctx) => this.submitBlock(ctx, false)),
      route('POST', '/eth/v2/beacon/blinded_blocks', (ctx) => this.submitBlock(ctx, true)),
      route('POST', '/eth/v1/beacon/pool/voluntary_exits', (ctx) => this.submitExit(ctx)),
      route('POST', '/eth/v2/validator/aggregate_and_proofs', notYet('aggregate and proofs (aggregator duties)')),
      route('POST', '/eth/v1/beacon/pool/sync_committees', notYet('sync committee messages (sync duties)')),
      route('POST', '/eth/v1/validator/contribution_and_proofs', notYet('sync contribution and proofs (sync duties)')),
      route('POST', '/eth/v1/validator/beacon_committee_selections', notYet('beacon committee selections (aggregator duties)')),
      route('POST', '/eth/v1/validator/sync_committee_selections', notYet('sync committee selections (sync duties)')),
      // accept and drop
      route('POST', '/eth/v1/validator/register_validator', (ctx) => this.acceptAndDrop(ctx)),
      route('POST', '/eth/v1/validator/prepare_beacon_proposer', (ctx) => this.acceptAndDrop(ctx)),
      // 404 on purpose
      route('POST', '/eth/v1/beacon/pool/attestations', notFound('POST /eth/v2/beacon/pool/attestations')),
      route('GET', '/eth/v1/validator/aggregate_attestation', notFound('GET /eth/v2/validator/aggregate_attestation')),
      route('POST', '/eth/v1/validator/aggregate_and_proofs', notFound('POST /eth/v2/validator/aggregate_and_proofs')),
      route('GET', '/eth/v2/validator/blocks/{slot}', notFound('GET /eth/v3/validator/blocks/{slot}')),
      route('GET', '/eth/v1/validator/blinded_blocks/{slot}', notFound('GET /eth/v3/validator/blocks/{slot}')),
    ];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new ValidatorApiError('NOT_AVAILABLE', 'the validator client closed the request'));
    });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://validator-api');
    } catch {
      url = new URL('http://validator-api/');
    }
    const method = req.method ?? 'GET';
    let routeName = 'proxy';
    let status: number;
    try {
      const match = this.match(method, url.pathname);
      if (match) {
        routeName = `${method} ${match.route.template}`;
        await match.route.handler({ req, res, url, params: match.params, signal: abort.signal });
        status = res.statusCode;
      } else {
        status = await this.proxy.stream(req, res);
      }
    } catch (error) {
      status = this.fail(res, error, routeName, abort.signal);
    }
    const durationMs = performance.now() - started;
    this.logger.debug('validator API request', { method, route: routeName, path: url.pathname, status, ms: Math.round(durationMs) });
    try {
      this.options.observer?.onRequest?.(routeName, status, durationMs);
    } catch {
      // metrics must not break requests
    }
  }

  private match(method: string, path: string): { route: Route; params: string[] } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(path);
      if (found) return { route, params: found.slice(1).map((p) => decodeURIComponent(p)) };
    }
    return undefined;
  }

  /** Writes the error answer; returns its status. */
  private fail(res: http.ServerResponse, error: unknown, route: string, signal: AbortSignal): number {
    let status: number;
    let body: Record<string, unknown>;
    if (error instanceof ValidatorApiError) {
      status = validatorApiHttpStatus(error.code);
      body = { code: status, message: error.message };
      if (Array.isArray(error.details?.failures)) body.failures = error.details.failures;
    } else if (error instanceof DvtError) {
      status = 400;
      body = { code: status, message: error.message };
    } else {
      status = 500;
      body = { code: status, message: 'internal error of the DV node validator API' };
      this.logger.error('validator API handler failed', { route, error: (error as Error)?.message ?? String(error) });
    }
    if (signal.aborted || res.headersSent || res.destroyed) {
      if (!res.headersSent) res.destroy();
      return status;
    }
    if (status >= 500) this.logger.warn('validator API error answer', { route, status, message: body.message });
    sendJson(res, status, body);
    return status;
  }

  /** Runs `wait` with the request's abort signal and the request timeout. */
  private async withDeadline<T>(ctx: RequestContext, what: string, wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    try {
      return await wait(signal);
    } catch (error) {
      if (timeout.aborted) throw new ValidatorApiError('NOT_AVAILABLE', `the cluster did not decide ${what} within ${this.timeoutMs} ms`);
      if (error instanceof ValidatorApiError) throw error;
      if (error instanceof DvtError) throw new ValidatorApiError('NOT_AVAILABLE', `${what} is not available: ${error.message}`);
      throw error;
    }
  }

  // ---- key rewriting ----

  private async bnJson(ctx: RequestContext, pathAndQuery: string, body?: Uint8Array): Promise<BeaconAnswer> {
    const headers: http.OutgoingHttpHeaders = { accept: JSON_MEDIA_TYPE };
    if (body !== undefined) headers['content-type'] = JSON_MEDIA_TYPE;
    return this.proxy.fetch(ctx.req.method ?? 'GET', pathAndQuery, headers, body, ctx.signal);
  }

  /** Sends the BN's answer, with `rewrite` applied to its JSON when it is a 200 JSON answer. */
  private answerRewritten(ctx: RequestContext, answer: BeaconAnswer, rewrite: (json: Record<string, unknown>) => void): void {
    const type = String(answer.headers['content-type'] ?? '');
    const extra: Record<string, string> = {};
    const version = answer.headers[CONSENSUS_VERSION_HEADER];
    if (typeof version === 'string') extra[CONSENSUS_VERSION_HEADER] = version;
    if (answer.status === 200 && type.includes('json')) {
      let json: unknown;
      try {
        json = JSON.parse(answer.body.toString('utf8'));
      } catch {
        throw new ValidatorApiError('BEACON_NODE_UNAVAILABLE', `beacon node at ${this.proxy.origin} answered invalid JSON`);
      }
      if (isObject(json)) {
        rewrite(json);
        sendJson(ctx.res, 200, json, extra);
        return;
      }
    }
    ctx.res.writeHead(answer.status, { ...extra, 'content-type': type || JSON_MEDIA_TYPE, 'content-length': answer.body.length });
    ctx.res.end(answer.body);
  }

  private rewritePubkeyField(item: unknown): void {
    if (isObject(item) && typeof item.pubkey === 'string') item.pubkey = this.keys.toShareHex(item.pubkey);
  }

  private async dutiesWithPubkeys(ctx: RequestContext): Promise<void> {
    parseUint(ctx.params[0], 'epoch');
    let body: Buffer | undefined;
    if (ctx.req.method === 'POST') {
      body = await readBody(ctx.req, this.maxBodyBytes);
      const indices = parseJson(body, 'validator indices');
      if (!Array.isArray(indices)) throw new ValidatorApiError('INVALID_REQUEST', 'validator indices: expected a JSON array of indices');
      indices.forEach((index, i) => parseUint(index, `validator indices[${i}]`));
    }
    const answer = await this.bnJson(ctx, ctx.url.pathname + ctx.url.search, body);
    this.answerRewritten(ctx, answer, (json) => {
      if (Array.isArray(json.data)) json.data.forEach((duty) => this.rewritePubkeyField(duty));
    });
  }

  private rewriteValidatorEntry(entry: unknown): void {
    if (isObject(entry)) this.rewritePubkeyField(entry.validator);
  }

  private rewriteValidatorList(json: Record<string, unknown>): void {
    if (Array.isArray(json.data)) json.data.forEach((entry) => this.rewriteValidatorEntry(entry));
  }

  private async validatorsGet(ctx: RequestContext): Promise<void> {
    const query = new URLSearchParams(ctx.url.search);
    const ids = query.getAll('id').flatMap((value) => value.split(',')).filter((id) => id !== '');
    if (ids.length > 0) {
      query.delete('id');
      query.set('id', ids.map((id) => this.keys.toDvKey(id.trim())).join(','));
    }
    const search = query.toString();
    const answer = await this.bnJson(ctx, ctx.url.pathname + (search ? `?${search}` : ''));
    this.answerRewritten(ctx, answer, (json) => this.rewriteValidatorList(json));
  }

  private async validatorsPost(ctx: RequestContext): Promise<void> {
    const raw = await readBody(ctx.req, this.maxBodyBytes);
    const body = raw.length === 0 ? {} : parseJson(raw, 'validators request');
    if (!isObject(body)) throw new ValidatorApiError('INVALID_REQUEST', 'validators request: expected a JSON object with optional ids and statuses');
    if (body.ids !== undefined && body.ids !== null) {
      if (!Array.isArray(body.ids) || body.ids.some((id) => typeof id !== 'string')) {
        throw new ValidatorApiError('INVALID_REQUEST', 'validators request: ids must be an array of strings (indices or 0x public keys)');
      }
      body.ids = (body.ids as string[]).map((id) => this.keys.toDvKey(id));
    }
    const answer = await this.bnJson(ctx, ctx.url.pathname + ctx.url.search, Buffer.from(JSON.stringify(body)));
    this.answerRewritten(ctx, answer, (json) => this.rewriteValidatorList(json));
  }

  private async validatorById(ctx: RequestContext): Promise<void> {
    const [stateId, validatorId] = ctx.params as [string, string];
    const id = this.keys.toDvKey(validatorId);
    const path = `/eth/v1/beacon/states/${encodeURIComponent(stateId)}/validators/${encodeURIComponent(id)}`;
    const answer = await this.bnJson(ctx, path + ctx.url.search);
    this.answerRewritten(ctx, answer, (json) => this.rewriteValidatorEntry(json.data));
  }

  // ---- decided data ----

  private async attestationData(ctx: RequestContext): Promise<void> {
    const slot = parseUint(ctx.url.searchParams.get('slot') ?? undefined, 'slot');
    const committeeIndexParam = ctx.url.searchParams.get('committee_index');
    const committeeIndex = committeeIndexParam === null ? 0 : parseUint(committeeIndexParam, 'committee_index');
    const data = await this.withDeadline(ctx, `attestation data for slot ${slot}`, (signal) => this.backend.awaitAttestationData(slot, committeeIndex, signal));
    if (wantsSsz(ctx.req)) sendSsz(ctx.res, 200, ssz.phase0.AttestationData.serialize(data));
    else sendJson(ctx.res, 200, { data: ssz.phase0.AttestationData.toJson(data) });
  }

  private async produceBlock(ctx: RequestContext): Promise<void> {
    const slot = parseUint(ctx.params[0], 'slot');
    const query = ctx.url.searchParams;
    if (query.has('skip_randao_verification')) {
      throw new ValidatorApiError('INVALID_REQUEST', 'skip_randao_verification is not supported: the DV node needs the randao reveal signed by the validator client');
    }
    const reveal = parseHexBytes(query.get('randao_reveal') ?? undefined, 'randao_reveal', 96);
    const dv = this.backend.dvProposingAt(slot);
    if (dv === undefined) throw new ValidatorApiError('UNKNOWN_VALIDATOR', `no DV of this cluster is known to propose at slot ${slot}`);
    const share = this.myShareOf(dv);
    const epoch = slotToEpoch(this.network, slot);
    this.verifyShareSignature(share, randaoSigningRoot(this.network, epoch), reveal, `randao reveal for epoch ${epoch} of DV ${dv}`);
    await this.handIn(newDuty(slot, DutyType.Randao), dv, { shareIndex: this.keys.shareIndex, message: encodeRandaoMessage(epoch), signature: reveal });
    const proposal = await this.withDeadline(ctx, `the block of slot ${slot}`, (signal) => this.backend.awaitProposal(slot, dv, signal));
    this.answerProposal(ctx, proposal);
  }

  private answerProposal(ctx: RequestContext, proposal: DecidedProposal): void {
    const fork = knownFork(proposal.fork, 'decided proposal fork');
    const headers = {
      [CONSENSUS_VERSION_HEADER]: fork,
      'eth-execution-payload-blinded': String(proposal.blinded),
      'eth-execution-payload-value': proposal.executionPayloadValue,
      'eth-consensus-block-value': proposal.consensusBlockValue,
    };
    if (wantsSsz(ctx.req)) {
      sendSsz(ctx.res, 200, proposal.ssz, headers);
      return;
    }
    const typeName = proposal.blinded ? 'BlindedBeaconBlock' : ForkSeq[fork] >= ForkSeq.deneb ? 'BlockContents' : 'BeaconBlock';
    const type = anyType<unknown>(fork, typeName);
    if (type === undefined) throw new Error(`decided proposal: no ${typeName} at fork ${fork}`);
    sendJson(
      ctx.res,
      200,
      {
        version: fork,
        execution_payload_blinded: proposal.blinded,
        execution_payload_value: proposal.executionPayloadValue,
        consensus_block_value: proposal.consensusBlockValue,
        data: type.toJson(type.deserialize(proposal.ssz)),
      },
      headers,
    );
  }

  // ---- partial signatures ----

  private myShareOf(dv: DvPubkey): Uint8Array {
    const share = this.keys.myShare(dv);
    if (share === undefined) throw new Error(`the backend named DV ${dv}, which is not in this node's cluster configuration`);
    return share;
  }

  private dvOfIndex(index: number, what: string): DvPubkey {
    const dv = this.backend.dvOfValidatorIndex(index);
    if (dv === undefined) throw new ValidatorApiError('UNKNOWN_VALIDATOR', `${what}: validator index ${index} is not a DV of this cluster (or its index is not resolved yet)`);
    return dv;
  }

  private verifyShareSignature(share: Uint8Array, signingRoot: Uint8Array, signature: Uint8Array, what: string): void {
    let valid: boolean;
    try {
      valid = verify(share, signingRoot, signature);
    } catch (error) {
      throw new ValidatorApiError('INVALID_SIGNATURE', `${what}: malformed signature: ${(error as Error).message}`);
    }
    if (!valid) {
      throw new ValidatorApiError('INVALID_SIGNATURE', `${what}: the signature does not verify against this node's public share ${bytesToHex(share)} (share index ${this.keys.shareIndex})`);
    }
  }

  private async handIn(duty: Duty, dv: DvPubkey, partial: PartialSignature): Promise<void> {
    await this.submit(duty, new Map([[dv, partial]]));
  }

  private async submit(duty: Duty, partials: ReadonlyMap<DvPubkey, PartialSignature>): Promise<void> {
    try {
      await this.backend.submitPartialSignatures(duty, partials);
    } catch (error) {
      if (error instanceof DvtError) throw new ValidatorApiError('REJECTED', error.message, { reason: error.code });
      throw error;
    }
  }

  private async submitAttestations(ctx: RequestContext): Promise<void> {
    const fork = knownFork(ctx.req.headers[CONSENSUS_VERSION_HEADER], 'Eth-Consensus-Version');
    if (ForkSeq[fork] < ForkSeq.electra) {
      throw new ValidatorApiError('INVALID_REQUEST', `attestations of fork ${fork} are not supported: the DV node takes Electra SingleAttestation submissions`);
    }
    const isSsz = bodyIsSsz(ctx.req);
    const body = await readBody(ctx.req, this.maxBodyBytes);
    const type = ssz.electra.SingleAttestation;
    const items: unknown[] = [];
    const itemSize = type.minSize;
    if (isSsz) {
      if (body.length === 0 || body.length % itemSize !== 0) {
        throw new ValidatorApiError('INVALID_SSZ', `attestations: an SSZ list of SingleAttestation is a multiple of ${itemSize} bytes, got ${body.length}`);
      }
      for (let offset = 0; offset < body.length; offset += itemSize) items.push(body.subarray(offset, offset + itemSize));
    } else {
      const json = parseJson(body, 'attestations');
      if (!Array.isArray(json) || json.length === 0) throw new ValidatorApiError('INVALID_REQUEST', 'attestations: expected a non-empty JSON array of SingleAttestation');
      items.push(...json);
    }
    const failures: PoolFailure[] = [];
    const recordFailure = (index: number, error: unknown): void => {
      if (!(error instanceof DvtError)) throw error;
      failures.push({ index, message: error.message });
    };
    interface Candidate {
      readonly index: number;
      readonly validatorIndex: number;
      readonly dv: DvPubkey;
      readonly data: phase0.AttestationData;
      readonly signature: Uint8Array;
      readonly share: Uint8Array;
      readonly signingRoot: Uint8Array;
    }
    const candidates: Candidate[] = [];
    items.forEach((item, index) => {
      try {
        let attestation;
        try {
          attestation = item instanceof Uint8Array ? type.deserialize(item) : type.fromJson(item);
        } catch (error) {
          throw new ValidatorApiError('INVALID_REQUEST', `not a SingleAttestation: ${(error as Error).message}`);
        }
        const { data } = attestation;
        if (data.index !== 0) throw new ValidatorApiError('INVALID_REQUEST', `attestation data index must be 0 from Electra on, got ${data.index}`);
        const dataFork = forkAtEpoch(this.network, slotToEpoch(this.network, data.slot)).name;
        if (dataFork !== fork) throw new ValidatorApiError('INVALID_REQUEST', `slot ${data.slot} is in fork ${dataFork}, the Eth-Consensus-Version header says ${fork}`);
        const dv = this.dvOfIndex(attestation.attesterIndex, 'attester_index');
        candidates.push({
          index,
          validatorIndex: attestation.attesterIndex,
          dv,
          data,
          signature: attestation.signature,
          share: this.myShareOf(dv),
          signingRoot: attestationDataSigningRoot(this.network, data),
        });
      } catch (error) {
        recordFailure(index, error);
      }
    });
    // One pairing per signing root (same-message random-weight aggregation) for the usual all-valid request;
    // verifySets isolates the bad ones, re-checked below only to name the reason.
    const valid = verifySets(candidates.map((c) => ({ publicKey: c.share, message: c.signingRoot, signature: c.signature })));
    const bySlot = new Map<number, { partials: Map<DvPubkey, PartialSignature>; indexes: number[] }>();
    for (const [position, candidate] of candidates.entries()) {
      const { index, validatorIndex, dv, data, signature } = candidate;
      try {
        if (!valid[position]) this.verifyShareSignature(candidate.share, candidate.signingRoot, signature, `attestation of validator ${validatorIndex} at slot ${data.slot}`);
        const partial: PartialSignature = { shareIndex: this.keys.shareIndex, message: encodeAttesterMessage(data), signature };
        let group = bySlot.get(data.slot);
        if (!group) bySlot.set(data.slot, (group = { partials: new Map(), indexes: [] }));
        const existing = group.partials.get(dv);
        if (existing) {
          const same = Buffer.compare(existing.message, partial.message) === 0 && Buffer.compare(existing.signature, partial.signature) === 0;
          if (!same) throw new ValidatorApiError('INVALID_REQUEST', `validator ${validatorIndex} has two different attestations for slot ${data.slot} in this request`);
        } else {
          group.partials.set(dv, partial);
        }
        group.indexes.push(index);
      } catch (error) {
        recordFailure(index, error);
      }
    }
    for (const [slot, group] of bySlot) {
      try {
        await this.submit(newDuty(slot, DutyType.Attester), group.partials);
      } catch (error) {
        for (const index of group.indexes) recordFailure(index, error);
      }
    }
    if (failures.length > 0) {
      failures.sort((a, b) => a.index - b.index);
      throw new ValidatorApiError('INVALID_REQUEST', `${failures.length} of ${items.length} attestations failed`, { failures });
    }
    ctx.res.writeHead(200, { 'content-length': 0 });
    ctx.res.end();
  }

  private async submitBlock(ctx: RequestContext, blinded: boolean): Promise<void> {
    const fork = knownFork(ctx.req.headers[CONSENSUS_VERSION_HEADER], 'Eth-Consensus-Version');
    const typeName = blinded ? 'SignedBlindedBeaconBlock' : ForkSeq[fork] >= ForkSeq.deneb ? 'SignedBlockContents' : 'SignedBeaconBlock';
    const type = anyType<unknown>(fork, typeName);
    if (type === undefined) throw new ValidatorApiError('INVALID_REQUEST', `${blinded ? 'blinded' : 'full'} blocks do not exist at fork ${fork}`);
    const isSsz = bodyIsSsz(ctx.req);
    const body = await readBody(ctx.req, this.maxBodyBytes);
    const value = decodeBody(type, body, isSsz, `signed ${blinded ? 'blinded ' : ''}block`) as Record<string, unknown>;
    const signed = (typeName === 'SignedBlockContents' ? value.signedBlock : value) as { message: BeaconBlock | BlindedBeaconBlock; signature: Uint8Array };
    const block = signed.message;
    const blockFork = forkAtEpoch(this.network, slotToEpoch(this.network, block.slot)).name;
    if (blockFork !== fork) throw new ValidatorApiError('INVALID_REQUEST', `slot ${block.slot} is in fork ${blockFork}, the Eth-Consensus-Version header says ${fork}`);
    const dv = this.dvOfIndex(block.proposerIndex, 'proposer_index');
    this.verifyShareSignature(this.myShareOf(dv), beaconBlockSigningRoot(this.network, block), signed.signature, `block of slot ${block.slot} by validator ${block.proposerIndex}`);
    await this.handIn(newDuty(block.slot, DutyType.Proposer), dv, {
      shareIndex: this.keys.shareIndex,
      message: encodeProposerMessage({ fork, blinded, block }),
      signature: signed.signature,
    });
    ctx.res.writeHead(200, { 'content-length': 0 });
    ctx.res.end();
  }

  private async submitExit(ctx: RequestContext): Promise<void> {
    const isSsz = bodyIsSsz(ctx.req);
    const body = await readBody(ctx.req, this.maxBodyBytes);
    const signed = decodeBody(ssz.phase0.SignedVoluntaryExit, body, isSsz, 'signed voluntary exit');
    const exit: phase0.VoluntaryExit = signed.message;
    const dv = this.dvOfIndex(exit.validatorIndex, 'validator_index');
    this.verifyShareSignature(this.myShareOf(dv), voluntaryExitSigningRoot(this.network, exit), signed.signature, `voluntary exit of validator ${exit.validatorIndex} at epoch ${exit.epoch}`);
    const slot = epochStartSlot(this.network, exit.epoch);
    await this.handIn(newDuty(slot, DutyType.Exit), dv, { shareIndex: this.keys.shareIndex, message: encodeExitMessage(exit), signature: signed.signature });
    ctx.res.writeHead(200, { 'content-length': 0 });
    ctx.res.end();
  }

  private async acceptAndDrop(ctx: RequestContext): Promise<void> {
    const isSsz = bodyIsSsz(ctx.req);
    const raw = await readBody(ctx.req, this.maxBodyBytes);
    if (!isSsz && !Array.isArray(parseJson(raw, ctx.url.pathname))) throw new ValidatorApiError('INVALID_REQUEST', `${ctx.url.pathname}: expected a JSON array`);
    ctx.res.writeHead(200, { 'content-length': 0 });
    ctx.res.end();
  }
}
