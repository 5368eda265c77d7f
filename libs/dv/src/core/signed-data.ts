import { type NetworkConfig, attestationDataSigningRoot, beaconBlockSigningRoot, randaoSigningRoot, voluntaryExitSigningRoot } from '@dvt/eth2';
import { type Type } from '@chainsafe/ssz';
import { ForkName, ForkSeq } from '@lodestar/params';
import { type BeaconBlock, type BlindedBeaconBlock, type phase0, ssz, sszTypesFor } from '@lodestar/types';
import { type Duty, DutyType, formatDuty } from './duty.js';
import { type DvPubkey } from './dv-pubkey.js';
import { DvError } from './errors.js';

/*
 * What the duty workflow signs, as bytes every component agrees on.
 *
 * A *signing message* is the object a key share signs, in one canonical encoding per duty type:
 *   attester  SSZ phase0.AttestationData (128 bytes; from Electra on, index = 0)
 *   proposer  forkSeq u8 | blinded u8 | SSZ BeaconBlock or BlindedBeaconBlock of that fork
 *   randao    SSZ Epoch (uint64 little-endian, 8 bytes)
 *   exit      SSZ phase0.VoluntaryExit (16 bytes)
 * Its signing root is always recomputed from these bytes (never taken from a peer).
 */

export const BLS_SIGNATURE_BYTES = 96;

/** One node's partial signature of one DV's signing message for one duty. */
export interface PartialSignature {
  /** the signer's share index, 1..n (node index + 1) */
  readonly shareIndex: number;
  /** the signing message (encoding above) */
  readonly message: Uint8Array;
  /** 96-byte compressed BLS G2 signature by the key share */
  readonly signature: Uint8Array;
}

/** A node's partial signatures for one duty, one per DV. */
export type PartialSignatureSet = ReadonlyMap<DvPubkey, PartialSignature>;

/** A full signature, recovered from `t` partials and verified under the DV key. */
export interface AggregatedSignature {
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

export type AggregatedSignatureSet = ReadonlyMap<DvPubkey, AggregatedSignature>;

/** Duty types whose signing messages this module encodes. */
export const SIGNED_DUTY_TYPES: readonly DutyType[] = [DutyType.Attester, DutyType.Proposer, DutyType.Randao, DutyType.Exit];

const invalid = (message: string, details?: Record<string, unknown>): never => {
  throw new DvError('INVALID_SIGNED_DATA', message, details);
};

// ---- proposer ----

/** A block to sign: the fork it belongs to, whether it is blinded, and the block itself. */
export interface ProposerMessage {
  readonly fork: ForkName;
  readonly blinded: boolean;
  readonly block: BeaconBlock | BlindedBeaconBlock;
}

function forkNameOfSeq(seq: number): ForkName {
  const name = (Object.values(ForkName) as ForkName[]).find((fork) => ForkSeq[fork] === seq);
  if (name === undefined) invalid(`unknown fork sequence ${seq}`);
  return name as ForkName;
}

function blockType(fork: ForkName, blinded: boolean): Type<BeaconBlock | BlindedBeaconBlock> {
  const types = sszTypesFor(fork) as unknown as Record<string, Type<BeaconBlock | BlindedBeaconBlock> | undefined>;
  const type = types[blinded ? 'BlindedBeaconBlock' : 'BeaconBlock'];
  if (type === undefined) invalid(`${blinded ? 'blinded' : 'full'} blocks do not exist at fork ${fork}`, { fork });
  return type as Type<BeaconBlock | BlindedBeaconBlock>;
}

export function encodeProposerMessage(message: ProposerMessage): Uint8Array {
  const body = blockType(message.fork, message.blinded).serialize(message.block);
  const out = new Uint8Array(2 + body.length);
  out[0] = ForkSeq[message.fork];
  out[1] = message.blinded ? 1 : 0;
  out.set(body, 2);
  return out;
}

export function decodeProposerMessage(bytes: Uint8Array): ProposerMessage {
  if (bytes.length < 3) invalid(`a proposer message needs at least 3 bytes, got ${bytes.length}`);
  if (bytes[1] !== 0 && bytes[1] !== 1) invalid(`proposer message: blinded flag must be 0 or 1, got ${bytes[1]}`);
  const fork = forkNameOfSeq(bytes[0]!);
  const blinded = bytes[1] === 1;
  try {
    return { fork, blinded, block: blockType(fork, blinded).deserialize(bytes.subarray(2)) };
  } catch (error) {
    if (error instanceof DvError) throw error;
    return invalid(`proposer message: not an SSZ ${blinded ? 'blinded ' : ''}block of fork ${fork}: ${(error as Error).message}`);
  }
}

// ---- the other signing messages ----

export function encodeAttesterMessage(data: phase0.AttestationData): Uint8Array {
  return ssz.phase0.AttestationData.serialize(data);
}

export function decodeAttesterMessage(bytes: Uint8Array): phase0.AttestationData {
  if (bytes.length !== ssz.phase0.AttestationData.fixedSize) invalid(`attestation data must be ${ssz.phase0.AttestationData.fixedSize} bytes, got ${bytes.length}`);
  return ssz.phase0.AttestationData.deserialize(bytes);
}

export function encodeRandaoMessage(epoch: number): Uint8Array {
  return ssz.Epoch.serialize(epoch);
}

export function decodeRandaoMessage(bytes: Uint8Array): number {
  if (bytes.length !== 8) invalid(`a randao message is an 8-byte epoch, got ${bytes.length} bytes`);
  return ssz.Epoch.deserialize(bytes);
}

export function encodeExitMessage(exit: phase0.VoluntaryExit): Uint8Array {
  return ssz.phase0.VoluntaryExit.serialize(exit);
}

export function decodeExitMessage(bytes: Uint8Array): phase0.VoluntaryExit {
  if (bytes.length !== 16) invalid(`a voluntary exit is 16 bytes, got ${bytes.length}`);
  return ssz.phase0.VoluntaryExit.deserialize(bytes);
}

/**
 * The signing root of a duty's signing message, recomputed from its bytes with the domain of the
 * duty's fork. Throws DvError INVALID_SIGNED_DATA for bytes that do not decode, a message whose
 * slot or epoch is not the duty's, or a duty type without signing messages.
 */
export function signingRootOf(network: NetworkConfig, duty: Duty, message: Uint8Array): Uint8Array {
  const epochOfDuty = Math.floor(duty.slot / network.slotsPerEpoch);
  switch (duty.type) {
    case DutyType.Attester: {
      const data = decodeAttesterMessage(message);
      if (data.slot !== duty.slot) invalid(`attestation data for slot ${data.slot} under ${formatDuty(duty)}`);
      return attestationDataSigningRoot(network, data);
    }
    case DutyType.Proposer: {
      const { block } = decodeProposerMessage(message);
      if (block.slot !== duty.slot) invalid(`block for slot ${block.slot} under ${formatDuty(duty)}`);
      return beaconBlockSigningRoot(network, block);
    }
    case DutyType.Randao: {
      const epoch = decodeRandaoMessage(message);
      if (epoch !== epochOfDuty) invalid(`randao for epoch ${epoch} under ${formatDuty(duty)} (epoch ${epochOfDuty})`);
      return randaoSigningRoot(network, epoch);
    }
    case DutyType.Exit:
      return voluntaryExitSigningRoot(network, decodeExitMessage(message));
    default:
      return invalid(`${formatDuty(duty)} has no signing message`);
  }
}
