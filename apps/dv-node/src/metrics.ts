import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type Duty, type DvNodeObserver, dutyTypeName } from '@dvt/dv';

/** The DV node's Prometheus metrics on their own registry (tests run several nodes in one process). */
export class DvNodeMetrics {
  readonly registry = new Registry();
  readonly consensusDuration = new Histogram({
    name: 'dvt_node_consensus_duration_seconds',
    help: 'From joining a duty to its decision',
    labelNames: ['duty'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
    registers: [this.registry],
  });
  readonly consensusRounds = new Histogram({
    name: 'dvt_node_consensus_decided_round',
    help: 'Round in which a duty was decided (1 = no round change)',
    labelNames: ['duty'] as const,
    buckets: [1, 2, 3, 4, 6, 8],
    registers: [this.registry],
  });
  readonly duties = new Counter({
    name: 'dvt_node_duties_total',
    help: 'Duties ended, by result and reason',
    labelNames: ['duty', 'result', 'reason'] as const,
    registers: [this.registry],
  });
  readonly broadcastLatency = new Histogram({
    name: 'dvt_node_decided_to_broadcast_seconds',
    help: 'From the decision to the aggregated signatures accepted by the beacon node',
    labelNames: ['duty'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
    registers: [this.registry],
  });
  readonly partialsRejected = new Counter({
    name: 'dvt_node_peer_partials_rejected_total',
    help: "Peers' partial signatures dropped, by peer index and reason",
    labelNames: ['peer', 'reason'] as const,
    registers: [this.registry],
  });
  readonly partialTiming = new Counter({
    name: 'dvt_node_peer_partials_timing_total',
    help: "Peers' partial signatures that came after aggregation (late) or not within a slot of it (missing), by peer index",
    labelNames: ['peer', 'kind'] as const,
    registers: [this.registry],
  });
  readonly slashingRefusals = new Counter({
    name: 'dvt_node_slashing_refusals_total',
    help: 'Decided values the local slashing-protection database refused',
    labelNames: ['duty'] as const,
    registers: [this.registry],
  });
  readonly peersConnected = new Gauge({ name: 'dvt_node_peers_connected', help: 'Cluster peers with a live connection', registers: [this.registry] });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The hooks the DV node reports through. */
  observer(): DvNodeObserver {
    const name = (duty: Duty) => dutyTypeName(duty.type);
    return {
      onDecided: (duty, round, durationMs) => {
        this.consensusDuration.observe({ duty: name(duty) }, durationMs / 1000);
        this.consensusRounds.observe({ duty: name(duty) }, round);
      },
      onDutyResult: (duty, ok, _dvs, reason) => this.duties.inc({ duty: name(duty), result: ok ? 'success' : 'failure', reason: ok ? '' : (reason ?? 'unknown') }),
      onBroadcast: (duty, _dvs, latencyMs) => {
        if (latencyMs !== undefined) this.broadcastLatency.observe({ duty: name(duty) }, latencyMs / 1000);
      },
      onPartialRejected: (peer, reason) => this.partialsRejected.inc({ peer: String(peer), reason }),
      onPartialTiming: (peer, kind, count) => this.partialTiming.inc({ peer: String(peer), kind }, count),
      onSlashingRefusal: (duty) => this.slashingRefusals.inc({ duty: name(duty) }),
    };
  }
}
