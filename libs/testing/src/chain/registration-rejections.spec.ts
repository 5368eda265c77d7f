import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import { encodeValidators, signTypedData, validatorsManagerNonceRoot, vaultValidatorsTypedData } from '@dvt/stakewise';
import { type Contract, type ContractTransactionReceipt, type Wallet, keccak256, parseEther } from 'ethers';
import { MIN_ORACLES, type RegistrationFixture, setUpRegistration } from './registration.fixture.js';

let f: RegistrationFixture;
const byAddress = (order: 1 | -1) => (a: { address: string }, b: { address: string }) =>
  BigInt(a.address) < BigInt(b.address) ? -order : order;

beforeAll(async () => {
  f = await setUpRegistration();
});

afterAll(async () => {
  await f?.stop();
});

function v1(): string {
  return encodeValidators(f.deposits('0x01', 32_000_000_000), '0x01');
}

describe('registerValidators: the validators-manager check', () => {
  it('accepts the fixture approval as it is (the baseline every rejection below changes one thing of)', async () => {
    const [validator] = f.deposits('0x01', 32_000_000_000);
    const receipt = await f.register(encodeValidators([validator!], '0x01'));
    f.acceptedLeaves.push(validator!.depositDataRoot);
    expect(f.eventArgs(f.vault, receipt.logs, 'ValidatorRegistered')).toEqual([[validator!.publicKey]]);
  });

  it('rejects a manager signature from another key', async () => {
    await expect(f.registerRevertReason(v1(), { managerSigner: f.oracles[0]! })).resolves.toBe('AccessDenied');
  });

  it('rejects a manager signature over different validators', async () => {
    await expect(f.registerRevertReason(v1(), { managerValidators: v1() })).resolves.toBe('AccessDenied');
  });

  it('rejects an empty manager signature from anyone but the manager', async () => {
    await expect(f.registerRevertReason(v1(), { managerSigner: 'none' }, f.sender)).resolves.toBe('AccessDenied');
  });
});

describe('registerValidators: the oracle approval', () => {
  it('rejects fewer oracle signatures than validatorsMinOracles', async () => {
    const signers = f.oracles.slice(0, MIN_ORACLES - 1);
    await expect(f.registerRevertReason(v1(), { signers })).resolves.toBe('NotEnoughSignatures');
  });

  it('rejects oracle signatures out of ascending address order', async () => {
    const descending = f.oracles.slice(0, MIN_ORACLES).sort(byAddress(-1));
    await expect(f.registerRevertReason(v1(), { signers: descending, order: 'as-given' })).resolves.toBe('InvalidOracle');
  });

  it('rejects the same oracle signing twice', async () => {
    const [first, second] = [...f.oracles].sort(byAddress(1));
    const twice = [first!, second!, second!];
    await expect(f.registerRevertReason(v1(), { signers: twice, order: 'as-given' })).resolves.toBe('InvalidOracle');
  });

  it('rejects a signer outside the oracle set', async () => {
    const signers = [...f.oracles.slice(0, MIN_ORACLES - 1), f.outsider];
    await expect(f.registerRevertReason(v1(), { signers })).resolves.toBe('InvalidOracle');
  });

  it('rejects oracle signatures made for another chain', async () => {
    await expect(f.registerRevertReason(v1(), { oracleChainId: f.chain.chainId + 1 })).resolves.toBe('InvalidOracle');
  });

  it('rejects an approval for a registry root that is no longer current', async () => {
    const staleRoot = await f.registryRoot();
    const [moved] = f.deposits('0x01', 32_000_000_000);
    await f.register(encodeValidators([moved!], '0x01'));
    f.acceptedLeaves.push(moved!.depositDataRoot);
    await expect(f.registerRevertReason(v1(), { registryRoot: staleRoot })).resolves.toBe('InvalidValidatorsRegistryRoot');
  });

  it('rejects an approval whose deadline has passed', async () => {
    const deadline = (await f.chain.latestTimestamp()) + 60;
    const validators = v1();
    const { keeperParams, managerSignature } = await f.approval(validators, { deadline });
    await f.chain.increaseTime(120);
    const call = f.vault.getFunction('registerValidators').staticCall(keeperParams, managerSignature);
    await expect(f.revertReasonOf(call)).resolves.toBe('DeadlineExpired');
  });
});

describe('registerValidators: the validators and deposits', () => {
  it('rejects a validator whose deposit data root does not match its deposit data', async () => {
    const [validator] = f.deposits('0x01', 32_000_000_000);
    const wrongRoot = { ...validator!, depositDataRoot: keccak256(validator!.depositDataRoot) };
    await expect(f.registerRevertReason(encodeValidators([wrongRoot], '0x01'))).resolves.toBe(
      'DepositContract: deposit_data_root does not match the DepositData',
    );
  });

  it('rejects a 0x02 amount outside 32..2048 ETH', async () => {
    const small = encodeValidators(f.deposits('0x02', 31_000_000_000), '0x02');
    await expect(f.registerRevertReason(small)).resolves.toBe('InvalidAssets');
    const large = encodeValidators(f.deposits('0x02', 2_049_000_000_000), '0x02');
    await expect(f.registerRevertReason(large)).resolves.toBe('InvalidAssets');
  });

  it('rejects a validators blob of a length neither layout explains', async () => {
    const odd = bytesToHex(new Uint8Array(100).fill(7));
    await expect(f.registerRevertReason(odd)).resolves.toBe('InvalidValidators');
  });

  it('fails with an arithmetic panic when the vault holds less ETH than the deposits need', async () => {
    const large = encodeValidators(f.deposits('0x02', 2_048_000_000_000), '0x02');
    await expect(f.registerRevertReason(large)).resolves.toBe('Panic(0x11)');
  });

  it('leaves the deposit tree untouched by every rejected attempt', async () => {
    expect(await f.registryRoot()).toBe(f.expectedRegistryRoot());
  });
});

describe('withdrawValidators / consolidateValidators: the validators-manager check and the item length', () => {
  const publicKey = () => f.deposits('0x02', 32_000_000_000)[0]!.publicKey;
  /** pubkey (48) ‖ amount as big-endian uint64 gwei */
  const withdrawal = (key: string, amountGwei: number) => {
    const amount = new Uint8Array(8);
    new DataView(amount.buffer).setBigUint64(0, BigInt(amountGwei), false);
    return bytesToHex(concatBytes(hexToBytes(key), amount));
  };
  /** source pubkey (48) ‖ target pubkey (48) */
  const consolidation = (source: string, target: string) => bytesToHex(concatBytes(hexToBytes(source), hexToBytes(target)));
  const managerNonce = async () => (await f.vault.getFunction('validatorsManagerNonce')()) as bigint;
  const managerSignature = async (validators: string, signer: Wallet = f.manager) =>
    signTypedData(vaultValidatorsTypedData(f.chain.chainId, f.deployment.vault.address, validatorsManagerNonceRoot(await managerNonce()), validators), signer.privateKey);
  const call = (name: 'withdrawValidators' | 'consolidateValidators', validators: string, signature: string, from: Wallet = f.sender) => {
    const fn = (f.vault.connect(from) as Contract).getFunction(name);
    return name === 'withdrawValidators' ? fn.staticCall(validators, signature) : fn.staticCall(validators, signature, '0x');
  };
  const cases = [
    { name: 'withdrawValidators' as const, valid: () => withdrawal(publicKey(), 1_000_000_000), itemLength: 56 },
    { name: 'consolidateValidators' as const, valid: () => consolidation(publicKey(), publicKey()), itemLength: 96 },
  ];

  it('accepts the manager signature at the current nonce once, emitting one event per item with the fee paid (0 without the system contract)', async () => {
    const [a, b, c] = [publicKey(), publicKey(), publicKey()];
    const withdrawals = withdrawal(a, 0) + withdrawal(b, 3_000_000_000).slice(2);
    const nonce = await managerNonce();
    const signature = await managerSignature(withdrawals);
    const withdraw = f.vault.getFunction('withdrawValidators');
    const receipt = (await (await withdraw(withdrawals, signature)).wait()) as ContractTransactionReceipt;
    expect(f.eventArgs(f.vault, receipt.logs, 'ValidatorWithdrawalSubmitted')).toEqual([
      [a, 0n, 0n],
      [b, parseEther('3'), 0n],
    ]);
    expect(await managerNonce()).toBe(nonce + 1n);
    await expect(f.revertReasonOf(withdraw.staticCall(withdrawals, signature))).resolves.toBe('AccessDenied');

    const consolidations = consolidation(a, c);
    const consolidate = f.vault.getFunction('consolidateValidators');
    const consolidateSignature = await managerSignature(consolidations);
    const consolidated = (await (await consolidate(consolidations, consolidateSignature, '0x')).wait()) as ContractTransactionReceipt;
    expect(f.eventArgs(f.vault, consolidated.logs, 'ValidatorConsolidationSubmitted')).toEqual([[a, c, 0n]]);
    expect(await managerNonce()).toBe(nonce + 2n);
    await expect(f.revertReasonOf(consolidate.staticCall(consolidations, consolidateSignature, '0x'))).resolves.toBe('AccessDenied');
  });

  it.each(cases)('$name: rejects a manager signature from another key, over other validators, or an empty one from anyone but the manager', async ({ name, valid }) => {
    const validators = valid();
    await expect(f.revertReasonOf(call(name, validators, await managerSignature(validators, f.oracles[0]!)))).resolves.toBe('AccessDenied');
    await expect(f.revertReasonOf(call(name, validators, await managerSignature(valid())))).resolves.toBe('AccessDenied');
    await expect(f.revertReasonOf(call(name, validators, '0x'))).resolves.toBe('AccessDenied');
  });

  it.each(cases)('$name: rejects validators whose length is not a whole number of items', async ({ name, valid, itemLength }) => {
    const item = valid();
    for (const validators of [item.slice(0, -2), `${item}00`, bytesToHex(new Uint8Array(itemLength * 2 + 1))]) {
      await expect(f.revertReasonOf(call(name, validators, await managerSignature(validators)))).resolves.toBe('InvalidValidators');
      await expect(f.revertReasonOf(call(name, validators, '0x', f.manager))).resolves.toBe('InvalidValidators');
    }
  });

  it.each(cases)('$name: rejects a value other than the request fee per item', async ({ name, valid }) => {
    const validators = valid();
    const signature = await managerSignature(validators);
    const fn = f.vault.getFunction(name);
    const args = name === 'withdrawValidators' ? [validators, signature] : [validators, signature, '0x'];
    await expect(f.revertReasonOf(fn.staticCall(...args, { value: 1n }))).resolves.toBe('InvalidAssets');
  });

  it.each([
    { name: 'withdrawValidators' as const, systemContract: '0x00000961Ef480Eb55e80D19ad83579A64c007002', event: 'ValidatorWithdrawalSubmitted' },
    { name: 'consolidateValidators' as const, systemContract: '0x0000BBdDc7CE488642fb579F8B00f3a590007251', event: 'ValidatorConsolidationSubmitted' },
  ])('$name: pays the system contract its fee per item when it has code', async ({ name, systemContract, event }) => {
    // returns fee 7 wei to an empty call; takes a request only with exactly 7 wei
    const mock = '0x36600e57600760005260206000f35b34600714601a57600080fd5b00';
    await f.chain.provider.send('evm_setAccountCode', [systemContract, mock]);
    try {
      const item = cases.find((c) => c.name === name)!.valid;
      const validators = item() + item().slice(2);
      const signature = await managerSignature(validators);
      const fn = f.vault.getFunction(name);
      const args = name === 'withdrawValidators' ? [validators, signature] : [validators, signature, '0x'];
      await expect(f.revertReasonOf(fn.staticCall(...args, { value: 7n }))).resolves.toBe('InvalidAssets');
      const receipt = (await (await fn(...args, { value: 14n })).wait()) as ContractTransactionReceipt;
      expect(f.eventArgs(f.vault, receipt.logs, event).map((a) => a.at(-1))).toEqual([7n, 7n]);
      expect(await f.chain.provider.getBalance(systemContract)).toBe(14n);
    } finally {
      await f.chain.provider.send('evm_setAccountCode', [systemContract, '0x']);
    }
  });
});
