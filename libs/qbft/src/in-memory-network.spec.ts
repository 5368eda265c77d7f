import { describe, expect, it } from '@jest/globals';
import { QbftError } from './errors.js';
import { InMemoryQbftNetwork } from './in-memory-network.js';

describe('InMemoryQbftNetwork', () => {
  it('delivers broadcasts to every other node and sends to one, in sending order', () => {
    const network = new InMemoryQbftNetwork(3);
    const log: string[] = [];
    for (let i = 0; i < 3; i++) network.connect(i, (bytes, from) => log.push(`${from}->${i}:${bytes[0]}`));
    network.transport(0).broadcast(Uint8Array.of(1));
    network.transport(2).send(1, Uint8Array.of(2));
    expect(network.pending).toBe(3);
    expect(network.deliverNext()).toBe(true);
    expect(log).toEqual(['0->1:1']);
    expect(network.deliverAll()).toBe(2);
    expect(log).toEqual(['0->1:1', '0->2:1', '2->1:2']);
    expect(network.deliverNext()).toBe(false);
    expect(network.delivered).toBe(3);
  });

  it('delivers messages sent while delivering, and loses those for disconnected nodes', () => {
    const network = new InMemoryQbftNetwork(2);
    const received: number[] = [];
    network.connect(1, (bytes) => {
      received.push(bytes[0]!);
      if (bytes[0]! < 3) network.transport(1).send(0, Uint8Array.of(bytes[0]! + 1));
    });
    network.connect(0, (bytes) => network.transport(0).send(1, Uint8Array.of(bytes[0]! + 1)));
    network.transport(0).send(1, Uint8Array.of(0));
    network.deliverAll();
    expect(received).toEqual([0, 2, 4]);
    network.disconnect(1);
    network.transport(0).send(1, Uint8Array.of(9));
    expect(network.deliverAll()).toBe(1);
    expect(received).toEqual([0, 2, 4]);
  });

  it('stops after maxMessages and rejects bad node indexes', () => {
    const network = new InMemoryQbftNetwork(2);
    network.connect(1, () => network.transport(0).send(1, Uint8Array.of(0)));
    network.transport(0).send(1, Uint8Array.of(0));
    expect(network.deliverAll(100)).toBe(100);
    expect(() => network.transport(2)).toThrow(QbftError);
    expect(() => network.transport(0).send(5, Uint8Array.of(0))).toThrow(/outside 0..1/);
    expect(() => new InMemoryQbftNetwork(0)).toThrow(/≥ 1/);
  });
});
