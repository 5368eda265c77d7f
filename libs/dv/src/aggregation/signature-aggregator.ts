import { bytesToHex, equalBytes } from '@dvt/common';
import { type NetworkConfig } from '@dvt/eth2';
import { type ThresholdBatchItem, recoverAndVerifyBatch } from '@dvt/tbls';
import {
  DvError,
  dutyKey,
  dvPubkeyBytes,
  signingRootOf,
  type AggregatedDuty,
  type AggregatedSignature,
  type Duty,
  type DvPubkey,
  type ThresholdPartials,
} from '../core/index.js';

/** Why no aggregate came out for a (duty, DV). */
export type AggregationFailure =
  /** not exactly `threshold` partials */
  | 'wrong_partial_count'
  /** partials over different messages (never combined: DV-NODE.md invariant 7) */
  | 'mixed_messages'
  /** the same (duty, DV) twice in one call: aggregated once */
  | 'duplicate'
  /** the message does not decode or does not belong to the duty */
  | 'bad_message'
  /** a partial is malformed or share indexes repeat */
  | 'invalid_partials'
  /** the rebuilt signature does not verify under the DV key */
  | 'does_not_verify';

export interface SignatureAggregatorObserver {
  onFailed?(duty: Duty, dv: DvPubkey, reason: AggregationFailure, detail?: string): void;
}

export interface SignatureAggregatorOptions {
  network: NetworkConfig;
  threshold: number;
  observer?: SignatureAggregatorObserver;
}

/**
 * Lagrange-combines exactly `threshold` partials per DV and verifies each result under the DV root
 * key over the recomputed signing root (DV-NODE.md invariant 7): only verified signatures come out.
 * A whole batch is recovered and verified at once (one pairing per distinct signing root).
 */
export class SignatureAggregator {
  constructor(private readonly options: SignatureAggregatorOptions) {
    if (!Number.isInteger(options.threshold) || options.threshold < 1) throw new DvError('INVALID_CONFIG', `threshold must be a positive integer, got ${options.threshold}`);
  }

  /** Aggregates a batch (any duties); results grouped per duty in first-seen order, DVs without a verified aggregate left out. */
  aggregate(items: readonly ThresholdPartials[]): AggregatedDuty[] {
    const { network, threshold, observer } = this.options;
    const fail = (item: ThresholdPartials, reason: AggregationFailure, detail?: string) => observer?.onFailed?.(item.duty, item.dv, reason, detail);
    const roots = new Map<string, Uint8Array>();
    const seen = new Set<string>();
    const accepted: ThresholdPartials[] = [];
    const batch: ThresholdBatchItem[] = [];
    for (const item of items) {
      const itemKey = `${dutyKey(item.duty)}/${item.dv}`;
      if (seen.has(itemKey)) {
        fail(item, 'duplicate');
        continue;
      }
      seen.add(itemKey);
      if (item.partials.length !== threshold) {
        fail(item, 'wrong_partial_count', `${item.partials.length} partials, threshold ${threshold}`);
        continue;
      }
      const message = item.partials[0]!.message;
      if (!item.partials.every((p) => equalBytes(p.message, message))) {
        fail(item, 'mixed_messages');
        continue;
      }
      const rootKey = `${dutyKey(item.duty)}/${bytesToHex(message)}`;
      let root = roots.get(rootKey);
      if (root === undefined) {
        try {
          root = signingRootOf(network, item.duty, message);
        } catch (error) {
          fail(item, 'bad_message', (error as Error).message);
          continue;
        }
        roots.set(rootKey, root);
      }
      accepted.push(item);
      batch.push({ publicKey: dvPubkeyBytes(item.dv), message: root, shares: item.partials.map((p) => ({ index: p.shareIndex, signature: p.signature })) });
    }

    const results = recoverAndVerifyBatch(batch);
    const byDuty = new Map<string, { duty: Duty; signatures: Map<DvPubkey, AggregatedSignature> }>();
    results.forEach((result, i) => {
      const item = accepted[i]!;
      if (!result.ok) {
        fail(item, result.error.code === 'NO_VALID_SUBSET' ? 'does_not_verify' : 'invalid_partials', result.error.message);
        return;
      }
      const key = dutyKey(item.duty);
      let group = byDuty.get(key);
      if (!group) byDuty.set(key, (group = { duty: item.duty, signatures: new Map() }));
      group.signatures.set(item.dv, { message: item.partials[0]!.message, signature: result.signature });
    });
    return [...byDuty.values()];
  }
}
