import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, type ContractRunner, Interface, type JsonFragment } from 'ethers';
import { StakewiseError } from './errors.js';

/** ABI files committed in contracts-abi/ at the repository root. */
export const STAKEWISE_ABI_NAMES = ['EthVault', 'Keeper', 'DepositContract'] as const;
export type StakewiseAbiName = (typeof STAKEWISE_ABI_NAMES)[number];

const ABI_DIR = 'contracts-abi';
const cache = new Map<StakewiseAbiName, readonly JsonFragment[]>();

/** The committed ABI (a subset of the real StakeWise v3 / deposit contract ABIs: what the suite calls). */
export function loadContractAbi(name: StakewiseAbiName): readonly JsonFragment[] {
  if (!STAKEWISE_ABI_NAMES.includes(name)) {
    throw new StakewiseError('ABI_NOT_FOUND', `unknown contract ABI ${JSON.stringify(name)}`, { name });
  }
  let abi = cache.get(name);
  if (!abi) {
    const file = join(findAbiDir(), `${name}.json`);
    try {
      abi = JSON.parse(readFileSync(file, 'utf8')) as JsonFragment[];
    } catch (error) {
      throw new StakewiseError('ABI_NOT_FOUND', `cannot read ABI ${file}: ${(error as Error).message}`, { name, file });
    }
    if (!Array.isArray(abi)) throw new StakewiseError('ABI_NOT_FOUND', `${file} is not an ABI array`, { name, file });
    cache.set(name, abi);
  }
  return abi;
}

export function contractInterface(name: StakewiseAbiName): Interface {
  return new Interface(loadContractAbi(name) as JsonFragment[]);
}

export function ethVaultContract(address: string, runner?: ContractRunner | null): Contract {
  return new Contract(address, loadContractAbi('EthVault') as JsonFragment[], runner);
}

export function keeperContract(address: string, runner?: ContractRunner | null): Contract {
  return new Contract(address, loadContractAbi('Keeper') as JsonFragment[], runner);
}

export function depositContract(address: string, runner?: ContractRunner | null): Contract {
  return new Contract(address, loadContractAbi('DepositContract') as JsonFragment[], runner);
}

/** Walks up from this module (source tree or dist/) to the folder holding contracts-abi/. */
function findAbiDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, ABI_DIR);
    if (existsSync(join(candidate, 'EthVault.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new StakewiseError('ABI_NOT_FOUND', `no ${ABI_DIR}/ above ${start}`, { start });
    dir = parent;
  }
}
