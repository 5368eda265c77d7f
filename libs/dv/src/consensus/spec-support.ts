/** Helpers for this folder's specs: n Consensus nodes on an in-memory network and a manual clock. */
import { createQbftSigner, encodeQbftEnvelope, signQbftMessage, ZERO_HASH, type QbftMessage, type QbftSigner } from '@dvt/qbft';
import { DutyType, ManualClock, SlotTimes, dutyKey, newDuty, unsignedDataSet, type Duty, type UnsignedDataSet } from '../core/index.js';
import { Consensus, type ConsensusObserver, type ConsensusOptions, type DutyConsensusConfig } from './consensus.js';
import { InMemoryConsensusNetwork } from './in-memory-network.js';

export const GENESIS_MS = 1_700_000_000_000;
/** attester defaults for 1.2 s slots: round 1 at +400 ms, rounds of 100, 125, 150 … ms, deadline +2400 ms */
export const SLOT_MS = 1200;
export const ATTESTER_OFFSET_MS = SLOT_MS / 3;
export const DV_KEYS = [1, 2, 3].map((b) => new Uint8Array(48).fill(b));

export const attester = (slot: number): Duty => newDuty(slot, DutyType.Attester);
/** leader of round `round` of an attester duty with 4 nodes */
export const leader = (slot: number, round = 1, n = 4): number => (slot + DutyType.Attester + round) % n;

/** What node `node` fetched for `duty`: the same DVs, data naming the node, so the decided value shows whose value won. */
export function valueOf(node: number, duty: Duty, marker = ''): UnsignedDataSet {
  return unsignedDataSet(DV_KEYS.map((key, i) => [key, new TextEncoder().encode(`${marker}node ${node} slot ${duty.slot} dv ${i}`)] as const));
}

export function whoseValue(value: UnsignedDataSet): string {
  return new TextDecoder().decode(value.values().next().value!).replace(/ dv 0$/, '');
}

export function testSigners(n: number): QbftSigner[] {
  return Array.from({ length: n }, (_, i) => {
    const key = new Uint8Array(32);
    key[0] = 0x42;
    key[31] = i + 1;
    return createQbftSigner(key);
  });
}

export interface Decided {
  duty: Duty;
  value: UnsignedDataSet;
  round: number;
}

export interface TestClusterOptions {
  n?: number;
  duties?: ConsensusOptions['duties'];
  observer?: (node: number) => ConsensusObserver;
  extra?: Partial<ConsensusOptions>;
  /** per-node options, applied after `extra` */
  extraFor?: (node: number) => Partial<ConsensusOptions>;
}

export class TestCluster {
  readonly n: number;
  readonly clock = new ManualClock(GENESIS_MS);
  readonly slotTimes = new SlotTimes(GENESIS_MS, SLOT_MS);
  readonly network: InMemoryConsensusNetwork;
  readonly signers: QbftSigner[];
  readonly nodes: Consensus[];
  readonly decided: Decided[][];

  constructor(options: TestClusterOptions = {}) {
    this.n = options.n ?? 4;
    this.network = new InMemoryConsensusNetwork(this.n);
    this.signers = testSigners(this.n);
    this.decided = Array.from({ length: this.n }, () => []);
    const attesterConfig: DutyConsensusConfig = { isValid: () => true };
    this.nodes = this.signers.map(
      (signer, i) =>
        new Consensus({
          nodeIndex: i,
          peers: this.signers.map((s) => s.publicKey),
          signer,
          transport: this.network.transport(i),
          slotTimes: this.slotTimes,
          clock: this.clock,
          timers: this.clock,
          duties: options.duties ?? { [DutyType.Attester]: attesterConfig },
          observer: options.observer?.(i),
          ...options.extra,
          ...options.extraFor?.(i),
        }),
    );
    this.nodes.forEach((node, i) => node.subscribe((duty, value, info) => this.decided[i]!.push({ duty, value, round: info.round })));
  }

  slotStart(slot: number): number {
    return this.slotTimes.startMs(slot);
  }

  /** Moves time forward in 5 ms steps, delivering all messages after each step. */
  runUntil(timeMs: number): void {
    this.network.deliverAll();
    while (this.clock.now() < timeMs) {
      this.clock.advanceTo(Math.min(timeMs, this.clock.now() + 5));
      this.network.deliverAll();
    }
  }

  /** Every listed node proposes its own value for `duty`. */
  proposeAll(duty: Duty, nodes: number[] = [...this.nodes.keys()]): void {
    for (const i of nodes) this.nodes[i]!.propose(duty, valueOf(i, duty));
  }

  /** What each node decided for `duty`: `node k slot s` of the winning value, undefined if none. */
  decisionsFor(duty: Duty): (string | undefined)[] {
    return this.decided.map((list) => {
      const found = list.filter((d) => dutyKey(d.duty) === dutyKey(duty));
      if (found.length > 1) throw new Error(`duty ${dutyKey(duty)} delivered ${found.length} times`);
      return found[0] ? whoseValue(found[0].value) : undefined;
    });
  }

  roundsFor(duty: Duty): (number | undefined)[] {
    return this.decided.map((list) => list.find((d) => dutyKey(d.duty) === dutyKey(duty))?.round);
  }

  /** A message node `source` signs for `duty`, as raw bytes; a PREPARE of some value unless overridden. */
  signedBytes(source: number, duty: { slot: number; type: number }, fields: Partial<QbftMessage> = {}): Uint8Array {
    const message: QbftMessage = {
      type: 2,
      duty,
      source,
      round: 1,
      valueHash: new Uint8Array(32).fill(7),
      preparedRound: 0,
      preparedValueHash: ZERO_HASH,
      ...fields,
    };
    return encodeQbftEnvelope({ signed: signQbftMessage(message, this.signers[source]!), justifications: [] });
  }
}
