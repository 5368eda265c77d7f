import { bytesToHex } from '@dvt/common';
import { type NetworkConfig } from '@dvt/eth2';
import { type SignatureSetBytes, verifySetsCachedKeys } from '@dvt/tbls';
import {
  DvError,
  Subscribers,
  dutyKey,
  signingRootOf,
  systemClock,
  type Clock,
  type Duty,
  type DvPubkey,
  type PartialSignature,
  type PartialSignatureBatch,
  type SlotTimes,
} from '../core/index.js';
import { DEFAULT_PARTIAL_SIGNATURE_WIRE_LIMITS, type PartialSignatureWireLimits, decodePartialSignatureBatch, encodePartialSignatureBatch } from './wire.js';

export const PARTIAL_SIGNATURE_TOPIC = '/dvt/parsig/1';

/** The part of a `@dvt/p2p` ClusterNode the exchange needs (structural; the sender index comes from the authenticated connection). */
export interface PartialSignatureMessaging {
  send(peerIndex: number, topic: string, payload: Uint8Array): void;
  broadcast(topic: string, payload: Uint8Array): void;
  subscribe(topic: string, handler: (fromIndex: number, payload: Uint8Array) => void): () => void;
}

/** Why a peer's partial (or a whole message) was dropped. */
export type PartialRejection = 'malformed' | 'out_of_window' | 'wrong_share_index' | 'unknown_dv' | 'bad_message' | 'invalid_signature';

export interface PartialSignatureExchangeObserver {
  /** `count`: how many partials of the message the reason covers */
  onRejected?(peerIndex: number, reason: PartialRejection, count: number, detail?: string): void;
  onAccepted?(peerIndex: number, duty: Duty, count: number): void;
  /** the messaging refused a send (stopped, unknown peer): the batch is lost for that peer until a re-send */
  onSendError?(peerIndex: number | 'all', error: unknown): void;
}

export interface PartialSignatureExchangeOptions {
  network: NetworkConfig;
  /** this node's index (its share index is selfIndex + 1) */
  selfIndex: number;
  /** every DV's public shares; [i] is the share of share index i + 1 */
  publicShares: ReadonlyMap<DvPubkey, readonly Uint8Array[]>;
  messaging: PartialSignatureMessaging;
  /** with a clock, batches for slots further than `windowSlots` from now are dropped */
  slotTimes?: SlotTimes;
  clock?: Clock;
  /** default 64 slots (two epochs) either way */
  windowSlots?: number;
  limits?: PartialSignatureWireLimits;
  /** own batches kept for re-sending to a reconnected peer: duties (default 64) and bytes in all (default 32 MiB) */
  resendDuties?: number;
  resendMaxBytes?: number;
  observer?: PartialSignatureExchangeObserver;
  onListenerError?: (error: unknown) => void;
}

/**
 * Sends this node's partial signatures to every peer and takes in theirs (DV-NODE.md invariant 8):
 * a peer may only send partials of its own share index, for DVs of the cluster, and each must
 * verify against that peer's public share over the recomputed signing root. Only verified
 * partials reach `onReceived` listeners; the rest is dropped and reported.
 */
export class PartialSignatureExchange {
  private readonly received: Subscribers<[PartialSignatureBatch]>;
  private readonly limits: PartialSignatureWireLimits;
  private readonly recent = new Map<string, Uint8Array[]>();
  private recentBytes = 0;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: PartialSignatureExchangeOptions) {
    this.limits = options.limits ?? DEFAULT_PARTIAL_SIGNATURE_WIRE_LIMITS;
    this.received = new Subscribers(options.onListenerError);
    this.unsubscribe = options.messaging.subscribe(PARTIAL_SIGNATURE_TOPIC, (from, payload) => {
      try {
        this.receive(from, payload);
      } catch (error) {
        this.reject(from, 'malformed', 1, `unexpected: ${(error as Error).message}`);
      }
    });
  }

  onReceived(listener: (batch: PartialSignatureBatch) => void): () => void {
    return this.received.subscribe(listener);
  }

  broadcast(batch: PartialSignatureBatch): void {
    const bytes = encodePartialSignatureBatch(batch, this.limits);
    const key = dutyKey(batch.duty);
    const kept = this.recent.get(key) ?? [];
    kept.push(bytes);
    this.recentBytes += bytes.length;
    this.recent.delete(key);
    this.recent.set(key, kept);
    const maxDuties = this.options.resendDuties ?? 64;
    const maxBytes = this.options.resendMaxBytes ?? 32 * 1024 * 1024;
    while (this.recent.size > maxDuties || (this.recentBytes > maxBytes && this.recent.size > 1)) {
      const [oldest, batches] = this.recent.entries().next().value!;
      this.recent.delete(oldest);
      for (const b of batches) this.recentBytes -= b.length;
    }
    try {
      this.options.messaging.broadcast(PARTIAL_SIGNATURE_TOPIC, bytes);
    } catch (error) {
      this.options.observer?.onSendError?.('all', error);
    }
  }

  /** Sends the recent own batches again to one peer (after it reconnected: liveness 6). */
  resend(peerIndex: number): void {
    for (const batches of this.recent.values()) {
      for (const bytes of batches) {
        try {
          this.options.messaging.send(peerIndex, PARTIAL_SIGNATURE_TOPIC, bytes);
        } catch (error) {
          this.options.observer?.onSendError?.(peerIndex, error);
          return;
        }
      }
    }
  }

  stop(): void {
    this.unsubscribe();
    this.received.clear();
  }

  private reject(peer: number, reason: PartialRejection, count: number, detail?: string): void {
    this.options.observer?.onRejected?.(peer, reason, count, detail);
  }

  private receive(peer: number, payload: Uint8Array): void {
    let batch: PartialSignatureBatch;
    try {
      batch = decodePartialSignatureBatch(payload, this.limits);
    } catch (error) {
      this.reject(peer, 'malformed', 1, (error as Error).message);
      return;
    }
    const { duty } = batch;
    const { slotTimes, clock } = this.options;
    if (slotTimes) {
      const now = slotTimes.slotAt((clock ?? systemClock).now());
      const window = this.options.windowSlots ?? 64;
      if (Math.abs(duty.slot - now) > window) {
        this.reject(peer, 'out_of_window', batch.partials.size, `slot ${duty.slot}, now ${now}`);
        return;
      }
    }
    const expectedIndex = peer + 1;
    const roots = new Map<string, Uint8Array | string>();
    const candidates: { dv: DvPubkey; partial: PartialSignature; set: SignatureSetBytes }[] = [];
    for (const [dv, partial] of batch.partials) {
      if (partial.shareIndex !== expectedIndex) {
        this.reject(peer, 'wrong_share_index', 1, `share index ${partial.shareIndex} from node ${peer}`);
        continue;
      }
      const publicShare = this.options.publicShares.get(dv)?.[partial.shareIndex - 1];
      if (!publicShare) {
        this.reject(peer, 'unknown_dv', 1, dv);
        continue;
      }
      const messageKey = bytesToHex(partial.message);
      let root = roots.get(messageKey);
      if (root === undefined) {
        try {
          root = signingRootOf(this.options.network, duty, partial.message);
        } catch (error) {
          root = error instanceof DvError ? error.message : String(error);
        }
        roots.set(messageKey, root);
      }
      if (typeof root === 'string') {
        this.reject(peer, 'bad_message', 1, root);
        continue;
      }
      candidates.push({ dv, partial, set: { publicKey: publicShare, message: root, signature: partial.signature } });
    }
    if (candidates.length === 0) return;
    const valid = verifySetsCachedKeys(candidates.map((c) => c.set));
    const accepted = new Map<DvPubkey, PartialSignature>();
    candidates.forEach((candidate, i) => {
      if (valid[i]) accepted.set(candidate.dv, candidate.partial);
      else this.reject(peer, 'invalid_signature', 1, candidate.dv);
    });
    if (accepted.size === 0) return;
    this.options.observer?.onAccepted?.(peer, duty, accepted.size);
    this.received.emit({ duty, partials: accepted });
  }
}
