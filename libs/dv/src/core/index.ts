export { DvError, type DvErrorCode } from './errors.js';
export {
  ALL_DUTY_TYPES,
  DEPRECATED_BUILDER_PROPOSER_DUTY_TYPE,
  DutyType,
  compareDuties,
  dutyKey,
  dutyTypeName,
  formatDuty,
  isDutyType,
  newDuty,
  type Duty,
} from './duty.js';
export { DV_PUBKEY_BYTES, dvPubkeyBytes, toDvPubkey, type DvPubkey } from './dv-pubkey.js';
export {
  DEFAULT_UNSIGNED_DATA_SET_LIMITS,
  UNSIGNED_DATA_SET_VERSION,
  decodeUnsignedDataSet,
  encodeUnsignedDataSet,
  unsignedDataSet,
  type DecodeUnsignedDataSetOptions,
  type UnsignedDataSet,
  type UnsignedDataSetLimits,
} from './unsigned-data-set.js';
export { Subscribers, type ListenerErrorHandler } from './subscribers.js';
export { ManualClock, SlotTimes, systemClock, type Clock, type Timers } from './clock.js';
export {
  BLS_SIGNATURE_BYTES,
  SIGNED_DUTY_TYPES,
  decodeAttesterMessage,
  decodeExitMessage,
  decodeProposerMessage,
  decodeRandaoMessage,
  encodeAttesterMessage,
  encodeExitMessage,
  encodeProposerMessage,
  encodeRandaoMessage,
  signingRootOf,
  type AggregatedSignature,
  type AggregatedSignatureSet,
  type PartialSignature,
  type PartialSignatureSet,
  type ProposerMessage,
} from './signed-data.js';
export { type DecidedProposal, type SlashingAttestationEntry, type SlashingGuard, type SlashingVerdict, type ValidatorApiBackend } from './ports.js';
export {
  type AggregatedDuty,
  type AttesterDefinition,
  type BeaconAttesterDuty,
  type BeaconDutyPort,
  type BeaconProposerDuty,
  type DutyDefinition,
  type DutyDefinitionSet,
  type PartialSignatureBatch,
  type ProducedBlock,
  type ProposerDefinition,
  type ThresholdPartials,
} from './workflow.js';
export { MAX_PROPOSAL_VALUE_BYTES, decodeProposalValue, encodeProposalValue, proposalBlock, proposalSigningMessage, proposalSszType } from './proposal-value.js';
