export {
  type BeaconNodeMockOptions,
  type MockValidatorInput,
  type RecordedRequest,
  type InjectedFault,
  BeaconNodeMock,
} from './beacon-node-mock.js';
export { DutyChain, type DutyChainOptions, type SlashingOffence, type SubmittedAttestation, type SubmittedBlock, type SubmittedExit } from './duty-chain.js';
