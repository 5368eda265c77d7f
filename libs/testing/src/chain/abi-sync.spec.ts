import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { STAKEWISE_ABI_NAMES, loadContractAbi } from '@dvt/stakewise';
import { Fragment, type JsonFragment } from 'ethers';
import { compileTestContracts, findRepositoryRoot } from './compile.js';

// Set DVT_UPDATE_ABIS=1 to rewrite contracts-abi/ from the compiled test contracts.
const UPDATE = process.env['DVT_UPDATE_ABIS'] === '1';

function canonical(entry: JsonFragment): string {
  return Fragment.from(entry).format('json');
}

function signatures(abi: readonly JsonFragment[], type: string): string[] {
  return abi
    .filter((entry) => entry.type === type)
    .map((entry) => Fragment.from(entry).format('sighash'))
    .sort();
}

// Signatures as declared in stakewise/v3-core (IVaultValidators, IVaultEthStaking, IVaultState,
// IKeeperValidators, IKeeperOracles, IMulticall) and the beacon deposit contract.
const REAL_SIGNATURES: Record<(typeof STAKEWISE_ABI_NAMES)[number], readonly string[]> = {
  EthVault: [
    'registerValidators((bytes32,uint256,bytes,bytes,string),bytes)',
    'fundValidators(bytes,bytes)',
    'withdrawValidators(bytes,bytes)',
    'consolidateValidators(bytes,bytes,bytes)',
    'validatorsManager()',
    'validatorsManagerNonce()',
    'setValidatorsManager(address)',
    'withdrawableAssets()',
    'deposit(address,address)',
    'multicall(bytes[])',
    'v2Validators(bytes32)',
    'version()',
    'ValidatorRegistered(bytes)',
    'V2ValidatorRegistered(bytes,uint256)',
    'ValidatorFunded(bytes,uint256)',
    'ValidatorWithdrawalSubmitted(bytes,uint256,uint256)',
    'ValidatorConsolidationSubmitted(bytes,bytes,uint256)',
    'ValidatorsManagerUpdated(address,address)',
    'Deposited(address,address,uint256,uint256,address)',
  ],
  Keeper: [
    'approveValidators((bytes32,uint256,bytes,bytes,string))',
    'validatorsMinOracles()',
    'isOracle(address)',
    'totalOracles()',
    'updateConfig(string)',
    'canHarvest(address)',
    'ConfigUpdated(string)',
    'ValidatorsApproval(address,string)',
    'OracleAdded(address)',
    'OracleRemoved(address)',
  ],
  DepositContract: [
    'deposit(bytes,bytes,bytes,bytes32)',
    'get_deposit_root()',
    'get_deposit_count()',
    'DepositEvent(bytes,bytes,bytes,bytes,bytes)',
  ],
};

describe('contracts-abi/ stays in sync with the compiled test contracts', () => {
  it.each(STAKEWISE_ABI_NAMES)('%s: every committed entry exists, identically, in the compiled ABI', async (name) => {
    const { contracts } = await compileTestContracts();
    const compiled = contracts[name].abi;
    if (UPDATE) {
      const committed = compiled.filter((entry) => entry.type !== 'constructor');
      writeFileSync(join(findRepositoryRoot(), 'contracts-abi', `${name}.json`), `${JSON.stringify(committed, null, 2)}\n`);
    }
    const compiledEntries = new Set(compiled.map(canonical));
    const committed = loadContractAbi(name);
    expect(committed.length).toBeGreaterThan(0);
    const missing = committed.map(canonical).filter((entry) => !compiledEntries.has(entry));
    expect(missing).toEqual([]);
    expect(committed.some((entry) => entry.type === 'constructor')).toBe(false);
  });

  it.each(STAKEWISE_ABI_NAMES)('%s: the committed ABI has the real StakeWise / deposit-contract signatures', (name) => {
    const committed = loadContractAbi(name);
    const present = new Set([...signatures(committed, 'function'), ...signatures(committed, 'event')]);
    const absent = REAL_SIGNATURES[name].filter((signature) => !present.has(signature));
    expect(absent).toEqual([]);
  });

  it('the test contracts compile without warnings', async () => {
    const { warnings } = await compileTestContracts();
    expect(warnings).toEqual([]);
  });
});
