/** What a `dvt` command may write to; the CLI passes the process streams, tests pass their own. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}
