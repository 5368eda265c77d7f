export { LocalChainError, type LocalChainErrorCode } from './chain/errors.js';
export {
  TEST_CONTRACT_NAMES,
  type TestContractName,
  type ContractArtifact,
  type CompiledContracts,
  type CompileOptions,
  compileTestContracts,
  findRepositoryRoot,
} from './chain/compile.js';
export {
  LOCAL_CHAIN_ID,
  type LocalChainOptions,
  type LocalChainAccount,
  type LocalChain,
  startLocalChain,
} from './chain/local-chain.js';
export {
  MAX_ORACLES,
  type DeployStakewiseOptions,
  type DeployedContract,
  type StakewiseDeployment,
  deployStakewiseContracts,
} from './chain/deploy.js';
export {
  type BeaconNodeMockOptions,
  type MockValidatorInput,
  type RecordedRequest,
  type InjectedFault,
  BeaconNodeMock,
  DutyChain,
  type DutyChainOptions,
  type SlashingOffence,
  type SubmittedAttestation,
  type SubmittedBlock,
  type SubmittedExit,
} from './beacon-mock/index.js';
export { MockIpfsGateway } from './mock-ipfs/index.js';
export { type FakeValidatorDeposit, fakeValidatorDeposit } from './chain/validators.js';
export { revertReason, expectRevert } from './chain/revert.js';
export { type MockOracleBehaviour, type MockOracleOptions, type MockOracleDecision, type MockOracleSetOptions, type MockOracleSet, MockOracle, mockOracleWallets, oraclePublicKey, exitSignaturesCid, startMockOracles } from './oracles/index.js';
export { ValidatorClientMock, VcError, type ValidatorClientMockOptions, type VcDutyKind, type VcOutcome } from './validator-client/index.js';
export { SimulatedCluster, type SimulatedClusterOptions } from './dv-cluster/index.js';
