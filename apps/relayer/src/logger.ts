/**
 * Structured logs: one JSON object per line (time, level, msg, fields). Field names that look
 * like secrets are replaced by "[redacted]" as a last line of defence; callers never pass key
 * material in the first place.
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

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /pass(word)?|secret|token|private|mnemonic|^exit_?signature$/i;

function redact(fields: LogFields | undefined): LogFields {
  if (fields === undefined) return {};
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = value.message;
    else if (typeof value === 'bigint') out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}

export function createJsonLogger(level: LogLevel, write: (line: string) => void, now: () => number = Date.now): Logger {
  const emit = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (RANK[at] < RANK[level]) return;
    write(JSON.stringify({ time: new Date(now()).toISOString(), level: at, msg: message, ...redact(fields) }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * Logs a keyed problem at once, then at most once per interval with the count of repeats, so a
 * beacon node down for an hour does not flood the log.
 */
export class ThrottledLogger {
  private readonly last = new Map<string, { at: number; repeats: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  log(level: 'warn' | 'error', key: string, message: string, fields?: LogFields): void {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry !== undefined && t - entry.at < this.intervalMs) {
      entry.repeats++;
      return;
    }
    this.last.set(key, { at: t, repeats: 0 });
    this.logger[level](message, entry?.repeats ? { ...fields, repeats: entry.repeats } : fields);
  }

  clear(key: string): void {
    this.last.delete(key);
  }
}

/** Routes NestJS's own messages into the JSON log. */
export class NestJsonLogger implements LoggerService {
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
