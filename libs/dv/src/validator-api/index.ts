export { ValidatorApiError, validatorApiHttpStatus, type ValidatorApiErrorCode } from './errors.js';
export { type ValidatorApiClusterValidator } from './keys.js';
export { ValidatorApi, type ValidatorApiLogger, type ValidatorApiObserver, type ValidatorApiOptions } from './validator-api.js';
