import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@dvt/common';
import { encodeValidators } from '@dvt/stakewise';
import { keccak256 } from 'ethers';
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
