import { describe, expect, it } from '@jest/globals';
import { attestationDataSigningRoot } from '@dvt/eth2';
import { generateSecretKey, sign } from '@dvt/tbls';
import { DutyType, ManualClock, SlotTimes, encodeAttesterMessage, newDuty, type DvPubkey, type PartialSignature, type PartialSignatureBatch } from '../core/index.js';
import { PARTIAL_SIGNATURE_TOPIC, PartialSignatureExchange, type PartialRejection, type PartialSignatureExchangeOptions } from './partial-signature-exchange.js';
import { TestNetwork, attestationData, duty, network, testDv, type TestDv } from './spec-support.js';
import { encodePartialSignatureBatch } from './wire.js';

function cluster(dvs: TestDv[], options: Partial<PartialSignatureExchangeOptions> = {}) {
  const net = new TestNetwork(4);
  const publicShares = new Map(dvs.map((d) => [d.key, d.publicShares] as const));
  const received: PartialSignatureBatch[][] = [[], [], [], []];
  const rejections: string[][] = [[], [], [], []];
  const nodes = [0, 1, 2, 3].map((i) => {
    const exchange = new PartialSignatureExchange({
      network,
      selfIndex: i,
      publicShares,
      messaging: net.messaging(i),
      observer: { onRejected: (peer, reason: PartialRejection, count) => rejections[i]!.push(`${peer}:${reason}${count > 1 ? `×${count}` : ''}`) },
      ...options,
    });
    exchange.onReceived((batch) => received[i]!.push(batch));
    return exchange;
  });
  /** node `from` sends raw bytes to node 0 as if over the p2p link */
  const sendRaw = (from: number, bytes: Uint8Array) => net.messaging(from).send(0, PARTIAL_SIGNATURE_TOPIC, bytes);
  const sendBatch = (from: number, partials: Map<DvPubkey, PartialSignature>, d = duty) => sendRaw(from, encodePartialSignatureBatch({ duty: d, partials }));
  return { net, nodes, received, rejections, sendRaw, sendBatch };
}

describe('PartialSignatureExchange', () => {
  it('delivers each node’s verified partials to every other node, exactly as sent', () => {
    const dvs = [testDv(), testDv()];
    const { net, nodes, received, rejections } = cluster(dvs);
    nodes.forEach((node, i) => node.broadcast({ duty, partials: new Map(dvs.map((d) => [d.key, d.partial(i + 1)])) }));
    net.deliverAll();
    for (let i = 0; i < 4; i++) {
      expect(received[i]!.map((b) => [...b.partials.values()][0]!.shareIndex).sort()).toEqual([1, 2, 3, 4].filter((s) => s !== i + 1));
      for (const batch of received[i]!) {
        expect(batch.duty).toEqual(duty);
        expect([...batch.partials.keys()].sort()).toEqual(dvs.map((d) => d.key).sort());
      }
    }
    expect(rejections.flat()).toEqual([]);
  });

  it('drops what a peer may not send (other share index, bad signature, unknown DV, wrong duty slot), keeping the good entries of the same message', () => {
    const [a, b, c, d] = [testDv(), testDv(), testDv(), testDv()];
    const stranger = testDv();
    const { net, received, rejections, sendBatch } = cluster([a!, b!, c!, d!]);
    const forged = { ...b!.partial(2), signature: sign(generateSecretKey(), attestationDataSigningRoot(network, attestationData(1))) };
    const otherSlot = attestationData(1, 6);
    const wrongSlot = { shareIndex: 2, message: encodeAttesterMessage(otherSlot), signature: sign(generateSecretKey(), new Uint8Array(32)) };
    sendBatch(1, new Map([[a!.key, a!.partial(2)], [b!.key, forged], [c!.key, c!.partial(3)], [stranger.key, stranger.partial(2)], [d!.key, wrongSlot]]));
    net.deliverAll();
    expect(rejections[0]!.sort()).toEqual(['1:bad_message', '1:invalid_signature', '1:unknown_dv', '1:wrong_share_index']);
    expect(received[0]).toHaveLength(1);
    expect([...received[0]![0]!.partials.keys()]).toEqual([a!.key]);
  });

  it('a peer cannot pass off another node’s genuine partial as its own', () => {
    const a = testDv();
    const { net, received, rejections, sendBatch } = cluster([a]);
    sendBatch(2, new Map([[a.key, a.partial(2)]])); // node 2 owns share index 3
    sendBatch(2, new Map([[a.key, { ...a.partial(2), shareIndex: 3 }]])); // relabelled: does not verify under share 3
    net.deliverAll();
    expect(rejections[0]).toEqual(['2:wrong_share_index', '2:invalid_signature']);
    expect(received[0]).toHaveLength(0);
  });

  it('reports junk and oversized payloads without throwing out of the handler', () => {
    const a = testDv();
    const limits = { maxEntries: 8, maxMessageBytes: 1024, maxBytes: 2048 };
    const { net, received, rejections, sendRaw, sendBatch } = cluster([a], { limits });
    sendRaw(1, new Uint8Array([1, 2, 3]));
    sendRaw(1, new Uint8Array(4096));
    sendRaw(3, new Uint8Array(0));
    sendBatch(1, new Map([[a.key, a.partial(2)]]));
    expect(() => net.deliverAll()).not.toThrow();
    expect(rejections[0]).toEqual(['1:malformed', '1:malformed', '3:malformed']);
    expect(received[0]).toHaveLength(1);
  });

  it('drops batches far from the current slot when it has a clock', () => {
    const a = testDv();
    const clock = new ManualClock(0);
    const slotTimes = new SlotTimes(0, 1000);
    clock.advanceTo(slotTimes.startMs(100));
    const { net, received, rejections, nodes } = cluster([a], { clock, slotTimes, windowSlots: 10 });
    for (const slot of [89, 90, 110, 111]) nodes[1]!.broadcast({ duty: newDuty(slot, DutyType.Attester), partials: new Map([[a.key, a.partial(2, 1, slot)]]) });
    net.deliverAll();
    expect(rejections[0]).toEqual(['1:out_of_window', '1:out_of_window']);
    expect(received[0]!.map((b) => b.duty.slot)).toEqual([90, 110]);
  });

  it('re-sends its recent batches to a peer that reconnects (liveness 6)', () => {
    const a = testDv();
    const { net, nodes, received } = cluster([a]);
    net.down.add(3);
    nodes[0]!.broadcast({ duty, partials: new Map([[a.key, a.partial(1)]]) });
    net.deliverAll();
    expect(received[3]).toHaveLength(0);
    expect(received[1]).toHaveLength(1);
    net.down.delete(3);
    nodes[0]!.resend(3);
    net.deliverAll();
    expect(received[3]).toHaveLength(1);
    expect(received[3]![0]!.partials.get(a.key)!.shareIndex).toBe(1);
    expect(received[1]).toHaveLength(1); // only the reconnected peer gets them again
  });

  it('keeps only the last duties for re-sending', () => {
    const a = testDv();
    const { net, nodes, received } = cluster([a], { resendDuties: 2 });
    for (const slot of [5, 6, 7]) nodes[0]!.broadcast({ duty: newDuty(slot, DutyType.Attester), partials: new Map([[a.key, a.partial(1, 1, slot)]]) });
    net.down.add(2);
    net.deliverAll();
    net.down.delete(2);
    nodes[0]!.resend(2);
    net.deliverAll();
    expect(received[2]!.map((b) => b.duty.slot)).toEqual([6, 7]);
  });

  it('reports a send the messaging refuses instead of throwing', () => {
    const a = testDv();
    const errors: string[] = [];
    const exchange = new PartialSignatureExchange({
      network,
      selfIndex: 0,
      publicShares: new Map([[a.key, a.publicShares]]),
      messaging: {
        send: () => {
          throw new Error('stopped');
        },
        broadcast: () => {
          throw new Error('stopped');
        },
        subscribe: () => () => undefined,
      },
      observer: { onSendError: (peer) => errors.push(String(peer)) },
    });
    exchange.broadcast({ duty, partials: new Map([[a.key, a.partial(1)]]) });
    exchange.resend(2);
    expect(errors).toEqual(['all', '2']);
  });
});
