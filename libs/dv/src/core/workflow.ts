import { type phase0 } from '@lodestar/types';
import { type Duty } from './duty.js';
import { type DvPubkey } from './dv-pubkey.js';
import { type AggregatedSignature, type PartialSignature, type PartialSignatureSet } from './signed-data.js';

/*
 * The shapes the duty-workflow components hand each other (DV-NODE.md, "Workflow"). Each component
 * depends on these and on the ports below only; the node wiring connects them by subscriptions.
 */

/** One DV's attester duty at a slot, as `POST /eth/v1/validator/duties/attester/{epoch}` defines it. */
export interface AttesterDefinition {
  readonly kind: 'attester';
  readonly dv: DvPubkey;
  readonly validatorIndex: number;
  readonly slot: number;
  readonly committeeIndex: number;
  readonly committeeLength: number;
  readonly committeesAtSlot: number;
  readonly validatorCommitteeIndex: number;
}

/** One DV's block proposal duty at a slot, as `GET /eth/v1/validator/duties/proposer/{epoch}` defines it. */
export interface ProposerDefinition {
  readonly kind: 'proposer';
  readonly dv: DvPubkey;
  readonly validatorIndex: number;
  readonly slot: number;
}

export type DutyDefinition = AttesterDefinition | ProposerDefinition;

/** The definitions of one duty: DV → what the beacon chain asks of it. */
export type DutyDefinitionSet = ReadonlyMap<DvPubkey, DutyDefinition>;

/** Raw attester duty row from the beacon node (public keys are the DV root keys). */
export interface BeaconAttesterDuty {
  readonly pubkey: string;
  readonly validatorIndex: number;
  readonly slot: number;
  readonly committeeIndex: number;
  readonly committeeLength: number;
  readonly committeesAtSlot: number;
  readonly validatorCommitteeIndex: number;
}

export interface BeaconProposerDuty {
  readonly pubkey: string;
  readonly validatorIndex: number;
  readonly slot: number;
}

/** `GET /eth/v3/validator/blocks/{slot}` answer, the block as SSZ of the named fork. */
export interface ProducedBlock {
  readonly fork: string;
  readonly blinded: boolean;
  readonly executionPayloadValue: string;
  readonly consensusBlockValue: string;
  /** BlindedBeaconBlock when blinded; else BlockContents from Deneb on (BeaconBlock before) */
  readonly ssz: Uint8Array;
}

/**
 * What the workflow asks of the beacon node (implemented by `@dvt/beacon`'s BeaconClient; tests
 * may fake it). Errors are thrown as the client's typed errors.
 */
export interface BeaconDutyPort {
  /** validator index of each DV root key the chain knows (unknown keys are absent) */
  validatorIndexes(pubkeys: readonly string[]): Promise<ReadonlyMap<string, number>>;
  attesterDuties(epoch: number, indexes: readonly number[]): Promise<{ readonly dependentRoot: string; readonly duties: readonly BeaconAttesterDuty[] }>;
  proposerDuties(epoch: number): Promise<{ readonly dependentRoot: string; readonly duties: readonly BeaconProposerDuty[] }>;
  attestationData(slot: number, committeeIndex: number): Promise<phase0.AttestationData>;
  produceBlock(slot: number, randaoReveal: Uint8Array, graffiti?: Uint8Array): Promise<ProducedBlock>;
  /** Electra+: `POST /eth/v2/beacon/pool/attestations` with SingleAttestation objects */
  submitSingleAttestations(
    fork: string,
    attestations: readonly {
      readonly committeeIndex: number;
      readonly attesterIndex: number;
      readonly data: phase0.AttestationData;
      readonly signature: Uint8Array;
    }[],
  ): Promise<void>;
  /** `POST /eth/v2/beacon/blocks` or `/blinded_blocks`, SSZ body of the signed block (contents) of `fork` */
  submitBlock(fork: string, blinded: boolean, signedSsz: Uint8Array): Promise<void>;
  submitVoluntaryExit(exit: phase0.VoluntaryExit, signature: Uint8Array): Promise<void>;
}

/** The partial signatures of one DV that met the threshold: distinct share indexes, one message. */
export interface ThresholdPartials {
  readonly duty: Duty;
  readonly dv: DvPubkey;
  readonly partials: readonly PartialSignature[];
}

/** Full signatures of one duty, ready for broadcast (already verified under each DV key). */
export interface AggregatedDuty {
  readonly duty: Duty;
  readonly signatures: ReadonlyMap<DvPubkey, AggregatedSignature>;
}

/** A node's own or a peer's partial signatures of one duty. */
export interface PartialSignatureBatch {
  readonly duty: Duty;
  readonly partials: PartialSignatureSet;
}
