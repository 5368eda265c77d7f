import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  type Eth2Error,
  ManualClock,
  currentEpoch,
  currentSlot,
  epochStartSlot,
  getNetwork,
  slotAtTime,
  slotStartMs,
  slotStartTime,
  slotToEpoch,
  systemClock,
} from './index.js';

const mainnet = getNetwork('mainnet');
const gnosis = getNetwork('gnosis');

describe('slot and epoch arithmetic', () => {
  it('uses the network’s slots per epoch', () => {
    expect(slotToEpoch(mainnet, 6209536)).toBe(194048);
    expect(slotToEpoch(mainnet, 6209535)).toBe(194047);
    expect(slotToEpoch(gnosis, 33)).toBe(2);
    expect(epochStartSlot(mainnet, 194048)).toBe(6209536);
    expect(epochStartSlot(gnosis, 648704)).toBe(10379264);
  });

  it('puts every slot of an epoch in that epoch', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 31 }), (epoch, offset) => {
        expect(slotToEpoch(mainnet, epochStartSlot(mainnet, epoch) + offset)).toBe(epoch);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the slot start time: mainnet Capella started 2023-04-12T22:27:35Z', () => {
    expect(slotStartTime(mainnet, 0)).toBe(mainnet.genesisTime);
    expect(slotStartTime(mainnet, 6209536)).toBe(Date.parse('2023-04-12T22:27:35Z') / 1000);
    expect(slotStartMs(gnosis, 10)).toBe((gnosis.genesisTime + 50) * 1000);
  });

  it('rejects negative and fractional slots and epochs', () => {
    for (const call of [() => slotToEpoch(mainnet, -1), () => epochStartSlot(mainnet, 0.5), () => slotStartTime(mainnet, Number.NaN)]) {
      expect(call).toThrow(/expected a non-negative integer/);
      try {
        call();
      } catch (err) {
        expect((err as Eth2Error).code).toBe('INVALID_INTEGER');
      }
    }
  });
});

describe('clock', () => {
  it('drives slots and epochs without sleeping', () => {
    const devnet = getNetwork('devnet', { genesisTime: 1000, secondsPerSlot: 2 });
    const clock = new ManualClock(999_999);
    expect(currentSlot(devnet, clock)).toBeNull();
    expect(currentEpoch(devnet, clock)).toBeNull();
    clock.set(1_000_000);
    expect(currentSlot(devnet, clock)).toBe(0);
    clock.advance(1999);
    expect(currentSlot(devnet, clock)).toBe(0);
    clock.advance(1);
    expect(currentSlot(devnet, clock)).toBe(1);
    clock.advance(2000 * 31);
    expect([currentSlot(devnet, clock), currentEpoch(devnet, clock)]).toEqual([32, 1]);
    expect(slotAtTime(devnet, slotStartMs(devnet, 77))).toBe(77);
  });

  it('system clock follows Date.now', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(currentSlot(mainnet, systemClock)).toBeGreaterThan(6209536);
  });
});
