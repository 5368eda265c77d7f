import { DvtError, equalBytes } from '@dvt/common';
import { type NetworkConfig, forkAtEpoch, randaoSigningRoot, slotToEpoch } from '@dvt/eth2';
import { verify } from '@dvt/tbls';
import { ForkSeq, type ForkName } from '@lodestar/params';
import { type phase0 } from '@lodestar/types';
import {
  DvError,
  DutyType,
  decodeAttesterMessage,
  decodeProposalValue,
  dvPubkeyBytes,
  encodeAttesterMessage,
  encodeProposalValue,
  formatDuty,
  proposalBlock,
  unsignedDataSet,
  type BeaconDutyPort,
  type Duty,
  type DutyDefinitionSet,
  type DvPubkey,
  type ProposerDefinition,
  type UnsignedDataSet,
} from '../core/index.js';

export type FetcherErrorCode =
  /** the definitions name no DV, or not the kind the duty needs */
  | 'INVALID_DEFINITIONS'
  /** a duty type without data to fetch */
  | 'UNSUPPORTED_DUTY'
  /** the beacon node answered data that is not fit for the duty */
  | 'INVALID_BEACON_DATA'
  | 'ABORTED';

export class FetcherError extends DvtError<FetcherErrorCode> {
  constructor(code: FetcherErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

export interface FetcherOptions {
  beacon: BeaconDutyPort;
  network: NetworkConfig;
  /** the DV's aggregated randao reveal of `slot` (from the aggregated signature DB) */
  awaitRandao(slot: number, dv: DvPubkey, signal?: AbortSignal): Promise<Uint8Array>;
  /** 32 bytes the produced blocks carry */
  graffiti?: Uint8Array;
}

/**
 * Fetches the unsigned data of a duty from the beacon node: the value this node proposes to
 * consensus. Attester: attestation data (one for the whole slot from Electra on). Proposer: one
 * block per DV, produced with the DV's aggregated randao reveal. Stateless.
 */
export class Fetcher {
  constructor(private readonly options: FetcherOptions) {
    if (options.graffiti !== undefined && options.graffiti.length !== 32) throw new FetcherError('INVALID_DEFINITIONS', `graffiti must be 32 bytes, got ${options.graffiti.length}`);
  }

  /**
   * Throws FetcherError (bad definitions, unsupported duty, unfit beacon data, abort) or the beacon
   * port's error as is.
   */
  async fetch(duty: Duty, definitions: DutyDefinitionSet, signal?: AbortSignal): Promise<UnsignedDataSet> {
    if (definitions.size === 0) throw new FetcherError('INVALID_DEFINITIONS', `${formatDuty(duty)}: no DV has this duty`);
    if (duty.type === DutyType.Attester) return this.attester(duty, definitions);
    if (duty.type === DutyType.Proposer) return this.proposer(duty, definitions, signal);
    throw new FetcherError('UNSUPPORTED_DUTY', `${formatDuty(duty)} has no data to fetch`);
  }

  private async attester(duty: Duty, definitions: DutyDefinitionSet): Promise<UnsignedDataSet> {
    const { network, beacon } = this.options;
    const electra = ForkSeq[forkOf(network, duty.slot)] >= ForkSeq.electra;
    const committeeOf = new Map<DvPubkey, number>();
    for (const [dv, definition] of definitions) {
      if (definition.kind !== 'attester') throw new FetcherError('INVALID_DEFINITIONS', `${formatDuty(duty)}: ${dv} has a ${definition.kind} definition`, { dv });
      // from Electra on one attestation data (index 0) serves every committee of the slot
      committeeOf.set(dv, electra ? 0 : definition.committeeIndex);
    }
    const committees = [...new Set(committeeOf.values())];
    const datas = await Promise.all(committees.map((committee) => beacon.attestationData(duty.slot, committee)));
    const bytesOf = new Map<number, Uint8Array>();
    committees.forEach((committee, i) => {
      const data: phase0.AttestationData = datas[i]!;
      const bytes = encodeAttesterMessage(data);
      fromBeacon(() => checkAttesterValue(network, duty, bytes));
      if (data.index !== committee) throw new FetcherError('INVALID_BEACON_DATA', `${formatDuty(duty)}: attestation data for committee ${data.index}, asked ${committee}`);
      bytesOf.set(committee, bytes);
    });
    return unsignedDataSet([...committeeOf].map(([dv, committee]) => [dv, bytesOf.get(committee)!] as const));
  }

  private async proposer(duty: Duty, definitions: DutyDefinitionSet, signal?: AbortSignal): Promise<UnsignedDataSet> {
    for (const [dv, definition] of definitions) {
      if (definition.kind !== 'proposer') throw new FetcherError('INVALID_DEFINITIONS', `${formatDuty(duty)}: ${dv} has a ${definition.kind} definition`, { dv });
    }
    const entries = await Promise.all(
      [...definitions].map(async ([dv, definition]) => {
        const randao = await this.options.awaitRandao(duty.slot, dv, signal);
        if (signal?.aborted) throw new FetcherError('ABORTED', `${formatDuty(duty)}: aborted before the block of ${dv} was produced`, { dv });
        const produced = await this.options.beacon.produceBlock(duty.slot, randao, this.options.graffiti);
        const value = fromBeacon(() => encodeProposalValue(produced));
        fromBeacon(() => checkProposerValue(this.options.network, duty, definition as ProposerDefinition, value, { verifyRandao: false }));
        const block = proposalBlock(decodeProposalValue(value));
        if (!equalBytes(block.body.randaoReveal, randao)) throw new FetcherError('INVALID_BEACON_DATA', `${formatDuty(duty)}: the block of ${dv} carries another randao reveal than the one given`, { dv });
        return [dv, value] as const;
      }),
    );
    return unsignedDataSet(entries);
  }
}

function fromBeacon<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof DvError) throw new FetcherError('INVALID_BEACON_DATA', `beacon node data refused: ${error.message}`);
    throw error;
  }
}

function forkOf(network: NetworkConfig, slot: number): ForkName {
  return forkAtEpoch(network, slotToEpoch(network, slot)).name as ForkName;
}

const unfit = (duty: Duty, message: string): never => {
  throw new DvError('INVALID_UNSIGNED_DATA', `${formatDuty(duty)}: ${message}`);
};

/**
 * Attestation data fit for the duty (consensus validity predicate): decodes, its slot, index 0 from
 * Electra on, target = the slot's epoch, source not after it. Throws DvError INVALID_UNSIGNED_DATA.
 */
export function checkAttesterValue(network: NetworkConfig, duty: Duty, bytes: Uint8Array): void {
  const data = decodeAttesterMessage(bytes);
  if (data.slot !== duty.slot) unfit(duty, `attestation data is for slot ${data.slot}`);
  const epoch = slotToEpoch(network, duty.slot);
  if (ForkSeq[forkOf(network, duty.slot)] >= ForkSeq.electra && data.index !== 0) unfit(duty, `attestation data index must be 0 from Electra on, got ${data.index}`);
  if (data.target.epoch !== epoch) unfit(duty, `target epoch ${data.target.epoch} is not the slot's epoch ${epoch}`);
  if (data.source.epoch > data.target.epoch) unfit(duty, `source epoch ${data.source.epoch} is after target epoch ${data.target.epoch}`);
}

export interface CheckProposerValueOptions {
  /** check the block's randao reveal under the DV key (one BLS verification); default true */
  readonly verifyRandao?: boolean;
}

/**
 * A proposal fit for the duty (consensus validity predicate): decodes, the fork of the slot, the
 * slot, the DV's validator index as proposer, and a randao reveal of the DV for the slot's epoch.
 * Throws DvError INVALID_UNSIGNED_DATA.
 */
export function checkProposerValue(network: NetworkConfig, duty: Duty, definition: ProposerDefinition, bytes: Uint8Array, options: CheckProposerValueOptions = {}): void {
  const proposal = decodeProposalValue(bytes);
  const fork = forkOf(network, duty.slot);
  if (proposal.fork !== fork) unfit(duty, `a ${proposal.fork} block at a ${fork} slot`);
  const block = proposalBlock(proposal);
  if (block.slot !== duty.slot) unfit(duty, `block for slot ${block.slot}`);
  if (block.proposerIndex !== definition.validatorIndex) unfit(duty, `block proposer ${block.proposerIndex} is not validator ${definition.validatorIndex} of ${definition.dv}`);
  if (options.verifyRandao ?? true) {
    const epoch = slotToEpoch(network, duty.slot);
    let valid = false;
    try {
      valid = verify(dvPubkeyBytes(definition.dv), randaoSigningRoot(network, epoch), block.body.randaoReveal);
    } catch {
      valid = false;
    }
    if (!valid) unfit(duty, `the block's randao reveal is not ${definition.dv}'s for epoch ${epoch}`);
  }
}
