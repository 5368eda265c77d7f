/** Shared checks of the DV node simulation tests: which duties the beacon mock saw completed. */
import { type DvNodeLogger } from '@dvt/dv';
import { type SimulatedCluster } from '@dvt/testing';

/** Slot at which validator `index` attests in `epoch` (the beacon mock's deterministic duties). */
export function attesterSlot(sim: SimulatedCluster, index: number, epoch: number): number {
  const spe = sim.network.slotsPerEpoch;
  return epoch * spe + ((index + epoch) % spe);
}

export interface Coverage {
  /** attester duties (validator, slot) in the range */
  expectedAttestations: number;
  /** of those, broadcast with one distinct signing root */
  completeAttestations: number;
  missingAttestations: string[];
  /** (validator, slot) pairs with more than one distinct signed attestation */
  conflictingAttestations: string[];
  expectedBlocks: number;
  completeBlocks: number;
  missingBlocks: number[];
  conflictingBlocks: number[];
}

/** What the beacon mock received for the slots [from, to]. */
export function coverage(sim: SimulatedCluster, from: number, to: number): Coverage {
  const chain = sim.beacon.chain!;
  const dvCount = sim.cluster.lock.distributed_validators.length;
  const c: Coverage = {
    expectedAttestations: 0,
    completeAttestations: 0,
    missingAttestations: [],
    conflictingAttestations: [],
    expectedBlocks: 0,
    completeBlocks: 0,
    missingBlocks: [],
    conflictingBlocks: [],
  };
  const spe = sim.network.slotsPerEpoch;
  for (let epoch = Math.floor(from / spe); epoch <= Math.floor(to / spe); epoch++) {
    for (let index = 0; index < dvCount; index++) {
      const slot = attesterSlot(sim, index, epoch);
      if (slot < from || slot > to) continue;
      c.expectedAttestations++;
      const roots = new Set(chain.attestations.filter((a) => a.validatorIndex === index && a.data.slot === slot).map((a) => a.signingRoot));
      if (roots.size === 1) c.completeAttestations++;
      else if (roots.size === 0) c.missingAttestations.push(`validator ${index} slot ${slot}`);
      else c.conflictingAttestations.push(`validator ${index} slot ${slot}`);
    }
  }
  for (let slot = from; slot <= to; slot++) {
    c.expectedBlocks++;
    const roots = new Set(chain.blocks.filter((b) => b.slot === slot).map((b) => b.signingRoot));
    if (roots.size === 1) c.completeBlocks++;
    else if (roots.size === 0) c.missingBlocks.push(slot);
    else c.conflictingBlocks.push(slot);
  }
  return c;
}

/** A logger that keeps lines in memory (never prints), with a filter helper. */
export function memoryLogger(): DvNodeLogger & { lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push({ level, msg, fields });
  };
  return { lines, debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}
