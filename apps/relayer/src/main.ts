/** Standalone entry of the relayer (nest-cli project "relayer"); `dvt relayer` is the usual way in. */
import { Command } from 'commander';
import { DvtError } from '@dvt/common';
import { registerRelayerCommand } from './cli.js';

const io = {
  stdout: (text: string) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  stderr: (text: string) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};
const program = new Command('dvt-relayer');
registerRelayerCommand(program, io);
try {
  await program.parseAsync(['relayer', ...process.argv.slice(2)], { from: 'user' });
} catch (err) {
  io.stderr(err instanceof DvtError ? `error [${err.code}]: ${err.message}` : `unexpected error: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = err instanceof DvtError && err.code === 'CONFIG_INVALID' ? 2 : 1;
}
