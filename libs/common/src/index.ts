export { DvtError, InvalidInputError } from './errors.js';
export { hexToBytes, bytesToHex, bytesToBareHex, equalBytes, concatBytes, abbreviate } from './hex.js';
export { LOG_LEVELS, type LogFields, type LogLevel, type Logger, NestLogBridge, ThrottledLogger, createJsonLogger, isLogLevel, silentLogger } from './logger.js';
export { type CommandIo } from './command-io.js';
export { type MetricsSource, type OpsRouteAnswer, type OpsServer, startOpsServer } from './ops-server.js';
