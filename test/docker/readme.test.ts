/**
 * README.md against the code: the two fresh-machine commands on top, a configuration reference with
 * every option of every `dvt` command and every environment variable the apps read, example command
 * lines that the real CLI parses, troubleshooting codes that exist in the sources, and the marked
 * devnet status-view section. A new option or variable fails here until it is documented.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { commands, findCommand, helpEnvVars, program, read, root, sourceEnvVars } from './support.js';

const readme = read('README.md');

/** The text of the README's `<details>` block of a command, '' when it has none. */
function referenceBlock(path: string[]): string {
  const start = readme.indexOf(`<summary><code>dvt ${path.join(' ')}</code></summary>`);
  if (start === -1) return '';
  return readme.slice(start, readme.indexOf('</details>', start));
}

/** Every `npx dvt …` command line of the README's sh blocks, continuation lines joined, comments cut. */
function exampleCommandLines(): string[] {
  const lines: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1]!.replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const at = line.indexOf('npx dvt ');
      if (at !== -1) lines.push(line.slice(at + 'npx dvt '.length).replace(/\s+#.*$/, '').trim());
    }
  }
  return lines;
}

/** Words of a command line (quotes and `$(…)` kept together; enough for the README's examples). */
function words(line: string): string[] {
  return [...line.matchAll(/"[^"]*"|'[^']*'|\$\([^)]*\)|\S+/g)].map((m) => m[0].replace(/^(["'])(.*)\1$/, '$2'));
}

/** Every `'CODE'` string in the apps' and libs' sources. */
function sourceErrorCodes(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const path = `${dir}/${name}`;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) for (const m of read(path).matchAll(/'([A-Z][A-Z0-9_]{3,})'/g)) codes.add(m[1]!);
    }
  };
  walk('apps');
  walk('libs');
  return codes;
}

describe('README.md', () => {
  it('starts with the two commands for a fresh machine: install + devnet, install + tests', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)!;
    expect(first.index).toBeLessThan(200);
    const lines = first[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim());
    expect(lines.some((l) => l.startsWith('npm install && npm run devnet'))).toBe(true);
    expect(lines).toContain('npm install && npm test');
  });

  it('documents every option of every dvt command in its configuration reference block', () => {
    const missing: string[] = [];
    for (const { path, command } of commands()) {
      if (command.commands.length > 0) continue; // a group (operator, node, …): its subcommands are documented
      const block = referenceBlock(path);
      if (block === '') {
        missing.push(`dvt ${path.join(' ')}: no <details> block in "Configuration reference"`);
        continue;
      }
      for (const option of command.options) {
        if (option.long && !option.long.startsWith('--help') && !block.includes(option.long)) missing.push(`dvt ${path.join(' ')} ${option.long}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents every environment variable the apps read', () => {
    const documented = new Set(readme.match(/\b[A-Z][A-Z0-9_]{2,}\b/g));
    const missing: string[] = [];
    for (const app of ['relayer', 'sidecar', 'operator', 'devnet', 'dv-node', 'cli']) {
      for (const name of sourceEnvVars(app)) if (!documented.has(name)) missing.push(`${app}: ${name}`);
    }
    for (const { path, command } of commands()) {
      for (const name of helpEnvVars(command)) if (!documented.has(name)) missing.push(`dvt ${path.join(' ')}: ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it('gives example command lines the real CLI parses (known commands, known options)', () => {
    const examples = exampleCommandLines();
    expect(examples.length).toBeGreaterThan(8);
    for (const line of examples) {
      const args = words(line);
      const path: string[] = [];
      let command = program();
      while (args.length > 0) {
        const next = command.commands.find((c) => c.name() === args[0]);
        if (!next) break;
        path.push(args.shift()!);
        command = next;
      }
      expect({ line, command: path.length > 0 && command.commands.length === 0 }).toEqual({ line, command: true });
      const { unknown, operands } = command.parseOptions(args);
      expect({ line, unknown, operands }).toEqual({ line, unknown: [], operands: [] });
      expect(findCommand(path)).toBeDefined();
    }
  });

  it('names only error codes the code has in its troubleshooting section', () => {
    const section = readme.slice(readme.indexOf('## Troubleshooting'), readme.indexOf('\n## ', readme.indexOf('## Troubleshooting') + 5));
    const cited = new Set([...section.matchAll(/\[([A-Z][A-Z0-9_]{3,})\]|`([A-Z][A-Z0-9_]{3,})`/g)].map((m) => m[1] ?? m[2]!));
    const codes = sourceErrorCodes();
    // variables are cited in backquotes too; `error [CODE]` is the format, EACCES the system's
    const variables = new Set([
      ...['relayer', 'sidecar', 'operator', 'devnet'].flatMap(sourceEnvVars),
      ...commands().flatMap(({ command }) => helpEnvVars(command)),
      ...['PGPASSWORD', 'RELAYER_TOKEN_FILE', 'PGPASSWORD_FILE', 'BEACON_NODE_URL'],
    ]);
    const unknown = [...cited].filter((c) => !codes.has(c) && !variables.has(c) && !['CODE', 'EACCES'].includes(c));
    expect(unknown).toEqual([]);
    expect(cited.size).toBeGreaterThan(15);
  });

  it('keeps a clearly marked section for the devnet status view', () => {
    const start = readme.indexOf('<!-- DEVNET STATUS VIEW');
    const end = readme.indexOf('<!-- END DEVNET STATUS VIEW -->');
    expect(start).toBeGreaterThan(readme.indexOf('## The devnet'));
    expect(end).toBeGreaterThan(start);
    expect(readme.slice(readme.lastIndexOf('\n### ', start), start)).toContain('### Devnet status view');
  });
});
