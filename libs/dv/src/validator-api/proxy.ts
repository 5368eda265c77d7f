import * as http from 'node:http';
import * as https from 'node:https';
import { ValidatorApiError } from './errors.js';
import { forwardableHeaders } from './http.js';

export interface BeaconAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Forwards requests to the beacon node, streamed or buffered. */
export class BeaconNodeProxy {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(
    beaconNodeUrl: string,
    private readonly headersTimeoutMs: number,
  ) {
    try {
      this.base = new URL(beaconNodeUrl);
    } catch {
      throw new ValidatorApiError('INVALID_CONFIG', `beacon node URL ${JSON.stringify(beaconNodeUrl)} is not a URL`);
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new ValidatorApiError('INVALID_CONFIG', `beacon node URL must be http(s), got ${this.base.protocol}`);
    }
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** The beacon node's origin, for messages (no credentials, no path). */
  get origin(): string {
    return this.base.origin;
  }

  close(): void {
    this.agent.destroy();
  }

  private open(method: string, pathAndQuery: string, headers: http.OutgoingHttpHeaders): http.ClientRequest {
    const basePath = this.base.pathname.replace(/\/$/, '');
    const options: http.RequestOptions = {
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      port: this.base.port || undefined,
      path: basePath + pathAndQuery,
      method,
      headers,
      agent: this.agent,
    };
    if (this.base.username) options.auth = `${decodeURIComponent(this.base.username)}:${decodeURIComponent(this.base.password)}`;
    return (this.base.protocol === 'https:' ? https : http).request(options);
  }

  private unavailable(error: Error | string): ValidatorApiError {
    const why = typeof error === 'string' ? error : error.message;
    return new ValidatorApiError('BEACON_NODE_UNAVAILABLE', `beacon node at ${this.origin} is unreachable: ${why}`);
  }

  /**
   * Streams `req` to the beacon node and its answer back to `res` unchanged (status, headers,
   * body, event streams). Before the answer's headers arrive, failures reject with
   * BEACON_NODE_UNAVAILABLE (the caller answers 503); after, the client connection is cut.
   */
  stream(req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    return new Promise((resolve, reject) => {
      const upstream = this.open(req.method ?? 'GET', req.url ?? '/', forwardableHeaders(req.headers));
      let answered = false;
      const timer = setTimeout(() => {
        upstream.destroy(new Error(`no answer within ${this.headersTimeoutMs} ms`));
      }, this.headersTimeoutMs);
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.on('error', (error) => {
        clearTimeout(timer);
        if (answered) {
          res.destroy();
          return;
        }
        req.resume();
        reject(this.unavailable(error));
      });
      upstream.on('response', (answer) => {
        answered = true;
        clearTimeout(timer);
        res.writeHead(answer.statusCode ?? 502, forwardableHeaders(answer.headers));
        res.flushHeaders();
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        resolve(answer.statusCode ?? 502);
      });
      req.pipe(upstream);
    });
  }

  /** One buffered exchange (for answers the validator API rewrites). */
  fetch(method: string, pathAndQuery: string, headers: http.OutgoingHttpHeaders, body: Uint8Array | undefined, signal: AbortSignal): Promise<BeaconAnswer> {
    return new Promise((resolve, reject) => {
      const upstream = this.open(method, pathAndQuery, body === undefined ? headers : { ...headers, 'content-length': body.length });
      const timer = setTimeout(() => upstream.destroy(new Error(`no answer within ${this.headersTimeoutMs} ms`)), this.headersTimeoutMs);
      const onAbort = (): void => {
        upstream.destroy(new Error('the validator client closed the request'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      upstream.on('error', (error) => {
        done();
        reject(this.unavailable(error));
      });
      upstream.on('response', (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          done();
          resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) });
        });
        answer.on('error', (error) => {
          done();
          reject(this.unavailable(error));
        });
      });
      upstream.end(body);
    });
  }
}
