import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeValidators, signTypedData, validatorsManagerNonceRoot, vaultValidatorsTypedData } from '@dvt/stakewise';
import { ssz } from '@lodestar/types';
import { type Contract, keccak256, parseEther } from 'ethers';
import { bytesToHex, hexToBytes } from '@dvt/common';
import {
  CONFIG_IPFS_HASH,
  EXIT_SIGNATURES_IPFS_HASH,
  MIN_ORACLES,
  type RegistrationFixture,
  VAULT_FUNDING,
  littleEndian64,
  setUpRegistration,
  withdrawalCredentials,
} from './registration.fixture.js';
import { fakeValidatorDeposit } from './validators.js';

let f: RegistrationFixture;

beforeAll(async () => {
  f = await setUpRegistration();
});

afterAll(async () => {
  await f?.stop();
});

describe('deployment', () => {
  it('publishes the oracle set, the threshold and the protocol config', async () => {
    expect(await f.keeper.getFunction('validatorsMinOracles')()).toBe(BigInt(MIN_ORACLES));
    expect(await f.keeper.getFunction('totalOracles')()).toBe(BigInt(f.oracles.length));
    for (const oracle of f.oracles) expect(await f.keeper.getFunction('isOracle')(oracle.address)).toBe(true);
    expect(await f.keeper.getFunction('isOracle')(f.outsider.address)).toBe(false);
    const configEvents = await f.keeper.queryFilter(f.keeper.filters['ConfigUpdated']!(), f.deployment.fromBlock);
    expect(configEvents.map((e) => ('args' in e ? e.args[0] : null))).toEqual([CONFIG_IPFS_HASH]);
    expect(await f.vault.getFunction('validatorsManager')()).toBe(f.manager.address);
    expect(await f.vault.getFunction('withdrawableAssets')()).toBe(VAULT_FUNDING);
    expect(await f.registryRoot()).toBe(f.expectedRegistryRoot());
  });
});

describe('registerValidators: end to end', () => {
  it('registers a 0x01 validator with oracle approvals and the manager signature', async () => {
    const [validator] = f.deposits('0x01', 32_000_000_000);
    const rootBefore = await f.registryRoot();
    const nonceBefore = (await f.vault.getFunction('validatorsManagerNonce')()) as bigint;
    const balanceBefore = await f.chain.provider.getBalance(f.deployment.vault.address);

    const receipt = await f.register(encodeValidators([validator!], '0x01'));
    f.acceptedLeaves.push(validator!.depositDataRoot);

    expect(f.eventArgs(f.vault, receipt.logs, 'ValidatorRegistered')).toEqual([[validator!.publicKey]]);
    expect(f.eventArgs(f.keeper, receipt.logs, 'ValidatorsApproval')).toEqual([
      [f.deployment.vault.address, EXIT_SIGNATURES_IPFS_HASH],
    ]);
    expect(f.eventArgs(f.depositContract, receipt.logs, 'DepositEvent')).toEqual([
      [
        validator!.publicKey,
        withdrawalCredentials('0x01', f.deployment.vault.address),
        littleEndian64(32_000_000_000),
        validator!.signature,
        littleEndian64(f.acceptedLeaves.length - 1),
      ],
    ]);
    const rootAfter = await f.registryRoot();
    expect(rootAfter).not.toBe(rootBefore);
    expect(rootAfter).toBe(f.expectedRegistryRoot());
    expect(await f.vault.getFunction('validatorsManagerNonce')()).toBe(nonceBefore + 1n);
    expect(await f.chain.provider.getBalance(f.deployment.vault.address)).toBe(balanceBefore - parseEther('32'));
    expect(await f.keeper.getFunction('isCollateralized')(f.deployment.vault.address)).toBe(true);
  });

  it('registers two 0x02 validators with their own amounts', async () => {
    const validators = f.deposits('0x02', 40_000_000_000, 32_000_000_000);
    const receipt = await f.register(encodeValidators(validators, '0x02'));
    f.acceptedLeaves.push(...validators.map((v) => v.depositDataRoot));

    expect(f.eventArgs(f.vault, receipt.logs, 'V2ValidatorRegistered')).toEqual([
      [validators[0]!.publicKey, parseEther('40')],
      [validators[1]!.publicKey, parseEther('32')],
    ]);
    const credentials = withdrawalCredentials('0x02', f.deployment.vault.address);
    expect(f.eventArgs(f.depositContract, receipt.logs, 'DepositEvent')).toEqual([
      [validators[0]!.publicKey, credentials, littleEndian64(40_000_000_000), validators[0]!.signature, littleEndian64(1)],
      [validators[1]!.publicKey, credentials, littleEndian64(32_000_000_000), validators[1]!.signature, littleEndian64(2)],
    ]);
    expect(await f.vault.getFunction('v2Validators')(keccak256(validators[0]!.publicKey))).toBe(true);
    expect(await f.registryRoot()).toBe(f.expectedRegistryRoot());
    expect(await f.depositContract.getFunction('get_deposit_count')()).toBe(littleEndian64(3));
  });

  it('accepts an empty manager signature from the manager itself, without bumping the nonce', async () => {
    const [validator] = f.deposits('0x01', 32_000_000_000);
    const nonceBefore = (await f.vault.getFunction('validatorsManagerNonce')()) as bigint;
    const receipt = await f.register(encodeValidators([validator!], '0x01'), { managerSigner: 'none' }, f.manager);
    f.acceptedLeaves.push(validator!.depositDataRoot);
    expect(f.eventArgs(f.vault, receipt.logs, 'ValidatorRegistered')).toEqual([[validator!.publicKey]]);
    expect(await f.vault.getFunction('validatorsManagerNonce')()).toBe(nonceBefore);
  });

  it('works through multicall, as the operator submits it', async () => {
    const [validator] = f.deposits('0x01', 32_000_000_000);
    const { keeperParams, managerSignature } = await f.approval(encodeValidators([validator!], '0x01'));
    const call = f.vault.interface.encodeFunctionData('registerValidators', [keeperParams, managerSignature]);
    const receipt = await (await f.vault.getFunction('multicall')([call], { gasLimit: 3_000_000 })).wait();
    f.acceptedLeaves.push(validator!.depositDataRoot);
    expect(f.eventArgs(f.vault, receipt.logs, 'ValidatorRegistered')).toEqual([[validator!.publicKey]]);
    expect(await f.registryRoot()).toBe(f.expectedRegistryRoot());
  });
});

describe('fundValidators: top-ups signed over the manager nonce', () => {
  /** A top-up deposit for an existing key: fresh deposit-signature bytes, real deposit data root. */
  function topUp(publicKey: string, amountGwei: number) {
    const template = fakeValidatorDeposit(f.deployment.vault.address, '0x02', amountGwei);
    const root = bytesToHex(
      ssz.phase0.DepositData.hashTreeRoot({
        pubkey: hexToBytes(publicKey),
        withdrawalCredentials: hexToBytes(template.withdrawalCredentials),
        amount: amountGwei,
        signature: hexToBytes(template.signature),
      }),
    );
    return { blob: encodeValidators([{ ...template, publicKey, depositDataRoot: root }], '0x02'), root };
  }

  it('tops up a registered 0x02 validator once; the same signature cannot be replayed', async () => {
    const [validator] = f.deposits('0x02', 32_000_000_000);
    await f.register(encodeValidators([validator!], '0x02'));
    f.acceptedLeaves.push(validator!.depositDataRoot);

    const { blob, root } = topUp(validator!.publicKey, 5_000_000_000);
    const nonce = (await f.vault.getFunction('validatorsManagerNonce')()) as bigint;
    const typedData = vaultValidatorsTypedData(f.chain.chainId, f.deployment.vault.address, validatorsManagerNonceRoot(nonce), blob);
    const signature = signTypedData(typedData, f.manager.privateKey);
    const fund = f.vault.getFunction('fundValidators');
    const receipt = await (await fund(blob, signature, { gasLimit: 3_000_000 })).wait();
    f.acceptedLeaves.push(root);

    expect(f.eventArgs(f.vault, receipt.logs, 'ValidatorFunded')).toEqual([[validator!.publicKey, parseEther('5')]]);
    expect(await f.registryRoot()).toBe(f.expectedRegistryRoot());
    await expect(f.revertReasonOf(fund.staticCall(blob, signature))).resolves.toBe('AccessDenied');
  });

  it('refuses to top up 0x01 validators and unknown keys', async () => {
    const fundAsManager = (f.vault.connect(f.manager) as Contract).getFunction('fundValidators');
    const v1 = encodeValidators(f.deposits('0x01', 32_000_000_000), '0x01');
    await expect(f.revertReasonOf(fundAsManager.staticCall(v1, '0x'))).resolves.toBe('CannotTopUpV1Validators');
    const unknown = encodeValidators(f.deposits('0x02', 1_000_000_000), '0x02');
    await expect(f.revertReasonOf(fundAsManager.staticCall(unknown, '0x'))).resolves.toBe('InvalidValidators');
  });
});
