import { describe, expect, it } from '@jest/globals';
import { DutyType, DvError, newDuty, toDvPubkey } from '../core/index.js';
import { AggregatedSignatureDb } from './aggregated-signature-db.js';

const randao = newDuty(64, DutyType.Randao);
const dv = toDvPubkey(new Uint8Array(48).fill(0xa1));
const other = toDvPubkey(new Uint8Array(48).fill(0xb2));
const agg = (fill: number) => ({ message: new Uint8Array(8).fill(2), signature: new Uint8Array(96).fill(fill) });

describe('AggregatedSignatureDb', () => {
  it('stores one signature per (duty, DV): the same again is a no-op, a different one a typed error', () => {
    const db = new AggregatedSignatureDb();
    db.store(randao, dv, agg(1));
    db.store(randao, dv, agg(1));
    expect(() => db.store(randao, dv, agg(2))).toThrow(expect.objectContaining({ code: 'SUBMISSION_MISMATCH' }));
    expect(db.get(randao, dv)!.signature).toEqual(agg(1).signature);
    expect(db.get(randao, other)).toBeUndefined();
    expect(db.get(newDuty(64, DutyType.Proposer), dv)).toBeUndefined();
    expect(db.size).toBe(1);
  });

  it('await resolves at once when stored, or when it gets stored (the randao reveal before the block fetch)', async () => {
    const db = new AggregatedSignatureDb();
    const waiting = db.await(randao, dv);
    const second = db.await(randao, dv);
    expect(db.waiting).toBe(1);
    db.store(randao, other, agg(3));
    db.store(randao, dv, agg(4));
    expect((await waiting).signature).toEqual(agg(4).signature);
    expect((await second).signature).toEqual(agg(4).signature);
    expect((await db.await(randao, other)).signature).toEqual(agg(3).signature);
    expect(db.waiting).toBe(0);
  });

  it('await rejects with the abort reason, and forgets the waiter', async () => {
    const db = new AggregatedSignatureDb();
    const controller = new AbortController();
    const waiting = db.await(randao, dv, controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(db.waiting).toBe(0);
    await expect(db.await(randao, dv, controller.signal)).rejects.toThrow('deadline');
  });

  it('prune forgets old duties and rejects their waiters with a typed error', async () => {
    const db = new AggregatedSignatureDb();
    db.store(randao, dv, agg(1));
    const later = newDuty(96, DutyType.Randao);
    db.store(later, dv, agg(2));
    const waiting = db.await(newDuty(70, DutyType.Randao), dv);
    const kept = db.await(later, other);
    db.prune(96);
    await expect(waiting).rejects.toBeInstanceOf(DvError);
    expect(db.get(randao, dv)).toBeUndefined();
    expect(db.get(later, dv)!.signature).toEqual(agg(2).signature);
    await expect(db.await(randao, dv)).rejects.toThrow(/pruned/);
    db.store(later, other, agg(5));
    expect((await kept).signature).toEqual(agg(5).signature);
  });
});
