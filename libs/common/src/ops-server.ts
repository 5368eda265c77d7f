/**
 * The small node:http server every long-running app exposes for operations: GET-only JSON routes
 * (health, readiness, status) and GET /metrics in the Prometheus text format.
 */
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface OpsRouteAnswer {
  status: number;
  body: unknown;
}

/** What serves /metrics (a prom-client Registry fits). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface OpsServer {
  server: Server;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0 = any free port); `routes` maps a path to its JSON answer, computed per request. */
export async function startOpsServer(host: string, port: number, routes: Record<string, () => OpsRouteAnswer>, metrics: MetricsSource): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: 'only GET' });
    if (path === '/metrics') {
      metrics
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(text);
        })
        .catch((error: unknown) => json(500, { error: (error as Error).message }));
      return;
    }
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return json(404, { error: `no route ${path}` });
    const answer = route();
    json(answer.status, answer.body);
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
