/** The sidecar's operations server: GET /health (liveness), GET /ready (readiness), GET /metrics (Prometheus). */
import { type OpsRouteAnswer, type OpsServer, startOpsServer } from '@dvt/common';
import { type SidecarMetrics } from './metrics.js';
import { type SidecarHealth } from './sidecar.js';

export type HealthServer = OpsServer;

export function startHealthServer(host: string, port: number, health: () => SidecarHealth, metrics: SidecarMetrics): Promise<HealthServer> {
  const answer = (which: 'live' | 'ready') => (): OpsRouteAnswer => {
    const h = health();
    const ok = h[which];
    return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', live: h.live, ready: h.ready, reason: h.reason } };
  };
  return startOpsServer(host, port, { '/health': answer('live'), '/ready': answer('ready') }, metrics.registry);
}
