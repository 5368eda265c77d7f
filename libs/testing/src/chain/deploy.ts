import { Contract, ContractFactory, type ContractRunner, type Wallet, getAddress, isAddress } from 'ethers';
import { type CompiledContracts, type CompileOptions, type TestContractName, compileTestContracts } from './compile.js';
import { LocalChainError } from './errors.js';
import { type LocalChain } from './local-chain.js';

/** The Keeper's limit, as in StakeWise v3. */
export const MAX_ORACLES = 30;
// Fixed gas for deployment transactions: ganache's eth_estimateGas traces every opcode, which costs
// more than the deployment itself for the SHA-256-heavy DepositContract constructor.
const DEPLOY_GAS_LIMIT = 8_000_000;

export interface DeployStakewiseOptions {
  /** Oracle signer addresses. */
  readonly oracles: readonly string[];
  /** Approvals required to register validators (1..oracles.length). */
  readonly validatorsMinOracles: number;
  /** The address whose EIP-712 signature (or transaction) authorises registrations. */
  readonly validatorsManager: string;
  /** Vault admin (may change the validators manager); default: the deployer. */
  readonly admin?: string;
  /** Signs the deployments and owns the Keeper; default: the chain's first account. */
  readonly deployer?: Wallet;
  /** When given, the Keeper emits ConfigUpdated(configIpfsHash) after deployment. */
  readonly configIpfsHash?: string;
  readonly compile?: CompileOptions;
}

export interface DeployedContract {
  /** Checksum address. */
  readonly address: string;
  /** Connected to the deployer. */
  readonly contract: Contract;
  /** Reconnects the contract to another signer or provider. */
  connect(runner: ContractRunner): Contract;
}

export interface StakewiseDeployment {
  readonly depositContract: DeployedContract;
  readonly keeper: DeployedContract;
  readonly vault: DeployedContract;
  readonly deployer: Wallet;
  /** Block of the first deployment: where event scans may start. */
  readonly fromBlock: number;
  readonly artifacts: CompiledContracts;
}

/** Deploys the test DepositContract, Keeper (with its oracle set) and EthVault on a local chain. */
export async function deployStakewiseContracts(
  chain: LocalChain,
  options: DeployStakewiseOptions,
): Promise<StakewiseDeployment> {
  const oracles = checkOracles(options.oracles, options.validatorsMinOracles);
  const validatorsManager = checkAddress(options.validatorsManager, 'validatorsManager');
  const deployer = options.deployer ?? chain.wallet(0);
  const admin = options.admin === undefined ? deployer.address : checkAddress(options.admin, 'admin');
  if (options.configIpfsHash !== undefined && options.configIpfsHash.length === 0) {
    throw new LocalChainError('INVALID_DEPLOY_OPTIONS', 'deploy: configIpfsHash must not be empty when given');
  }

  const artifacts = await compileTestContracts(options.compile);
  const fromBlock = await chain.provider.getBlockNumber();
  const depositContract = await deploy(artifacts, 'DepositContract', deployer, []);
  const keeper = await deploy(artifacts, 'Keeper', deployer, [
    depositContract.address,
    oracles,
    options.validatorsMinOracles,
  ]);
  const vault = await deploy(artifacts, 'EthVault', deployer, [
    keeper.address,
    depositContract.address,
    admin,
    validatorsManager,
  ]);
  if (options.configIpfsHash !== undefined) {
    await send(keeper.contract, 'updateConfig', [options.configIpfsHash]);
  }
  return { depositContract, keeper, vault, deployer, fromBlock: fromBlock + 1, artifacts };
}

async function deploy(
  artifacts: CompiledContracts,
  name: TestContractName,
  deployer: Wallet,
  args: unknown[],
): Promise<DeployedContract> {
  const { abi, bytecode } = artifacts.contracts[name];
  try {
    const deployed = await new ContractFactory(abi, bytecode, deployer).deploy(...args, { gasLimit: DEPLOY_GAS_LIMIT });
    await deployed.waitForDeployment();
    const address = getAddress(await deployed.getAddress());
    const contract = new Contract(address, abi, deployer);
    return { address, contract, connect: (runner) => new Contract(address, abi, runner) };
  } catch (error) {
    throw new LocalChainError('DEPLOYMENT_FAILED', `deploy ${name}: ${errorMessage(error)}`, { contract: name });
  }
}

async function send(contract: Contract, method: string, args: unknown[]): Promise<void> {
  try {
    const tx = await contract.getFunction(method)(...args, { gasLimit: DEPLOY_GAS_LIMIT });
    await tx.wait();
  } catch (error) {
    throw new LocalChainError('DEPLOYMENT_FAILED', `deploy: ${method} failed: ${errorMessage(error)}`, { method });
  }
}

function checkOracles(oracles: readonly string[], minOracles: number): string[] {
  if (!Array.isArray(oracles) || oracles.length === 0 || oracles.length > MAX_ORACLES) {
    throw new LocalChainError('INVALID_DEPLOY_OPTIONS', `deploy: expected 1..${MAX_ORACLES} oracles, got ${oracles?.length}`);
  }
  const addresses = oracles.map((oracle, i) => checkAddress(oracle, `oracles[${i}]`));
  if (new Set(addresses).size !== addresses.length) {
    throw new LocalChainError('INVALID_DEPLOY_OPTIONS', 'deploy: oracle addresses must be distinct');
  }
  if (!Number.isInteger(minOracles) || minOracles < 1 || minOracles > addresses.length) {
    throw new LocalChainError(
      'INVALID_DEPLOY_OPTIONS',
      `deploy: validatorsMinOracles must be 1..${addresses.length}, got ${minOracles}`,
      { validatorsMinOracles: minOracles },
    );
  }
  return addresses;
}

function checkAddress(value: string, field: string): string {
  if (typeof value !== 'string' || !isAddress(value)) {
    throw new LocalChainError('INVALID_DEPLOY_OPTIONS', `deploy: ${field} is not an address: ${String(value)}`, { field });
  }
  return getAddress(value);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
