import { describe, expect, it } from '@jest/globals';
import { type Type } from '@chainsafe/ssz';
import { type NetworkConfig, getNetwork, randaoSigningRoot } from '@dvt/eth2';
import { generateSecretKey, secretKeyToPublicKey, sign } from '@dvt/tbls';
import { ForkName, ForkSeq } from '@lodestar/params';
import { type BeaconBlock, type phase0, ssz, sszTypesFor } from '@lodestar/types';
import {
  DvError,
  DutyType,
  decodeAttesterMessage,
  decodeProposalValue,
  decodeProposerMessage,
  encodeAttesterMessage,
  encodeProposalValue,
  newDuty,
  proposalBlock,
  proposalSigningMessage,
  toDvPubkey,
  type AttesterDefinition,
  type BeaconDutyPort,
  type DutyDefinitionSet,
  type DvPubkey,
  type ProducedBlock,
  type ProposerDefinition,
} from '../core/index.js';
import { Fetcher, FetcherError, checkAttesterValue, checkProposerValue } from './fetcher.js';

const devnet = getNetwork('devnet');
const hoodi = getNetwork('hoodi');

function key() {
  const secret = generateSecretKey();
  const pubkey = secretKeyToPublicKey(secret);
  return { secret, pubkey, dv: toDvPubkey(pubkey) };
}
const A = key();
const B = key();
const C = key();

const anyType = (fork: ForkName, name: string): Type<unknown> => (sszTypesFor(fork) as unknown as Record<string, Type<unknown>>)[name]!;

/** Answers like a beacon node: attestation data of the asked slot and committee, blocks carrying the given randao. */
class FakeBeacon implements BeaconDutyPort {
  readonly attestationDataCalls: [number, number][] = [];
  readonly produceCalls: { slot: number; randao: Uint8Array }[] = [];
  /** proposer index the produced block names */
  proposerIndex = 42;
  /** the slot the answered attestation data names (default: the asked one) */
  dataSlot?: number;

  constructor(private readonly network: NetworkConfig) {}

  async attestationData(slot: number, committeeIndex: number): Promise<phase0.AttestationData> {
    this.attestationDataCalls.push([slot, committeeIndex]);
    const epoch = Math.floor(slot / this.network.slotsPerEpoch);
    return {
      slot: this.dataSlot ?? slot,
      index: committeeIndex,
      beaconBlockRoot: new Uint8Array(32).fill(committeeIndex + 1),
      source: { epoch: epoch - 1, root: new Uint8Array(32).fill(0xaa) },
      target: { epoch, root: new Uint8Array(32).fill(0xbb) },
    };
  }

  async produceBlock(slot: number, randaoReveal: Uint8Array): Promise<ProducedBlock> {
    this.produceCalls.push({ slot, randao: randaoReveal });
    const fork = this.forkAt(slot);
    const block = anyType(fork, 'BeaconBlock').defaultValue() as BeaconBlock;
    block.slot = slot;
    block.proposerIndex = this.proposerIndex;
    block.body.randaoReveal = randaoReveal;
    const contents = { block, kzgProofs: [new Uint8Array(48).fill(7)], blobs: [new Uint8Array(131072).fill(8)] };
    return { fork, blinded: false, executionPayloadValue: '31', consensusBlockValue: '32', ssz: anyType(fork, 'BlockContents').serialize(contents) };
  }

  private forkAt(slot: number): ForkName {
    const epoch = Math.floor(slot / this.network.slotsPerEpoch);
    return [...this.network.forks].reverse().find((f) => f.epoch <= epoch)!.name as ForkName;
  }

  validatorIndexes(): Promise<ReadonlyMap<string, number>> {
    throw new Error('not used');
  }
  attesterDuties(): Promise<never> {
    throw new Error('not used');
  }
  proposerDuties(): Promise<never> {
    throw new Error('not used');
  }
  submitSingleAttestations(): Promise<void> {
    throw new Error('not used');
  }
  submitBlock(): Promise<void> {
    throw new Error('not used');
  }
  submitVoluntaryExit(): Promise<void> {
    throw new Error('not used');
  }
}

function attester(dv: DvPubkey, slot: number, committeeIndex: number, validatorIndex: number): AttesterDefinition {
  return { kind: 'attester', dv, validatorIndex, slot, committeeIndex, committeeLength: 64, committeesAtSlot: 4, validatorCommitteeIndex: 3 };
}
const proposer = (dv: DvPubkey, slot: number, validatorIndex: number): ProposerDefinition => ({ kind: 'proposer', dv, slot, validatorIndex });

/** A randao source whose reveals the test releases by hand. */
class RandaoSource {
  readonly waiting: { slot: number; dv: DvPubkey; resolve(reveal: Uint8Array): void }[] = [];
  readonly await = (slot: number, dv: DvPubkey, signal?: AbortSignal): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      this.waiting.push({ slot, dv, resolve });
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FetcherError);
  return (error as FetcherError).code;
}

function expectUnfit(fn: () => void, message: RegExp): void {
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

describe('Fetcher: attester', () => {
  it('from Electra on fetches one attestation data (committee 0) for every DV of the slot', async () => {
    const beacon = new FakeBeacon(devnet);
    const fetcher = new Fetcher({ beacon, network: devnet, awaitRandao: () => Promise.reject(new Error('not used')) });
    const duty = newDuty(500, DutyType.Attester);
    const definitions: DutyDefinitionSet = new Map([
      [A.dv, attester(A.dv, 500, 1, 10)],
      [B.dv, attester(B.dv, 500, 2, 11)],
      [C.dv, attester(C.dv, 500, 3, 12)],
    ]);
    const set = await fetcher.fetch(duty, definitions);
    expect(beacon.attestationDataCalls).toEqual([[500, 0]]);
    expect([...set.keys()].sort()).toEqual([A.dv, B.dv, C.dv].sort());
    const expected = encodeAttesterMessage(await new FakeBeacon(devnet).attestationData(500, 0));
    for (const bytes of set.values()) expect(bytes).toEqual(expected);
    expect(decodeAttesterMessage(set.get(A.dv)!).index).toBe(0);
  });

  it('before Electra fetches the data of each committee and gives each DV its own', async () => {
    const beacon = new FakeBeacon(hoodi);
    const fetcher = new Fetcher({ beacon, network: hoodi, awaitRandao: () => Promise.reject(new Error('not used')) });
    const slot = 100; // Deneb on Hoodi
    const set = await fetcher.fetch(newDuty(slot, DutyType.Attester), new Map([[A.dv, attester(A.dv, slot, 1, 10)], [B.dv, attester(B.dv, slot, 2, 11)], [C.dv, attester(C.dv, slot, 1, 12)]]));
    expect(beacon.attestationDataCalls.map(([, c]) => c).sort()).toEqual([1, 2]);
    expect(decodeAttesterMessage(set.get(A.dv)!).index).toBe(1);
    expect(decodeAttesterMessage(set.get(B.dv)!).index).toBe(2);
    expect(set.get(C.dv)).toEqual(set.get(A.dv));
  });

  it('refuses beacon data that is not for the duty, bad definitions and duties without data', async () => {
    const beacon = new FakeBeacon(devnet);
    const fetcher = new Fetcher({ beacon, network: devnet, awaitRandao: () => Promise.reject(new Error('not used')) });
    beacon.dataSlot = 499;
    expect(await codeOf(fetcher.fetch(newDuty(500, DutyType.Attester), new Map([[A.dv, attester(A.dv, 500, 1, 10)]])))).toBe('INVALID_BEACON_DATA');
    expect(await codeOf(fetcher.fetch(newDuty(500, DutyType.Attester), new Map()))).toBe('INVALID_DEFINITIONS');
    expect(await codeOf(fetcher.fetch(newDuty(500, DutyType.Attester), new Map([[A.dv, proposer(A.dv, 500, 10)]])))).toBe('INVALID_DEFINITIONS');
    expect(await codeOf(fetcher.fetch(newDuty(500, DutyType.SyncContribution), new Map([[A.dv, attester(A.dv, 500, 1, 10)]])))).toBe('UNSUPPORTED_DUTY');
  });
});

describe('Fetcher: proposer', () => {
  it('waits for the aggregated randao reveal, then produces the block with it', async () => {
    const beacon = new FakeBeacon(devnet);
    const randao = new RandaoSource();
    const fetcher = new Fetcher({ beacon, network: devnet, awaitRandao: randao.await });
    const slot = 64 * 32 + 5;
    const duty = newDuty(slot, DutyType.Proposer);
    let done = false;
    const pending = fetcher.fetch(duty, new Map([[A.dv, proposer(A.dv, slot, 42)]])).finally(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(randao.waiting.map((w) => [w.slot, w.dv])).toEqual([[slot, A.dv]]);
    expect(beacon.produceCalls).toHaveLength(0);
    expect(done).toBe(false);

    const reveal = sign(A.secret, randaoSigningRoot(devnet, 64));
    randao.waiting[0]!.resolve(reveal);
    const set = await pending;
    expect(beacon.produceCalls).toEqual([{ slot, randao: reveal }]);
    const value = set.get(A.dv)!;
    const proposal = decodeProposalValue(value);
    expect(proposal).toMatchObject({ fork: 'fulu', blinded: false, executionPayloadValue: '31', consensusBlockValue: '32' });
    const block = proposalBlock(proposal);
    expect(block.slot).toBe(slot);
    expect(block.proposerIndex).toBe(42);
    expect(block.body.randaoReveal).toEqual(reveal);
    // what the key shares sign: the block inside the contents
    const message = decodeProposerMessage(proposalSigningMessage(value));
    expect(ssz.fulu.BeaconBlock.equals(message.block as never, block as never)).toBe(true);
    // the value passes the validity predicate every node runs
    checkProposerValue(devnet, duty, proposer(A.dv, slot, 42), value);
  });

  it('refuses a block for another proposer, and stops when aborted while waiting for the randao', async () => {
    const beacon = new FakeBeacon(devnet);
    const randao = new RandaoSource();
    const fetcher = new Fetcher({ beacon, network: devnet, awaitRandao: randao.await });
    const slot = 64 * 32 + 6;
    beacon.proposerIndex = 43;
    const wrong = codeOf(fetcher.fetch(newDuty(slot, DutyType.Proposer), new Map([[A.dv, proposer(A.dv, slot, 42)]])));
    await new Promise((resolve) => setImmediate(resolve));
    randao.waiting[0]!.resolve(sign(A.secret, randaoSigningRoot(devnet, 64)));
    expect(await wrong).toBe('INVALID_BEACON_DATA');

    const controller = new AbortController();
    const aborted = fetcher.fetch(newDuty(slot, DutyType.Proposer), new Map([[B.dv, proposer(B.dv, slot, 42)]]), controller.signal);
    controller.abort(new Error('duty expired'));
    await expect(aborted).rejects.toThrow('duty expired');
    expect(beacon.produceCalls).toHaveLength(1);
  });
});

describe('validity predicate helpers', () => {
  const slot = 64 * 32 + 7;
  const duty = newDuty(slot, DutyType.Attester);
  const data = (change: Partial<phase0.AttestationData> = {}): Uint8Array =>
    encodeAttesterMessage({ slot, index: 0, beaconBlockRoot: new Uint8Array(32), source: { epoch: 63, root: new Uint8Array(32) }, target: { epoch: 64, root: new Uint8Array(32) }, ...change });

  it('checkAttesterValue: right slot, index 0 from Electra, target in the slot epoch, decodes', () => {
    checkAttesterValue(devnet, duty, data());
    expectUnfit(() => checkAttesterValue(devnet, duty, data({ slot: slot + 1 })), /for slot/);
    expectUnfit(() => checkAttesterValue(devnet, duty, data({ index: 2 })), /index must be 0/);
    expectUnfit(() => checkAttesterValue(devnet, duty, data({ target: { epoch: 63, root: new Uint8Array(32) } })), /target epoch/);
    expectUnfit(() => checkAttesterValue(devnet, duty, data({ source: { epoch: 65, root: new Uint8Array(32) }, target: { epoch: 64, root: new Uint8Array(32) } })), /source epoch/);
    expect(() => checkAttesterValue(devnet, duty, new Uint8Array(127))).toThrow(DvError);
    // before Electra the committee index is kept
    checkAttesterValue(hoodi, newDuty(100, DutyType.Attester), encodeAttesterMessage({ slot: 100, index: 3, beaconBlockRoot: new Uint8Array(32), source: { epoch: 2, root: new Uint8Array(32) }, target: { epoch: 3, root: new Uint8Array(32) } }));
  });

  it('checkProposerValue: fork of the slot, slot, proposer index, the DV randao reveal', () => {
    const proposalSlot = 64 * 32 + 8;
    const pduty = newDuty(proposalSlot, DutyType.Proposer);
    const value = (fork: ForkName, change: { slot?: number; proposerIndex?: number; randao?: Uint8Array } = {}): Uint8Array => {
      const block = anyType(fork, 'BeaconBlock').defaultValue() as BeaconBlock;
      block.slot = change.slot ?? proposalSlot;
      block.proposerIndex = change.proposerIndex ?? 42;
      block.body.randaoReveal = change.randao ?? sign(A.secret, randaoSigningRoot(devnet, 64));
      const ssz = ForkSeq[fork] >= ForkSeq.deneb ? anyType(fork, 'BlockContents').serialize({ block, kzgProofs: [], blobs: [] }) : anyType(fork, 'BeaconBlock').serialize(block);
      return encodeProposalValue({ fork, blinded: false, executionPayloadValue: '0', consensusBlockValue: '0', ssz });
    };
    const definition = proposer(A.dv, proposalSlot, 42);
    checkProposerValue(devnet, pduty, definition, value(ForkName.fulu));
    expectUnfit(() => checkProposerValue(devnet, pduty, definition, value(ForkName.electra)), /electra block at a fulu slot/);
    expectUnfit(() => checkProposerValue(devnet, pduty, definition, value(ForkName.fulu, { slot: proposalSlot + 1 })), /block for slot/);
    expectUnfit(() => checkProposerValue(devnet, pduty, definition, value(ForkName.fulu, { proposerIndex: 41 })), /proposer 41/);
    expectUnfit(() => checkProposerValue(devnet, pduty, definition, value(ForkName.fulu, { randao: sign(B.secret, randaoSigningRoot(devnet, 64)) })), /randao reveal/);
    expectUnfit(() => checkProposerValue(devnet, pduty, definition, value(ForkName.fulu, { randao: sign(A.secret, randaoSigningRoot(devnet, 63)) })), /randao reveal/);
    expectUnfit(() => checkProposerValue(devnet, pduty, definition, new Uint8Array([1, 2, 3])), /proposal/);
  });
});
