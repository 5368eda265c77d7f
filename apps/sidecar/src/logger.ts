/** Structured, levelled logs (one JSON object per line) with throttling of repeated errors. Never pass key material. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const MAX_KEYS = 1024;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createJsonLogger(level: LogLevel, write: (line: string) => void, now: () => number = Date.now): Logger {
  const emit = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (RANK[at] < RANK[level]) return;
    write(JSON.stringify({ time: new Date(now()).toISOString(), level: at, msg: message, ...fields }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * Logs the first occurrence of a keyed problem at once, then at most once per `intervalMs` with
 * the number of repeats in between, so a relayer down for an hour does not flood the log.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  log(level: 'warn' | 'error', key: string, message: string, fields?: LogFields): void {
    const t = this.now();
    if (this.last.size >= MAX_KEYS) this.prune(t);
    const entry = this.last.get(key);
    if (entry !== undefined && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const repeated = entry?.suppressed ? { repeated: entry.suppressed } : {};
    this.last.set(key, { at: t, suppressed: 0 });
    this.logger[level](message, { ...fields, ...repeated });
  }

  /** Keys come from relayer answers: drop the expired ones so a hostile relayer cannot grow the map. */
  private prune(t: number): void {
    for (const [key, entry] of this.last) if (t - entry.at >= this.intervalMs) this.last.delete(key);
    if (this.last.size >= MAX_KEYS) this.last.clear();
  }

  /** Forgets a problem once it is solved, so its next occurrence is logged at once. */
  clear(key: string): void {
    this.last.delete(key);
  }
}
