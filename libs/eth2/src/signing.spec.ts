import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { InvalidInputError, bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import { recoverSignature, verify } from '@dvt/tbls';
import { type Type } from '@chainsafe/ssz';
import { type ForkPostBellatrix, ForkName } from '@lodestar/params';
import { type BeaconBlock, type BlindedBeaconBlock, type phase0, ssz, sszTypesFor } from '@lodestar/types';
import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_CONTRIBUTION_AND_PROOF,
  DOMAIN_RANDAO,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
  type Eth2Error,
  aggregateAndProofSigningRoot,
  attestationDataSigningRoot,
  beaconBlockHeader,
  beaconBlockSigningRoot,
  blockHeaderSigningRoot,
  builderRegistrationDomain,
  builderRegistrationSigningRoot,
  computeDomain,
  computeSigningRoot,
  contributionAndProofSigningRoot,
  depositDataRoot,
  depositDomain,
  depositMessageRoot,
  depositSigningRoot,
  getNetwork,
  lodestarBeaconConfig,
  randaoSigningRoot,
  selectionProofSigningRoot,
  syncCommitteeMessageSigningRoot,
  syncCommitteeSelectionProofSigningRoot,
  vaultWithdrawalCredentials,
  voluntaryExitDomain,
  voluntaryExitSigningData,
  voluntaryExitSigningRoot,
} from './index.js';
import { THRESHOLD, VALIDATOR_10, VAULT, sharesOf } from './testdata/hoodi-vector.js';

const hoodi = getNetwork('hoodi');
const mainnet = getNetwork('mainnet');
const lodestarMainnet = lodestarBeaconConfig(mainnet);
const hex = (b: Uint8Array): string => bytesToHex(b);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as Eth2Error).code;
  }
  return undefined;
}

/** Lodestar's own domain for a message at `slot` — an independent check of ours. */
function lodestarDomain(type: Uint8Array, slot: number): Uint8Array {
  return lodestarMainnet.getDomain(slot, type, slot);
}

describe('computeSigningRoot', () => {
  it('is sha256(object root ‖ domain)', () => {
    const exit = { epoch: 7, validatorIndex: 9 };
    const domain = voluntaryExitDomain(hoodi);
    const expected = createHash('sha256').update(concatBytes(ssz.phase0.VoluntaryExit.hashTreeRoot(exit), domain)).digest();
    expect(hex(computeSigningRoot(ssz.phase0.VoluntaryExit, exit, domain))).toBe(hex(expected));
  });

  it('rejects a domain that is not 32 bytes', () => {
    expect(() => computeSigningRoot(ssz.Epoch, 1, new Uint8Array(31))).toThrow(InvalidInputError);
    expect(() => computeSigningRoot(ssz.Epoch, 1, '0x00')).toThrow('domain: expected 32 bytes, got 1');
  });
});

describe('voluntary exits (STAKEWISE.md §6)', () => {
  it('gives the known Hoodi signing root for validator 10, at the Capella epoch by default', () => {
    const exit = voluntaryExitSigningData(hoodi, 10);
    expect(exit.message).toEqual({ epoch: 0, validator_index: 10 });
    expect(exit.domain).toBe('0x0400000072bbc3705de0766b1ea9cfd60f0a5cc5f2dca3b942b222e8320b035b');
    expect(hex(exit.signingRoot)).toBe('0x040e2cbba6b3f94e9471f0d86bf663d296260f895664070fd3e23453abb9d858');
  });

  it('is the message the real operators signed: their rebuilt exit signature verifies', () => {
    const signature = recoverSignature(sharesOf(VALIDATOR_10, 'exit_signature').slice(1), THRESHOLD);
    expect(verify(hexToBytes(VALIDATOR_10), voluntaryExitSigningData(hoodi, 10).signingRoot, signature)).toBe(true);
    expect(verify(hexToBytes(VALIDATOR_10), voluntaryExitSigningData(hoodi, 11).signingRoot, signature)).toBe(false);
  });

  it('defaults the epoch to the network’s Capella epoch and honours an explicit one', () => {
    expect(voluntaryExitSigningData(mainnet, 5).message.epoch).toBe(194048);
    const explicit = voluntaryExitSigningData(mainnet, 5, 300_000);
    expect(explicit.message).toEqual({ epoch: 300_000, validator_index: 5 });
    expect(explicit.signingRoot).toEqual(voluntaryExitSigningRoot(mainnet, { epoch: 300_000, validatorIndex: 5 }));
    expect(explicit.signingRoot).toEqual(
      computeSigningRoot(ssz.phase0.VoluntaryExit, { epoch: 300_000, validatorIndex: 5 }, lodestarMainnet.getDomainForVoluntaryExit(300_000 * 32)),
    );
  });

  it('rejects negative or fractional indexes and epochs', () => {
    expect(codeOf(() => voluntaryExitSigningData(hoodi, -1))).toBe('INVALID_INTEGER');
    expect(codeOf(() => voluntaryExitSigningData(hoodi, 1, 2.5))).toBe('INVALID_INTEGER');
    expect(() => voluntaryExitSigningData(hoodi, Number.NaN)).toThrow('validatorIndex: expected a non-negative integer, got NaN');
    expect(codeOf(() => voluntaryExitSigningRoot(hoodi, { epoch: -2, validatorIndex: 1 }))).toBe('INVALID_INTEGER');
  });
});

describe('deposits (STAKEWISE.md §6)', () => {
  const deposit = {
    pubkey: VALIDATOR_10,
    withdrawalCredentials: vaultWithdrawalCredentials(VAULT, '0x02'),
    amount: 32_000_000_000,
  };

  it('gives the known deposit message root', () => {
    expect(hex(depositMessageRoot(deposit))).toBe('0xdd1ac94d99794a14bf171f25eaa104cc94174c26a9c7f6a88a3d20aadbda928c');
  });

  it('gives the known deposit data root with the signature rebuilt from the operators’ shares', () => {
    const shares = sharesOf(VALIDATOR_10, 'deposit_signature');
    const signature = recoverSignature(shares.slice(0, 3), THRESHOLD);
    expect(recoverSignature(shares.slice(1), THRESHOLD)).toEqual(signature);
    expect(verify(hexToBytes(VALIDATOR_10), depositSigningRoot(hoodi, deposit), signature)).toBe(true);
    expect(hex(depositDataRoot({ ...deposit, signature }))).toBe(
      '0x617b4a3ac2a1bec3fca0ce8beacb1ffc1079b3796dd3b92571b7bf0120bb12a0',
    );
  });

  it('signs the deposit message under the genesis-version, zero-root domain', () => {
    const message = { pubkey: hexToBytes(VALIDATOR_10), withdrawalCredentials: deposit.withdrawalCredentials, amount: deposit.amount };
    expect(depositSigningRoot(hoodi, deposit)).toEqual(computeSigningRoot(ssz.phase0.DepositMessage, message, depositDomain(hoodi)));
    expect(depositSigningRoot(mainnet, deposit)).not.toEqual(depositSigningRoot(hoodi, deposit));
  });

  it('rejects wrong lengths, malformed hex and bad amounts, naming the field', () => {
    expect(() => depositMessageRoot({ ...deposit, pubkey: '0x1234' })).toThrow('pubkey: expected 48 bytes, got 2');
    expect(() => depositMessageRoot({ ...deposit, withdrawalCredentials: new Uint8Array(31) })).toThrow(
      'withdrawalCredentials: expected 32 bytes, got 31',
    );
    expect(() => depositMessageRoot({ ...deposit, pubkey: VALIDATOR_10.replace('88', 'xx') })).toThrow('pubkey: not hex');
    expect(() => depositDataRoot({ ...deposit, signature: '0x' + '00'.repeat(95) })).toThrow('signature: expected 96 bytes, got 95');
    expect(codeOf(() => depositMessageRoot({ ...deposit, amount: -1 }))).toBe('INVALID_INTEGER');
    expect(codeOf(() => depositMessageRoot({ ...deposit, amount: 2 ** 53 }))).toBe('INVALID_INTEGER');
  });
});

describe('DV-node duties', () => {
  const attestationData = (slot: number, targetEpoch: number): phase0.AttestationData => ({
    slot,
    index: 0,
    beaconBlockRoot: new Uint8Array(32).fill(1),
    source: { epoch: targetEpoch - 1, root: new Uint8Array(32).fill(2) },
    target: { epoch: targetEpoch, root: new Uint8Array(32).fill(3) },
  });

  it('attestation data: attester domain at the target epoch', () => {
    for (const epoch of [194047, 194048, 364032]) {
      const data = attestationData(epoch * 32 + 3, epoch);
      const expected = computeSigningRoot(ssz.phase0.AttestationData, data, lodestarDomain(DOMAIN_BEACON_ATTESTER, epoch * 32));
      expect(attestationDataSigningRoot(mainnet, data)).toEqual(expected);
    }
    const a = attestationData(100, 3);
    expect(attestationDataSigningRoot(mainnet, a)).not.toEqual(attestationDataSigningRoot(mainnet, { ...a, index: 1 }));
  });

  it('randao reveal and selection proof', () => {
    const epoch = 364032;
    expect(randaoSigningRoot(mainnet, epoch)).toEqual(computeSigningRoot(ssz.Epoch, epoch, lodestarDomain(DOMAIN_RANDAO, epoch * 32)));
    const slot = 6209535; // last slot before Capella
    expect(selectionProofSigningRoot(mainnet, slot)).toEqual(
      computeSigningRoot(ssz.Slot, slot, lodestarDomain(DOMAIN_SELECTION_PROOF, slot)),
    );
    expect(codeOf(() => selectionProofSigningRoot(mainnet, -1))).toBe('INVALID_INTEGER');
  });

  it('aggregate and proof: the phase0 container before Electra, the Electra one after', () => {
    const denebSlot = 300_000 * 32;
    const phase0Aggregate = ssz.phase0.AggregateAndProof.defaultValue();
    phase0Aggregate.aggregate.data.slot = denebSlot;
    phase0Aggregate.aggregatorIndex = 42;
    expect(aggregateAndProofSigningRoot(mainnet, phase0Aggregate)).toEqual(
      computeSigningRoot(ssz.phase0.AggregateAndProof, phase0Aggregate, lodestarDomain(DOMAIN_AGGREGATE_AND_PROOF, denebSlot)),
    );

    const electraSlot = 364032 * 32;
    const electraAggregate = ssz.electra.AggregateAndProof.defaultValue();
    electraAggregate.aggregate.data.slot = electraSlot;
    electraAggregate.aggregate.committeeBits.set(3, true);
    expect(aggregateAndProofSigningRoot(mainnet, electraAggregate)).toEqual(
      computeSigningRoot(ssz.electra.AggregateAndProof, electraAggregate, lodestarDomain(DOMAIN_AGGREGATE_AND_PROOF, electraSlot)),
    );

    phase0Aggregate.aggregate.data.slot = electraSlot;
    expect(codeOf(() => aggregateAndProofSigningRoot(mainnet, phase0Aggregate))).toBe('UNSUPPORTED_FORK');
    electraAggregate.aggregate.data.slot = denebSlot;
    expect(() => aggregateAndProofSigningRoot(mainnet, electraAggregate)).toThrow(/is in deneb but the aggregate is an Electra one/);
  });

  it('builder registration: application builder domain, whatever the current fork', () => {
    const registration = {
      feeRecipient: hexToBytes(VAULT),
      gasLimit: 36_000_000,
      timestamp: 1_750_000_000,
      pubkey: hexToBytes(VALIDATOR_10),
    };
    const root = builderRegistrationSigningRoot(hoodi, registration);
    expect(root).toEqual(computeSigningRoot(ssz.bellatrix.ValidatorRegistrationV1, registration, builderRegistrationDomain(hoodi)));
    expect(root).not.toEqual(builderRegistrationSigningRoot(hoodi, { ...registration, gasLimit: 30_000_000 }));
  });

  it('sync committee message, selection proof and contribution', () => {
    const slot = 364032 * 32 + 5;
    const blockRoot = new Uint8Array(32).fill(9);
    expect(syncCommitteeMessageSigningRoot(mainnet, slot, blockRoot)).toEqual(
      computeSigningRoot(ssz.Root, blockRoot, lodestarDomain(DOMAIN_SYNC_COMMITTEE, slot)),
    );
    expect(syncCommitteeMessageSigningRoot(mainnet, slot, bytesToHex(blockRoot))).toEqual(
      syncCommitteeMessageSigningRoot(mainnet, slot, blockRoot),
    );
    const selection = { slot, subcommitteeIndex: 2 };
    expect(syncCommitteeSelectionProofSigningRoot(mainnet, selection)).toEqual(
      computeSigningRoot(ssz.altair.SyncAggregatorSelectionData, selection, lodestarDomain(DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, slot)),
    );
    const contribution = ssz.altair.ContributionAndProof.defaultValue();
    contribution.contribution.slot = slot;
    contribution.aggregatorIndex = 7;
    expect(contributionAndProofSigningRoot(mainnet, contribution)).toEqual(
      computeSigningRoot(ssz.altair.ContributionAndProof, contribution, lodestarDomain(DOMAIN_CONTRIBUTION_AND_PROOF, slot)),
    );
  });

  it('refuses sync committee messages before Altair and a block root of the wrong size', () => {
    expect(codeOf(() => syncCommitteeMessageSigningRoot(mainnet, 100, new Uint8Array(32)))).toBe('UNSUPPORTED_FORK');
    expect(codeOf(() => syncCommitteeSelectionProofSigningRoot(mainnet, { slot: 100, subcommitteeIndex: 0 }))).toBe('UNSUPPORTED_FORK');
    const early = ssz.altair.ContributionAndProof.defaultValue();
    expect(codeOf(() => contributionAndProofSigningRoot(mainnet, early))).toBe('UNSUPPORTED_FORK');
    expect(() => syncCommitteeMessageSigningRoot(mainnet, 364032 * 32, new Uint8Array(20))).toThrow(
      'beaconBlockRoot: expected 32 bytes, got 20',
    );
  });
});

describe('block signing roots', () => {
  /** A non-trivial full block of `fork` at `slot`. */
  function fullBlock(fork: ForkName, slot: number): BeaconBlock {
    const block = sszTypesFor(fork).BeaconBlock.defaultValue() as BeaconBlock;
    block.slot = slot;
    block.proposerIndex = 1234;
    block.parentRoot = new Uint8Array(32).fill(5);
    block.stateRoot = new Uint8Array(32).fill(6);
    block.body.graffiti = new Uint8Array(32).fill(7);
    const body = block.body as BeaconBlock<ForkPostBellatrix>['body'];
    if ('executionPayload' in body) {
      body.executionPayload.blockNumber = 99;
      body.executionPayload.transactions = [new Uint8Array([1, 2, 3]), new Uint8Array([4])];
      if ('withdrawals' in body.executionPayload) {
        body.executionPayload.withdrawals = [{ index: 1, validatorIndex: 2, address: new Uint8Array(20).fill(8), amount: 3n }];
      }
    }
    return block;
  }

  /** The blinded twin of a full block: payload replaced by its header (roots of its two lists). */
  function blinded(block: BeaconBlock): BlindedBeaconBlock {
    const { executionPayload, ...body } = block.body as unknown as { executionPayload: Record<string, unknown> };
    const { transactions, withdrawals, ...header } = executionPayload;
    header['transactionsRoot'] = ssz.bellatrix.Transactions.hashTreeRoot(transactions as Uint8Array[]);
    if (withdrawals !== undefined) {
      header['withdrawalsRoot'] = ssz.capella.Withdrawals.hashTreeRoot(withdrawals as never);
    }
    return { ...block, body: { ...body, executionPayloadHeader: header } } as unknown as BlindedBeaconBlock;
  }

  const cases: [ForkName, number][] = [
    [ForkName.phase0, 5],
    [ForkName.altair, 74240 * 32],
    [ForkName.bellatrix, 144896 * 32 + 1],
    [ForkName.capella, 194048 * 32 + 2],
    [ForkName.deneb, 269568 * 32],
    [ForkName.electra, 364032 * 32 + 31],
    [ForkName.fulu, 411392 * 32 + 4],
  ];

  it.each(cases)('%s: equals lodestar’s hash of the whole block under the proposer domain', (fork, slot) => {
    const block = fullBlock(fork, slot);
    const type = sszTypesFor(fork).BeaconBlock as unknown as Type<BeaconBlock>;
    const expected = computeSigningRoot(type, block, lodestarDomain(DOMAIN_BEACON_PROPOSER, slot));
    expect(hex(beaconBlockSigningRoot(mainnet, block))).toBe(hex(expected));
    expect(blockHeaderSigningRoot(mainnet, beaconBlockHeader(mainnet, block))).toEqual(expected);
  });

  it.each(cases.slice(2))('%s: a blinded block signs the same root as its full twin', (fork, slot) => {
    const block = fullBlock(fork, slot);
    const twin = blinded(block);
    const blindedType = sszTypesFor(fork as ForkPostBellatrix).BlindedBeaconBlock as unknown as Type<BlindedBeaconBlock>;
    expect(blindedType.hashTreeRoot(twin)).toEqual(sszTypesFor(fork).BeaconBlock.hashTreeRoot(block as never));
    expect(beaconBlockSigningRoot(mainnet, twin)).toEqual(beaconBlockSigningRoot(mainnet, block));
  });

  it('never reuses a root lodestar cached on a value that was copied or changed since', () => {
    const block = fullBlock(ForkName.electra, 364032 * 32);
    const type = ssz.electra.BeaconBlock as unknown as Type<BeaconBlock>;
    const original = type.hashTreeRoot(block); // lodestar caches this root on `block` and `block.body`
    const before = beaconBlockSigningRoot(mainnet, block);
    const copy = { ...block, proposerIndex: 4321 };
    expect(type.hashTreeRoot(copy)).toEqual(original); // the stale cache lodestar would hand back
    expect(beaconBlockSigningRoot(mainnet, copy)).not.toEqual(before);
    block.body.graffiti = new Uint8Array(32).fill(0xee);
    expect(beaconBlockSigningRoot(mainnet, block)).not.toEqual(before);

    const data = { slot: 1, index: 0, beaconBlockRoot: new Uint8Array(32), source: { epoch: 0, root: new Uint8Array(32) }, target: { epoch: 0, root: new Uint8Array(32) } };
    ssz.phase0.AttestationData.hashTreeRoot(data);
    expect(attestationDataSigningRoot(mainnet, { ...data, index: 1 })).not.toEqual(attestationDataSigningRoot(mainnet, data));
  });

  it('refuses to hash a gnosis block body in a mainnet-preset process, but signs gnosis headers', () => {
    const gnosis = getNetwork('gnosis');
    const block = fullBlock(ForkName.electra, 1337856 * 16);
    expect(codeOf(() => beaconBlockSigningRoot(gnosis, block))).toBe('PRESET_MISMATCH');
    const header = { slot: 1337856 * 16, proposerIndex: 1, parentRoot: new Uint8Array(32), stateRoot: new Uint8Array(32), bodyRoot: new Uint8Array(32) };
    const electraDomain = computeDomain(DOMAIN_BEACON_PROPOSER, '0x05000064', gnosis.genesisValidatorsRoot);
    expect(blockHeaderSigningRoot(gnosis, header)).toEqual(computeSigningRoot(ssz.phase0.BeaconBlockHeader, header, electraDomain));
  });
});
