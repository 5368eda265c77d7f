/**
 * Structured logs: one JSON object per line ({time, level, msg, ...fields}). Fields whose name looks
 * like a secret are masked; callers never pass key material anyway.
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

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const SECRET = /pass(word)?|secret|token|private|mnemonic|raw_?tx|keystore/i;

function clean(fields: LogFields | undefined): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (SECRET.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = value.message;
    else if (typeof value === 'bigint') out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}

export function createJsonLogger(level: LogLevel, write: (line: string) => void, now: () => number = Date.now): Logger {
  const at = (which: LogLevel) => (message: string, fields?: LogFields) => {
    if (LEVELS[which] < LEVELS[level]) return;
    write(JSON.stringify({ time: new Date(now()).toISOString(), level: which, msg: message, ...clean(fields) }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that keeps every line in memory (tests read it). */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: { level: LogLevel; msg: string; [k: string]: unknown }[] } {
  const lines: { level: LogLevel; msg: string; [k: string]: unknown }[] = [];
  const logger = createJsonLogger(level, (line) => lines.push(JSON.parse(line)));
  return Object.assign(logger, { lines });
}

/** Logs a keyed, repeating problem once per interval, with how often it repeated meanwhile. */
export class ThrottledLogger {
  private readonly seen = new Map<string, { at: number; repeats: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  log(level: 'info' | 'warn' | 'error', key: string, message: string, fields?: LogFields): void {
    const t = this.now();
    const entry = this.seen.get(key);
    if (entry && t - entry.at < this.intervalMs) {
      entry.repeats++;
      return;
    }
    this.seen.set(key, { at: t, repeats: 0 });
    this.logger[level](message, entry?.repeats ? { ...fields, repeated: entry.repeats } : fields);
  }

  reset(key: string): void {
    this.seen.delete(key);
  }
}

/** NestJS's own messages, into the JSON log. */
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
