import type { P2pLogger } from './config.js';

/**
 * Logs a warning at most once per interval per key (a peer can repeat a fault thousands of times
 * a second); the next warning for the key says how many were suppressed in between.
 */
export class WarningThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: P2pLogger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, message: string, details: Record<string, unknown> = {}): void {
    const at = this.now();
    const entry = this.last.get(key);
    if (entry && at - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at, suppressed: 0 });
    this.logger.warn(message, suppressed > 0 ? { ...details, suppressedSinceLastWarning: suppressed } : details);
  }
}
