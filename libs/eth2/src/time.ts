import { assertUint } from './input.js';
import { type NetworkConfig } from './networks.js';

type Timing = Pick<NetworkConfig, 'genesisTime' | 'secondsPerSlot' | 'slotsPerEpoch'>;

/** Source of the current time in unix milliseconds; inject it so tests drive slots without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that moves only when told to (tests, simulations). */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function slotToEpoch(network: Pick<NetworkConfig, 'slotsPerEpoch'>, slot: number): number {
  assertUint(slot, 'slot');
  return Math.floor(slot / network.slotsPerEpoch);
}

export function epochStartSlot(network: Pick<NetworkConfig, 'slotsPerEpoch'>, epoch: number): number {
  assertUint(epoch, 'epoch');
  return epoch * network.slotsPerEpoch;
}

/** Unix time (seconds) at which `slot` starts. */
export function slotStartTime(network: Timing, slot: number): number {
  assertUint(slot, 'slot');
  return network.genesisTime + slot * network.secondsPerSlot;
}

/** Unix time (milliseconds) at which `slot` starts. */
export function slotStartMs(network: Timing, slot: number): number {
  return slotStartTime(network, slot) * 1000;
}

/** The slot running at unix time `unixMs`; null before genesis. */
export function slotAtTime(network: Timing, unixMs: number): number | null {
  const sinceGenesis = unixMs - network.genesisTime * 1000;
  if (sinceGenesis < 0) return null;
  return Math.floor(sinceGenesis / (network.secondsPerSlot * 1000));
}

/** The current slot by `clock`; null before genesis. */
export function currentSlot(network: Timing, clock: Clock): number | null {
  return slotAtTime(network, clock.now());
}

/** The current epoch by `clock`; null before genesis. */
export function currentEpoch(network: Timing, clock: Clock): number | null {
  const slot = currentSlot(network, clock);
  return slot === null ? null : Math.floor(slot / network.slotsPerEpoch);
}

