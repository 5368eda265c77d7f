/**
 * Where CPU-bound BLS work runs. Services depend on `TblsExecutor`; `createTblsWorkerPool` runs the
 * work on worker threads (the event loop stays free and every core is used), `createInlineTblsExecutor`
 * on the calling thread (tests, CLIs, and the fallback when worker threads cannot start).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type SignatureSetBytes, verifyBatch, verifyEach } from './bls.js';
import { TblsError, type TblsErrorCode } from './errors.js';
import { type ReshareAndEncryptArgs, type ReshareAndEncryptResult, reshareAndEncryptSignature } from './oracle-shards.js';
import { type SerializedTaskError, type SignatureSetSlice, type TaskRequest, type TblsTaskName, type WorkerMessage } from './tasks.js';
import { type RecoverVerifiedArgs, type RecoverVerifiedResult, recoverVerifiedSignature } from './threshold.js';

export interface TblsExecutor {
  /** 'worker-threads': a pool of worker threads; 'inline': the calling thread */
  readonly mode: 'worker-threads' | 'inline';
  /** worker threads doing the work (0 inline) */
  readonly threads: number;
  /** why a requested worker pool runs inline instead */
  readonly fallbackReason?: string;
  /** `verifyBatch`; large lists are split across the threads (all parts must pass) */
  verifyBatch(items: readonly SignatureSetBytes[]): Promise<boolean>;
  /** `verifyEach`; large lists are split across the threads */
  verifyEach(items: readonly SignatureSetBytes[]): Promise<boolean[]>;
  recoverVerifiedSignature(args: RecoverVerifiedArgs): Promise<RecoverVerifiedResult>;
  /** `reshareAndEncryptSignature` */
  reshareAndEncrypt(args: ReshareAndEncryptArgs): Promise<ReshareAndEncryptResult>;
  /** Finishes the work already submitted, then stops the threads; later calls reject with EXECUTOR_CLOSED. */
  close(): Promise<void>;
}

function closedError(): TblsError {
  return new TblsError('EXECUTOR_CLOSED', 'the tbls executor is closed');
}

function inlineExecutor(fallbackReason?: string): TblsExecutor {
  let closed = false;
  const run = async <T>(work: () => T): Promise<T> => {
    if (closed) throw closedError();
    return work();
  };
  return {
    mode: 'inline',
    threads: 0,
    ...(fallbackReason === undefined ? {} : { fallbackReason }),
    verifyBatch: (items) => run(() => verifyBatch(items)),
    verifyEach: (items) => run(() => verifyEach(items)),
    recoverVerifiedSignature: (args) => run(() => recoverVerifiedSignature(args)),
    reshareAndEncrypt: (args) => run(() => reshareAndEncryptSignature(args)),
    close: async () => {
      closed = true;
    },
  };
}

/** Runs every operation synchronously on the calling thread (blocking it), behind the `TblsExecutor` interface. */
export function createInlineTblsExecutor(): TblsExecutor {
  return inlineExecutor();
}

export interface TblsWorkerPoolOptions {
  /** worker threads; default: os.availableParallelism() */
  size?: number;
  /** when the threads cannot start, return an inline executor (default true) instead of throwing WORKER_FAILED */
  fallbackToInline?: boolean;
  /** lists shorter than twice this many items are not split across threads (default 16) */
  minItemsPerChunk?: number;
  /** a thread that has not loaded within this time counts as failed (default 60 000 ms) */
  startTimeoutMs?: number;
  /** the worker entry; default: worker.js next to this module (present in the compiled output only) */
  workerUrl?: URL;
}

const MAX_POOL_SIZE = 64;

/**
 * Starts `size` worker threads and resolves once all have loaded the crypto backends. When they
 * cannot start (no compiled worker.js, e.g. under jest, or a failing thread) it resolves to an
 * inline executor whose `fallbackReason` says why, unless `fallbackToInline` is false (then it
 * rejects with WORKER_FAILED). Errors thrown in a thread are rethrown as TblsError with the same code.
 */
export async function createTblsWorkerPool(options: TblsWorkerPoolOptions = {}): Promise<TblsExecutor> {
  const size = options.size ?? availableParallelism();
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_POOL_SIZE) {
    throw new TblsError('INVALID_ARGUMENT', `size: expected an integer in [1, ${MAX_POOL_SIZE}], got ${String(size)}`, { size });
  }
  const minItemsPerChunk = options.minItemsPerChunk ?? 16;
  if (!Number.isSafeInteger(minItemsPerChunk) || minItemsPerChunk < 1) {
    throw new TblsError('INVALID_ARGUMENT', `minItemsPerChunk: expected a positive integer, got ${String(minItemsPerChunk)}`);
  }
  const fallBack = (reason: string): TblsExecutor => {
    if (options.fallbackToInline === false) throw new TblsError('WORKER_FAILED', `cannot start tbls worker threads: ${reason}`);
    return inlineExecutor(reason);
  };

  let workerUrl = options.workerUrl;
  if (workerUrl === undefined) {
    if (!import.meta.url.endsWith('.js')) {
      return fallBack(`running from TypeScript sources (${import.meta.url}); worker threads need the compiled worker.js`);
    }
    workerUrl = new URL('./worker.js', import.meta.url);
  }
  if (workerUrl.protocol === 'file:' && !existsSync(fileURLToPath(workerUrl))) return fallBack(`worker entry ${workerUrl.href} not found`);

  const pool = new WorkerPool(workerUrl, options.startTimeoutMs ?? 60_000, minItemsPerChunk);
  try {
    await pool.start(size);
  } catch (err) {
    await pool.terminate();
    return fallBack((err as Error).message);
  }
  return pool.executor();
}

/**
 * Short per-validator tasks whose callers hold something while they wait (a database row lock and
 * connection in the relayer): queued ahead of verification slices, which are many and can wait.
 */
const URGENT_TASKS: ReadonlySet<TblsTaskName> = new Set<TblsTaskName>(['recoverVerifiedSignature', 'reshareAndEncrypt']);

interface Job {
  task: TblsTaskName;
  args: unknown;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  ready: boolean;
  job?: { id: number } & Job;
}

function deserializeError(error: SerializedTaskError): Error {
  if (error.code !== undefined) return new TblsError(error.code as TblsErrorCode, error.message, error.details);
  const out = new Error(error.message);
  out.name = error.name;
  return out;
}

/** Cuts `items` into at most `parts` contiguous slices of at least `minItems` items. */
function slices(items: readonly SignatureSetBytes[], parts: number, minItems: number): SignatureSetSlice[] {
  const count = Array.isArray(items) ? Math.max(1, Math.min(parts, Math.floor(items.length / minItems))) : 1;
  if (count === 1) return [{ items, offset: 0 }];
  const out: SignatureSetSlice[] = [];
  for (let i = 0; i < count; i++) {
    const start = Math.floor((i * items.length) / count);
    const end = Math.floor(((i + 1) * items.length) / count);
    out.push({ items: items.slice(start, end), offset: start });
  }
  return out;
}

class WorkerPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private brokenReason: string | undefined;

  constructor(
    private readonly url: URL,
    private readonly startTimeoutMs: number,
    private readonly minItemsPerChunk: number,
  ) {}

  async start(size: number): Promise<void> {
    await Promise.all(Array.from({ length: size }, () => this.spawn()));
  }

  executor(): TblsExecutor {
    const threads = this.threads.length;
    const submit = <T>(task: TblsTaskName, args: unknown) => this.submit(task, args) as Promise<T>;
    const split = async <T>(task: 'verifyBatch' | 'verifyEach', items: readonly SignatureSetBytes[]): Promise<T[]> => {
      const parts = slices(items, threads, this.minItemsPerChunk);
      const settled = await Promise.allSettled(parts.map((part) => submit<T>(task, part)));
      // The first failing slice in list order: the same error the inline executor gives.
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
    };
    return {
      mode: 'worker-threads',
      threads,
      verifyBatch: async (items) => (await split<boolean>('verifyBatch', items)).every(Boolean),
      verifyEach: async (items) => (await split<boolean[]>('verifyEach', items)).flat(),
      recoverVerifiedSignature: (args) => submit<RecoverVerifiedResult>('recoverVerifiedSignature', args),
      reshareAndEncrypt: (args) => submit<ReshareAndEncryptResult>('reshareAndEncrypt', args),
      close: () => this.close(),
    };
  }

  private spawn(): Promise<void> {
    const worker = new Worker(this.url);
    const thread: Thread = { worker, ready: false };
    this.threads.push(thread);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`worker thread did not start within ${this.startTimeoutMs} ms`));
        void worker.terminate();
      }, this.startTimeoutMs);
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          thread.ready = true;
          worker.unref();
          resolve();
          this.pump();
          return;
        }
        this.finish(thread, message);
      });
      worker.on('error', (err) => {
        clearTimeout(timer);
        if (!thread.ready) reject(new Error(`worker thread failed to start: ${err.message}`));
        this.lose(thread, `worker thread crashed: ${err.message}`);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (!thread.ready) reject(new Error(`worker thread exited with code ${code} before it started`));
        this.lose(thread, `worker thread exited with code ${code}`);
      });
    });
  }

  /** A thread is gone: fail its job, and replace it if it had been working (a thread that never started is not retried). */
  private lose(thread: Thread, reason: string): void {
    const at = this.threads.indexOf(thread);
    if (at < 0) return;
    this.threads.splice(at, 1);
    if (thread.job) {
      thread.job.reject(new TblsError('WORKER_FAILED', `${reason} while running ${thread.job.task}`, { task: thread.job.task }));
      thread.job = undefined;
    }
    if (thread.ready && this.closing === undefined) {
      this.spawn().catch(() => undefined);
      return;
    }
    if (this.threads.length === 0) {
      this.brokenReason = reason;
      for (const job of this.queue.splice(0)) job.reject(new TblsError('WORKER_FAILED', `no tbls worker thread left: ${reason}`, { task: job.task }));
    }
    this.checkDrained();
  }

  private submit(task: TblsTaskName, args: unknown): Promise<unknown> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    if (this.brokenReason !== undefined) return Promise.reject(new TblsError('WORKER_FAILED', `no tbls worker thread left: ${this.brokenReason}`));
    return new Promise((resolve, reject) => {
      const job = { task, args, resolve, reject };
      if (URGENT_TASKS.has(task)) {
        // ahead of queued verification slices, behind earlier urgent jobs
        const firstOther = this.queue.findIndex((j) => !URGENT_TASKS.has(j.task));
        this.queue.splice(firstOther === -1 ? this.queue.length : firstOther, 0, job);
      } else {
        this.queue.push(job);
      }
      this.pump();
    });
  }

  private pump(): void {
    for (const thread of this.threads) {
      if (this.queue.length === 0) return;
      if (!thread.ready || thread.job) continue;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      try {
        thread.worker.postMessage({ id, task: job.task, args: job.args } satisfies TaskRequest);
      } catch (err) {
        job.reject(new TblsError('INVALID_ARGUMENT', `${job.task}: arguments cannot be sent to a worker thread: ${(err as Error).message}`));
        continue;
      }
      thread.job = { id, ...job };
      thread.worker.ref();
    }
  }

  private finish(thread: Thread, message: Exclude<WorkerMessage, { type: 'ready' }>): void {
    const job = thread.job;
    if (job === undefined || job.id !== message.id) return;
    thread.job = undefined;
    thread.worker.unref();
    if (message.type === 'result') job.resolve(message.result);
    else job.reject(deserializeError(message.error));
    this.pump();
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.drained !== undefined && this.queue.length === 0 && this.threads.every((t) => t.job === undefined)) this.drained();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.drained = resolve;
      this.checkDrained();
    }).then(() => this.terminate());
    return this.closing;
  }

  async terminate(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}
