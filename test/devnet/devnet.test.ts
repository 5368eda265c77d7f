/**
 * The README's first command, bounded: `dvt devnet --epochs 2` registers the cluster's validators
 * on the local chain through relayer, sidecars, oracles and operator, and the 4 dv-node processes
 * perform every duty. One dv-node process is killed mid-run: the status view shows it down and the
 * duties still succeed. A second run is stopped with SIGINT and shuts everything down.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { findRepositoryRoot } from '@dvt/testing';

interface Line {
  event: string;
  [key: string]: unknown;
}

interface NodeView {
  index: number;
  pid?: number;
  up: boolean;
  successes: number;
}

function run(args: string[]): { child: ChildProcess; lines: Line[]; exited: Promise<number | null>; onLine: (fn: (line: Line) => void) => void } {
  const root = findRepositoryRoot();
  const child = spawn(process.execPath, [`${root}/bin/dvt.js`, 'devnet', '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  const listeners: ((line: Line) => void)[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        const line = JSON.parse(text) as Line;
        lines.push(line);
        listeners.forEach((fn) => fn(line));
      } catch {
        // not a JSON line
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    if (code !== 0) console.error(stderr.slice(-3000));
    resolve(code);
  }));
  return { child, lines, exited, onLine: (fn) => listeners.push(fn) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('dvt devnet', () => {
  it('a bounded run succeeds, and keeps performing duties with one dv-node process killed', async () => {
    const devnet = run(['--epochs', '2']);
    let killed: number | undefined;
    devnet.onLine((line) => {
      if (line.event !== 'status' || killed !== undefined) return;
      const nodes = line.nodes as NodeView[];
      if ((line.slot as number) >= 40 && nodes.every((n) => n.up)) {
        killed = nodes[3]!.pid!;
        process.kill(killed, 'SIGKILL');
      }
    });
    expect(await devnet.exited).toBe(0);
    expect(killed).toBeDefined();
    const summary = devnet.lines.find((l) => l.event === 'summary') as unknown as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(summary.checks.filter((c) => !c.ok)).toEqual([]);
    expect(summary.ok).toBe(true);
    const statuses = devnet.lines.filter((l) => l.event === 'status');
    const last = statuses[statuses.length - 1]!;
    expect((last.nodes as NodeView[])[3]!.up).toBe(false);
    expect((last.validatorsRegistered as number)).toBe(4);
    // duties went on after the kill: attestations and blocks kept arriving
    const atKill = statuses.find((s) => (s.nodes as NodeView[])[3]!.up === false)!;
    expect(last.blocks as number).toBeGreaterThan(atKill.blocks as number);
    for (const node of (last.nodes as NodeView[]).slice(0, 3)) expect(node.successes).toBeGreaterThan((atKill.nodes as NodeView[])[node.index]!.successes);
    expect(last.offences).toBe(0);
  }, 240_000);

  it('SIGINT shuts everything down cleanly', async () => {
    const devnet = run([]);
    let pids: number[] = [];
    await new Promise<void>((resolve) =>
      devnet.onLine((line) => {
        if (line.event === 'status' && pids.length === 0) {
          pids = (line.nodes as NodeView[]).map((n) => n.pid!).filter(Boolean);
          devnet.child.kill('SIGINT');
          resolve();
        }
      }),
    );
    expect(await devnet.exited).toBe(0);
    expect(pids).toHaveLength(4);
    expect(pids.filter(alive)).toEqual([]);
  }, 120_000);
});
