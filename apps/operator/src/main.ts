/** `node dist/apps/operator/src/main.js start …`: the operator without the rest of the dvt CLI. */
import { Command } from 'commander';
import { registerOperatorCommand } from './cli.js';

const io = { stdout: (t: string) => process.stdout.write(`${t}\n`), stderr: (t: string) => process.stderr.write(`${t}\n`) };
const program = new Command('dvt');
registerOperatorCommand(program, io);
program.parseAsync(['node', 'dvt', 'operator', ...process.argv.slice(2)]).catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  io.stderr(`error${e.code ? ` [${e.code}]` : ''}: ${e.message ?? String(err)}`);
  process.exitCode = 1;
});
