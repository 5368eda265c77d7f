import { Counter, Gauge, Registry } from 'prom-client';

export type SidecarErrorKind =
  /** relayer unreachable, timed out */
  | 'relayer_unavailable'
  /** relayer answered an HTTP error */
  | 'relayer_rejected'
  /** relayer answered something that is not the API's JSON */
  | 'relayer_bad_response'
  /** one validator item of a relayer answer did not parse */
  | 'invalid_item'
  /** a request the sidecar refused to sign (vault not allowed) */
  | 'refused'
  /** a POST of signatures failed */
  | 'push_failed';

/** The sidecar's Prometheus metrics, on their own registry (several sidecars may share a process in tests). */
export class SidecarMetrics {
  readonly registry = new Registry();
  readonly signaturesPushed = new Counter({
    name: 'dvt_sidecar_signatures_pushed_total',
    help: 'Partial signatures accepted by the relayer',
    labelNames: ['kind', 'share_index'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'dvt_sidecar_errors_total',
    help: 'Errors by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly polls = new Counter({ name: 'dvt_sidecar_polls_total', help: 'Completed relayer polls', registers: [this.registry] });
  readonly sharesHeld = new Gauge({ name: 'dvt_sidecar_key_shares', help: 'Key shares held (validator × share index)', registers: [this.registry] });
  readonly pendingValidators = new Gauge({
    name: 'dvt_sidecar_relayer_pending_validators',
    help: 'Validators of the last poll that still needed a signature from this sidecar',
    registers: [this.registry],
  });
  readonly lastPoll = new Gauge({
    name: 'dvt_sidecar_last_successful_poll_timestamp_seconds',
    help: 'Unix time of the last successful poll',
    registers: [this.registry],
  });

  countError(kind: SidecarErrorKind, n = 1): void {
    this.errors.inc({ kind }, n);
  }

  async errorCount(kind: SidecarErrorKind): Promise<number> {
    const metric = await this.errors.get();
    return metric.values.find((v) => v.labels.kind === kind)?.value ?? 0;
  }

  async pushedCount(kind: 'exit' | 'deposit'): Promise<number> {
    const metric = await this.signaturesPushed.get();
    return metric.values.filter((v) => v.labels.kind === kind).reduce((n, v) => n + v.value, 0);
  }
}
