export {
  type BeaconNodeMockOptions,
  type MockValidatorInput,
  type RecordedRequest,
  type InjectedFault,
  BeaconNodeMock,
} from './beacon-node-mock.js';
