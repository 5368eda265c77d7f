/**
 * A tiny IPFS HTTP gateway for tests: `add()` stores a document under a content hash and
 * GET /ipfs/{hash} serves it. Hashes are "bafk" + hex(sha256(content)) — shaped like, not equal
 * to, real CIDs: nothing in the suite recomputes CIDs.
 */
import { createHash } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';

export class MockIpfsGateway {
  private readonly documents = new Map<string, Buffer>();
  private server?: Server;
  /** paths requested, in order */
  readonly requests: string[] = [];
  /** requests answered 503 before serving again (simulates a flaky gateway) */
  failures = 0;

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('MockIpfsGateway: not started');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Stores JSON (objects are serialised) or raw bytes; returns the hash to fetch it by. */
  add(content: unknown): string {
    const bytes = content instanceof Uint8Array ? Buffer.from(content) : Buffer.from(typeof content === 'string' ? content : JSON.stringify(content));
    const hash = 'bafk' + createHash('sha256').update(bytes).digest('hex');
    this.documents.set(hash, bytes);
    return hash;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      this.requests.push(path);
      if (this.failures > 0) {
        this.failures--;
        res.writeHead(503).end('unavailable');
        return;
      }
      const match = /^\/ipfs\/([A-Za-z0-9]+)$/.exec(path);
      const doc = match ? this.documents.get(match[1]!) : undefined;
      if (req.method !== 'GET' || doc === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': doc.length }).end(doc);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
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
}
