/** Prometheus metrics of one relayer instance (own registry, so several instances can share a process in tests). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ShareOutcome = 'accepted' | 'duplicate' | 'rejected';

export class RelayerMetrics {
  readonly registry = new Registry();
  readonly sharesReceived = new Counter({
    name: 'relayer_shares_received_total',
    help: 'Signature shares received, by API generation and outcome',
    labelNames: ['api', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly sharesRejected = new Counter({
    name: 'relayer_shares_rejected_total',
    help: 'Signature shares rejected, by reason code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rebuilds = new Counter({
    name: 'relayer_rebuilds_total',
    help: 'Signature rebuilds from t partial signatures, by kind (exit, deposit) and result',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });
  readonly rebuildSeconds = new Histogram({
    name: 'relayer_rebuild_seconds',
    help: 'Rebuild + verification + oracle re-share + encryption of one validator',
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly readySeconds = new Histogram({
    name: 'relayer_validator_ready_seconds',
    help: 'From a validator binding to all its signatures and oracle shards being ready',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: 'relayer_http_request_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly protocolConfigLoaded = new Gauge({
    name: 'relayer_protocol_config_loaded',
    help: '1 when an oracle set is loaded',
    registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
