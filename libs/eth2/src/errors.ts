import { DvtError } from '@dvt/common';

export type Eth2ErrorCode =
  | 'UNKNOWN_NETWORK'
  | 'INVALID_NETWORK_OVERRIDE'
  | 'INVALID_ADDRESS'
  | 'INVALID_WITHDRAWAL_CREDENTIALS'
  | 'INVALID_INTEGER'
  | 'UNSUPPORTED_FORK'
  | 'PRESET_MISMATCH'
  | 'INVALID_DEPOSIT_DATA';

/** Every error thrown by @dvt/eth2 (hex parsing errors from @dvt/common excepted). */
export class Eth2Error extends DvtError<Eth2ErrorCode> {}

/** One thing wrong with one entry of a deposit-data file. `index` is the entry's position (0-based). */
export interface DepositDataProblem {
  readonly index: number;
  readonly field: string;
  readonly message: string;
}

/** A deposit-data file that does not parse or does not validate; `problems` lists every finding. */
export class DepositDataError extends Eth2Error {
  constructor(readonly problems: readonly DepositDataProblem[]) {
    super('INVALID_DEPOSIT_DATA', formatProblems(problems), { problems });
  }
}

export function formatProblems(problems: readonly DepositDataProblem[]): string {
  const lines = problems.map((p) => (p.index < 0 ? `${p.field}: ${p.message}` : `entry ${p.index} ${p.field}: ${p.message}`));
  return `deposit data: ${problems.length} problem(s): ${lines.join('; ')}`;
}
