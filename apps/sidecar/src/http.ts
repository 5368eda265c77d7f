/** A thin node:http server: GET /health (liveness), GET /ready (readiness), GET /metrics (Prometheus). */
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type SidecarMetrics } from './metrics.js';
import { type SidecarHealth } from './sidecar.js';

export interface HealthServer {
  server: Server;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(
  host: string,
  port: number,
  health: () => SidecarHealth,
  metrics: SidecarMetrics,
): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: 'only GET' });
    if (path === '/health' || path === '/ready') {
      const h = health();
      const ok = path === '/health' ? h.live : h.ready;
      return json(ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', live: h.live, ready: h.ready, reason: h.reason });
    }
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => json(500, { error: (err as Error).message }));
      return;
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
