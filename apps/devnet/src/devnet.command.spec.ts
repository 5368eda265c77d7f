/** `dvt devnet` option checks: refused before anything starts, with the option named. */
import { describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { type DevnetStatus } from './devnet.js';
import { formatStatus, registerDevnetCommand } from './devnet.command.js';

async function run(args: string[]): Promise<string[]> {
  const out: string[] = [];
  const program = new Command('dvt').exitOverride();
  registerDevnetCommand(program, { stdout: (t) => out.push(t), stderr: (t) => out.push(t) });
  await program.parseAsync(['devnet', ...args], { from: 'user' });
  return out;
}

describe('dvt devnet options', () => {
  it.each([
    [['--epochs', '1'], /--epochs must be an integer from 2 to 1000 \(duties are checked from the epoch after the validators become active\), got "1"/],
    [['--epochs', 'two'], /--epochs must be an integer from 2 to 1000.*got "two"/],
    [['--validators', '0'], /--validators must be an integer from 1 to 64, got "0"/],
    [['--validators', '65'], /--validators must be an integer from 1 to 64, got "65"/],
    [['--seconds-per-slot', '0.5'], /--seconds-per-slot must be an integer from 1 to 12, got "0.5"/],
  ])('%j is refused before anything starts', async (args, message) => {
    const out: string[] = [];
    await expect(run(args as string[]).then((o) => out.push(...o))).rejects.toMatchObject({ code: 'INVALID_DEVNET_OPTION', message: expect.stringMatching(message) });
    expect(out).toEqual([]);
  });
});

describe('the devnet status line', () => {
  const status: DevnetStatus = {
    slot: 13,
    epoch: 0,
    nodes: [
      { index: 0, pid: 1, up: true, successes: 15, failures: 0, decided: 15, roundChanges: 0, peers: 2 },
      { index: 1, pid: 2, up: true, successes: 15, failures: 1, decided: 15, roundChanges: 2, peers: 2 },
      { index: 2, pid: 3, up: false, successes: 14, failures: 0, decided: 14, roundChanges: 0, peers: 0 },
    ],
    validatorsRegistered: 4,
    validatorsActive: 4,
    oracleApprovals: 4,
    attestations: 12,
    blocks: 47,
    offences: 0,
  };

  it('shows each node’s duties, failures and round changes, and a stopped node as DOWN', () => {
    expect(formatStatus(status)).toBe(
      'slot 13 (epoch 0) | n0:15✓ r0  n1:15✓/1✗ r2  n2:DOWN | registered 4, active 4 | oracle approvals 4 | beacon: 12 attestations, 47 blocks, 0 offences',
    );
  });
});
