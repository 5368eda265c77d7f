// Shared set-up of the registration specs: a local chain with the test contracts, four oracles
// (threshold 3), a funded vault, and helpers that build real EIP-712 approvals.
import { bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import {
  type ValidatorType,
  keeperValidatorsTypedData,
  packOracleSignatures,
  signTypedData,
  vaultValidatorsTypedData,
} from '@dvt/stakewise';
import { ssz } from '@lodestar/types';
import {
  type Contract,
  type ContractTransactionReceipt,
  type Interface,
  type Log,
  Wallet,
  ZeroAddress,
  keccak256,
  parseEther,
  toUtf8Bytes,
} from 'ethers';
import { type StakewiseDeployment, deployStakewiseContracts } from './deploy.js';
import { type LocalChain, startLocalChain } from './local-chain.js';
import { expectRevert } from './revert.js';
import { type FakeValidatorDeposit, fakeValidatorDeposit } from './validators.js';

export const EXIT_SIGNATURES_IPFS_HASH = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
export const CONFIG_IPFS_HASH = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4';
export const MIN_ORACLES = 3;
export const VAULT_FUNDING = parseEther('300');
// explicit gas: successful sends skip eth_estimateGas, which would run the SHA-256-heavy call twice
const GAS_LIMIT = 3_000_000;

export interface Approval {
  readonly signers?: readonly Wallet[];
  /** 'ascending' (default) sorts by oracle address; 'as-given' keeps the signers' order. */
  readonly order?: 'ascending' | 'as-given';
  readonly registryRoot?: string;
  readonly deadline?: number;
  readonly oracleChainId?: number;
  /** Who signs as validators manager; 'none' sends an empty signature. */
  readonly managerSigner?: Wallet | 'none';
  /** Validators the manager signature covers, when different from the registered ones. */
  readonly managerValidators?: string;
}

export interface RegistrationFixture {
  readonly chain: LocalChain;
  readonly deployment: StakewiseDeployment;
  readonly vault: Contract;
  readonly keeper: Contract;
  readonly depositContract: Contract;
  readonly oracles: readonly Wallet[];
  readonly outsider: Wallet;
  readonly manager: Wallet;
  readonly sender: Wallet;
  /** deposit_data_root of every accepted deposit, in order: the leaves of the deposit tree. */
  readonly acceptedLeaves: string[];
  registryRoot(): Promise<string>;
  approval(validators: string, options?: Approval): Promise<{ keeperParams: KeeperParams; managerSignature: string }>;
  register(validators: string, options?: Approval, from?: Wallet): Promise<ContractTransactionReceipt>;
  /** eth_call of registerValidators; resolves to the revert reason (rejects if it does not revert). */
  registerRevertReason(validators: string, options?: Approval, from?: Wallet): Promise<string | null>;
  revertReasonOf(action: Promise<unknown>): Promise<string | null>;
  deposits(type: ValidatorType, ...amountsGwei: number[]): FakeValidatorDeposit[];
  /** Events `name` emitted by `contract` in `logs`, as argument arrays. */
  eventArgs(contract: Contract, logs: readonly Log[], name: string): unknown[][];
  /** Root the deposit tree must have for acceptedLeaves, computed with lodestar's SSZ. */
  expectedRegistryRoot(): string;
  stop(): Promise<void>;
}

export interface KeeperParams {
  readonly validatorsRegistryRoot: string;
  readonly deadline: number;
  readonly validators: string;
  readonly signatures: string;
  readonly exitSignaturesIpfsHash: string;
}

export function littleEndian64(value: number | bigint): string {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytesToHex(bytes);
}

export function withdrawalCredentials(type: ValidatorType, vault: string): string {
  return `${type}${'00'.repeat(11)}${vault.slice(2).toLowerCase()}`;
}

export async function setUpRegistration(): Promise<RegistrationFixture> {
  const oracles = [1, 2, 3, 4].map((i) => new Wallet(keccak256(toUtf8Bytes(`dvt-test-oracle-${i}`))));
  const outsider = new Wallet(keccak256(toUtf8Bytes('dvt-test-not-an-oracle')));
  const chain = await startLocalChain();
  const manager = chain.wallet(1);
  const sender = chain.wallet(2);
  const deployment = await deployStakewiseContracts(chain, {
    oracles: oracles.map((o) => o.address),
    validatorsMinOracles: MIN_ORACLES,
    validatorsManager: manager.address,
    configIpfsHash: CONFIG_IPFS_HASH,
  });
  const vault = deployment.vault.contract;
  const keeper = deployment.keeper.contract;
  const depositContract = deployment.depositContract.contract;
  const interfaces: Interface[] = [vault.interface, keeper.interface, depositContract.interface];
  await (await vault.getFunction('deposit')(sender.address, ZeroAddress, { value: VAULT_FUNDING })).wait();
  const acceptedLeaves: string[] = [];

  const registryRoot = async () => (await depositContract.getFunction('get_deposit_root')()) as string;

  const approval = async (validators: string, options: Approval = {}) => {
    const root = options.registryRoot ?? (await registryRoot());
    const deadline = options.deadline ?? (await chain.latestTimestamp()) + 600;
    const typedData = keeperValidatorsTypedData(options.oracleChainId ?? chain.chainId, deployment.keeper.address, {
      validatorsRegistryRoot: root,
      vault: deployment.vault.address,
      validators,
      exitSignaturesIpfsHash: EXIT_SIGNATURES_IPFS_HASH,
      deadline,
    });
    const signed = (options.signers ?? oracles.slice(0, MIN_ORACLES)).map((oracle) => ({
      oracle: oracle.address,
      signature: signTypedData(typedData, oracle.privateKey),
    }));
    const signatures =
      options.order === 'as-given'
        ? bytesToHex(concatBytes(...signed.map((s) => hexToBytes(s.signature))))
        : packOracleSignatures(signed);
    const managerSigner = options.managerSigner ?? manager;
    const managerTypedData = vaultValidatorsTypedData(
      chain.chainId,
      deployment.vault.address,
      root,
      options.managerValidators ?? validators,
    );
    const managerSignature = managerSigner === 'none' ? '0x' : signTypedData(managerTypedData, managerSigner.privateKey);
    const keeperParams: KeeperParams = {
      validatorsRegistryRoot: root,
      deadline,
      validators,
      signatures,
      exitSignaturesIpfsHash: EXIT_SIGNATURES_IPFS_HASH,
    };
    return { keeperParams, managerSignature };
  };

  const registerFunction = (from: Wallet) => (vault.connect(from) as Contract).getFunction('registerValidators');

  return {
    chain,
    deployment,
    vault,
    keeper,
    depositContract,
    oracles,
    outsider,
    manager,
    sender,
    acceptedLeaves,
    registryRoot,
    approval,
    async register(validators, options = {}, from = sender) {
      const { keeperParams, managerSignature } = await approval(validators, options);
      const tx = await registerFunction(from)(keeperParams, managerSignature, { gasLimit: GAS_LIMIT });
      const receipt = (await tx.wait()) as ContractTransactionReceipt;
      return receipt;
    },
    async registerRevertReason(validators, options = {}, from = sender) {
      const { keeperParams, managerSignature } = await approval(validators, options);
      return expectRevert(registerFunction(from).staticCall(keeperParams, managerSignature), ...interfaces);
    },
    revertReasonOf(action) {
      return expectRevert(action, ...interfaces);
    },
    deposits(type, ...amountsGwei) {
      return amountsGwei.map((amount) => fakeValidatorDeposit(deployment.vault.address, type, amount));
    },
    eventArgs(contract, logs, name) {
      return logs
        .filter((log) => log.address === contract.target)
        .map((log) => contract.interface.parseLog(log))
        .filter((parsed) => parsed?.name === name)
        .map((parsed) => parsed!.args.toArray());
    },
    expectedRegistryRoot() {
      return bytesToHex(ssz.phase0.DepositDataRootList.hashTreeRoot(acceptedLeaves.map((leaf) => hexToBytes(leaf))));
    },
    stop: () => chain.stop(),
  };
}
