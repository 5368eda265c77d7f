/** The sidecar logs through @dvt/common: JSON lines, secret-looking fields masked, repeated problems throttled. */
export { type LogFields, type LogLevel, type Logger, ThrottledLogger, createJsonLogger, silentLogger } from '@dvt/common';
