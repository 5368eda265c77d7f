export { ValidatorClientMock, VcError, type ValidatorClientMockOptions, type VcDutyKind, type VcOutcome } from './validator-client-mock.js';
