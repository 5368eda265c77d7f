/** The operator logs through @dvt/common: JSON lines, secret-looking fields masked, repeated problems throttled. */
import { type LogLevel, type Logger, createJsonLogger } from '@dvt/common';

export { type LogFields, type LogLevel, type Logger, NestLogBridge, ThrottledLogger, createJsonLogger, silentLogger } from '@dvt/common';

/** A logger that keeps every line in memory (tests read it). */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: { level: LogLevel; msg: string; [k: string]: unknown }[] } {
  const lines: { level: LogLevel; msg: string; [k: string]: unknown }[] = [];
  const logger = createJsonLogger(level, (line) => lines.push(JSON.parse(line)));
  return Object.assign(logger, { lines });
}
