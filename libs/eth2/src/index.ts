/**
 * @dvt/eth2 — beacon-chain facts and encodings the suite signs with:
 *  - networks:     getNetwork('mainnet' | 'hoodi' | 'gnosis' | 'devnet', devnetOverrides?) → NetworkConfig,
 *                  forkAtEpoch, lodestarBeaconConfig
 *  - domains:      computeDomain, voluntaryExitDomain (EIP-7044), depositDomain, builderRegistrationDomain,
 *                  domainAt (fork-aware, for DV-node duties); the DOMAIN_* constants of @lodestar/params
 *  - signing:      computeSigningRoot and one signing-root function per signed object (StakeWise exits and
 *                  deposits; DV-node attestations, blocks full/blinded, randao, selection proofs, aggregates,
 *                  builder registrations, sync committee messages / selections / contributions, exits)
 *  - credentials:  vaultWithdrawalCredentials, parseWithdrawalCredentials, parseExecutionAddress
 *  - deposit data: parse / validate / build / serialize the staking deposit CLI's deposit_data.json
 *  - time:         slot/epoch arithmetic against a network, and an injectable Clock
 * Every error is an Eth2Error (code discriminated), except malformed hex/lengths: InvalidInputError.
 */
export { Eth2Error, type Eth2ErrorCode, DepositDataError, type DepositDataProblem } from './errors.js';
export { type BytesInput } from './input.js';
export { parseExecutionAddress } from './address.js';
export {
  NETWORK_NAMES,
  type NetworkName,
  type NetworkConfig,
  type ScheduledFork,
  type DevnetOverrides,
  DEVNET_DEFAULTS,
  isNetworkName,
  getNetwork,
  forkAtEpoch,
  lodestarBeaconConfig,
} from './networks.js';
export {
  computeForkDataRoot,
  computeDomain,
  voluntaryExitDomain,
  depositDomain,
  builderRegistrationDomain,
  domainAt,
} from './domains.js';
export {
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_RANDAO,
  DOMAIN_DEPOSIT,
  DOMAIN_VOLUNTARY_EXIT,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
  DOMAIN_CONTRIBUTION_AND_PROOF,
  DOMAIN_APPLICATION_BUILDER,
} from '@lodestar/params';
export {
  computeSigningRoot,
  type VoluntaryExitSigningData,
  voluntaryExitSigningData,
  voluntaryExitSigningRoot,
  type DepositMessageInput,
  type DepositDataInput,
  depositMessageRoot,
  depositSigningRoot,
  depositDataRoot,
  attestationDataSigningRoot,
  beaconBlockHeader,
  blockHeaderSigningRoot,
  beaconBlockSigningRoot,
  randaoSigningRoot,
  selectionProofSigningRoot,
  aggregateAndProofSigningRoot,
  builderRegistrationSigningRoot,
  syncCommitteeMessageSigningRoot,
  syncCommitteeSelectionProofSigningRoot,
  contributionAndProofSigningRoot,
} from './signing.js';
export {
  type ExecutionCredentialsType,
  type WithdrawalCredentialsType,
  type ParsedWithdrawalCredentials,
  vaultWithdrawalCredentials,
  parseWithdrawalCredentials,
} from './credentials.js';
export {
  DEPOSIT_CLI_VERSION,
  type DepositDataEntry,
  type ValidateDepositDataOptions,
  type DepositDataValidation,
  type BuildDepositDataInput,
  type BuildDepositDataOptions,
  parseDepositDataFile,
  validateDepositData,
  assertValidDepositData,
  buildDepositData,
  serializeDepositDataFile,
} from './deposit-data.js';
export {
  type Clock,
  systemClock,
  ManualClock,
  slotToEpoch,
  epochStartSlot,
  slotStartTime,
  slotStartMs,
  slotAtTime,
  currentSlot,
  currentEpoch,
} from './time.js';
