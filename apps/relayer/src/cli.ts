/**
 * `dvt relayer`: runs the StakeWise DVT relayer. Every option has an environment variable (the
 * Python relayer's names where it had them: NETWORK, RELAYER_HOST, RELAYER_PORT, CONSENSUS_ENDPOINT,
 * EXECUTION_ENDPOINT, SIGNATURE_THRESHOLD, DATABASE, LOG_LEVEL, …); options win.
 * The environment is read here and nowhere else.
 */
import { type Command } from 'commander';
import { startRelayer } from './app.js';
import { RELAYER_SETTINGS, type SettingSpec, parseRelayerConfig, rawSettingsFrom } from './config.js';
import { createJsonLogger } from './logger.js';
import { type CommandIo } from '@dvt/common';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Resolves on SIGINT / SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * Adds `relayer` to the program. `env` is where settings not given as flags come from; `runUntil`
 * decides when a started relayer stops (default: SIGINT / SIGTERM).
 */
export function registerRelayerCommand(
  program: Command,
  io: CommandIo,
  env: Record<string, string | undefined> = process.env,
  runUntil: () => Promise<void> = untilSignal,
): void {
  const command = program
    .command('relayer')
    .description(
      'Run the StakeWise DVT relayer: collects signature shares from sidecars, rebuilds and verifies exit and deposit signatures, ' +
        're-shares exit signatures to the oracles (ECIES) and signs validators-manager approvals; current and legacy APIs, ' +
        'OpenAPI at /docs, /health, /ready, /metrics',
    );
  for (const spec of Object.values(RELAYER_SETTINGS) as SettingSpec[]) {
    const help = `${spec.description} [env ${spec.env}${spec.list ? ', comma-separated' : ''}]`;
    if (spec.list) command.option(spec.flag, help, collect);
    else command.option(spec.flag, help);
  }
  command.action(async (options: Record<string, unknown>) => {
    const { raw, tokenFiles } = rawSettingsFrom(options, env);
    const config = parseRelayerConfig(raw, tokenFiles);
    const logger = createJsonLogger(config.logLevel, io.stderr);
    const relayer = await startRelayer(config, { logger });
    io.stdout(`relayer listening on ${relayer.url} (OpenAPI: ${relayer.url}/docs)`);
    try {
      await runUntil();
    } finally {
      await relayer.close();
    }
  });
}
