import { describe, expect, it } from '@jest/globals';
import { type Type } from '@chainsafe/ssz';
import { ForkName } from '@lodestar/params';
import { type BeaconBlock, type phase0, ssz, sszTypesFor } from '@lodestar/types';
import {
  DutyType,
  ManualClock,
  SlotTimes,
  decodeProposerMessage,
  encodeAttesterMessage,
  encodeProposalValue,
  newDuty,
  toDvPubkey,
  unsignedDataSet,
} from '../core/index.js';
import { DutyDb, DutyDbError } from './duty-db.js';

const SLOT_MS = 12_000;
const SLOTS_PER_EPOCH = 32;
const DV_A = toDvPubkey('0x' + 'a1'.repeat(48));
const DV_B = toDvPubkey('0x' + 'b2'.repeat(48));

function attestationData(slot: number, root = 7, index = 0): phase0.AttestationData {
  const epoch = Math.floor(slot / SLOTS_PER_EPOCH);
  return {
    slot,
    index,
    beaconBlockRoot: new Uint8Array(32).fill(root),
    source: { epoch: epoch - 1, root: new Uint8Array(32).fill(1) },
    target: { epoch, root: new Uint8Array(32).fill(2) },
  };
}

function fuluProposal(slot: number, proposerIndex: number, graffiti = 0): Uint8Array {
  const type = sszTypesFor(ForkName.fulu).BlockContents as unknown as Type<{ block: BeaconBlock; kzgProofs: Uint8Array[]; blobs: Uint8Array[] }>;
  const contents = type.defaultValue();
  contents.block.slot = slot;
  contents.block.proposerIndex = proposerIndex;
  contents.block.body.graffiti = new Uint8Array(32).fill(graffiti);
  contents.kzgProofs = [new Uint8Array(48).fill(9)];
  contents.blobs = [new Uint8Array(131072).fill(3)];
  return encodeProposalValue({ fork: 'fulu', blinded: false, executionPayloadValue: '123', consensusBlockValue: '456', ssz: type.serialize(contents) });
}

function setup(startMs = 0) {
  const clock = new ManualClock(startMs);
  const db = new DutyDb({ slotTimes: new SlotTimes(0, SLOT_MS), slotsPerEpoch: SLOTS_PER_EPOCH, clock });
  return { clock, db };
}

async function rejection(promise: Promise<unknown>): Promise<DutyDbError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DutyDbError);
  return error as DutyDbError;
}

describe('DutyDb', () => {
  it('blocks awaitAttestationData until the decision is stored, then serves it to every committee', async () => {
    const { db } = setup();
    const data = attestationData(40);
    let served: phase0.AttestationData | undefined;
    const pending = db.awaitAttestationData(40, 3).then((d) => (served = d));
    await Promise.resolve();
    expect(served).toBeUndefined();
    expect(db.size.waiters).toBe(1);
    db.store(newDuty(40, DutyType.Attester), unsignedDataSet([[DV_A, encodeAttesterMessage(data)], [DV_B, encodeAttesterMessage(data)]]));
    await pending;
    expect(ssz.phase0.AttestationData.equals(served!, data)).toBe(true);
    expect(db.size.waiters).toBe(0);
    // stored already: answers at once, whatever the committee
    expect(ssz.phase0.AttestationData.equals(await db.awaitAttestationData(40, 0), data)).toBe(true);
  });

  it('before Electra picks the data of the asked committee', async () => {
    const { db } = setup();
    const c1 = attestationData(41, 5, 1);
    const c2 = attestationData(41, 5, 2);
    db.store(newDuty(41, DutyType.Attester), unsignedDataSet([[DV_A, encodeAttesterMessage(c1)], [DV_B, encodeAttesterMessage(c2)]]));
    expect((await db.awaitAttestationData(41, 2)).index).toBe(2);
    expect((await db.awaitAttestationData(41, 1)).index).toBe(1);
  });

  it('waits for the asked DV: a proposal stored for another DV does not answer', async () => {
    const { db } = setup();
    const duty = newDuty(50, DutyType.Proposer);
    let got: string | undefined;
    const pending = db.awaitProposal(50, DV_B).then((p) => (got = p.fork));
    db.store(duty, unsignedDataSet([[DV_A, fuluProposal(50, 1)]]));
    await Promise.resolve();
    expect(got).toBeUndefined();
    db.store(duty, unsignedDataSet([[DV_B, fuluProposal(50, 2)]]));
    await pending;
    expect(got).toBe('fulu');
    const proposal = await db.awaitProposal(50, DV_B);
    expect(proposal).toMatchObject({ fork: 'fulu', blinded: false, executionPayloadValue: '123', consensusBlockValue: '456' });
  });

  it('rejects a wait at the duty deadline: the end of the epoch after the duty', async () => {
    const { clock, db } = setup(40 * SLOT_MS);
    const pending = rejection(db.awaitAttestationData(40, 0));
    clock.advanceTo(96 * SLOT_MS - 1); // slot 40 is in epoch 1: its deadline is the start of epoch 3
    expect(db.size.waiters).toBe(1);
    clock.advanceTo(96 * SLOT_MS);
    const error = await pending;
    expect(error.code).toBe('EXPIRED');
    expect(error.message).toMatch(/slot 40 attester/);
    expect(db.size.waiters).toBe(0);
    expect(clock.pending).toBe(0);
    // a later wait for the same duty fails at once
    expect((await rejection(db.awaitAttestationData(40, 0))).code).toBe('EXPIRED');
  });

  it('rejects on abort and frees the waiter and its deadline timer', async () => {
    const { clock, db } = setup();
    const controller = new AbortController();
    const pending = rejection(db.awaitProposal(10, DV_A, controller.signal));
    expect(clock.pending).toBe(1);
    controller.abort(new Error('client went away'));
    const error = await pending;
    expect(error.code).toBe('ABORTED');
    expect(error.message).toMatch(/client went away/);
    expect(clock.pending).toBe(0);
    expect(db.size.waiters).toBe(0);
    expect((await rejection(db.awaitProposal(10, DV_A, controller.signal))).code).toBe('ABORTED');
  });

  it('refuses a different value for a stored (duty, DV) and keeps the first; the same value again is fine', () => {
    const { db } = setup();
    const duty = newDuty(40, DutyType.Attester);
    const first = encodeAttesterMessage(attestationData(40, 7));
    db.store(duty, unsignedDataSet([[DV_A, first]]));
    db.store(duty, unsignedDataSet([[DV_A, first.slice()]]));
    let caught: unknown;
    try {
      // all or nothing: DV_B is not stored either
      db.store(duty, unsignedDataSet([[DV_B, first], [DV_A, encodeAttesterMessage(attestationData(40, 8))]]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DutyDbError);
    expect((caught as DutyDbError).code).toBe('CONFLICTING_VALUE');
    expect(db.decidedValue(duty, DV_A)).toEqual(first);
    expect(db.decidedValue(duty, DV_B)).toBeUndefined();

    const proposer = newDuty(60, DutyType.Proposer);
    db.store(proposer, unsignedDataSet([[DV_A, fuluProposal(60, 4, 1)]]));
    expect(() => db.store(proposer, unsignedDataSet([[DV_A, fuluProposal(60, 4, 2)]]))).toThrow(/different value/);
  });

  it('refuses values that are not the data of their duty', () => {
    const { db } = setup();
    const expectInvalid = (fn: () => void): void => {
      try {
        fn();
        throw new Error('no error');
      } catch (error) {
        expect(error).toBeInstanceOf(DutyDbError);
        expect((error as DutyDbError).code).toBe('INVALID_VALUE');
      }
    };
    expectInvalid(() => db.store(newDuty(40, DutyType.Attester), unsignedDataSet([[DV_A, encodeAttesterMessage(attestationData(41))]])));
    expectInvalid(() => db.store(newDuty(40, DutyType.Attester), unsignedDataSet([[DV_A, new Uint8Array(100)]])));
    expectInvalid(() => db.store(newDuty(60, DutyType.Proposer), unsignedDataSet([[DV_A, fuluProposal(61, 4)]])));
    expectInvalid(() => db.store(newDuty(60, DutyType.Proposer), unsignedDataSet([[DV_A, new Uint8Array([1, 2, 3, 4, 5, 6, 7])]])));
    expect(db.size.duties).toBe(0);
  });

  it('gives the exact bytes a partial must sign: attestation data SSZ, or the proposer message of the block inside the contents', () => {
    const { db } = setup();
    const att = newDuty(40, DutyType.Attester);
    const bytes = encodeAttesterMessage(attestationData(40));
    db.store(att, unsignedDataSet([[DV_A, bytes]]));
    expect(db.decidedSigningMessage(att, DV_A)).toEqual(bytes);
    expect(db.decidedSigningMessage(att, DV_B)).toBeUndefined();

    const prop = newDuty(60, DutyType.Proposer);
    db.store(prop, unsignedDataSet([[DV_A, fuluProposal(60, 9)]]));
    const message = decodeProposerMessage(db.decidedSigningMessage(prop, DV_A)!);
    expect(message.fork).toBe('fulu');
    expect(message.blinded).toBe(false);
    expect(message.block.slot).toBe(60);
    expect(message.block.proposerIndex).toBe(9);
  });

  it('prunes old duties: their values go, their waiters are rejected, later stores are refused', async () => {
    const { db } = setup();
    db.store(newDuty(5, DutyType.Attester), unsignedDataSet([[DV_A, encodeAttesterMessage(attestationData(5))]]));
    const old = rejection(db.awaitAttestationData(6, 0));
    const kept = db.awaitAttestationData(20, 0);
    db.prune(10);
    expect((await old).code).toBe('PRUNED');
    expect(db.decidedValue(newDuty(5, DutyType.Attester), DV_A)).toBeUndefined();
    expect(() => db.store(newDuty(9, DutyType.Attester), unsignedDataSet([[DV_A, encodeAttesterMessage(attestationData(9))]]))).toThrow(DutyDbError);
    db.store(newDuty(20, DutyType.Attester), unsignedDataSet([[DV_A, encodeAttesterMessage(attestationData(20))]]));
    expect((await kept).slot).toBe(20);
  });

  it('bounds the number of waiting queries', async () => {
    const db = new DutyDb({ clock: new ManualClock(), maxWaiters: 2 });
    const a = db.awaitProposal(1, DV_A);
    const b = db.awaitProposal(2, DV_A);
    expect((await rejection(db.awaitProposal(3, DV_A))).code).toBe('TOO_MANY_WAITERS');
    db.prune(5);
    await expect(a).rejects.toThrow(/pruned/);
    await expect(b).rejects.toThrow(/pruned/);
  });
});
