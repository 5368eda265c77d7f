import { describe, expect, it } from '@jest/globals';
import { Fragment } from 'ethers';
import {
  STAKEWISE_ABI_NAMES,
  type StakewiseAbiName,
  contractInterface,
  depositContract,
  ethVaultContract,
  keeperContract,
  loadContractAbi,
} from './contracts.js';
import { StakewiseError } from './errors.js';

const ADDRESS = '0x8ae5C1046158526CF236f74d8FB88fABE2e94aCa';

describe('contract ABIs', () => {
  it.each(STAKEWISE_ABI_NAMES)('%s loads from contracts-abi/ and parses', (name) => {
    const abi = loadContractAbi(name);
    expect(abi.length).toBeGreaterThan(0);
    expect(() => abi.map((entry) => Fragment.from(entry))).not.toThrow();
    expect(loadContractAbi(name)).toBe(abi);
  });

  it('binds contracts to addresses with the functions the suite calls', () => {
    expect(ethVaultContract(ADDRESS).interface.getFunction('registerValidators')!.format()).toBe(
      'registerValidators((bytes32,uint256,bytes,bytes,string),bytes)',
    );
    expect(keeperContract(ADDRESS).interface.getEvent('ConfigUpdated')!.format()).toBe('ConfigUpdated(string)');
    expect(depositContract(ADDRESS).interface.getFunction('get_deposit_root')!.format()).toBe('get_deposit_root()');
    expect(contractInterface('Keeper').getFunction('validatorsMinOracles')).not.toBeNull();
  });

  it('rejects an unknown ABI name', () => {
    expect(() => loadContractAbi('OsToken' as StakewiseAbiName)).toThrow(StakewiseError);
    expect(() => loadContractAbi('OsToken' as StakewiseAbiName)).toThrow(/unknown contract ABI "OsToken"/);
  });
});
