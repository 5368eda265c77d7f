import { type phase0 } from '@lodestar/types';
import { type Duty } from './duty.js';
import { type DvPubkey } from './dv-pubkey.js';
import { type PartialSignatureSet } from './signed-data.js';

/*
 * The interfaces between components that are not plain subscriptions. Components depend on these
 * shapes only; the node's wiring (apps/dv-node) implements them with the real components.
 */

/** A block proposal decided by the cluster for one DV, as the VC receives it from `GET /eth/v3/validator/blocks/{slot}`. */
export interface DecidedProposal {
  /** lodestar fork name (`electra`, `fulu`, …) */
  readonly fork: string;
  readonly blinded: boolean;
  /** wei, decimal strings as in the beacon API */
  readonly executionPayloadValue: string;
  readonly consensusBlockValue: string;
  /**
   * SSZ of what the v3 endpoint returns for this fork: BlindedBeaconBlock when blinded, else
   * BlockContents (block, kzg_proofs, blobs) from Deneb on, else BeaconBlock.
   */
  readonly ssz: Uint8Array;
}

/** What the validator API needs from the rest of the node. */
export interface ValidatorApiBackend {
  /**
   * The attestation data the cluster decided for `slot` (the committee index only selects the data
   * before Electra; from Electra on every committee shares one). Resolves once decided; rejects
   * when the duty's deadline passes or `signal` aborts.
   */
  awaitAttestationData(slot: number, committeeIndex: number, signal?: AbortSignal): Promise<phase0.AttestationData>;
  /**
   * The proposal decided for `dv` at `slot`. The VC's randao partial has been handed in through
   * `submitPartialSignatures` (duty randao) just before; the node aggregates the randao, fetches,
   * agrees and stores the block, then resolves this.
   */
  awaitProposal(slot: number, dv: DvPubkey, signal?: AbortSignal): Promise<DecidedProposal>;
  /**
   * This node's own VC's partial signatures, already mapped to DV keys and verified against this
   * node's public shares by the validator API. Rejects (typed DvtError) when a message differs
   * from the decided one (a block that is not the decided block, attestation data that is not the
   * decided data): the validator API turns that into a 400 for the VC.
   */
  submitPartialSignatures(duty: Duty, partials: PartialSignatureSet): Promise<void>;
  /** DV root key of a validator index of this cluster, once the scheduler resolved it; undefined otherwise. */
  dvOfValidatorIndex(index: number): DvPubkey | undefined;
  /** The DV of this cluster the scheduler knows to propose at `slot`; undefined if none (or not yet known). */
  dvProposingAt(slot: number): DvPubkey | undefined;
}

/**
 * Slashing protection as the duty workflow sees it (EIP-3076 rules per DV key). `check*` answer
 * without writing; `record*` write durably (the promise resolves after the write is on disk) and
 * throw when the record would be slashable, so check-then-record races cannot sign twice.
 */
export interface SlashingGuard {
  checkAttestation(dv: DvPubkey, sourceEpoch: number, targetEpoch: number, signingRoot: Uint8Array): SlashingVerdict;
  recordAttestation(dv: DvPubkey, sourceEpoch: number, targetEpoch: number, signingRoot: Uint8Array): Promise<void>;
  /** Many DVs in one durable write; refused entries are not written and come back with `ok: false`. */
  recordAttestations(entries: readonly SlashingAttestationEntry[]): Promise<readonly (SlashingVerdict & { readonly pubkey: string })[]>;
  checkBlock(dv: DvPubkey, slot: number, signingRoot: Uint8Array): SlashingVerdict;
  recordBlock(dv: DvPubkey, slot: number, signingRoot: Uint8Array): Promise<void>;
}

export interface SlashingAttestationEntry {
  readonly pubkey: string;
  readonly sourceEpoch: number;
  readonly targetEpoch: number;
  readonly signingRoot: Uint8Array;
}

/** `ok` also covers re-signing the very same signing root (allowed by EIP-3076). */
export type SlashingVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };
