import { type Type } from '@chainsafe/ssz';
import { ForkName, ForkSeq } from '@lodestar/params';
import { type BeaconBlock, type BlindedBeaconBlock, sszTypesFor } from '@lodestar/types';
import { DvError } from './errors.js';
import { type DecidedProposal } from './ports.js';
import { encodeProposerMessage } from './signed-data.js';
import { DEFAULT_UNSIGNED_DATA_SET_LIMITS } from './unsigned-data-set.js';

/*
 * A block proposal as consensus agrees on it (one DV's entry of the proposer duty's unsigned data
 * set): what `GET /eth/v3/validator/blocks/{slot}` answered, so every node serves its VC the same.
 *   version u8 (= 1) | fork seq u8 | blinded u8 | value length u8 | execution payload value (ASCII
 *   decimal) | value length u8 | consensus block value (ASCII decimal) | SSZ
 * SSZ: BlindedBeaconBlock when blinded; BlockContents from Deneb on; BeaconBlock before.
 */
const VERSION = 1;
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
/** A proposal is one entry of an unsigned data set: it must fit the set's per-entry limit. */
export const MAX_PROPOSAL_VALUE_BYTES = DEFAULT_UNSIGNED_DATA_SET_LIMITS.maxEntryBytes;

const invalid = (message: string): never => {
  throw new DvError('INVALID_UNSIGNED_DATA', `proposal: ${message}`);
};

function forkOfSeq(seq: number): ForkName {
  const fork = (Object.values(ForkName) as ForkName[]).find((name) => ForkSeq[name] === seq);
  return fork ?? invalid(`unknown fork sequence ${seq}`);
}

/** The SSZ type of what the v3 endpoint returns for `fork` (see above). */
export function proposalSszType(fork: ForkName, blinded: boolean): Type<unknown> {
  const types = sszTypesFor(fork) as unknown as Record<string, Type<unknown> | undefined>;
  const name = blinded ? 'BlindedBeaconBlock' : ForkSeq[fork] >= ForkSeq.deneb ? 'BlockContents' : 'BeaconBlock';
  return types[name] ?? invalid(`${name} does not exist at fork ${fork}`);
}

export function encodeProposalValue(proposal: DecidedProposal): Uint8Array {
  const fork = proposal.fork as ForkName;
  if (!(Object.values(ForkName) as string[]).includes(proposal.fork)) invalid(`unknown fork ${JSON.stringify(proposal.fork)}`);
  for (const value of [proposal.executionPayloadValue, proposal.consensusBlockValue]) if (!DECIMAL.test(value)) invalid(`block value ${JSON.stringify(value)} is not a decimal`);
  const exec = Buffer.from(proposal.executionPayloadValue, 'ascii');
  const cons = Buffer.from(proposal.consensusBlockValue, 'ascii');
  if (proposal.ssz.length === 0) invalid('no block');
  const size = 5 + exec.length + cons.length + proposal.ssz.length;
  if (size > MAX_PROPOSAL_VALUE_BYTES) invalid(`${size} bytes exceed the limit of ${MAX_PROPOSAL_VALUE_BYTES}`);
  return new Uint8Array(Buffer.concat([Buffer.from([VERSION, ForkSeq[fork], proposal.blinded ? 1 : 0, exec.length]), exec, Buffer.from([cons.length]), cons, proposal.ssz]));
}

export function decodeProposalValue(bytes: Uint8Array): DecidedProposal {
  if (bytes.length < 6) invalid(`${bytes.length} bytes is too short`);
  if (bytes.length > MAX_PROPOSAL_VALUE_BYTES) invalid(`${bytes.length} bytes exceed the limit of ${MAX_PROPOSAL_VALUE_BYTES}`);
  if (bytes[0] !== VERSION) invalid(`unsupported version ${bytes[0]}`);
  const fork = forkOfSeq(bytes[1]!);
  if (bytes[2] !== 0 && bytes[2] !== 1) invalid(`blinded flag must be 0 or 1, got ${bytes[2]}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 3;
  const text = (): string => {
    const length = buf[offset]!;
    const value = buf.toString('ascii', offset + 1, offset + 1 + length);
    offset += 1 + length;
    if (offset > buf.length || !DECIMAL.test(value)) invalid('bad block value');
    return value;
  };
  const executionPayloadValue = text();
  const consensusBlockValue = text();
  const ssz = bytes.slice(offset);
  if (ssz.length === 0) invalid('no block');
  return { fork, blinded: bytes[2] === 1, executionPayloadValue, consensusBlockValue, ssz };
}

/** The block inside a proposal (decoded from its SSZ); throws INVALID_UNSIGNED_DATA if it does not decode. */
export function proposalBlock(proposal: DecidedProposal): BeaconBlock | BlindedBeaconBlock {
  const fork = proposal.fork as ForkName;
  let decoded: unknown;
  try {
    decoded = proposalSszType(fork, proposal.blinded).deserialize(proposal.ssz);
  } catch (error) {
    return invalid(`not the SSZ of a ${fork} ${proposal.blinded ? 'blinded block' : 'block'}: ${(error as Error).message}`);
  }
  const contents = !proposal.blinded && ForkSeq[fork] >= ForkSeq.deneb;
  return (contents ? (decoded as { block: BeaconBlock }).block : decoded) as BeaconBlock | BlindedBeaconBlock;
}

/** What a key share signs for this proposal: the proposer signing message (signed-data.ts) of its block. */
export function proposalSigningMessage(value: Uint8Array): Uint8Array {
  const proposal = decodeProposalValue(value);
  return encodeProposerMessage({ fork: proposal.fork as ForkName, blinded: proposal.blinded, block: proposalBlock(proposal) });
}
