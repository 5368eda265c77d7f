/**
 * docker/Dockerfile, .dockerignore and the image's scripts, checked without a Docker engine: the
 * build copies files that exist and that .dockerignore lets through, covers everything the build
 * compiles, installs without dependency scripts except the ones package.json approves, and runs as
 * an unprivileged user; secrets and deployment files never enter the build context. The entry
 * point and init-secrets.sh run here with sh.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { read, root } from './support.js';

const dockerfile = read('docker/Dockerfile');
const patterns = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

/** Docker's .dockerignore matching (Go filepath.Match plus `**`, `!` exceptions, last match wins). */
function ignored(path: string): boolean {
  let result = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const body = pattern
      .split(/(\*\*\/|\*\*|\*|\?)/)
      .map((t) => ({ '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' })[t] ?? t.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
      .join('');
    const regex = new RegExp(`^${body}(?:/.*)?$`);
    if (regex.test(path)) result = !negate;
  }
  return result;
}

/** Sources of the build context that the Dockerfile copies (COPY without --from). */
const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => {
  const parts = m[1]!.split(/\s+/).filter((p) => !p.startsWith('--'));
  return parts.slice(0, -1);
});

const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).trim().split('\n');

const temporary: string[] = [];
afterAll(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('docker/Dockerfile and .dockerignore', () => {
  it('copies files that exist in the repository and that .dockerignore lets into the context', () => {
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', '.npmrc', 'apps', 'libs', 'bin', 'docker/entrypoint.sh']));
    for (const source of copied) {
      expect({ source, exists: existsSync(join(root, source)) }).toEqual({ source, exists: true });
      expect({ source, ignored: ignored(source) }).toEqual({ source, ignored: false });
      // every tracked file under a copied folder reaches the build, except tests' own data
      const files = tracked.filter((f) => f === source || f.startsWith(`${source}/`));
      for (const file of files.filter(ignored)) expect({ file, ignored: true }).toEqual({ file, ignored: /\.spec\.ts$|\/testdata\//.test(file) });
    }
  });

  it('copies every folder the build compiles (tsconfig.build.json) and every runtime file bin/dvt.js needs', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const include of build.include) {
      const top = include.split('/')[0]!;
      expect({ include, copied: copied.includes(top) }).toEqual({ include, copied: true });
    }
    expect(copied).toEqual(expect.arrayContaining(['tsconfig.json', 'tsconfig.build.json', 'contracts-abi']));
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/package\.json/); // "type": "module"
  });

  it('keeps secrets, env files, cluster folders, databases and local builds out of the build context', () => {
    for (const path of [
      'docker/.env',
      'docker/env/relayer.env',
      'docker/env/operator.env',
      'docker/secrets/operator-wallet.json',
      'docker/secrets/postgres-password.txt',
      'docker/cluster/node0/charon-enr-private-key',
      'docker/cluster/node0/validator_keys/keystore-0.json',
      'cluster/node1/validator_keys/keystore-0.txt',
      'relayer.sqlite',
      'node_modules/x/index.js',
      'apps/relayer/node_modules/x',
      'dist/apps/cli/src/main.js',
      '.git/config',
    ]) {
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: true });
    }
    for (const path of ['docker/env/relayer.env.example', 'docker/.env.example', 'libs/cluster/src/index.ts', 'docker/entrypoint.sh']) {
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: false });
    }
    // and out of git
    const check = spawnSync('git', ['check-ignore', 'docker/.env', 'docker/env/relayer.env', 'docker/secrets/x.txt', 'docker/cluster/node0/x'], { cwd: root, encoding: 'utf8' });
    expect(check.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('installs with no dependency script but those package.json "allowScripts" approves (any npm version)', () => {
    const allow = (JSON.parse(read('package.json')) as { allowScripts: Record<string, boolean> }).allowScripts;
    expect(Object.entries(allow).filter(([, on]) => on).map(([name]) => name)).toContain('better-sqlite3');
    expect(dockerfile).toMatch(/npm install --ignore-scripts/);
    expect(dockerfile).toMatch(/allowScripts/);
    expect(dockerfile).toMatch(/npm rebuild \$approved/);
    expect(dockerfile).not.toMatch(/npm ci\b/); // the lock file lacks other platforms' optional binaries
    // the command that lists the approved packages, as the Dockerfile runs it
    const script = /approved="\$\(node -p "(.+?)"\)"/.exec(dockerfile)![1]!;
    const listed = execFileSync(process.execPath, ['-p', script], { cwd: root, encoding: 'utf8' }).trim().split(' ');
    expect(listed.sort()).toEqual(Object.entries(allow).filter(([, on]) => on).map(([name]) => name).sort());
  });

  it('is a multi-stage build running as an unprivileged user, with a writable /state for named volumes', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/chown node:node \/state/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/local\/bin\/dvt-entrypoint"\]$/m);
    // no secret in the image: nothing from docker/ but the entry point
    expect(copied.filter((c) => c.startsWith('docker/'))).toEqual(['docker/entrypoint.sh']);
  });
});

describe('docker/entrypoint.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvt-entrypoint-'));
  temporary.push(dir);
  const main = join(dir, 'main.js');
  writeFileSync(main, 'console.log(JSON.stringify({ argv: process.argv.slice(2), env: process.env }))\n');
  const run = (env: Record<string, string>, ...args: string[]) =>
    spawnSync('sh', [join(root, 'docker', 'entrypoint.sh'), ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH!, DVT_MAIN: main, ...env },
    });

  it('runs dvt with the arguments, reading RELAYER_TOKEN_FILE and PGPASSWORD_FILE into values', () => {
    writeFileSync(join(dir, 'token'), 'abc123\n');
    writeFileSync(join(dir, 'pg'), 's3cret');
    const r = run({ RELAYER_TOKEN_FILE: join(dir, 'token'), PGPASSWORD_FILE: join(dir, 'pg'), OTHER_FILE: '/x' }, 'operator', 'start');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { argv: string[]; env: Record<string, string> };
    expect(out.argv).toEqual(['operator', 'start']);
    expect(out.env).toMatchObject({ RELAYER_TOKEN: 'abc123', PGPASSWORD: 's3cret', OTHER_FILE: '/x' });
    expect(out.env.RELAYER_TOKEN_FILE).toBeUndefined();
  });

  it('refuses to start when a named secret file is missing', () => {
    const r = run({ RELAYER_TOKEN_FILE: join(dir, 'missing') }, 'operator', 'start');
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('RELAYER_TOKEN_FILE');
  });
});

describe('docker/init-secrets.sh', () => {
  it('creates the random secrets once, closed to other users, and names the key files still missing', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dvt-secrets-')), 'secrets');
    temporary.push(dir);
    const first = spawnSync('sh', [join(root, 'docker', 'init-secrets.sh'), dir], { encoding: 'utf8' });
    expect(first.status).toBe(1);
    expect(first.stderr).toContain('operator-wallet.json');
    expect(readdirSync(dir).sort()).toEqual(['postgres-password.txt', 'relayer-operator-token.txt', 'relayer-sidecar-token.txt']);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const token = readFileSync(join(dir, 'relayer-operator-token.txt'), 'utf8');
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    for (const name of ['validators-manager-keystore.json', 'validators-manager-password.txt', 'operator-wallet.json', 'operator-wallet-password.txt']) {
      writeFileSync(join(dir, name), 'x');
    }
    const second = spawnSync('sh', [join(root, 'docker', 'init-secrets.sh'), dir], { encoding: 'utf8' });
    expect(second.status).toBe(0);
    expect(readFileSync(join(dir, 'relayer-operator-token.txt'), 'utf8')).toBe(token);
  });

  it('creates every file compose.yaml declares as a secret (or says it is missing)', () => {
    const script = read('docker/init-secrets.sh');
    for (const m of read('docker/compose.yaml').matchAll(/file: \.\/secrets\/([\w.-]+)/g)) {
      const name = m[1]!;
      expect({ name, handled: script.includes(name) || script.includes(name.replace(/\.txt$/, '')) }).toEqual({ name, handled: true });
    }
  });
});
