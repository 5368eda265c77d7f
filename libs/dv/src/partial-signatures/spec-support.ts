import { attestationDataSigningRoot, getNetwork } from '@dvt/eth2';
import { generateSecretKey, sign, splitSecret } from '@dvt/tbls';
import { DutyType, encodeAttesterMessage, newDuty, toDvPubkey, type DvPubkey, type PartialSignature } from '../core/index.js';
import type { PartialSignatureMessaging } from './partial-signature-exchange.js';

/* Test support (not exported from the lib): real 3-of-4 BLS DVs and in-process messaging. */

export const network = getNetwork('devnet');
export const SLOT = 5;
export const duty = newDuty(SLOT, DutyType.Attester);

export const attestationData = (root: number, slot = SLOT) => ({
  slot,
  index: 0,
  beaconBlockRoot: new Uint8Array(32).fill(root),
  source: { epoch: 0, root: new Uint8Array(32) },
  target: { epoch: 0, root: new Uint8Array(32).fill(9) },
});

export interface TestDv {
  readonly key: DvPubkey;
  readonly publicKey: Uint8Array;
  readonly publicShares: Uint8Array[];
  /** share `share`'s partial over the attestation data with block root `root` */
  partial(share: number, root?: number, slot?: number): PartialSignature;
}

/** A fresh validator key split 3-of-4 at share indexes 1..4. */
export function testDv(): TestDv {
  const split = splitSecret(generateSecretKey(), 3, [1, 2, 3, 4]);
  return {
    key: toDvPubkey(split.publicKey),
    publicKey: split.publicKey,
    publicShares: split.publicShares.map((s) => s.publicKey),
    partial(share, root = 1, slot = SLOT) {
      const data = attestationData(root, slot);
      return { shareIndex: share, message: encodeAttesterMessage(data), signature: sign(split.shares[share - 1]!.secretKey, attestationDataSigningRoot(network, data)) };
    },
  };
}

/** n nodes' messaging in one process; messages are queued and handed over by `deliverAll`. */
export class TestNetwork {
  private readonly handlers: Map<string, Set<(from: number, payload: Uint8Array) => void>>[];
  private queue: { from: number; to: number; topic: string; payload: Uint8Array }[] = [];
  readonly down = new Set<number>();

  constructor(readonly size: number) {
    this.handlers = Array.from({ length: size }, () => new Map());
  }

  messaging(index: number): PartialSignatureMessaging {
    const post = (to: number, topic: string, payload: Uint8Array) => {
      if (to === index) return;
      if (!Number.isInteger(to) || to < 0 || to >= this.size) throw new Error(`unknown peer ${to}`);
      if (!this.down.has(index)) this.queue.push({ from: index, to, topic, payload });
    };
    return {
      send: post,
      broadcast: (topic, payload) => {
        for (let to = 0; to < this.size; to++) post(to, topic, payload);
      },
      subscribe: (topic, handler) => {
        const byTopic = this.handlers[index]!;
        let set = byTopic.get(topic);
        if (!set) byTopic.set(topic, (set = new Set()));
        set.add(handler);
        return () => set.delete(handler);
      },
    };
  }

  /** Delivers queued messages (and what they cause) until none is left; returns how many were delivered. */
  deliverAll(): number {
    let delivered = 0;
    while (this.queue.length > 0) {
      const { from, to, topic, payload } = this.queue.shift()!;
      if (this.down.has(to)) continue;
      for (const handler of [...(this.handlers[to]!.get(topic) ?? [])]) {
        delivered++;
        handler(from, payload);
      }
    }
    return delivered;
  }
}
