import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JsonFragment } from 'ethers';
import { LocalChainError } from './errors.js';

export const TEST_CONTRACT_NAMES = ['DepositContract', 'Keeper', 'EthVault'] as const;
export type TestContractName = (typeof TEST_CONTRACT_NAMES)[number];

export interface ContractArtifact {
  readonly contractName: TestContractName;
  readonly abi: readonly JsonFragment[];
  /** Creation bytecode, 0x hex. */
  readonly bytecode: string;
}

export interface CompiledContracts {
  /** sha256 over the compiler version, settings and every source: the cache key. */
  readonly sourceHash: string;
  readonly solcVersion: string;
  readonly contracts: Readonly<Record<TestContractName, ContractArtifact>>;
  /** Compiler warnings (formatted); the suite's contracts are expected to have none. */
  readonly warnings: readonly string[];
}

export interface CompileOptions {
  /** Folder with the .sol sources; default: the repository's libs/testing/contracts. */
  readonly contractsDir?: string;
  /** Artifact cache folder; null disables the disk cache. Default: <repo>/node_modules/.cache/dvt-contracts. */
  readonly cacheDir?: string | null;
}

// ganache 7.9 runs Shanghai at most: no Cancun opcodes (MCOPY, TSTORE) may be emitted.
const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'shanghai',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const;

const CONTRACTS_RELATIVE_DIR = join('libs', 'testing', 'contracts');
const require = createRequire(import.meta.url);

interface SolcOutput {
  readonly errors?: ReadonlyArray<{ readonly severity: string; readonly formattedMessage: string }>;
  readonly contracts?: Record<string, Record<string, { abi: JsonFragment[]; evm: { bytecode: { object: string } } }>>;
}

const memo = new Map<string, Promise<CompiledContracts>>();

/**
 * Compiles the suite's Solidity test contracts with the installed solc-js (offline), caching the
 * artifacts on disk under a hash of the sources so later runs only read a JSON file.
 */
export function compileTestContracts(options: CompileOptions = {}): Promise<CompiledContracts> {
  const contractsDir = options.contractsDir ?? defaultContractsDir();
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const memoKey = `${contractsDir}\0${cacheDir ?? ''}`;
  let result = memo.get(memoKey);
  if (!result) {
    result = compileOrLoad(contractsDir, cacheDir);
    memo.set(memoKey, result);
    result.catch(() => memo.delete(memoKey));
  }
  return result;
}

async function compileOrLoad(contractsDir: string, cacheDir: string | null): Promise<CompiledContracts> {
  const sources = readSources(contractsDir);
  const solcVersion = installedSolcVersion();
  const sourceHash = hashInputs(solcVersion, sources);
  const cacheFile = cacheDir === null ? null : join(cacheDir, `${sourceHash}.json`);
  if (cacheFile && existsSync(cacheFile)) {
    const cached = readCache(cacheFile, sourceHash);
    if (cached) return cached;
  }
  const compiled = await compileSources(sources, solcVersion, sourceHash);
  if (cacheFile) writeCache(cacheFile, compiled);
  return compiled;
}

function readSources(contractsDir: string): Record<string, string> {
  if (!existsSync(contractsDir)) {
    throw new LocalChainError('CONTRACTS_NOT_FOUND', `test contracts folder not found: ${contractsDir}`, { contractsDir });
  }
  const names = readdirSync(contractsDir)
    .filter((name) => name.endsWith('.sol'))
    .sort();
  if (names.length === 0) {
    throw new LocalChainError('CONTRACTS_NOT_FOUND', `no .sol files in ${contractsDir}`, { contractsDir });
  }
  return Object.fromEntries(names.map((name) => [name, readFileSync(join(contractsDir, name), 'utf8')]));
}

function hashInputs(solcVersion: string, sources: Record<string, string>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ solcVersion, settings: COMPILER_SETTINGS }));
  for (const [name, content] of Object.entries(sources)) hash.update(`\0${name}\0${content}`);
  return hash.digest('hex');
}

async function compileSources(
  sources: Record<string, string>,
  solcVersion: string,
  sourceHash: string,
): Promise<CompiledContracts> {
  // solc-js is a large emscripten module: load it only when the cache misses
  const solc = (await import('solc')).default;
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: COMPILER_SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput;
  const problems = output.errors ?? [];
  const errors = problems.filter((p) => p.severity === 'error').map((p) => p.formattedMessage);
  if (errors.length > 0) {
    throw new LocalChainError('COMPILATION_FAILED', `solc ${solcVersion}: ${errors.length} error(s):\n${errors.join('\n')}`, {
      errors,
    });
  }
  const warnings = problems.filter((p) => p.severity !== 'error').map((p) => p.formattedMessage);
  const contracts = {} as Record<TestContractName, ContractArtifact>;
  for (const contractName of TEST_CONTRACT_NAMES) {
    const found = Object.values(output.contracts ?? {}).find((unit) => unit[contractName] !== undefined)?.[contractName];
    if (!found || found.evm.bytecode.object.length === 0) {
      throw new LocalChainError('COMPILATION_FAILED', `solc output has no deployable contract ${contractName}`, {
        contractName,
      });
    }
    contracts[contractName] = { contractName, abi: found.abi, bytecode: `0x${found.evm.bytecode.object}` };
  }
  return { sourceHash, solcVersion, contracts, warnings };
}

function readCache(file: string, sourceHash: string): CompiledContracts | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CompiledContracts;
    const complete = TEST_CONTRACT_NAMES.every((name) => parsed.contracts?.[name]?.bytecode?.startsWith('0x'));
    return parsed.sourceHash === sourceHash && complete ? parsed : null;
  } catch {
    // unreadable or truncated cache entry: compile again and overwrite it
    return null;
  }
}

function writeCache(file: string, compiled: CompiledContracts): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    // write-then-rename so a parallel test worker never reads a half-written file
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temporary, JSON.stringify(compiled));
    renameSync(temporary, file);
  } catch {
    // a read-only checkout still works, it just compiles every time
  }
}

function installedSolcVersion(): string {
  const packageJson = JSON.parse(readFileSync(require.resolve('solc/package.json'), 'utf8')) as { version: string };
  return packageJson.version;
}

/** Walks up from this module (source tree or dist/) to the repository folder holding libs/testing/contracts. */
export function findRepositoryRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, CONTRACTS_RELATIVE_DIR, 'EthVault.sol'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new LocalChainError('CONTRACTS_NOT_FOUND', `no ${CONTRACTS_RELATIVE_DIR} above ${start}`, { start });
    }
    dir = parent;
  }
}

function defaultContractsDir(): string {
  return join(findRepositoryRoot(), CONTRACTS_RELATIVE_DIR);
}

function defaultCacheDir(): string {
  return join(findRepositoryRoot(), 'node_modules', '.cache', 'dvt-contracts');
}
