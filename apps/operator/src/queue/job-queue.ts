/**
 * The operator's BullMQ queue and worker, built from the parsed config (prefix, lock duration,
 * stalled-job interval, attempts, back-off) — which is why they are created here rather than by
 * @nestjs/bullmq's decorators, whose worker options are fixed at class-definition time. One worker
 * with concurrency 1: registrations are sequential, which keeps nonces simple.
 *
 * Errors: an OperatorError that retrying cannot fix ends the job at once (UnrecoverableError);
 * anything else is retried with exponential back-off until the attempts run out.
 */
import { type ConnectionOptions, type Job, type JobsOptions, Queue, UnrecoverableError, Worker } from 'bullmq';
import { DvtError } from '@dvt/common';
import { OracleApprovalError } from '@dvt/stakewise';
import { OperatorError } from '../errors.js';
import { type Logger, ThrottledLogger } from '../logger.js';
import { type OperatorMetrics } from '../metrics.js';
import { type OperatorJobName, type OperatorJobs, STAKING_JOB_NAMES } from './jobs.js';

export const QUEUE_NAME = 'operator';
const PERIODIC_JOBS: ReadonlySet<string> = new Set<OperatorJobName>(['watch-vault', 'prepare-registration']);
const COUNT_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

export interface JobQueueOptions {
  readonly connection: ConnectionOptions;
  readonly prefix: string;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
}

export type JobHandlers = { [N in OperatorJobName]: (data: OperatorJobs[N], job: Job<OperatorJobs[N]>) => Promise<unknown> };

export interface FailedJobInfo {
  readonly id: string;
  readonly name: string;
  readonly attemptsMade: number;
  readonly reason: string;
  readonly finishedOn?: number;
}

export class OperatorQueue {
  readonly queue: Queue;
  private worker?: Worker;
  private onFinalFailure?: (name: OperatorJobName, error: Error) => void;

  constructor(private readonly opts: JobQueueOptions) {
    this.queue = new Queue(QUEUE_NAME, { connection: opts.connection, prefix: opts.prefix });
    this.queue.on('error', (err) => opts.logger.warn('queue connection error', { error: err.message }));
  }

  /** Job options of each job name. */
  private jobOptions(name: OperatorJobName): JobsOptions {
    const retried: JobsOptions = { attempts: this.opts.attempts, backoff: { type: 'exponential', delay: this.opts.backoffMs } };
    switch (name) {
      case 'watch-vault':
        return { attempts: 1, removeOnComplete: true, removeOnFail: true };
      case 'prepare-registration':
        // removed when finished, so the watcher may try the same (root, index) again later
        return { ...retried, removeOnComplete: true, removeOnFail: true };
      case 'register-validators':
      case 'fund-validators':
      case 'withdraw-validators':
      case 'consolidate-validators':
        // kept a week: the id says "this was sent" and status shows the history
        return { ...retried, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { age: 7 * 86_400 } };
    }
  }

  /** Adds a job unless one with the same id exists; true when it was added. */
  async add<N extends OperatorJobName>(name: N, data: OperatorJobs[N], jobId?: string): Promise<boolean> {
    if (jobId !== undefined && (await this.queue.getJob(jobId))) return false;
    await this.queue.add(name, data, { ...this.jobOptions(name), ...(jobId === undefined ? {} : { jobId }) });
    this.opts.metrics.jobsQueued.inc({ job: name });
    return true;
  }

  /** Runs `watch-vault` every `everyMs` (a BullMQ job scheduler: one tick per interval however many operators run). */
  async schedule(name: 'watch-vault', data: OperatorJobs['watch-vault'], everyMs: number): Promise<void> {
    await this.queue.upsertJobScheduler(`${name}-${data.vault.toLowerCase()}`, { every: everyMs }, { name, data, opts: this.jobOptions(name) });
  }

  async unschedule(name: 'watch-vault', data: OperatorJobs['watch-vault']): Promise<void> {
    await this.queue.removeJobScheduler(`${name}-${data.vault.toLowerCase()}`);
  }

  /** Whether a registration job waits or runs. */
  async stakingInFlight(): Promise<boolean> {
    const jobs = await this.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'], 0, 1000);
    return jobs.some((job) => job && (STAKING_JOB_NAMES as string[]).includes(job.name));
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts(...COUNT_STATES);
  }

  async failed(limit = 10): Promise<FailedJobInfo[]> {
    const jobs = await this.queue.getFailed(0, limit - 1);
    return jobs.filter(Boolean).map((job) => ({ id: job.id!, name: job.name, attemptsMade: job.attemptsMade, reason: job.failedReason, finishedOn: job.finishedOn }));
  }

  async active(): Promise<{ id: string; name: string; attemptsMade: number }[]> {
    const jobs = await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 100);
    return jobs.filter(Boolean).map((job) => ({ id: job.id!, name: job.name, attemptsMade: job.attemptsMade }));
  }

  /** Starts the worker; `onFinalFailure` hears of every job that failed for good. */
  start(handlers: JobHandlers, onFinalFailure?: (name: OperatorJobName, error: Error) => void): Worker {
    this.onFinalFailure = onFinalFailure;
    const { logger, metrics } = this.opts;
    const throttled = new ThrottledLogger(logger, 60_000);
    const worker = new Worker(
      QUEUE_NAME,
      async (job: Job) => {
        const name = job.name as OperatorJobName;
        const handler = handlers[name] as ((data: unknown, job: Job) => Promise<unknown>) | undefined;
        if (!handler) throw new UnrecoverableError(`unknown job name ${job.name}`);
        try {
          return await handler(job.data, job);
        } catch (err) {
          if (!isRetryable(err)) {
            const error = new UnrecoverableError((err as Error).message);
            (error as { code?: string }).code = codeOf(err);
            throw error;
          }
          throw err;
        }
      },
      {
        connection: this.opts.connection,
        prefix: this.opts.prefix,
        concurrency: 1,
        lockDuration: this.opts.lockDurationMs,
        stalledInterval: this.opts.stalledIntervalMs,
        maxStalledCount: 2,
      },
    );
    worker.on('completed', (job) => metrics.jobsSucceeded.inc({ job: job.name }));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const code = codeOf(err);
      metrics.jobAttemptsFailed.inc({ job: job.name, code });
      const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final) {
        metrics.jobsFailed.inc({ job: job.name, code });
        const fields = { job: job.name, id: job.id, attempts: job.attemptsMade, code, error: err.message };
        // the periodic jobs fail the same way every poll while a dependency is down: log that once a minute
        if (PERIODIC_JOBS.has(job.name)) throttled.log('error', `${job.name}:${code}`, 'job failed', fields);
        else logger.error('job failed', fields);
        this.onFinalFailure?.(job.name as OperatorJobName, err);
      } else {
        const retryInMs = this.opts.backoffMs * 2 ** Math.max(0, job.attemptsMade - 1);
        logger.warn('job attempt failed: retrying later', { job: job.name, id: job.id, attempt: job.attemptsMade, code, error: err.message, retryInMs });
      }
    });
    worker.on('stalled', (jobId) => logger.warn('job stalled (its worker stopped renewing the lock): it will run again', { id: jobId }));
    worker.on('error', (err) => logger.warn('worker error', { error: err.message }));
    this.worker = worker;
    return worker;
  }

  /** Stops taking jobs; `force` abandons the running one (its lock expires and another worker takes it over). */
  async stopWorker(force = false): Promise<void> {
    await this.worker?.close(force);
    this.worker = undefined;
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await this.queue.close();
  }
}

function isRetryable(err: unknown): boolean {
  if (err instanceof OperatorError) return err.retryable;
  if (err instanceof OracleApprovalError) return err.code === 'NOT_ENOUGH_APPROVALS';
  if (err instanceof DvtError) return false;
  return true;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'UNEXPECTED';
}
