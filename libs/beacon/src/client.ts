/**
 * A typed beacon-API client (fetch), for the routes the suite needs. Every answer is checked
 * against its schema (codecs.ts); every failure is a BeaconError naming the URL.
 */
import { type z } from 'zod';
import { abbreviate } from '@dvt/common';
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

  private async send(method: Method, path: string, body?: unknown): Promise<Response> {
    const url = this.baseUrl + path;
    try {
      return await this.fetchImpl(url, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
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
