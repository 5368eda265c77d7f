/**
 * Shared by the docker/ and README checks: the repository root, the `dvt` program as the CLI builds
 * it (every command, option and `[env X]` of its help), the environment variables each app reads
 * (from its sources), and compose.yaml read the way Compose reads it (variables from docker/.env).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command } from 'commander';
import { load } from 'js-yaml';
import { buildProgram } from '../../apps/cli/src/program.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** A fresh `dvt` program (parsing options mutates it). */
export function program(): Command {
  const quiet = () => undefined;
  return buildProgram({ stdout: quiet, stderr: quiet }, quiet);
}

/** Every command with its path (`['node', 'run']`), depth first; `help` left out. */
export function commands(cmd: Command = program(), path: string[] = []): { path: string[]; command: Command }[] {
  return cmd.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [{ path: [...path, c.name()], command: c }, ...commands(c, [...path, c.name()])]);
}

export function findCommand(path: string[], from: Command = program()): Command {
  let cmd = from;
  for (const name of path) {
    const next = cmd.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`dvt ${path.join(' ')}: no such command`);
    cmd = next;
  }
  return cmd;
}

/** Environment variables named in option help texts: `[env A, comma-separated]`, `[env A(_FILE)]`. */
export function helpEnvVars(cmd: Command): string[] {
  const names: string[] = [];
  for (const option of cmd.options) {
    const m = /\[env ([^\]]+)\]/.exec(option.description);
    if (!m) continue;
    for (const part of m[1]!.split(',')) {
      const v = /^\s*([A-Z][A-Z0-9_]*)(?:\(([A-Z0-9_]+)\))?/.exec(part);
      if (!v) continue;
      names.push(v[1]!);
      if (v[2]) names.push(v[1]! + v[2]);
    }
  }
  return names;
}

/** Environment variables an app's sources read (`env.X`, `env: 'X'` setting specs). */
export function sourceEnvVars(app: string): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        for (const m of read(path).matchAll(/\benv(?:\.|: '|\[')([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
      }
    }
  };
  walk(`apps/${app}/src`);
  return [...names].sort();
}

/** KEY=value lines of an env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq <= 0) throw new Error(`not KEY=value: ${line}`);
    env[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return env;
}

export interface ComposeService {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  env_file?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  secrets?: string[];
  read_only?: boolean;
  healthcheck?: { test: string[]; interval?: string };
  depends_on?: Record<string, { condition: string }>;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

/**
 * Compose's variable interpolation (`${X}`, `${X:-default}`, `${X-default}`, `${X:?error}`, `$$`)
 * with the given variables; an unset `${X:?…}` throws like Compose does.
 */
export function interpolate(text: string, vars: Record<string, string>): string {
  return text
    .split('$$')
    .map((part) =>
      part.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (_, name: string, colon: string, kind: string | undefined, arg: string) => {
        const value = vars[name];
        const unset = value === undefined || (colon === ':' && value === '');
        if (!unset) return value!;
        if (kind === '-') return arg;
        if (kind === '?') throw new Error(`required variable ${name} is missing: ${arg}`);
        return '';
      }),
    )
    .join('$');
}

/** compose.yaml of the directory, read with the variables of its .env (YAML merge keys resolved). */
export function loadCompose(dir: string, vars: Record<string, string>): ComposeFile {
  return load(interpolate(readFileSync(join(dir, 'compose.yaml'), 'utf8'), vars)) as ComposeFile;
}

/** The Compose tool of this machine: `docker compose` (v2 plugin) or `docker-compose` (v1), if any. */
export function composeTool(): { command: string[]; version: string } | undefined {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    try {
      const version = execFileSync(command[0]!, [...command.slice(1), 'version', '--short'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      return { command, version };
    } catch {
      // not installed, or `docker` without the compose plugin
    }
  }
  return undefined;
}
