import { describe, expect, it } from '@jest/globals';
import { ForkName, ForkSeq } from '@lodestar/params';
import { ssz } from '@lodestar/types';
import { DvError } from './errors.js';
import { MAX_PROPOSAL_VALUE_BYTES, decodeProposalValue, encodeProposalValue, proposalBlock, proposalSigningMessage } from './proposal-value.js';
import { decodeProposerMessage } from './signed-data.js';

function contents(slot: number) {
  const value = ssz.fulu.BlockContents.defaultValue();
  value.block.slot = slot;
  value.block.proposerIndex = 17;
  value.kzgProofs = [new Uint8Array(48).fill(1)];
  value.blobs = [new Uint8Array(131072).fill(2)];
  return value;
}

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DvError);
  expect((caught as DvError).code).toBe('INVALID_UNSIGNED_DATA');
  expect((caught as Error).message).toMatch(message);
}

describe('proposal value', () => {
  const blockContents = ssz.fulu.BlockContents.serialize(contents(99));
  const proposal = { fork: 'fulu', blinded: false, executionPayloadValue: '123456789012345678901234567890', consensusBlockValue: '0', ssz: blockContents };

  it('round-trips a proposal, and its signing message is the block inside the contents', () => {
    const bytes = encodeProposalValue(proposal);
    expect(bytes.subarray(0, 4)).toEqual(new Uint8Array([1, ForkSeq.fulu, 0, 30]));
    expect(decodeProposalValue(bytes)).toEqual(proposal);
    const block = proposalBlock(decodeProposalValue(bytes));
    expect(ssz.fulu.BeaconBlock.equals(block as never, contents(99).block)).toBe(true);
    const message = decodeProposerMessage(proposalSigningMessage(bytes));
    expect(message).toMatchObject({ fork: ForkName.fulu, blinded: false });
    expect(ssz.fulu.BeaconBlock.serialize(message.block as never)).toEqual(ssz.fulu.BeaconBlock.serialize(contents(99).block));
  });

  it('round-trips a blinded block and a pre-Deneb block', () => {
    const blinded = ssz.fulu.BlindedBeaconBlock.defaultValue();
    blinded.slot = 5;
    const value = { fork: 'fulu', blinded: true, executionPayloadValue: '1', consensusBlockValue: '2', ssz: ssz.fulu.BlindedBeaconBlock.serialize(blinded) };
    expect(proposalBlock(decodeProposalValue(encodeProposalValue(value))).slot).toBe(5);
    const capella = ssz.capella.BeaconBlock.defaultValue();
    capella.slot = 6;
    const old = { fork: 'capella', blinded: false, executionPayloadValue: '1', consensusBlockValue: '2', ssz: ssz.capella.BeaconBlock.serialize(capella) };
    expect(decodeProposerMessage(proposalSigningMessage(encodeProposalValue(old))).block.slot).toBe(6);
  });

  it('refuses what it cannot encode canonically', () => {
    expectInvalid(() => encodeProposalValue({ ...proposal, fork: 'atlantis' }), /unknown fork/);
    expectInvalid(() => encodeProposalValue({ ...proposal, fork: '0' }), /unknown fork/);
    expectInvalid(() => encodeProposalValue({ ...proposal, executionPayloadValue: '007' }), /not a decimal/);
    expectInvalid(() => encodeProposalValue({ ...proposal, consensusBlockValue: '-1' }), /not a decimal/);
    expectInvalid(() => encodeProposalValue({ ...proposal, ssz: new Uint8Array(0) }), /no block/);
    expectInvalid(() => encodeProposalValue({ ...proposal, ssz: new Uint8Array(MAX_PROPOSAL_VALUE_BYTES) }), /exceed the limit/);
  });

  it('refuses malformed bytes with typed errors', () => {
    const good = encodeProposalValue(proposal);
    const patched = (index: number, value: number): Uint8Array => {
      const copy = good.slice();
      copy[index] = value;
      return copy;
    };
    expectInvalid(() => decodeProposalValue(good.subarray(0, 5)), /too short/);
    expectInvalid(() => decodeProposalValue(patched(0, 2)), /unsupported version/);
    expectInvalid(() => decodeProposalValue(patched(1, 200)), /unknown fork/);
    expectInvalid(() => decodeProposalValue(patched(2, 2)), /blinded flag/);
    expectInvalid(() => decodeProposalValue(patched(3, 200)), /bad block value/);
    expectInvalid(() => decodeProposalValue(patched(4, 0x41)), /bad block value/);
    expectInvalid(() => decodeProposalValue(good.subarray(0, 4 + 30 + 2)), /no block/);
    expectInvalid(() => decodeProposalValue(new Uint8Array(MAX_PROPOSAL_VALUE_BYTES + 1)), /exceed the limit/);
    // a value that decodes but whose SSZ is not a block of its fork
    expectInvalid(() => proposalBlock(decodeProposalValue(encodeProposalValue({ ...proposal, ssz: new Uint8Array([1, 2, 3]) }))), /not the SSZ/);
    // (Electra and Fulu blocks share one layout; Capella's differs)
    expectInvalid(() => proposalSigningMessage(encodeProposalValue({ ...proposal, fork: 'capella' })), /not the SSZ of a capella block/);
  });
});
