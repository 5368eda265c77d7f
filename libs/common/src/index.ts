export { DvtError, InvalidInputError } from './errors.js';
export { hexToBytes, bytesToHex, bytesToBareHex, equalBytes, concatBytes, abbreviate } from './hex.js';
export { LOG_LEVELS, type LogFields, type LogLevel, type Logger, NestLogBridge, ThrottledLogger, createJsonLogger, isLogLevel, silentLogger } from './logger.js';
export { type CommandIo } from './command-io.js';
export { type MetricsSource, type OpsRouteAnswer, type OpsServer, startOpsServer } from './ops-server.js';
export { type Libsecp256k1, libsecp256k1, libsecp256k1Unavailable, loadLibsecp256k1 } from './libsecp256k1.js';
