import { type Command } from 'commander';

/** `dvt node …`: the DV node's own commands (run, slashing protection) hang under this group. */
export function registerNodeCommandGroup(program: Command): Command {
  return program.command('node').description('Run a DV node and manage its data (slashing protection)');
}
