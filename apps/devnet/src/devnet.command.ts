/** `dvt devnet`: the whole suite on one machine (see devnet.ts), with a live status view. */
import { type Command } from 'commander';
import { DvtError, createJsonLogger, silentLogger, type CommandIo } from '@dvt/common';
import { Devnet, type DevnetStatus } from './devnet.js';

interface DevnetCliOptions {
  epochs?: string;
  validators: string;
  secondsPerSlot: string;
  redisUrl: string;
  dir?: string;
  json?: boolean;
  verbose?: boolean;
}

export class DevnetError extends DvtError<'INVALID_DEVNET_OPTION' | 'DEVNET_FAILED'> {}

function positiveInteger(value: string, option: string, max: number, min = 1, why = ''): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new DevnetError('INVALID_DEVNET_OPTION', `${option} must be an integer from ${min} to ${max}${why}, got ${JSON.stringify(value)}`);
  return n;
}

/** One line of the live view. */
export function formatStatus(s: DevnetStatus): string {
  const nodes = s.nodes.map((n) => (n.up ? `n${n.index}:${n.successes}✓${n.failures ? `/${n.failures}✗` : ''} r${n.roundChanges}` : `n${n.index}:DOWN`)).join('  ');
  return `slot ${s.slot} (epoch ${s.epoch}) | ${nodes} | registered ${s.validatorsRegistered}, active ${s.validatorsActive} | oracle approvals ${s.oracleApprovals} | beacon: ${s.attestations} attestations, ${s.blocks} blocks, ${s.offences} offences`;
}

export function registerDevnetCommand(program: Command, io: CommandIo): void {
  program
    .command('devnet')
    .description('Run the whole suite locally (chain, oracles, beacon mock, 4-node DV cluster, relayer, sidecars, operator) and watch it register validators and perform their duties')
    .option('--epochs <n>', 'stop after n epochs with a summary; exit code 0 only if every step succeeded')
    .option('--validators <n>', 'validators to register', '4')
    .option('--seconds-per-slot <s>', 'beacon mock slot time', '1')
    .option('--redis-url <url>', 'Redis for the operator\'s job queue [env DVT_REDIS_URL]', process.env.DVT_REDIS_URL ?? 'redis://127.0.0.1:6379')
    .option('--dir <dir>', 'keep the cluster, databases and keys in this folder (default: a temporary folder, removed at the end)')
    .option('--json', 'status and summary as JSON lines')
    .option('--verbose', 'print the components\' warnings')
    .action(async (opts: DevnetCliOptions) => {
      const epochs = opts.epochs === undefined ? undefined : positiveInteger(opts.epochs, '--epochs', 1000, 2, ' (duties are checked from the epoch after the validators become active)');
      const devnet = new Devnet({
        validators: positiveInteger(opts.validators, '--validators', 64),
        secondsPerSlot: positiveInteger(opts.secondsPerSlot, '--seconds-per-slot', 12),
        epochs,
        redisUrl: opts.redisUrl,
        dir: opts.dir,
        logger: opts.verbose ? createJsonLogger('warn', io.stderr) : silentLogger,
      });
      const say = (event: Record<string, unknown>, text: string) => io.stdout(opts.json ? JSON.stringify(event) : text);
      let stopRequested = false;
      let wake: () => void = () => {};
      const onSignal = () => {
        stopRequested = true;
        wake();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await devnet.start((message) => say({ event: 'progress', message }, message));
        const endSlot = epochs === undefined ? Number.POSITIVE_INFINITY : epochs * 32 + 2;
        while (!stopRequested && devnet.currentSlot() < endSlot) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 1000);
          });
          const status = await devnet.status();
          say({ event: 'status', ...status }, formatStatus(status));
        }
        const summary = await devnet.summary();
        say({ event: 'summary', ...summary }, ['', 'summary:', ...summary.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`), summary.ok ? 'devnet run succeeded' : 'devnet run FAILED'].join('\n'));
        if (epochs !== undefined && !summary.ok) throw new DevnetError('DEVNET_FAILED', 'the devnet run did not succeed (see the summary)');
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await devnet.stop();
      }
    });
}
