import { bytesToHex } from '@dvt/common';
import type { Type } from '@chainsafe/ssz';
import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_CONTRIBUTION_AND_PROOF,
  DOMAIN_RANDAO,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
  ForkName,
  ForkSeq,
} from '@lodestar/params';
import {
  type AggregateAndProof,
  type BeaconBlock,
  type BlindedBeaconBlock,
  type altair,
  type bellatrix,
  isBlindedBeaconBlock,
  type phase0,
  ssz,
  sszTypesFor,
} from '@lodestar/types';
import { type BytesInput, assertUint, toBytes } from './input.js';
import { builderRegistrationDomain, depositDomain, domainAt, voluntaryExitDomain } from './domains.js';
import { Eth2Error } from './errors.js';
import { type NetworkConfig, type ScheduledFork, assertActivePreset, forkAtEpoch } from './networks.js';
import { slotToEpoch } from './time.js';

/** Spec `compute_signing_root`: hash_tree_root(SigningData{object_root, domain}). */
export function computeSigningRoot<T>(type: Type<T>, value: T, domain: BytesInput): Uint8Array {
  return ssz.phase0.SigningData.hashTreeRoot({
    objectRoot: freshHashTreeRoot(type, value),
    domain: toBytes(domain, 'domain', 32),
  });
}

// ---- StakeWise: voluntary exits and deposits ----

export interface VoluntaryExitSigningData {
  /** The message as the beacon API spells it. */
  readonly message: { readonly epoch: number; readonly validator_index: number };
  /** 0x hex. */
  readonly domain: string;
  readonly signingRoot: Uint8Array;
}

/**
 * What a validator signs to exit: VoluntaryExit{epoch, validator_index} under the EIP-7044 domain.
 * `epoch` defaults to the network's Capella fork epoch (the StakeWise convention).
 */
export function voluntaryExitSigningData(
  network: NetworkConfig,
  validatorIndex: number,
  epoch: number = network.capellaForkEpoch,
): VoluntaryExitSigningData {
  assertUint(validatorIndex, 'validatorIndex');
  assertUint(epoch, 'epoch');
  const domain = voluntaryExitDomain(network);
  const signingRoot = computeSigningRoot(ssz.phase0.VoluntaryExit, { epoch, validatorIndex }, domain);
  return { message: { epoch, validator_index: validatorIndex }, domain: bytesToHex(domain), signingRoot };
}

/** Signing root of a VoluntaryExit a validator client submits (EIP-7044 domain). */
export function voluntaryExitSigningRoot(network: NetworkConfig, exit: phase0.VoluntaryExit): Uint8Array {
  assertUint(exit.validatorIndex, 'validatorIndex');
  assertUint(exit.epoch, 'epoch');
  return computeSigningRoot(ssz.phase0.VoluntaryExit, exit, voluntaryExitDomain(network));
}

export interface DepositMessageInput {
  /** The full validator public key (48 bytes), even when a key share signs. */
  readonly pubkey: BytesInput;
  readonly withdrawalCredentials: BytesInput;
  /** Gwei. */
  readonly amount: number;
}

export interface DepositDataInput extends DepositMessageInput {
  readonly signature: BytesInput;
}

export function toDepositMessage(input: DepositMessageInput): phase0.DepositMessage {
  assertUint(input.amount, 'amount');
  return {
    pubkey: toBytes(input.pubkey, 'pubkey', 48),
    withdrawalCredentials: toBytes(input.withdrawalCredentials, 'withdrawalCredentials', 32),
    amount: input.amount,
  };
}

export function depositMessageRoot(input: DepositMessageInput): Uint8Array {
  return ssz.phase0.DepositMessage.hashTreeRoot(toDepositMessage(input));
}

/** What the validator key signs for a deposit (genesis fork version, zero root). */
export function depositSigningRoot(network: NetworkConfig, input: DepositMessageInput): Uint8Array {
  return computeSigningRoot(ssz.phase0.DepositMessage, toDepositMessage(input), depositDomain(network));
}

/** hash_tree_root(DepositData) — the `deposit_data_root` the deposit contract checks. */
export function depositDataRoot(input: DepositDataInput): Uint8Array {
  return ssz.phase0.DepositData.hashTreeRoot({
    ...toDepositMessage(input),
    signature: toBytes(input.signature, 'signature', 96),
  });
}

// ---- DV node duties ----

/** Attester duty: AttestationData under DOMAIN_BEACON_ATTESTER at the target epoch. */
export function attestationDataSigningRoot(network: NetworkConfig, data: phase0.AttestationData): Uint8Array {
  const domain = domainAt(network, DOMAIN_BEACON_ATTESTER, data.target.epoch);
  return computeSigningRoot(ssz.phase0.AttestationData, data, domain);
}

/** Proposer duty, from a block header (works for every preset). */
export function blockHeaderSigningRoot(network: NetworkConfig, header: phase0.BeaconBlockHeader): Uint8Array {
  const domain = domainAt(network, DOMAIN_BEACON_PROPOSER, slotToEpoch(network, header.slot));
  return computeSigningRoot(ssz.phase0.BeaconBlockHeader, header, domain);
}

/**
 * Header of a full or blinded block, with the body hashed by the SSZ type of the fork active at
 * the block's slot. A blinded block and its full counterpart give the same header.
 */
export function beaconBlockHeader(network: NetworkConfig, block: BeaconBlock | BlindedBeaconBlock): phase0.BeaconBlockHeader {
  assertActivePreset(network, 'hashing a block body');
  assertUint(block.slot, 'slot');
  const fork = forkAtEpoch(network, slotToEpoch(network, block.slot));
  const types = sszTypesFor(fork.name) as unknown as Record<string, Type<unknown> | undefined>;
  const blinded = isBlindedBeaconBlock(block);
  const bodyType = types[blinded ? 'BlindedBeaconBlockBody' : 'BeaconBlockBody'];
  if (bodyType === undefined) {
    throw new Eth2Error('UNSUPPORTED_FORK', `${blinded ? 'blinded' : 'full'} blocks do not exist at fork ${fork.name}`, {
      fork: fork.name,
      slot: block.slot,
    });
  }
  return {
    slot: block.slot,
    proposerIndex: block.proposerIndex,
    parentRoot: block.parentRoot,
    stateRoot: block.stateRoot,
    bodyRoot: freshHashTreeRoot(bodyType, block.body),
  };
}

/** Proposer duty: signing root of a full or blinded block (both give the same root). */
export function beaconBlockSigningRoot(network: NetworkConfig, block: BeaconBlock | BlindedBeaconBlock): Uint8Array {
  return blockHeaderSigningRoot(network, beaconBlockHeader(network, block));
}

/** Randao reveal: the epoch under DOMAIN_RANDAO. */
export function randaoSigningRoot(network: NetworkConfig, epoch: number): Uint8Array {
  return computeSigningRoot(ssz.Epoch, epoch, domainAt(network, DOMAIN_RANDAO, epoch));
}

/** Beacon committee selection proof: the slot under DOMAIN_SELECTION_PROOF. */
export function selectionProofSigningRoot(network: NetworkConfig, slot: number): Uint8Array {
  const domain = domainAt(network, DOMAIN_SELECTION_PROOF, slotToEpoch(network, slot));
  return computeSigningRoot(ssz.Slot, slot, domain);
}

/** Aggregator duty: AggregateAndProof of the fork at the aggregate's slot (Electra changed it). */
export function aggregateAndProofSigningRoot(network: NetworkConfig, aggregateAndProof: AggregateAndProof): Uint8Array {
  const epoch = slotToEpoch(network, aggregateAndProof.aggregate.data.slot);
  const fork = forkAtEpoch(network, epoch);
  const electra = ForkSeq[fork.name] >= ForkSeq.electra;
  if (electra !== 'committeeBits' in aggregateAndProof.aggregate) {
    throw new Eth2Error(
      'UNSUPPORTED_FORK',
      `aggregate and proof: slot ${aggregateAndProof.aggregate.data.slot} is in ${fork.name} but the aggregate is ${electra ? 'a pre-Electra' : 'an Electra'} one`,
      { fork: fork.name },
    );
  }
  const type = (electra ? ssz.electra.AggregateAndProof : ssz.phase0.AggregateAndProof) as unknown as Type<AggregateAndProof>;
  return computeSigningRoot(type, aggregateAndProof, domainAt(network, DOMAIN_AGGREGATE_AND_PROOF, epoch));
}

/** Builder registration (ValidatorRegistrationV1) under the application builder domain. */
export function builderRegistrationSigningRoot(
  network: NetworkConfig,
  registration: bellatrix.ValidatorRegistrationV1,
): Uint8Array {
  return computeSigningRoot(ssz.bellatrix.ValidatorRegistrationV1, registration, builderRegistrationDomain(network));
}

/** Sync committee message: the head block root under DOMAIN_SYNC_COMMITTEE at the slot's epoch. */
export function syncCommitteeMessageSigningRoot(
  network: NetworkConfig,
  slot: number,
  beaconBlockRoot: BytesInput,
): Uint8Array {
  const epoch = slotToEpoch(network, slot);
  requireAltair(forkAtEpoch(network, epoch), 'sync committee message');
  const root = toBytes(beaconBlockRoot, 'beaconBlockRoot', 32);
  return computeSigningRoot(ssz.Root, root, domainAt(network, DOMAIN_SYNC_COMMITTEE, epoch));
}

/** Sync committee aggregator selection proof: SyncAggregatorSelectionData{slot, subcommitteeIndex}. */
export function syncCommitteeSelectionProofSigningRoot(
  network: NetworkConfig,
  data: altair.SyncAggregatorSelectionData,
): Uint8Array {
  const epoch = slotToEpoch(network, data.slot);
  requireAltair(forkAtEpoch(network, epoch), 'sync committee selection proof');
  const domain = domainAt(network, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, epoch);
  return computeSigningRoot(ssz.altair.SyncAggregatorSelectionData, data, domain);
}

/** Sync contribution duty: ContributionAndProof under DOMAIN_CONTRIBUTION_AND_PROOF. */
export function contributionAndProofSigningRoot(
  network: NetworkConfig,
  contributionAndProof: altair.ContributionAndProof,
): Uint8Array {
  const epoch = slotToEpoch(network, contributionAndProof.contribution.slot);
  requireAltair(forkAtEpoch(network, epoch), 'contribution and proof');
  const domain = domainAt(network, DOMAIN_CONTRIBUTION_AND_PROOF, epoch);
  return computeSigningRoot(ssz.altair.ContributionAndProof, contributionAndProof, domain);
}

/**
 * Lodestar caches the root of some containers (AttestationData, blocks, aggregates…) on the value
 * object itself, and a `{...spread}` copy keeps that cache: a modified copy would hash to the
 * original's root. Hashing a structural clone never reads a cache.
 */
function freshHashTreeRoot<T>(type: Type<T>, value: T): Uint8Array {
  return type.hashTreeRoot(type.clone(value));
}

function requireAltair(fork: ScheduledFork, what: string): void {
  if (ForkSeq[fork.name] < ForkSeq[ForkName.altair]) {
    throw new Eth2Error('UNSUPPORTED_FORK', `${what}: sync committees start at Altair, slot is in ${fork.name}`, {
      fork: fork.name,
    });
  }
}

