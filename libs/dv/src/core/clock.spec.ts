import { describe, expect, it } from '@jest/globals';
import { ManualClock, SlotTimes, systemClock } from './clock.js';
import { DvError } from './errors.js';

describe('ManualClock', () => {
  it('runs due timers in time order, each at its own time, including timers set while advancing', () => {
    const clock = new ManualClock(1000);
    const log: string[] = [];
    clock.at(1300, () => log.push(`c@${clock.now()}`));
    clock.at(1100, () => {
      log.push(`a@${clock.now()}`);
      clock.at(1150, () => log.push(`a2@${clock.now()}`));
    });
    clock.at(1100, () => log.push(`b@${clock.now()}`));
    const cancel = clock.at(1200, () => log.push('cancelled'));
    cancel();
    clock.advance(250);
    expect(log).toEqual(['a@1100', 'b@1100', 'a2@1150']);
    expect(clock.now()).toBe(1250);
    expect(clock.pending).toBe(1);
    clock.advanceTo(1300);
    expect(log.at(-1)).toBe('c@1300');
    expect(() => clock.advanceTo(1299)).toThrow(DvError);
  });
});

describe('systemClock', () => {
  it('fires a timer at its time and not after cancel', async () => {
    const fired: number[] = [];
    const target = systemClock.now() + 20;
    systemClock.at(target, () => fired.push(systemClock.now()));
    const cancel = systemClock.at(target, () => fired.push(-1));
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fired).toHaveLength(1);
    expect(fired[0]!).toBeGreaterThanOrEqual(target - 1);
  });
});

describe('SlotTimes', () => {
  it('maps slots to start times and back', () => {
    const times = SlotTimes.fromSeconds(1_600_000_000, 12);
    expect(times.startMs(10)).toBe(1_600_000_120_000);
    expect(times.slotAt(1_600_000_120_000)).toBe(10);
    expect(times.slotAt(1_600_000_131_999)).toBe(10);
    expect(times.slotAt(1_599_999_999_000)).toBe(-1);
  });

  it('refuses a bad genesis or slot duration with INVALID_CONFIG', () => {
    expect(() => new SlotTimes(Number.NaN, 12_000)).toThrow(/genesis time/);
    expect(() => new SlotTimes(0, 0)).toThrow(/slot duration must be a positive/);
    let caught: unknown;
    try {
      new SlotTimes(0, -5);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DvError);
    expect((caught as DvError).code).toBe('INVALID_CONFIG');
  });
});
