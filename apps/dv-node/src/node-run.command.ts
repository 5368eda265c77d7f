/** `dvt node run`: runs this machine's DV node until SIGINT/SIGTERM. */
import { type Command } from 'commander';
import { type CommandIo, createJsonLogger, isLogLevel } from '@dvt/common';
import { DvNodeConfigError, startDvNodeProcess } from './node-process.js';

interface RunOptions {
  nodeDir: string;
  beaconNodeUrl: string;
  validatorApiHost: string;
  validatorApiPort: string;
  p2pListen: string[];
  peer?: string[];
  slashingDb?: string;
  httpHost: string;
  httpPort?: string;
  logLevel: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function port(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new DvNodeConfigError('INVALID_NODE_CONFIG', `${option} must be a port number, got ${JSON.stringify(value)}`);
  return n;
}

/** `--peer 1=/ip4/10.0.0.2/tcp/3610` (repeatable, several addresses per index allowed). */
export function parsePeerOptions(values: readonly string[]): { index: number; addrs: string[] }[] {
  const byIndex = new Map<number, string[]>();
  for (const value of values) {
    const match = /^(\d+)=(\/.+)$/.exec(value.trim());
    if (!match) throw new DvNodeConfigError('INVALID_NODE_CONFIG', `--peer ${JSON.stringify(value)}: expected <node index>=<multiaddr>, e.g. 1=/ip4/10.0.0.2/tcp/3610`);
    const index = Number(match[1]);
    byIndex.set(index, [...(byIndex.get(index) ?? []), match[2]!]);
  }
  return [...byIndex].map(([index, addrs]) => ({ index, addrs }));
}

export function registerNodeRunCommand(node: Command, io: CommandIo): void {
  node
    .command('run')
    .description('Run this DV node: p2p with the cluster, duties from the beacon node, the validator API for the validator client')
    .requiredOption('--node-dir <dir>', 'node folder from create-cluster (cluster-lock.json, charon-enr-private-key)')
    .requiredOption('--beacon-node-url <url>', 'beacon node REST API')
    .option('--validator-api-host <host>', 'validator API host', '127.0.0.1')
    .option('--validator-api-port <port>', 'validator API port (point the validator client here)', '3600')
    .option('--p2p-listen <multiaddr>', 'listen address (repeatable)', collect, [] as string[])
    .option('--peer <index=multiaddr>', "another member's address, by node index (repeatable)", collect)
    .option('--slashing-db <file>', 'slashing-protection SQLite file (default <node-dir>/slashing-protection.sqlite)')
    .option('--http-host <host>', 'health/metrics/status server host', '127.0.0.1')
    .option('--http-port <port>', 'health (/health, /ready), metrics (/metrics) and status (/status) port')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (opts: RunOptions) => {
      if (!isLogLevel(opts.logLevel)) throw new DvNodeConfigError('INVALID_NODE_CONFIG', `--log-level must be debug, info, warn or error, got ${JSON.stringify(opts.logLevel)}`);
      const logger = createJsonLogger(opts.logLevel, io.stderr);
      const running = await startDvNodeProcess(
        {
          nodeDir: opts.nodeDir,
          beaconNodeUrl: opts.beaconNodeUrl,
          validatorApi: { host: opts.validatorApiHost, port: port(opts.validatorApiPort, '--validator-api-port') },
          p2p: { listen: opts.p2pListen.length > 0 ? opts.p2pListen : ['/ip4/0.0.0.0/tcp/3610'], peers: parsePeerOptions(opts.peer ?? []) },
          slashingDbFile: opts.slashingDb ?? `${opts.nodeDir}/slashing-protection.sqlite`,
          http: opts.httpPort === undefined ? undefined : { host: opts.httpHost, port: port(opts.httpPort, '--http-port') },
        },
        logger,
      );
      io.stdout(`DV node ${running.status().nodeIndex} running; validator API ${running.validatorApiUrl}${running.httpUrl ? `; status ${running.httpUrl}/status` : ''}`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await running.stop();
    });
}
