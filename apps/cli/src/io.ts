import { type CommandIo } from '@dvt/common';

/** What a command may touch of the outside world; tests pass their own. */
export type CliIo = CommandIo;

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};

/** Exit codes of every `dvt` command. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  badInput: 2,
} as const;

/** Thrown by a command to end with a message and a given exit code. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}
