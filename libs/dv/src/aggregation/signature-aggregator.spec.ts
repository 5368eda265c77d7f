import { describe, expect, it } from '@jest/globals';
import { attestationDataSigningRoot, getNetwork, randaoSigningRoot } from '@dvt/eth2';
import { generateSecretKey, sign, splitSecret, verify } from '@dvt/tbls';
import { DutyType, DvError, encodeAttesterMessage, encodeRandaoMessage, newDuty, toDvPubkey, type DvPubkey, type PartialSignature } from '../core/index.js';
import { SignatureAggregator, type AggregationFailure } from './signature-aggregator.js';

const network = getNetwork('devnet');
const attester = newDuty(5, DutyType.Attester);
const randao = newDuty(64, DutyType.Randao);
const data = (root: number) => ({ slot: 5, index: 0, beaconBlockRoot: new Uint8Array(32).fill(root), source: { epoch: 0, root: new Uint8Array(32) }, target: { epoch: 0, root: new Uint8Array(32).fill(9) } });

function dv() {
  const split = splitSecret(generateSecretKey(), 3, [1, 2, 3, 4]);
  const key = toDvPubkey(split.publicKey);
  return {
    key,
    publicKey: split.publicKey,
    partial(share: number, root = 1): PartialSignature {
      return { shareIndex: share, message: encodeAttesterMessage(data(root)), signature: sign(split.shares[share - 1]!.secretKey, attestationDataSigningRoot(network, data(root))) };
    },
    randaoPartial(share: number): PartialSignature {
      const epoch = randao.slot / network.slotsPerEpoch;
      return { shareIndex: share, message: encodeRandaoMessage(epoch), signature: sign(split.shares[share - 1]!.secretKey, randaoSigningRoot(network, epoch)) };
    },
  };
}

function observed() {
  const failures: string[] = [];
  const aggregator = new SignatureAggregator({ network, threshold: 3, observer: { onFailed: (_duty, key: DvPubkey, reason: AggregationFailure) => failures.push(`${key.slice(0, 10)}:${reason}`) } });
  return { aggregator, failures, tag: (key: DvPubkey, reason: AggregationFailure) => `${key.slice(0, 10)}:${reason}` };
}

describe('SignatureAggregator', () => {
  it('recovers signatures that verify under each DV key, from any t share indexes, grouped per duty', () => {
    const [a, b, c] = [dv(), dv(), dv()];
    const { aggregator, failures } = observed();
    const results = aggregator.aggregate([
      { duty: attester, dv: a.key, partials: [a.partial(1), a.partial(3), a.partial(4)] },
      { duty: randao, dv: a.key, partials: [a.randaoPartial(2), a.randaoPartial(3), a.randaoPartial(4)] },
      { duty: attester, dv: b.key, partials: [b.partial(1), b.partial(2), b.partial(3)] },
      { duty: attester, dv: c.key, partials: [c.partial(2), c.partial(3), c.partial(4)] },
    ]);
    expect(failures).toEqual([]);
    expect(results.map((r) => r.duty)).toEqual([attester, randao]);
    expect([...results[0]!.signatures.keys()]).toEqual([a.key, b.key, c.key]);
    const root = attestationDataSigningRoot(network, data(1));
    for (const key of [a, b, c]) {
      const aggregated = results[0]!.signatures.get(key.key)!;
      expect(verify(key.publicKey, root, aggregated.signature)).toBe(true);
      expect(aggregated.message).toEqual(encodeAttesterMessage(data(1)));
    }
    expect(verify(a.publicKey, randaoSigningRoot(network, 2), results[1]!.signatures.get(a.key)!.signature)).toBe(true);
  });

  it('a wrong partial among t gives no aggregate and is reported; the other DVs of the batch still aggregate', () => {
    const [a, b] = [dv(), dv()];
    const { aggregator, failures, tag } = observed();
    const wrong = { ...a.partial(2), signature: b.partial(2).signature };
    const results = aggregator.aggregate([
      { duty: attester, dv: a.key, partials: [a.partial(1), wrong, a.partial(3)] },
      { duty: attester, dv: b.key, partials: [b.partial(1), b.partial(2), b.partial(4)] },
    ]);
    expect(failures).toEqual([tag(a.key, 'does_not_verify')]);
    expect(results).toHaveLength(1);
    expect([...results[0]!.signatures.keys()]).toEqual([b.key]);
  });

  it('never combines partials over different messages, fewer or more than t, or repeated share indexes', () => {
    const a = dv();
    const { aggregator, failures, tag } = observed();
    const results = aggregator.aggregate([
      { duty: attester, dv: a.key, partials: [a.partial(1, 1), a.partial(2, 1), a.partial(3, 2)] },
      { duty: attester, dv: a.key, partials: [a.partial(1), a.partial(2)] },
    ]);
    const b = dv();
    const more = aggregator.aggregate([{ duty: attester, dv: b.key, partials: [b.partial(1), b.partial(2), b.partial(3), b.partial(4)] }]);
    const c = dv();
    const repeated = aggregator.aggregate([{ duty: attester, dv: c.key, partials: [c.partial(1), c.partial(2), c.partial(2)] }]);
    expect(results).toEqual([]);
    expect(more).toEqual([]);
    expect(repeated).toEqual([]);
    expect(failures).toEqual([tag(a.key, 'mixed_messages'), tag(a.key, 'duplicate'), tag(b.key, 'wrong_partial_count'), tag(c.key, 'invalid_partials')]);
  });

  it('refuses messages that do not belong to the duty and malformed partials', () => {
    const [a, b] = [dv(), dv()];
    const { aggregator, failures, tag } = observed();
    const otherSlot = newDuty(6, DutyType.Attester);
    const results = aggregator.aggregate([
      { duty: otherSlot, dv: a.key, partials: [a.partial(1), a.partial(2), a.partial(3)] },
      { duty: attester, dv: b.key, partials: [b.partial(1), b.partial(2), { ...b.partial(3), signature: new Uint8Array(96).fill(0xaa) }] },
    ]);
    expect(results).toEqual([]);
    expect(failures).toEqual([tag(a.key, 'bad_message'), tag(b.key, 'invalid_partials')]);
  });

  it('refuses a threshold that is not a positive integer', () => {
    expect(() => new SignatureAggregator({ network, threshold: 0 })).toThrow(DvError);
  });
});
