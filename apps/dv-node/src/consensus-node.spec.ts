import { describe, expect, it } from '@jest/globals';
import { newDuty } from '@dvt/dv';
import { parseConsensusNodeConfig, syntheticProposer, syntheticValue } from './consensus-node.js';

const key = '0x' + '11'.repeat(32);
const peer = (index: number) => ({ index, publicKey: '0x02' + '22'.repeat(32), addrs: [`/ip4/127.0.0.1/tcp/${4000 + index}`] });
const good = { index: 0, identityKey: key, listen: '/ip4/127.0.0.1/tcp/4000', peers: [peer(0), peer(1)], genesisTimeMs: 0, slotDurationMs: 1000 };

describe('consensus node config', () => {
  it('parses a config and fills the defaults', () => {
    const config = parseConsensusNodeConfig(JSON.stringify(good));
    expect(config).toMatchObject({ index: 0, dutyType: 2, dvCount: 4 });
  });

  it('names every bad field', () => {
    expect(() => parseConsensusNodeConfig('{')).toThrow(/not JSON/);
    const bad = { ...good, identityKey: 'nope', slotDurationMs: 0, dutyType: 5 };
    const message = (() => {
      try {
        parseConsensusNodeConfig(JSON.stringify(bad));
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/identityKey: expected 0x-hex/);
    expect(message).toMatch(/slotDurationMs/);
    expect(message).toMatch(/dutyType: not a duty type/);
    expect(() => parseConsensusNodeConfig(JSON.stringify({ ...good, index: 5 }))).toThrow(/no entry for index 5/);
  });
});

describe('synthetic values', () => {
  it('carry the same DVs for every node and name the node that fetched them', () => {
    const duty = newDuty(9, 2);
    const a = syntheticValue(1, duty, 3);
    const b = syntheticValue(2, duty, 3);
    expect([...a.keys()]).toEqual([...b.keys()]);
    expect(a.size).toBe(3);
    expect(syntheticProposer(a)).toBe(1);
    expect(syntheticProposer(b)).toBe(2);
    expect(syntheticProposer(new Map())).toBe(-1);
  });
});
