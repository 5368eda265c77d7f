/**
 * Structured, levelled logs: one JSON object per line ({time, level, msg, ...fields}). Callers never
 * pass key material; as a last line of defence, fields whose name looks like a secret are masked.
 */
import { type LoggerService } from '@nestjs/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /pass(word)?|secret|token|private|mnemonic|keystore|raw_?tx|^exit_?signature$/i;

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

function printable(fields: LogFields | undefined): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (SECRET_FIELD.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = value.message;
    else if (typeof value === 'bigint') out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}

/** `base` fields (e.g. `{ node: 2 }`) go on every line. */
export function createJsonLogger(level: LogLevel, write: (line: string) => void, now: () => number = Date.now, base: LogFields = {}): Logger {
  const emit = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (RANK[at] < RANK[level]) return;
    write(JSON.stringify({ time: new Date(now()).toISOString(), level: at, msg: message, ...printable(base), ...printable(fields) }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const MAX_THROTTLED_KEYS = 1024;

/**
 * Logs the first occurrence of a keyed problem at once, then at most once per `intervalMs` with the
 * number of repeats in between (field `countField`, default `repeated`), so a peer or service down
 * for an hour does not flood the log.
 */
export class ThrottledLogger {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly countField = 'repeated',
  ) {}

  log(level: 'info' | 'warn' | 'error', key: string, message: string, fields?: LogFields): void {
    const t = this.now();
    if (this.last.size >= MAX_THROTTLED_KEYS) this.prune(t);
    const entry = this.last.get(key);
    if (entry !== undefined && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.last.set(key, { at: t, suppressed: 0 });
    this.logger[level](message, entry?.suppressed ? { ...fields, [this.countField]: entry.suppressed } : fields);
  }

  /** Forgets a problem once it is solved, so its next occurrence is logged at once. */
  clear(key: string): void {
    this.last.delete(key);
  }

  /** Keys may come from remote answers: drop expired ones so nobody can grow the map without bound. */
  private prune(t: number): void {
    for (const [key, entry] of this.last) if (t - entry.at >= this.intervalMs) this.last.delete(key);
    if (this.last.size >= MAX_THROTTLED_KEYS) this.last.clear();
  }
}

/** Routes NestJS's own messages into the JSON log (its routine messages at debug). */
export class NestLogBridge implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: unknown): void {
    this.logger.debug(String(message), { context });
  }
  error(message: unknown, stack?: unknown, context?: unknown): void {
    this.logger.error(String(message), { context, stack });
  }
  warn(message: unknown, context?: unknown): void {
    this.logger.warn(String(message), { context });
  }
  debug(message: unknown, context?: unknown): void {
    this.logger.debug(String(message), { context });
  }
  verbose(message: unknown, context?: unknown): void {
    this.logger.debug(String(message), { context });
  }
}
