import { describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@dvt/common';
import { DutyType, DvError, encodeAttesterMessage, newDuty, type PartialSignatureBatch, type ThresholdPartials } from '../core/index.js';
import { PartialSignatureDb, type PartialRefusal } from './partial-signature-db.js';
import { attestationData, duty, testDv } from './spec-support.js';

function observedDb(options: { maxDuties?: number } = {}) {
  const refusals: string[] = [];
  const fired: ThresholdPartials[] = [];
  const internal: PartialSignatureBatch[] = [];
  const db = new PartialSignatureDb({
    threshold: 3,
    ...options,
    observer: { onRefused: (_duty, _dv, share, reason: PartialRefusal) => refusals.push(`${share}:${reason}`) },
  });
  db.onThreshold((ready) => fired.push(ready));
  db.onInternal((batch) => internal.push(batch));
  return { db, refusals, fired, internal };
}

describe('PartialSignatureDb', () => {
  it('fires once per (duty, DV) when t partials over one message exist; re-deliveries are no-ops', () => {
    const a = testDv();
    const { db, fired, internal, refusals } = observedDb();
    db.storeInternal(duty, new Map([[a.key, a.partial(1)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(2)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(2)]]));
    db.storeInternal(duty, new Map([[a.key, a.partial(1)]]));
    expect(fired).toHaveLength(0);
    db.storeExternal(duty, new Map([[a.key, a.partial(3)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(4)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(3)]]));
    expect(fired).toHaveLength(1);
    expect(fired[0]!.duty).toEqual(duty);
    expect(fired[0]!.dv).toBe(a.key);
    expect(fired[0]!.partials.map((p) => p.shareIndex)).toEqual([1, 2, 3]);
    expect(db.shareIndexesOf(duty, a.key)).toEqual([1, 2, 3, 4]);
    expect(internal).toHaveLength(1); // the re-delivered own partial is not sent again
    expect(refusals).toEqual([]);
  });

  it('never combines partials over different messages, and fires when t agree', () => {
    const a = testDv();
    const { db, fired } = observedDb();
    db.storeExternal(duty, new Map([[a.key, a.partial(1, 1)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(2, 1)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(3, 2)]]));
    expect(fired).toHaveLength(0);
    db.storeExternal(duty, new Map([[a.key, a.partial(4, 1)]]));
    expect(fired).toHaveLength(1);
    expect(fired[0]!.partials.map((p) => p.shareIndex)).toEqual([1, 2, 4]);
    expect(new Set(fired[0]!.partials.map((p) => bytesToHex(p.message)))).toEqual(new Set([bytesToHex(encodeAttesterMessage(attestationData(1)))]));
  });

  it('two against two over different messages never fire', () => {
    const a = testDv();
    const { db, fired } = observedDb();
    db.storeExternal(duty, new Map([[a.key, a.partial(1, 1)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(2, 2)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(3, 1)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(4, 2)]]));
    expect(fired).toHaveLength(0);
  });

  it('keeps DVs and duties apart', () => {
    const a = testDv();
    const b = testDv();
    const { db, fired } = observedDb();
    const randao = newDuty(duty.slot, DutyType.Randao);
    db.storeExternal(duty, new Map([[a.key, a.partial(1)], [b.key, b.partial(1)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(2)], [b.key, b.partial(2)]]));
    db.storeExternal(randao, new Map([[a.key, a.partial(3)]]));
    expect(fired).toHaveLength(0);
    db.storeExternal(duty, new Map([[b.key, b.partial(4)]]));
    expect(fired.map((f) => f.dv)).toEqual([b.key]);
    expect(db.participation(duty)).toEqual(new Map([[1, 2], [2, 2], [4, 1]]));
  });

  it('keeps the first partial of a share index: a different one is refused (typed error for the own VC, reported for peers)', () => {
    const a = testDv();
    const { db, refusals, internal, fired } = observedDb();
    db.storeInternal(duty, new Map([[a.key, a.partial(1, 1)]]));
    let thrown: unknown;
    try {
      db.storeInternal(duty, new Map([[a.key, a.partial(1, 2)]]));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DvError);
    expect((thrown as DvError).code).toBe('SUBMISSION_MISMATCH');
    db.storeExternal(duty, new Map([[a.key, a.partial(2, 1)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(2, 2)]]));
    expect(refusals).toEqual(['1:conflicting_partial', '2:conflicting_partial']);
    expect(internal).toHaveLength(1);
    db.storeExternal(duty, new Map([[a.key, a.partial(3, 1)]]));
    expect(fired).toHaveLength(1);
    expect(bytesToHex(fired[0]!.partials[0]!.message)).toBe(bytesToHex(encodeAttesterMessage(attestationData(1))));
  });

  it('prunes duties below a slot and refuses their late partials', () => {
    const a = testDv();
    const { db, refusals, fired } = observedDb();
    db.storeExternal(duty, new Map([[a.key, a.partial(1)]]));
    db.storeExternal(newDuty(10, DutyType.Attester), new Map([[a.key, a.partial(1)]]));
    expect(db.dutyCount).toBe(2);
    db.prune(10);
    expect(db.dutyCount).toBe(1);
    expect(db.shareIndexesOf(duty, a.key)).toEqual([]);
    db.storeExternal(duty, new Map([[a.key, a.partial(2)]]));
    db.storeExternal(duty, new Map([[a.key, a.partial(3)]]));
    expect(refusals).toEqual(['2:duty_pruned', '3:duty_pruned']);
    expect(fired).toHaveLength(0);
  });

  it('bounds memory: the oldest duty makes room, never an older one over newer ones, and an evicted duty never fires', () => {
    const a = testDv();
    const { db, refusals, fired } = observedDb({ maxDuties: 2 });
    const at = (slot: number) => newDuty(slot, DutyType.Attester);
    db.storeExternal(at(5), new Map([[a.key, a.partial(1)]]));
    db.storeExternal(at(5), new Map([[a.key, a.partial(2)]]));
    db.storeExternal(at(6), new Map([[a.key, a.partial(1)]]));
    db.storeExternal(at(7), new Map([[a.key, a.partial(1)]])); // evicts slot 5
    expect(db.dutyCount).toBe(2);
    db.storeExternal(at(4), new Map([[a.key, a.partial(1)]])); // older than all kept: refused
    db.storeExternal(at(5), new Map([[a.key, a.partial(3)]])); // evicted: does not start over
    expect(refusals).toEqual(['1:too_many_duties', '3:duty_pruned']);
    expect(fired).toHaveLength(0);
  });

  it('a throwing threshold listener does not stop the others and is reported', () => {
    const a = testDv();
    const errors: unknown[] = [];
    const db = new PartialSignatureDb({ threshold: 3, onListenerError: (e) => errors.push(e) });
    const fired: ThresholdPartials[] = [];
    db.onThreshold(() => {
      throw new Error('boom');
    });
    db.onThreshold((ready) => fired.push(ready));
    for (const share of [1, 2, 3]) db.storeExternal(duty, new Map([[a.key, a.partial(share)]]));
    expect(fired).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('refuses a threshold that is not a positive integer', () => {
    expect(() => new PartialSignatureDb({ threshold: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new PartialSignatureDb({ threshold: 2.5 })).toThrow(DvError);
  });
});
