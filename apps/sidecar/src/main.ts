/** Standalone entry of the sidecar (the same as `dvt sidecar`). */
import { Command } from 'commander';
import { DvtError } from '@dvt/common';
import { registerSidecarCommand } from './cli.js';

const io = {
  stdout: (text: string) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  stderr: (text: string) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};
const program = new Command('dvt-sidecar');
registerSidecarCommand(program, io);
try {
  await program.parseAsync(['sidecar', ...process.argv.slice(2)], { from: 'user' });
} catch (err) {
  io.stderr(err instanceof DvtError ? `error [${err.code}]: ${err.message}` : `unexpected error: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
}
