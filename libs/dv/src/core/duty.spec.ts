import { describe, expect, it } from '@jest/globals';
import { ALL_DUTY_TYPES, DutyType, compareDuties, dutyKey, dutyTypeName, formatDuty, isDutyType, newDuty } from './duty.js';
import { DvError } from './errors.js';

describe('duties', () => {
  it('carries the wire numbers of DV-NODE.md', () => {
    expect(DutyType).toEqual({
      Proposer: 1,
      Attester: 2,
      Signature: 3,
      Exit: 4,
      BuilderRegistration: 6,
      Randao: 7,
      PrepareAggregator: 8,
      Aggregator: 9,
      SyncMessage: 10,
      PrepareSyncContribution: 11,
      SyncContribution: 12,
    });
    expect(ALL_DUTY_TYPES).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]);
    expect(dutyTypeName(2)).toBe('attester');
    expect(dutyTypeName(5)).toBe('duty type 5');
  });

  it('builds frozen duties with a key, a label and an order', () => {
    const duty = newDuty(12, DutyType.Attester);
    expect(Object.isFrozen(duty)).toBe(true);
    expect(dutyKey(duty)).toBe('12/2');
    expect(formatDuty(duty)).toBe('slot 12 attester');
    const sorted = [newDuty(3, 2), newDuty(2, 9), newDuty(2, 1)].sort(compareDuties);
    expect(sorted.map(dutyKey)).toEqual(['2/1', '2/9', '3/2']);
  });

  it('refuses bad slots and duty types with INVALID_DUTY naming the field', () => {
    const cases: [number, number, RegExp, string][] = [
      [-1, 2, /slot must be a non-negative/, 'slot'],
      [1.5, 2, /slot must be/, 'slot'],
      [2 ** 53, 2, /slot must be/, 'slot'],
      [1, 5, /deprecated builder proposer/, 'type'],
      [1, 0, /is not a duty type/, 'type'],
      [1, 13, /is not a duty type/, 'type'],
    ];
    for (const [slot, type, message, field] of cases) {
      try {
        newDuty(slot, type);
        throw new Error('expected a throw');
      } catch (error) {
        expect(error).toBeInstanceOf(DvError);
        expect((error as DvError).code).toBe('INVALID_DUTY');
        expect((error as DvError).message).toMatch(message);
        expect((error as DvError).details).toEqual({ field });
      }
    }
    expect(isDutyType(2)).toBe(true);
    expect(isDutyType('2')).toBe(false);
    expect(isDutyType(5)).toBe(false);
  });
});
