import { Command, CommanderError } from 'commander';
import { DvtError } from '@dvt/common';
import { type CliIo, CliExit, ExitCode } from './io.js';
import { registerExitMessage } from './commands/exit-message.js';
import { registerCombineSignatures } from './commands/combine-signatures.js';
import { registerRelayerCommand } from '../../relayer/src/cli.js';
import { registerSidecarCommand } from '../../sidecar/src/cli.js';
import { registerOperatorCommand } from '../../operator/src/cli.js';
import { registerCreateClusterCommand } from '../../dv-node/src/create-cluster.command.js';
import { registerNodeCommandGroup } from '../../dv-node/src/node.command.js';
import { registerSlashingProtectionCommands } from '../../dv-node/src/slashing-protection.command.js';
import { registerNodeRunCommand } from '../../dv-node/src/node-run.command.js';
import { registerDevnetCommand } from '../../devnet/src/devnet.command.js';

/** Every `dvt` subcommand is registered here, in one place. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('dvt')
    .description('Distributed validators for StakeWise vaults: DV node, relayer, sidecar, operator')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerExitMessage(program, io, setExitCode);
  registerCombineSignatures(program, io, setExitCode);
  registerCreateClusterCommand(program, io);
  registerRelayerCommand(program, io);
  registerSidecarCommand(program, io);
  registerOperatorCommand(program, io);
  const node = registerNodeCommandGroup(program);
  registerNodeRunCommand(node, io);
  registerSlashingProtectionCommands(node, io);
  registerDevnetCommand(program, io);
  return program;
}

/** Runs `dvt` with the given arguments (without `node` and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version end with code 0; usage errors were already printed by commander
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    }
    if (err instanceof CliExit) {
      io.stderr(`error: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof DvtError) {
      io.stderr(`error [${err.code}]: ${err.message}`);
      return isInputErrorCode(err.code) ? ExitCode.badInput : ExitCode.failure;
    }
    io.stderr(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return ExitCode.failure;
  }
}

/** Typed errors that mean "the arguments are wrong" end with exit code 2; everything else with 1. */
function isInputErrorCode(code: string): boolean {
  return /^(INVALID|UNKNOWN|DUPLICATE)_/.test(code) || code === 'INFINITY_POINT';
}
