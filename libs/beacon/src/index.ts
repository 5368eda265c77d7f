/**
 * @dvt/beacon — typed beacon-API client (genesis, spec, fork, validators by index / public key,
 * pending deposits, node syncing / health) and the JSON codecs of those routes, shared with the
 * beacon-node mock so client and server agree on one definition. Errors: BeaconError.
 */
export { BeaconError, type BeaconErrorCode } from './errors.js';
export {
  type StateId,
  VALIDATOR_STATUSES,
  type ValidatorStatus,
  type Genesis,
  type Fork,
  type ValidatorInfo,
  type PendingDeposit,
  type SyncStatus,
} from './types.js';
export {
  FAR_FUTURE_EPOCH,
  toGenesisJson,
  toForkJson,
  toValidatorJson,
  toPendingDepositJson,
  toSyncingJson,
} from './codecs.js';
export { type BeaconClientOptions, BeaconClient } from './client.js';
