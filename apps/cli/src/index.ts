export { runCli, buildProgram } from './program.js';
export { type CliIo, ExitCode, CliExit } from './io.js';
