/**
 * The sidecar loop: check the relayer serves our network, then poll it for validators that still
 * miss this node's partial signatures, sign their exit (and, in the current API, deposit)
 * messages with the shares held, and push them. Relayer failures are logged (throttled), counted
 * and retried with exponential back-off; nothing but a relayer on another network stops the loop.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { z } from 'zod';
import { bytesToHex } from '@dvt/common';
import { type NetworkConfig } from '@dvt/eth2';
import { type SidecarConfig } from './config.js';
import { SidecarError } from './errors.js';
import { type Logger, ThrottledLogger } from './logger.js';
import { type SidecarErrorKind, type SidecarMetrics } from './metrics.js';
import { type PushExitSignaturesBody, type PushSignaturesBody, type RelayerPort } from './relayer.js';
import { type HeldShare, type ShareBook, signDepositShare, signExitShare } from './share-book.js';

const GWEI_PER_ETH = 1_000_000_000;
const MIN_DEPOSIT_GWEI = GWEI_PER_ETH;
const MAX_DEPOSIT_GWEI = 2048 * GWEI_PER_ETH;
/** signatures between two yields to the event loop (keeps the health endpoint answering) */
const SIGNATURES_PER_SLICE = 32;

export type RelayerApi = 'current' | 'legacy';

const hex = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`));
const index = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const infoSchema = z.object({
  network: z.string(),
  validators_manager_address: z.string().nullable().optional(),
});

const validatorSchema = z.object({
  public_key: hex(48),
  vault: hex(20),
  amount: z.number().int().min(MIN_DEPOSIT_GWEI).max(MAX_DEPOSIT_GWEI),
  validator_type: z.enum(['0x01', '0x02']),
  validator_index: index,
  share_indexes_ready: z.array(index).default([]),
  is_signatures_ready: z.boolean().default(false),
});
type RelayerValidator = z.output<typeof validatorSchema>;

const exitSchema = z.object({
  public_key: hex(48),
  validator_index: index,
  is_exit_signature_ready: z.boolean().default(false),
  share_indexes_ready: z.array(index).default([]),
});
type RelayerExit = z.output<typeof exitSchema>;

export interface PollReport {
  /** items in the relayer's answer */
  listed: number;
  /** items that did not parse */
  invalid: number;
  /** (validator, share index) pairs refused (vault not allowed) */
  refused: number;
  /** (validator, share index) pairs signed and pushed */
  pushed: number;
  /** POSTs that failed */
  failedPushes: number;
}

export interface SidecarDeps {
  config: SidecarConfig;
  network: NetworkConfig;
  book: ShareBook;
  relayer: RelayerPort;
  logger: Logger;
  metrics: SidecarMetrics;
  /** injectable for tests */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
}

export interface SidecarHealth {
  live: boolean;
  ready: boolean;
  reason?: string;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function errorKind(err: unknown): SidecarErrorKind {
  if (err instanceof SidecarError) {
    if (err.code === 'RELAYER_UNAVAILABLE') return 'relayer_unavailable';
    if (err.code === 'RELAYER_REJECTED') return 'relayer_rejected';
  }
  return 'relayer_bad_response';
}

interface CachedSignatures {
  exit: string;
  deposit?: string;
}

export class Sidecar {
  private readonly throttled: ThrottledLogger;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly controller = new AbortController();
  private api: RelayerApi | undefined;
  private needsInfoCheck = true;
  private lastSuccessAt: number | undefined;
  private state: 'idle' | 'running' | 'stopped' | 'failed' = 'idle';
  private failure: string | undefined;
  /** signatures are deterministic: keep them while the relayer still lists the item */
  private cache = new Map<string, CachedSignatures>();

  constructor(private readonly deps: SidecarDeps) {
    this.throttled = new ThrottledLogger(deps.logger, 60_000, deps.now);
    this.sleep = deps.sleep ?? abortableSleep;
    this.now = deps.now ?? Date.now;
    deps.metrics.sharesHeld.set(deps.book.size());
  }

  /** The API in use, once /info was read (or as configured). */
  relayerApi(): RelayerApi | undefined {
    return this.api;
  }

  health(): SidecarHealth {
    if (this.state === 'failed') return { live: false, ready: false, reason: this.failure };
    if (this.state !== 'running') return { live: this.state === 'idle', ready: false, reason: `sidecar is ${this.state}` };
    if (this.lastSuccessAt === undefined) return { live: true, ready: false, reason: 'relayer not reached yet' };
    const staleAfter = 2 * (this.deps.config.maxBackoffMs + this.deps.config.relayer.timeoutMs);
    const age = this.now() - this.lastSuccessAt;
    if (age > staleAfter) return { live: true, ready: false, reason: `no successful poll for ${Math.round(age / 1000)} s` };
    return { live: true, ready: true };
  }

  stop(): void {
    if (this.state === 'running' || this.state === 'idle') this.state = 'stopped';
    this.controller.abort();
  }

  /**
   * Runs until stop(). Rejects only with NETWORK_MISMATCH (the relayer serves another network):
   * the sidecar must not sign for it.
   */
  async run(): Promise<void> {
    const { config, logger, metrics } = this.deps;
    const signal = this.controller.signal;
    if (this.state === 'stopped') return;
    this.state = 'running';
    logger.info('sidecar started', {
      network: this.deps.network.name,
      relayer: config.relayer.url,
      shareIndexes: this.deps.book.shareIndexes(),
      validators: this.deps.book.validatorCount(),
    });
    let backoff = config.pollIntervalMs;
    while (!signal.aborted) {
      try {
        if (this.needsInfoCheck) await this.checkRelayer();
        const report = await this.pollOnce();
        if (report.failedPushes === 0) {
          backoff = config.pollIntervalMs;
          await this.sleep(config.pollIntervalMs, signal);
          continue;
        }
        // failed pushes are already counted and logged: only back off
      } catch (err) {
        if (err instanceof SidecarError && err.code === 'NETWORK_MISMATCH') {
          this.state = 'failed';
          this.failure = err.message;
          logger.error('refusing to sign for a relayer on another network', { error: err.message });
          throw err;
        }
        const kind = errorKind(err);
        metrics.countError(kind);
        if (kind === 'relayer_unavailable') this.needsInfoCheck = true;
        this.throttled.log('warn', `poll:${kind}`, 'relayer poll failed, backing off', {
          error: err instanceof Error ? err.message : String(err),
          retryInMs: backoff,
        });
      }
      await this.sleep(backoff, signal);
      backoff = Math.min(backoff * 2, config.maxBackoffMs);
    }
    if (this.state === 'running') this.state = 'stopped';
    logger.info('sidecar stopped');
  }

  /** GET /info: the relayer must serve our network; picks the API generation when set to auto. */
  async checkRelayer(): Promise<RelayerApi> {
    const raw = await this.deps.relayer.info();
    const info = infoSchema.safeParse(raw);
    if (!info.success) throw new SidecarError('RELAYER_BAD_RESPONSE', 'GET /info: expected {network, validators_manager_address?}');
    if (info.data.network !== this.deps.network.name) {
      throw new SidecarError(
        'NETWORK_MISMATCH',
        `the relayer serves network "${info.data.network}" but this sidecar signs for "${this.deps.network.name}"`,
        { relayer: info.data.network, sidecar: this.deps.network.name },
      );
    }
    const configured = this.deps.config.relayer.api;
    const api: RelayerApi = configured !== 'auto' ? configured : 'validators_manager_address' in (raw as object) ? 'current' : 'legacy';
    if (this.api !== api) this.deps.logger.info('relayer checked', { network: info.data.network, api });
    this.api = api;
    this.needsInfoCheck = false;
    this.throttled.clear('poll:relayer_unavailable');
    return api;
  }

  /** One poll: fetch, sign what is missing, push. Throws on a relayer failure of the fetch. */
  async pollOnce(): Promise<PollReport> {
    const api = this.api ?? (await this.checkRelayer());
    const report = api === 'current' ? await this.pollCurrent() : await this.pollLegacy();
    this.lastSuccessAt = this.now();
    this.deps.metrics.polls.inc();
    this.deps.metrics.lastPoll.set(Math.floor(this.lastSuccessAt / 1000));
    return report;
  }

  private parseList<T>(raw: unknown, key: string, schema: z.ZodType<T>, what: string): { items: T[]; listed: number; invalid: number } {
    const list = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(list)) throw new SidecarError('RELAYER_BAD_RESPONSE', `${what}: expected {${key}: [...]}`);
    const items: T[] = [];
    let invalid = 0;
    list.forEach((item, i) => {
      const parsed = schema.safeParse(item);
      if (parsed.success) items.push(parsed.data);
      else {
        invalid++;
        const publicKey = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).public_key : undefined;
        this.throttled.log('warn', `invalid:${String(publicKey)}`, 'relayer listed an item that does not parse: skipped', {
          what,
          position: i,
          publicKey: typeof publicKey === 'string' ? publicKey.slice(0, 100) : undefined,
          problems: parsed.error.issues.slice(0, 3).map((x) => `${x.path.join('.')}: ${x.message}`),
        });
      }
    });
    if (invalid) this.deps.metrics.countError('invalid_item', invalid);
    return { items, listed: list.length, invalid };
  }

  /** Deposits are only signed for allowed vaults and, when the cluster files bind the validator, its own withdrawal address. */
  private depositRefusal(share: HeldShare, vault: string): string | undefined {
    const allowed = this.deps.config.vaults;
    if (allowed.length > 0 && !allowed.includes(vault)) return `vault ${vault} is not among the configured vaults`;
    if (share.withdrawalAddress !== undefined && share.withdrawalAddress !== vault) {
      return `the cluster lock binds this validator to withdrawal address ${share.withdrawalAddress}, not vault ${vault}`;
    }
    return undefined;
  }

  private async pollCurrent(): Promise<PollReport> {
    const { book, network, relayer, metrics } = this.deps;
    const { items, listed, invalid } = this.parseList<RelayerValidator>(await relayer.validators(), 'validators', validatorSchema, 'GET /validators');
    const report: PollReport = { listed, invalid, refused: 0, pushed: 0, failedPushes: 0 };
    const nextCache = new Map<string, CachedSignatures>();
    let pending = 0;
    let signedInSlice = 0;
    for (const shareIndex of book.shareIndexes()) {
      const body: PushSignaturesBody['shares'] = [];
      for (const v of items) {
        if (v.is_signatures_ready || v.share_indexes_ready.includes(shareIndex)) continue;
        const share = book.get(shareIndex, v.public_key);
        if (share === undefined) continue; // another cluster's validator
        const vault = v.vault.toLowerCase();
        const refusal = this.depositRefusal(share, vault);
        if (refusal !== undefined) {
          report.refused++;
          metrics.countError('refused');
          this.throttled.log('warn', `refused:${share.publicKey}:${vault}`, 'refusing to sign a deposit', {
            validator: share.publicKey,
            shareIndex,
            reason: refusal,
          });
          continue;
        }
        pending++;
        const key = `${shareIndex}|${share.publicKey}|${v.validator_index}|${vault}|${v.amount}|${v.validator_type}`;
        let signatures = this.cache.get(key);
        if (signatures === undefined) {
          signatures = this.signSafely(share, () => ({
            exit: bytesToHex(signExitShare(network, share, v.validator_index)),
            deposit: bytesToHex(signDepositShare(network, share, vault, v.validator_type, v.amount)),
          }));
          if (signatures === undefined) {
            report.invalid++;
            continue;
          }
          if (++signedInSlice % SIGNATURES_PER_SLICE === 0) await yieldToEventLoop();
        }
        nextCache.set(key, signatures);
        body.push({ public_key: share.publicKey, public_key_shares: share.publicShares, exit_signature: signatures.exit, deposit_signature: signatures.deposit! });
      }
      await this.pushInChunks(body, shareIndex, report, (shares) => relayer.pushSignatures({ share_index: shareIndex, shares }), true);
    }
    this.cache = nextCache;
    metrics.pendingValidators.set(pending);
    return report;
  }

  private async pollLegacy(): Promise<PollReport> {
    const { book, network, relayer, metrics } = this.deps;
    const { items, listed, invalid } = this.parseList<RelayerExit>(await relayer.exits(), 'exits', exitSchema, 'GET /exits');
    const report: PollReport = { listed, invalid, refused: 0, pushed: 0, failedPushes: 0 };
    const nextCache = new Map<string, CachedSignatures>();
    let pending = 0;
    let signedInSlice = 0;
    for (const shareIndex of book.shareIndexes()) {
      const body: PushExitSignaturesBody['shares'] = [];
      for (const e of items) {
        if (e.is_exit_signature_ready || e.share_indexes_ready.includes(shareIndex)) continue;
        const share = book.get(shareIndex, e.public_key);
        if (share === undefined) continue;
        pending++;
        const key = `${shareIndex}|${share.publicKey}|${e.validator_index}`;
        let signatures = this.cache.get(key);
        if (signatures === undefined) {
          signatures = this.signSafely(share, () => ({ exit: bytesToHex(signExitShare(network, share, e.validator_index)) }));
          if (signatures === undefined) {
            report.invalid++;
            continue;
          }
          if (++signedInSlice % SIGNATURES_PER_SLICE === 0) await yieldToEventLoop();
        }
        nextCache.set(key, signatures);
        body.push({ public_key: share.publicKey, exit_signature: signatures.exit });
      }
      await this.pushInChunks(body, shareIndex, report, (shares) => relayer.pushExitSignatures({ share_index: shareIndex, shares }), false);
    }
    this.cache = nextCache;
    metrics.pendingValidators.set(pending);
    return report;
  }

  /** One item that cannot be signed (a value the schema let through but eth2 rejects) is skipped, not fatal. */
  private signSafely(share: HeldShare, signItem: () => CachedSignatures): CachedSignatures | undefined {
    try {
      return signItem();
    } catch (err) {
      this.deps.metrics.countError('invalid_item');
      this.throttled.log('warn', `sign:${share.publicKey}`, 'cannot sign a relayer item: skipped', {
        validator: share.publicKey,
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }

  private async pushInChunks<T>(
    shares: T[],
    shareIndex: number,
    report: PollReport,
    push: (chunk: T[]) => Promise<void>,
    withDeposits: boolean,
  ): Promise<void> {
    const { metrics, logger, config, book } = this.deps;
    for (let start = 0; start < shares.length; start += config.maxSharesPerPush) {
      const chunk = shares.slice(start, start + config.maxSharesPerPush);
      try {
        await push(chunk);
        report.pushed += chunk.length;
        metrics.signaturesPushed.inc({ kind: 'exit', share_index: String(shareIndex) }, chunk.length);
        if (withDeposits) metrics.signaturesPushed.inc({ kind: 'deposit', share_index: String(shareIndex) }, chunk.length);
        logger.info('pushed signature shares', { shareIndex, from: book.label(shareIndex), validators: chunk.length, deposits: withDeposits });
        this.throttled.clear(`push:${shareIndex}`);
      } catch (err) {
        report.failedPushes++;
        metrics.countError('push_failed');
        if (err instanceof SidecarError && err.code === 'RELAYER_UNAVAILABLE') this.needsInfoCheck = true;
        this.throttled.log('warn', `push:${shareIndex}`, 'pushing signature shares failed', {
          shareIndex,
          validators: chunk.length,
          error: err instanceof Error ? err.message : String(err),
          rejected: err instanceof SidecarError ? err.details?.rejected : undefined,
        });
      }
    }
  }
}
