/**
 * docker/compose.yaml, the production-like deployment of one vault. There is no Docker engine here,
 * so nothing is started. Two kinds of checks:
 *  - the Compose tool's own `config` (schema, interpolation, merge keys, env files, secrets), when
 *    this machine has `docker compose` (v2 plugin) or `docker-compose` (v1; Debian's
 *    `apt-get install docker-compose`); the test says which one ran, or that none did;
 *  - always, the file read as YAML: every service, image, env file, volume, secret, health check and
 *    start order, and every dvt command line and environment checked against the real CLI: each
 *    option parsed by the command's own parser, each variable one the app reads, and the resulting
 *    settings accepted by the app's own configuration schema.
 * The deployment directory is a copy with the example env files in place and dummy secrets.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseRelayerConfig, rawSettingsFrom as relayerRawSettings } from '../../apps/relayer/src/config.js';
import { parseOperatorConfig, rawSettingsFrom as operatorRawSettings } from '../../apps/operator/src/config.js';
import { parseSidecarConfig } from '../../apps/sidecar/src/config.js';
import { sidecarConfigFromOptions, type SidecarCliOptions } from '../../apps/sidecar/src/cli.js';
import {
  type ComposeFile,
  type ComposeService,
  composeTool,
  findCommand,
  helpEnvVars,
  loadCompose,
  parseEnvFile,
  program,
  root,
  sourceEnvVars,
} from './support.js';

const tool = composeTool();
const NODES = [0, 1, 2, 3];
const DVT_SERVICES = ['relayer', 'operator', ...NODES.map((i) => `node${i}`), ...NODES.map((i) => `sidecar${i}`)];
/** Variables the image's entry point turns into values (docker/entrypoint.sh), and Node's own. */
const ENTRYPOINT_ENV = ['RELAYER_TOKEN_FILE', 'PGPASSWORD_FILE'];
const RUNTIME_ENV = ['NODE_OPTIONS'];

let dir: string;
let vars: Record<string, string>;
let compose: ComposeFile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dvt-compose-'));
  await cp(join(root, 'docker'), dir, { recursive: true });
  for (const file of await readdir(join(dir, 'env'))) {
    if (file.endsWith('.env.example')) await copyFile(join(dir, 'env', file), join(dir, 'env', file.replace(/\.example$/, '')));
  }
  await copyFile(join(dir, '.env.example'), join(dir, '.env'));
  vars = parseEnvFile(readFileSync(join(dir, '.env'), 'utf8'));
  compose = loadCompose(dir, vars);
  // what an operator puts there: the secrets and the cluster folders
  await mkdir(join(dir, 'secrets'), { recursive: true });
  for (const secret of Object.values(compose.secrets ?? {})) await writeFile(join(dir, secret.file), 'dummy\n');
  for (const i of NODES) {
    await mkdir(join(dir, 'cluster', `node${i}`), { recursive: true });
    await writeFile(join(dir, 'cluster', `node${i}`, 'cluster-lock.json'), '{}\n');
  }
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

/** What the app in a service sees: its env files, then the service's environment (which wins). */
function environmentOf(s: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  for (const file of s.env_file ?? []) Object.assign(env, parseEnvFile(readFileSync(join(dir, file), 'utf8')));
  return { ...env, ...(s.environment ?? {}) };
}

/** The service's command parsed by the dvt command's own option parser: its options, nothing unknown. */
function parsedCommand(s: ComposeService) {
  const args = s.command ?? [];
  const firstOption = args.findIndex((a) => a.startsWith('-'));
  const path = firstOption === -1 ? args : args.slice(0, firstOption);
  const command = findCommand(path, program());
  const parsed = command.parseOptions(args.slice(path.length));
  return { path, command, options: command.opts(), ...parsed };
}

describe('docker/compose.yaml', () => {
  // Which check ran shows in the test names: a machine without a Compose tool reports `config` as skipped.
  if (!tool) {
    it('NO Compose tool on this machine (neither `docker compose` nor `docker-compose`): only the file checks below run', () => {
      console.warn(
        'compose check: NO Compose tool on this machine: `config` was NOT run; compose.yaml was validated by the file ' +
          'checks of this suite only (`apt-get install docker-compose` gives Compose v1, enough for `config`).',
      );
      expect(tool).toBeUndefined();
    });
  }
  (tool ? it : it.skip)(`the Compose tool accepts the file: \`${tool ? tool.command.join(' ') : 'docker compose'} config\` (${tool ? `Compose ${tool.version}` : 'not installed'})`, () => {
    const run = (...args: string[]) =>
      execFileSync(tool!.command[0]!, [...tool!.command.slice(1), '-f', join(dir, 'compose.yaml'), ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, COMPOSE_PROJECT_NAME: 'dvt-vault' },
      });
    const config = run('config');
    expect(run('config', '--services').trim().split('\n').sort()).toEqual(Object.keys(compose.services).sort());
    expect(config).toContain(vars.BEACON_NODE_URL);
    expect(config).not.toMatch(/\$\{/);
  });

  it('fails like Compose when BEACON_NODE_URL is not set', () => {
    const { BEACON_NODE_URL: _, ...rest } = vars;
    expect(() => loadCompose(dir, rest)).toThrow(/BEACON_NODE_URL/);
  });

  it('has PostgreSQL, Redis, the relayer, the operator and a dv-node + sidecar per cluster node', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'redis', ...DVT_SERVICES].sort());
    expect(service('postgres').image).toMatch(/^postgres:\d+/);
    expect(service('redis').image).toMatch(/^redis:\d+/);
    for (const name of DVT_SERVICES) expect({ name, image: service(name).image }).toEqual({ name, image: vars.DVT_IMAGE });
  });

  it('gives every service a health check, and starts each after the healthy services it needs', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect({ name, test: s.healthcheck?.test?.[0] }).toEqual({ name, test: expect.stringMatching(/^CMD(-SHELL)?$/) });
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect({ name, dependency, known: dependency in compose.services, condition }).toEqual({
          name,
          dependency,
          known: true,
          condition: 'service_healthy',
        });
      }
    }
    expect(Object.keys(service('relayer').depends_on ?? {})).toEqual(['postgres']);
    expect(Object.keys(service('operator').depends_on ?? {}).sort()).toEqual(['redis', 'relayer']);
    for (const i of NODES) expect(Object.keys(service(`sidecar${i}`).depends_on ?? {})).toEqual(['relayer']);
    // the dvt health checks ask the port the command serves /health on
    const healthPort = (s: ComposeService) => /127\.0\.0\.1:(\d+)\/health/.exec(s.healthcheck!.test.join(' '))?.[1];
    expect(healthPort(service('relayer'))).toBe(service('relayer').environment!.RELAYER_PORT);
    expect(healthPort(service('operator'))).toBe(service('operator').environment!.METRICS_PORT);
    for (const i of NODES) {
      expect(healthPort(service(`node${i}`))).toBe(String(parsedCommand(service(`node${i}`)).options.httpPort));
      expect(healthPort(service(`sidecar${i}`))).toBe(String(parsedCommand(service(`sidecar${i}`)).options.httpPort));
    }
  });

  it('reads configuration from env files that have examples, with no secret in them', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const file of s.env_file ?? []) {
        expect({ name, file, example: existsSync(join(root, 'docker', `${file}.example`)) }).toEqual({ name, file, example: true });
      }
    }
    for (const file of readdirSync(join(root, 'docker', 'env')).filter((f) => f.endsWith('.env.example'))) {
      const env = parseEnvFile(readFileSync(join(root, 'docker', 'env', file), 'utf8'));
      for (const key of Object.keys(env)) expect({ file, key }).not.toEqual({ file, key: expect.stringMatching(/PASSWORD$|TOKEN$|PRIVATE_KEY/) });
      if (env.DATABASE_URL) expect(new URL(env.DATABASE_URL).password).toBe('');
    }
  });

  it('mounts secrets as read-only files from docker/secrets, and every secret a service names is declared', () => {
    const declared = compose.secrets ?? {};
    expect(Object.keys(declared).length).toBeGreaterThan(0);
    for (const [name, { file }] of Object.entries(declared)) expect({ name, file }).toEqual({ name, file: expect.stringMatching(/^\.\/secrets\//) });
    for (const [name, s] of Object.entries(compose.services)) {
      for (const secret of s.secrets ?? []) expect({ name, secret, declared: secret in declared }).toEqual({ name, secret, declared: true });
      // a /run/secrets path in the environment or the command is a secret this service mounts
      const paths = [...Object.values(s.environment ?? {}), ...(s.command ?? [])].filter((v) => v.startsWith('/run/secrets/'));
      for (const path of paths) expect({ name, path }).toEqual({ name, path: expect.stringMatching(new RegExp(`^/run/secrets/(${(s.secrets ?? []).join('|')})$`)) });
    }
    expect(service('relayer').secrets).toEqual(expect.arrayContaining(['validators_manager_keystore', 'validators_manager_password', 'relayer_operator_token', 'relayer_sidecar_token']));
    expect(service('operator').secrets).toEqual(expect.arrayContaining(['operator_wallet', 'operator_wallet_password', 'relayer_operator_token']));
    // no secret value in the file itself
    const text = readFileSync(join(root, 'docker', 'compose.yaml'), 'utf8');
    expect(text).not.toMatch(/(PASSWORD|TOKEN|PRIVATE_KEY)\s*:\s*(?!\/run\/secrets\/)\S/);
  });

  it('keeps state on named volumes and mounts the cluster folders read-only', () => {
    const named = Object.keys(compose.volumes ?? {});
    for (const [name, s] of Object.entries(compose.services)) {
      expect({ name, readOnlyRoot: DVT_SERVICES.includes(name) ? s.read_only : true }).toEqual({ name, readOnlyRoot: true });
      for (const volume of s.volumes ?? []) {
        const [source, , mode] = volume.split(':');
        if (source!.startsWith('.')) expect({ name, volume, mode }).toEqual({ name, volume, mode: 'ro' });
        else expect({ name, volume, named: named.includes(source!) }).toEqual({ name, volume, named: true });
      }
    }
    for (const i of NODES) {
      // the slashing-protection database: on the node's own volume, never inside the container
      expect(service(`node${i}`).volumes).toEqual([`./cluster/node${i}:/data/node:ro`, `node${i}-state:/state`]);
      expect(parsedCommand(service(`node${i}`)).options.slashingDb).toBe('/state/slashing-protection.sqlite');
      expect(service(`sidecar${i}`).volumes).toEqual([`./cluster/node${i}:/data/node:ro`]);
    }
    expect(service('postgres').volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(service('redis').volumes).toEqual(['redis-data:/data']);
    // BullMQ needs keys never evicted; the queue's intents survive a restart
    expect(service('redis').command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
  });

  it('runs each dv-node with options `dvt node run` accepts: the beacon node, the validator API, p2p to every other node', () => {
    for (const i of NODES) {
      const { path, options, unknown, operands } = parsedCommand(service(`node${i}`));
      expect({ path, unknown, operands }).toEqual({ path: ['node', 'run'], unknown: [], operands: [] });
      expect(options).toMatchObject({
        nodeDir: '/data/node',
        beaconNodeUrl: vars.BEACON_NODE_URL,
        validatorApiHost: '0.0.0.0',
        validatorApiPort: '3600',
        p2pListen: ['/ip4/0.0.0.0/tcp/3610'],
        httpHost: '0.0.0.0',
        httpPort: '3620',
      });
      const peers = (options.peer as string[]).map((p) => p.split('='));
      expect(peers.map(([index]) => Number(index)).sort()).toEqual(NODES.filter((j) => j !== i));
      for (const [index, address] of peers) expect(address).toBe(`/dns4/node${index}/tcp/3610`);
      // validator API and health only on the host's loopback; p2p open to the other nodes
      expect(service(`node${i}`).ports).toEqual([`127.0.0.1:360${i}:3600`, `361${i}:3610`, `127.0.0.1:362${i}:3620`]);
      for (const key of Object.keys(environmentOf(service(`node${i}`)))) expect(RUNTIME_ENV).toContain(key);
    }
  });

  it('gives the relayer options and variables it reads, and a configuration its schema accepts', () => {
    const s = service('relayer');
    const { path, options, unknown, operands } = parsedCommand(s);
    expect({ path, unknown, operands }).toEqual({ path: ['relayer'], unknown: [], operands: [] });
    const env = environmentOf(s);
    const known = new Set([...helpEnvVars(findCommand(['relayer'])), ...sourceEnvVars('relayer'), ...ENTRYPOINT_ENV, ...RUNTIME_ENV]);
    for (const key of Object.keys(env)) expect({ key, known: known.has(key) }).toEqual({ key, known: true });
    const { raw, tokenFiles } = relayerRawSettings(options, env);
    const config = parseRelayerConfig(raw, tokenFiles);
    expect(config.auth).toEqual({ operator: { file: '/run/secrets/relayer_operator_token' }, sidecar: { file: '/run/secrets/relayer_sidecar_token' } });
    expect(config.database).toMatchObject({ kind: 'postgres', url: env.DATABASE_URL });
    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 8000 });
    expect(config.manager).toEqual({ keystoreFile: '/run/secrets/validators_manager_keystore', passwordFile: '/run/secrets/validators_manager_password' });
    expect(config.keys.files).toEqual(['/data/cluster-lock.json']);
    // DATABASE_URL names the database and user PostgreSQL creates
    const postgres = environmentOf(service('postgres'));
    const url = new URL(env.DATABASE_URL!);
    expect({ user: url.username, db: url.pathname.slice(1), host: url.hostname }).toEqual({ user: postgres.POSTGRES_USER, db: postgres.POSTGRES_DB, host: 'postgres' });
    expect(env.PGPASSWORD_FILE).toBe('/run/secrets/postgres_password');
    expect(postgres.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_password');
    expect(s.volumes).toContain('./cluster/node0/cluster-lock.json:/data/cluster-lock.json:ro');
    expect(env.RELAYER_KEYS_FILES).toBe('/data/cluster-lock.json');
  });

  it('gives the operator options and variables it reads, and a configuration its schema accepts', () => {
    const s = service('operator');
    const { path, options, unknown, operands } = parsedCommand(s);
    expect({ path, unknown, operands }).toEqual({ path: ['operator', 'start'], unknown: [], operands: [] });
    const env = environmentOf(s);
    const known = new Set([...helpEnvVars(findCommand(['operator', 'start'])), ...sourceEnvVars('operator'), ...ENTRYPOINT_ENV, ...RUNTIME_ENV]);
    for (const key of Object.keys(env)) expect({ key, known: known.has(key) }).toEqual({ key, known: true });
    // the entry point puts the token file's content into RELAYER_TOKEN
    const { RELAYER_TOKEN_FILE: tokenFile, ...rest } = env;
    expect(tokenFile).toBe('/run/secrets/relayer_operator_token');
    const config = parseOperatorConfig(operatorRawSettings(options, { ...rest, RELAYER_TOKEN: 'token' }));
    expect(config).toMatchObject({
      mode: 'relayer',
      redis: { url: 'redis://redis:6379' },
      relayer: { url: 'http://relayer:8000', token: 'token' },
      wallet: { file: '/run/secrets/operator_wallet', passwordFile: '/run/secrets/operator_wallet_password' },
      http: { host: '0.0.0.0', port: 9100 },
    });
  });

  it('gives each sidecar options and variables it reads, and a configuration its schema accepts', () => {
    for (const i of NODES) {
      const s = service(`sidecar${i}`);
      const { path, options, unknown, operands } = parsedCommand(s);
      expect({ path, unknown, operands }).toEqual({ path: ['sidecar'], unknown: [], operands: [] });
      const env = environmentOf(s);
      const known = new Set([...helpEnvVars(findCommand(['sidecar'])), ...sourceEnvVars('sidecar'), ...RUNTIME_ENV]);
      for (const key of Object.keys(env)) expect({ key, known: known.has(key) }).toEqual({ key, known: true });
      expect(env.RELAYER_SIDECAR_TOKEN_FILE).toBe('/run/secrets/relayer_sidecar_token');
      const config = parseSidecarConfig(sidecarConfigFromOptions(options as SidecarCliOptions, env, 'token'));
      expect(config.relayer.url).toBe('http://relayer:8000');
      expect(config.cluster).toMatchObject({ type: 'obol', lockFile: '/data/node/cluster-lock.json', keysDir: '/data/node/validator_keys' });
      expect(config.http).toEqual({ host: '0.0.0.0', port: 8081 });
    }
  });
});
