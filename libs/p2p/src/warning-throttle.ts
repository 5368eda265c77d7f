import { ThrottledLogger, silentLogger } from '@dvt/common';
import type { P2pLogger } from './config.js';

/**
 * Logs a warning at most once per interval per key (a peer can repeat a fault thousands of times
 * a second); the next warning for the key says how many were suppressed in between. The common
 * ThrottledLogger on the p2p logger, keeping this lib's field name `suppressedSinceLastWarning`.
 */
export class WarningThrottle {
  private readonly throttle: ThrottledLogger;

  constructor(logger: P2pLogger, intervalMs = 10_000, now: () => number = Date.now) {
    const asLogger = { ...silentLogger, debug: logger.debug.bind(logger), warn: logger.warn.bind(logger) };
    this.throttle = new ThrottledLogger(asLogger, intervalMs, now, 'suppressedSinceLastWarning');
  }

  warn(key: string, message: string, details: Record<string, unknown> = {}): void {
    this.throttle.log('warn', key, message, details);
  }
}
