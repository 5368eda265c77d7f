/**
 * A typed beacon-API client (fetch), for the routes the suite needs. Every answer is checked
 * against its schema (codecs.ts); every failure is a BeaconError naming the URL.
 */
import { z } from 'zod';
import { abbreviate, bytesToHex } from '@dvt/common';
import { type phase0, ssz, sszTypesFor } from '@lodestar/types';
import { ForkName } from '@lodestar/params';
import {
  envelope,
  forkJson,
  genesisJson,
  pendingDepositJson,
  specJson,
  syncingJson,
  validatorJson,
} from './codecs.js';
import { BeaconError } from './errors.js';
import {
  type Fork,
  type Genesis,
  type PendingDeposit,
  type StateId,
  type SyncStatus,
  type ValidatorInfo,
  type ValidatorStatus,
} from './types.js';

export interface BeaconClientOptions {
  /** e.g. http://127.0.0.1:5052 */
  baseUrl: string;
  /** per request; default 10 s */
  timeoutMs?: number;
  /** ids per POST /validators request; default 500 */
  validatorsChunkSize?: number;
  fetch?: typeof fetch;
}

type Method = 'GET' | 'POST';

const uint = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(Number);
const attesterDutiesJson = z.object({
  dependent_root: z.string(),
  data: z.array(
    z.object({
      pubkey: z.string(),
      validator_index: uint,
      committee_index: uint,
      committee_length: uint,
      committees_at_slot: uint,
      validator_committee_index: uint,
      slot: uint,
    }),
  ),
});
const proposerDutiesJson = z.object({
  dependent_root: z.string(),
  data: z.array(z.object({ pubkey: z.string(), validator_index: uint, slot: uint })),
});

export class BeaconClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly chunkSize: number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: BeaconClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.chunkSize = opts.validatorsChunkSize ?? 500;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  async getGenesis(): Promise<Genesis> {
    return (await this.json('GET', '/eth/v1/beacon/genesis', envelope(genesisJson))).data;
  }

  /** The node's chain config (GET /eth/v1/config/spec), values as the node sends them. */
  async getSpec(): Promise<Record<string, unknown>> {
    return (await this.json('GET', '/eth/v1/config/spec', envelope(specJson))).data;
  }

  async getFork(stateId: StateId = 'head'): Promise<Fork> {
    return (await this.json('GET', `/eth/v1/beacon/states/${stateId}/fork`, envelope(forkJson))).data;
  }

  async getSyncing(): Promise<SyncStatus> {
    return (await this.json('GET', '/eth/v1/node/syncing', envelope(syncingJson))).data;
  }

  /** GET /eth/v1/node/health: the status code (200 ready, 206 syncing, 503 not initialised). */
  async getHealth(): Promise<number> {
    const response = await this.send('GET', '/eth/v1/node/health');
    await response.body?.cancel();
    return response.status;
  }

  /** One validator by index or 0x public key; null when the state has no such validator. */
  async getValidator(id: number | string, stateId: StateId = 'head'): Promise<ValidatorInfo | null> {
    const path = `/eth/v1/beacon/states/${stateId}/validators/${id}`;
    const response = await this.send('GET', path);
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    return (await this.parse(response, path, envelope(validatorJson))).data;
  }

  /**
   * Validators by index or 0x public key (unknown ids are simply absent from the answer), through
   * POST /eth/v1/beacon/states/{state}/validators in chunks, falling back to GET with ?id= on nodes
   * without the POST route.
   */
  async getValidators(ids: readonly (number | string)[], stateId: StateId = 'head', statuses?: ValidatorStatus[]): Promise<ValidatorInfo[]> {
    const out: ValidatorInfo[] = [];
    for (let i = 0; i < ids.length; i += this.chunkSize) {
      const chunk = ids.slice(i, i + this.chunkSize).map(String);
      out.push(...(await this.validatorsChunk(chunk, stateId, statuses)));
    }
    return out;
  }

  /** The state's pending deposits queue (Electra); BEACON_ROUTE_NOT_FOUND on nodes without it. */
  async getPendingDeposits(stateId: StateId = 'head'): Promise<PendingDeposit[]> {
    const path = `/eth/v1/beacon/states/${stateId}/pending_deposits`;
    const response = await this.send('GET', path);
    if (response.status === 404 || response.status === 405) {
      await response.body?.cancel();
      throw new BeaconError('BEACON_ROUTE_NOT_FOUND', `${this.baseUrl}${path}: route not served (node before Electra?)`, {
        url: this.baseUrl + path,
        status: response.status,
      });
    }
    return (await this.parse(response, path, envelope(pendingDepositJson.array()))).data;
  }

  // ---- the validator duty workflow (the shape of @dvt/dv's BeaconDutyPort) ----

  /** Validator index of each public key the head state knows (unknown keys are absent). */
  async validatorIndexes(pubkeys: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const found = await this.getValidators(pubkeys);
    return new Map(found.map((v) => [v.pubkey.toLowerCase(), v.index]));
  }

  async attesterDuties(
    epoch: number,
    indexes: readonly number[],
  ): Promise<{ dependentRoot: string; duties: { pubkey: string; validatorIndex: number; slot: number; committeeIndex: number; committeeLength: number; committeesAtSlot: number; validatorCommitteeIndex: number }[] }> {
    const answer = await this.json('POST', `/eth/v1/validator/duties/attester/${epoch}`, attesterDutiesJson, indexes.map(String));
    return {
      dependentRoot: answer.dependent_root,
      duties: answer.data.map((d) => ({
        pubkey: d.pubkey.toLowerCase(),
        validatorIndex: d.validator_index,
        slot: d.slot,
        committeeIndex: d.committee_index,
        committeeLength: d.committee_length,
        committeesAtSlot: d.committees_at_slot,
        validatorCommitteeIndex: d.validator_committee_index,
      })),
    };
  }

  async proposerDuties(epoch: number): Promise<{ dependentRoot: string; duties: { pubkey: string; validatorIndex: number; slot: number }[] }> {
    const answer = await this.json('GET', `/eth/v1/validator/duties/proposer/${epoch}`, proposerDutiesJson);
    return {
      dependentRoot: answer.dependent_root,
      duties: answer.data.map((d) => ({ pubkey: d.pubkey.toLowerCase(), validatorIndex: d.validator_index, slot: d.slot })),
    };
  }

  async attestationData(slot: number, committeeIndex: number): Promise<phase0.AttestationData> {
    const path = `/eth/v1/validator/attestation_data?slot=${slot}&committee_index=${committeeIndex}`;
    const answer = await this.json('GET', path, z.object({ data: z.unknown() }));
    try {
      return ssz.phase0.AttestationData.fromJson(answer.data);
    } catch (error) {
      throw new BeaconError('BEACON_INVALID_RESPONSE', `${this.baseUrl}${path}: not attestation data: ${(error as Error).message}`, { url: this.baseUrl + path });
    }
  }

  /** `GET /eth/v3/validator/blocks/{slot}` as SSZ, with the fork, blinded flag and values of its headers. */
  async produceBlock(
    slot: number,
    randaoReveal: Uint8Array,
    graffiti?: Uint8Array,
  ): Promise<{ fork: string; blinded: boolean; executionPayloadValue: string; consensusBlockValue: string; ssz: Uint8Array }> {
    const query = new URLSearchParams({ randao_reveal: bytesToHex(randaoReveal) });
    if (graffiti) query.set('graffiti', bytesToHex(graffiti));
    const path = `/eth/v3/validator/blocks/${slot}?${query.toString()}`;
    const response = await this.send('GET', path, undefined, { accept: 'application/octet-stream' });
    const url = this.baseUrl + path;
    const body = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) {
      throw new BeaconError('BEACON_HTTP_ERROR', `${url}: HTTP ${response.status}: ${abbreviate(Buffer.from(body).toString('utf8'), 200)}`, { url, status: response.status });
    }
    const fork = response.headers.get('eth-consensus-version')?.toLowerCase();
    const blinded = response.headers.get('eth-execution-payload-blinded')?.toLowerCase();
    if (!fork || !(Object.values(ForkName) as string[]).includes(fork)) {
      throw new BeaconError('BEACON_INVALID_RESPONSE', `${url}: Eth-Consensus-Version ${JSON.stringify(fork ?? null)} is not a fork name`, { url });
    }
    if (blinded !== 'true' && blinded !== 'false') throw new BeaconError('BEACON_INVALID_RESPONSE', `${url}: Eth-Execution-Payload-Blinded must be true or false`, { url });
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.startsWith('application/octet-stream')) throw new BeaconError('BEACON_INVALID_RESPONSE', `${url}: expected an SSZ answer, got ${contentType || 'no content type'}`, { url });
    return {
      fork,
      blinded: blinded === 'true',
      executionPayloadValue: response.headers.get('eth-execution-payload-value') ?? '0',
      consensusBlockValue: response.headers.get('eth-consensus-block-value') ?? '0',
      ssz: body,
    };
  }

  /** `POST /eth/v2/beacon/pool/attestations` with Electra SingleAttestation objects. */
  async submitSingleAttestations(
    fork: string,
    attestations: readonly { committeeIndex: number; attesterIndex: number; data: phase0.AttestationData; signature: Uint8Array }[],
  ): Promise<void> {
    const type = (sszTypesFor(fork as ForkName) as unknown as { SingleAttestation?: { toJson(value: unknown): unknown } }).SingleAttestation;
    if (!type) throw new BeaconError('BEACON_ROUTE_NOT_FOUND', `SingleAttestation does not exist at fork ${fork}`);
    const body = attestations.map((a) => type.toJson({ committeeIndex: a.committeeIndex, attesterIndex: a.attesterIndex, data: a.data, signature: a.signature }));
    await this.expectOk(await this.send('POST', '/eth/v2/beacon/pool/attestations', body, { 'eth-consensus-version': fork }), '/eth/v2/beacon/pool/attestations');
  }

  /** `POST /eth/v2/beacon/blocks` (or `blinded_blocks`) with the SSZ of the signed block (contents). */
  async submitBlock(fork: string, blinded: boolean, signedSsz: Uint8Array): Promise<void> {
    const path = blinded ? '/eth/v2/beacon/blinded_blocks' : '/eth/v2/beacon/blocks';
    await this.expectOk(await this.send('POST', path, signedSsz, { 'eth-consensus-version': fork }), path);
  }

  async submitVoluntaryExit(exit: phase0.VoluntaryExit, signature: Uint8Array): Promise<void> {
    const path = '/eth/v1/beacon/pool/voluntary_exits';
    await this.expectOk(await this.send('POST', path, ssz.phase0.SignedVoluntaryExit.toJson({ message: exit, signature })), path);
  }

  private async expectOk(response: Response, path: string): Promise<void> {
    const text = await response.text();
    if (!response.ok) {
      throw new BeaconError('BEACON_HTTP_ERROR', `${this.baseUrl}${path}: HTTP ${response.status}: ${abbreviate(text, 300)}`, { url: this.baseUrl + path, status: response.status });
    }
  }

  private async validatorsChunk(ids: string[], stateId: StateId, statuses?: ValidatorStatus[]): Promise<ValidatorInfo[]> {
    const path = `/eth/v1/beacon/states/${stateId}/validators`;
    const schema = envelope(validatorJson.array());
    const body = statuses === undefined ? { ids } : { ids, statuses };
    const response = await this.send('POST', path, body);
    if (response.status !== 404 && response.status !== 405) return (await this.parse(response, path, schema)).data;
    await response.body?.cancel();
    const query = new URLSearchParams({ id: ids.join(',') });
    if (statuses !== undefined) query.set('status', statuses.join(','));
    return (await this.json('GET', `${path}?${query.toString()}`, schema)).data;
  }

  private async json<T extends z.ZodType>(method: Method, path: string, schema: T, body?: unknown): Promise<z.output<T>> {
    return this.parse(await this.send(method, path, body), path, schema);
  }

  private async send(method: Method, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const url = this.baseUrl + path;
    const binary = body instanceof Uint8Array;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = binary ? 'application/octet-stream' : 'application/json';
    try {
      return await this.fetchImpl(url, {
        method,
        headers: { ...headers, ...extraHeaders },
        body: body === undefined ? undefined : binary ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new BeaconError('BEACON_TIMEOUT', `${method} ${url}: no answer within ${this.timeoutMs} ms`, { url, timeoutMs: this.timeoutMs });
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new BeaconError('BEACON_UNREACHABLE', `${method} ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { url });
    }
  }

  private async parse<T extends z.ZodType>(response: Response, path: string, schema: T): Promise<z.output<T>> {
    const url = this.baseUrl + path;
    const text = await response.text();
    if (!response.ok) {
      throw new BeaconError('BEACON_HTTP_ERROR', `${url}: HTTP ${response.status}: ${abbreviate(text, 200)}`, {
        url,
        status: response.status,
      });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new BeaconError('BEACON_INVALID_RESPONSE', `${url}: answer is not JSON: ${abbreviate(text, 80)}`, { url });
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BeaconError('BEACON_INVALID_RESPONSE', `${url}: unexpected answer at ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
        url,
        issues: parsed.error.issues.length,
      });
    }
    return parsed.data;
  }
}
