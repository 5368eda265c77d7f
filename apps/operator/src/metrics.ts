/** Prometheus metrics of one operator (own registry: several operators may share a process in tests). */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly jobsQueued = new Counter({
    name: 'dvt_operator_jobs_queued_total',
    help: 'Jobs added to the queue, by job name (a job id already queued is not counted)',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });
  readonly jobsSucceeded = new Counter({
    name: 'dvt_operator_jobs_succeeded_total',
    help: 'Jobs completed, by job name',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });
  readonly jobsFailed = new Counter({
    name: 'dvt_operator_jobs_failed_total',
    help: 'Jobs failed for good (no attempt left, or an error retrying cannot fix), by job name and error code',
    labelNames: ['job', 'code'] as const,
    registers: [this.registry],
  });
  readonly jobAttemptsFailed = new Counter({
    name: 'dvt_operator_job_attempts_failed_total',
    help: 'Failed job attempts (retried or not), by job name and error code',
    labelNames: ['job', 'code'] as const,
    registers: [this.registry],
  });
  readonly transactions = new Counter({
    name: 'dvt_operator_transactions_total',
    help: 'Transactions mined, by kind and outcome (sent: broadcast by the attempt that saw it mined; resumed: broadcast by an earlier attempt; reverted)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly gasUsed = new Counter({
    name: 'dvt_operator_gas_used_total',
    help: 'Gas used by the operator’s confirmed transactions',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly gasSpentEth = new Counter({
    name: 'dvt_operator_gas_spent_eth_total',
    help: 'ETH paid for gas by the operator’s confirmed transactions',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly validatorsRegistered = new Counter({
    name: 'dvt_operator_validators_registered_total',
    help: 'Validators registered in the vault by this operator, by validator type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly oracleAnswers = new Counter({
    name: 'dvt_operator_oracle_answers_total',
    help: 'Oracle answers to approval requests, by outcome (approved, ignored)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly stakeableGwei = new Gauge({
    name: 'dvt_operator_vault_stakeable_gwei',
    help: 'Vault assets available for new deposits, in gwei (last check)',
    registers: [this.registry],
  });
  readonly queueJobs: Gauge<'state'>;

  /** `queueCounts` is read on every scrape for dvt_operator_queue_jobs. */
  constructor(defaultMetrics = true, queueCounts?: () => Promise<Record<string, number>>) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.queueJobs = new Gauge({
      name: 'dvt_operator_queue_jobs',
      help: 'Jobs in the queue by state (read on scrape)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        if (!queueCounts) return;
        try {
          for (const [state, count] of Object.entries(await queueCounts())) this.set({ state }, count);
        } catch {
          // Redis down: keep the last values; readiness reports it
        }
      },
    });
  }

  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = await this.registry.getSingleMetric(name)?.get();
    const entry = metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    return entry?.value ?? 0;
  }
}
