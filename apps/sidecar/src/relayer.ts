/**
 * What the sidecar needs of the relayer (STAKEWISE.md §1), as a port so tests can inject a
 * misbehaving relayer, and its HTTP implementation. The sidecar validates every listed item
 * again with its own bounds, item by item, whatever the port returns.
 */
import { ZodError } from 'zod';
import { RelayerClient, RelayerClientError } from '@dvt/stakewise';
import { SidecarError } from './errors.js';

export interface PublicKeyShareBody {
  share_index: number;
  public_key_share: string;
}

/** POST /signatures (current API). */
export interface PushSignaturesBody {
  share_index: number;
  shares: {
    public_key: string;
    public_key_shares: PublicKeyShareBody[];
    exit_signature: string;
    deposit_signature: string;
  }[];
}

/** POST /exit-signature (legacy API). */
export interface PushExitSignaturesBody {
  share_index: number;
  shares: { public_key: string; exit_signature: string }[];
}

export interface RelayerPort {
  /** GET /info */
  info(): Promise<unknown>;
  /** GET /validators (current API) */
  validators(): Promise<unknown>;
  /** POST /signatures (current API) */
  pushSignatures(body: PushSignaturesBody): Promise<void>;
  /** GET /exits (legacy API) */
  exits(): Promise<unknown>;
  /** POST /exit-signature (legacy API) */
  pushExitSignatures(body: PushExitSignaturesBody): Promise<void>;
}

const MAX_INFO_BYTES = 64 * 1024;

export interface HttpRelayerOptions {
  baseUrl: string;
  timeoutMs: number;
  /** sent as `Authorization: Bearer <token>` */
  token?: string;
  fetch?: typeof fetch;
}

/** Maps the shared client's errors to the sidecar's three relayer failure kinds. */
function toSidecarError(err: unknown): unknown {
  if (err instanceof RelayerClientError) {
    const code =
      err.code === 'RELAYER_UNREACHABLE' || err.code === 'RELAYER_TIMEOUT'
        ? 'RELAYER_UNAVAILABLE'
        : err.code === 'RELAYER_INVALID_RESPONSE'
          ? 'RELAYER_BAD_RESPONSE'
          : 'RELAYER_REJECTED';
    const rejected = err.rejected.slice(0, 10).map((r) => ({ public_key: r.public_key, share_index: r.share_index, code: r.code, message: r.message }));
    return new SidecarError(code, err.message, { status: err.status, ...(rejected.length > 0 ? { rejected } : {}) });
  }
  if (err instanceof ZodError) {
    return new SidecarError('RELAYER_REJECTED', `request not sent, it does not match the relayer API: ${err.issues[0]?.message ?? err.message}`);
  }
  return err;
}

async function mapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toSidecarError(err);
  }
}

/**
 * The relayer over HTTP, through the suite's shared `RelayerClient` (@dvt/stakewise), except
 * GET /info, read leniently: a legacy relayer answers `{network}` only, which is how `auto`
 * tells the API generations apart.
 */
export class HttpRelayer implements RelayerPort {
  private readonly client: RelayerClient;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: HttpRelayerOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? fetch;
    this.client = new RelayerClient({
      baseUrl: this.baseUrl,
      timeoutMs: opts.timeoutMs,
      token: opts.token,
      userAgent: 'dvt-sidecar',
      fetch: opts.fetch,
    });
  }

  async info(): Promise<unknown> {
    const url = `${this.baseUrl}/info`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.opts.timeoutMs) });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : describeFetchError(err);
      throw new SidecarError('RELAYER_UNAVAILABLE', `GET ${url}: ${reason}`, { url });
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new SidecarError('RELAYER_REJECTED', `GET ${url}: HTTP ${response.status} ${truncate(text)}`, { url, status: response.status });
    if (text.length > MAX_INFO_BYTES) throw new SidecarError('RELAYER_BAD_RESPONSE', `GET ${url}: answer is too large`, { url });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SidecarError('RELAYER_BAD_RESPONSE', `GET ${url}: answer is not JSON: ${truncate(text)}`, { url });
    }
  }

  validators(): Promise<unknown> {
    return mapped(() => this.client.validators());
  }

  pushSignatures(body: PushSignaturesBody): Promise<void> {
    return mapped(() => this.client.pushSignatures(body));
  }

  exits(): Promise<unknown> {
    return mapped(() => this.client.exits());
  }

  pushExitSignatures(body: PushExitSignaturesBody): Promise<void> {
    return mapped(() => this.client.pushExitSignatures(body));
  }
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

function truncate(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? oneLine.slice(0, max) + '…' : oneLine;
}
