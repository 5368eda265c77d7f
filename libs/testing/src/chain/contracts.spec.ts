import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import { depositDataRoot } from '@dvt/eth2';
import { KEEPER_ORACLES_DOMAIN_NAME, keeperValidatorsTypedData } from '@dvt/stakewise';
import { ssz } from '@lodestar/types';
import { type Contract, Wallet, ZeroAddress, keccak256, parseEther, parseUnits, sha256, toUtf8Bytes } from 'ethers';
import { type StakewiseDeployment, deployStakewiseContracts } from './deploy.js';
import { type LocalChain, startLocalChain } from './local-chain.js';
import { expectRevert } from './revert.js';

let chain: LocalChain;
let deployment: StakewiseDeployment;
let depositContract: Contract;
let keeper: Contract;
let vault: Contract;
const oracles = [1, 2, 3].map((i) => new Wallet(keccak256(toUtf8Bytes(`contracts-spec-oracle-${i}`))));
const leaves: Uint8Array[] = [];

beforeAll(async () => {
  chain = await startLocalChain({ accounts: 4 });
  deployment = await deployStakewiseContracts(chain, {
    oracles: oracles.map((o) => o.address),
    validatorsMinOracles: 2,
    validatorsManager: chain.accounts[1]!.address,
  });
  ({ contract: depositContract } = deployment.depositContract);
  ({ contract: keeper } = deployment.keeper);
  ({ contract: vault } = deployment.vault);
});

afterAll(async () => {
  await chain?.stop();
});

function revertOf(action: Promise<unknown>) {
  return expectRevert(action, depositContract.interface, keeper.interface, vault.interface);
}

function littleEndian64(value: number): string {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytesToHex(bytes);
}

/** SSZ DepositData root written out with sha256 chunks, independent of lodestar. */
function manualDepositDataRoot(pubkey: Uint8Array, credentials: Uint8Array, amountGwei: number, signature: Uint8Array) {
  const h = (...parts: Uint8Array[]) => hexToBytes(sha256(concatBytes(...parts)));
  const pubkeyRoot = h(pubkey, new Uint8Array(16));
  const signatureRoot = h(h(signature.subarray(0, 64)), h(signature.subarray(64), new Uint8Array(32)));
  const amountChunk = concatBytes(hexToBytes(littleEndian64(amountGwei)), new Uint8Array(24));
  return bytesToHex(h(h(pubkeyRoot, credentials), h(amountChunk, signatureRoot)));
}

function depositInput(seed: number, amountGwei: number) {
  const pubkey = hexToBytes(keccak256(toUtf8Bytes(`pubkey-${seed}`))).subarray(0, 32);
  const fullPubkey = concatBytes(pubkey, pubkey.subarray(0, 16));
  const signature = concatBytes(pubkey, pubkey, pubkey);
  const credentials = concatBytes(new Uint8Array([1]), new Uint8Array(11), hexToBytes(chain.accounts[3]!.address));
  const root = depositDataRoot({ pubkey: fullPubkey, withdrawalCredentials: credentials, amount: amountGwei, signature });
  return { pubkey: fullPubkey, credentials, signature, root: bytesToHex(root), amountGwei };
}

describe('DepositContract', () => {
  it('starts with the root of an empty SSZ list and a zero count', async () => {
    expect(await depositContract.getFunction('get_deposit_root')()).toBe(
      bytesToHex(ssz.phase0.DepositDataRootList.hashTreeRoot([])),
    );
    expect(await depositContract.getFunction('get_deposit_count')()).toBe(littleEndian64(0));
  });

  it('computes deposit data roots the same way as lodestar and a hand-written SSZ hash', () => {
    const input = depositInput(0, 32_000_000_000);
    expect(manualDepositDataRoot(input.pubkey, input.credentials, input.amountGwei, input.signature)).toBe(input.root);
  });

  it('accepts deposits, emits DepositEvent and keeps the root equal to the SSZ list root', async () => {
    const deposit = depositContract.getFunction('deposit');
    for (let i = 1; i <= 3; i++) {
      const input = depositInput(i, i === 1 ? 1_000_000_000 : 32_000_000_000);
      const value = parseUnits(String(input.amountGwei), 'gwei');
      const receipt = await (
        await deposit(input.pubkey, input.credentials, input.signature, input.root, { value, gasLimit: 1_000_000 })
      ).wait();
      leaves.push(hexToBytes(input.root));
      const [event] = receipt.logs.map((log: Parameters<typeof depositContract.interface.parseLog>[0]) =>
        depositContract.interface.parseLog(log),
      );
      expect(event!.name).toBe('DepositEvent');
      expect(event!.args.toArray()).toEqual([
        bytesToHex(input.pubkey),
        bytesToHex(input.credentials),
        littleEndian64(input.amountGwei),
        bytesToHex(input.signature),
        littleEndian64(i - 1),
      ]);
      expect(await depositContract.getFunction('get_deposit_root')()).toBe(
        bytesToHex(ssz.phase0.DepositDataRootList.hashTreeRoot(leaves)),
      );
    }
    expect(await depositContract.getFunction('get_deposit_count')()).toBe(littleEndian64(3));
    expect(await chain.provider.getBalance(deployment.depositContract.address)).toBe(parseEther(String(1 + 2 * 32)));
  });

  it.each([
    ['a 47-byte pubkey', { pubkey: 47 }, 'DepositContract: pubkey must be 48 bytes'],
    ['31-byte withdrawal credentials', { credentials: 31 }, 'DepositContract: withdrawal_credentials must be 32 bytes'],
    ['a 95-byte signature', { signature: 95 }, 'DepositContract: signature must be 96 bytes'],
    ['less than 1 ETH', { value: parseEther('0.5') }, 'DepositContract: deposit below 1 ETH'],
    ['a value that is not whole gwei', { value: parseEther('1') + 1n }, 'DepositContract: deposit not a whole number of gwei'],
    ['a deposit data root of other data', { root: keccak256('0x01') }, 'DepositContract: deposit_data_root does not match the DepositData'],
  ] as const)('rejects %s', async (_name, change, reason) => {
    const input = depositInput(100, 32_000_000_000);
    const cut = (bytes: Uint8Array, length?: number) => (length === undefined ? bytes : bytes.subarray(0, length));
    const changed = change as { pubkey?: number; credentials?: number; signature?: number; value?: bigint; root?: string };
    const call = depositContract
      .getFunction('deposit')
      .staticCall(
        cut(input.pubkey, changed.pubkey),
        cut(input.credentials, changed.credentials),
        cut(input.signature, changed.signature),
        changed.root ?? input.root,
        { value: changed.value ?? parseEther('32') },
      );
    await expect(revertOf(call)).resolves.toBe(reason);
  });

  it('answers ERC-165 for itself and the deposit interface only', async () => {
    const supports = depositContract.getFunction('supportsInterface');
    const selector = (name: string) => BigInt(depositContract.interface.getFunction(name)!.selector);
    const depositInterfaceId = selector('deposit') ^ selector('get_deposit_root') ^ selector('get_deposit_count');
    expect(await supports('0x01ffc9a7')).toBe(true);
    expect(await supports(`0x${depositInterfaceId.toString(16).padStart(8, '0')}`)).toBe(true);
    expect(await supports('0xffffffff')).toBe(false);
  });
});

describe('Keeper administration', () => {
  it('describes its EIP-712 domain (ERC-5267) exactly as the typed-data helpers build it', async () => {
    const [fields, name, version, chainId, verifyingContract] = (await keeper.getFunction('eip712Domain')()) as unknown[];
    const { domain } = keeperValidatorsTypedData(chain.chainId, deployment.keeper.address, {
      validatorsRegistryRoot: `0x${'00'.repeat(32)}`,
      vault: deployment.vault.address,
      validators: '0x01',
      exitSignaturesIpfsHash: '',
      deadline: 0,
    });
    expect([fields, name, version, chainId, verifyingContract]).toEqual([
      '0x0f',
      KEEPER_ORACLES_DOMAIN_NAME,
      domain.version,
      BigInt(domain.chainId),
      domain.verifyingContract,
    ]);
  });

  it('lets only the owner manage oracles and the threshold', async () => {
    const asStranger = keeper.connect(chain.wallet(2)) as Contract;
    await expect(revertOf(asStranger.getFunction('addOracle').staticCall(chain.accounts[2]!.address))).resolves.toBe(
      'OwnableUnauthorizedAccount',
    );
    await expect(revertOf(asStranger.getFunction('updateConfig').staticCall('x'))).resolves.toBe('OwnableUnauthorizedAccount');
    await expect(revertOf(keeper.getFunction('addOracle').staticCall(oracles[0]!.address))).resolves.toBe('AlreadyAdded');
    await expect(revertOf(keeper.getFunction('removeOracle').staticCall(ZeroAddress))).resolves.toBe('AlreadyRemoved');
    await expect(revertOf(keeper.getFunction('setValidatorsMinOracles').staticCall(0))).resolves.toBe('InvalidOracles');
    await expect(revertOf(keeper.getFunction('setValidatorsMinOracles').staticCall(4))).resolves.toBe('InvalidOracles');
  });

  it('adds and removes oracles, changes the threshold and publishes configs', async () => {
    const newcomer = chain.accounts[2]!.address;
    await (await keeper.getFunction('addOracle')(newcomer)).wait();
    expect(await keeper.getFunction('isOracle')(newcomer)).toBe(true);
    await (await keeper.getFunction('setValidatorsMinOracles')(4)).wait();
    expect(await keeper.getFunction('validatorsMinOracles')()).toBe(4n);
    await (await keeper.getFunction('setValidatorsMinOracles')(2)).wait();
    await (await keeper.getFunction('removeOracle')(newcomer)).wait();
    expect(await keeper.getFunction('totalOracles')()).toBe(3n);
    const receipt = await (await keeper.getFunction('updateConfig')('bafkreinewconfig')).wait();
    expect(keeper.interface.parseLog(receipt.logs[0])!.args.toArray()).toEqual(['bafkreinewconfig']);
  });
});

describe('EthVault administration and staking', () => {
  it('lets only the admin change the validators manager, and only to a new value', async () => {
    const asStranger = vault.connect(chain.wallet(2)) as Contract;
    await expect(revertOf(asStranger.getFunction('setValidatorsManager').staticCall(ZeroAddress))).resolves.toBe(
      'AccessDenied',
    );
    const current = (await vault.getFunction('validatorsManager')()) as string;
    await expect(revertOf(vault.getFunction('setValidatorsManager').staticCall(current))).resolves.toBe('ValueNotChanged');
    const next = chain.accounts[2]!.address;
    const receipt = await (await vault.getFunction('setValidatorsManager')(next)).wait();
    expect(vault.interface.parseLog(receipt.logs[0])!.args.toArray()).toEqual([deployment.deployer.address, next]);
    expect(await vault.getFunction('validatorsManager')()).toBe(next);
  });

  it('takes deposits through deposit() and plain transfers, and refuses zero', async () => {
    const staker = chain.wallet(3);
    const receipt = await (
      await (vault.connect(staker) as Contract).getFunction('deposit')(staker.address, ZeroAddress, { value: parseEther('2') })
    ).wait();
    expect(vault.interface.parseLog(receipt.logs[0])!.args.toArray()).toEqual([
      staker.address,
      staker.address,
      parseEther('2'),
      parseEther('2'),
      ZeroAddress,
    ]);
    await (await staker.sendTransaction({ to: deployment.vault.address, value: parseEther('1') })).wait();
    expect(await vault.getFunction('getShares')(staker.address)).toBe(parseEther('3'));
    expect(await vault.getFunction('withdrawableAssets')()).toBe(parseEther('3'));
    await expect(revertOf(vault.getFunction('deposit').staticCall(staker.address, ZeroAddress, { value: 0 }))).resolves.toBe(
      'InvalidAssets',
    );
  });
});
