import { describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@dvt/common';
import { generateEciesKeyPair } from '@dvt/tbls';
import { silentLogger } from '../logger.js';
import { type ProtocolConfig, ProtocolConfigProvider, type ProtocolConfigSource, parseProtocolConfig } from './protocol-config.js';

const oracleKey = () => bytesToHex(generateEciesKeyPair().publicKey.subarray(1));

describe('protocol config', () => {
  const keys = [oracleKey(), oracleKey(), oracleKey()];
  const document = { oracles: keys.map((public_key) => ({ public_key, endpoints: ['http://o'] })), exit_signature_recover_threshold: 2, rewards_threshold: 2 };

  it('parses the oracles document; the set id follows the keys and the threshold', () => {
    const config = parseProtocolConfig(document, 'ipfs x', 3);
    expect(config.oracles.map((o) => o.publicKey)).toEqual(keys);
    expect([config.exitSignatureRecoverThreshold, config.validatorsMinOracles]).toEqual([2, 3]);
    expect(parseProtocolConfig(document, 'again', 3).oracleSetId).toBe(config.oracleSetId);
    expect(parseProtocolConfig({ ...document, exit_signature_recover_threshold: 3 }, 'y').oracleSetId).not.toBe(config.oracleSetId);
    expect(parseProtocolConfig({ ...document, oracles: [...document.oracles].reverse() }, 'z').oracleSetId).not.toBe(config.oracleSetId);
  });

  it('refuses bad documents with a message naming the source and the field', () => {
    expect(() => parseProtocolConfig({ ...document, oracles: [] }, 'f.json')).toThrow(/protocol config f.json: oracles: no oracles/);
    expect(() => parseProtocolConfig({ ...document, exit_signature_recover_threshold: 4 }, 'f.json')).toThrow(/exit_signature_recover_threshold 4 > 3 oracles/);
    expect(() => parseProtocolConfig({ ...document, oracles: [{ public_key: '0x' + '11'.repeat(64) }] }, 'f.json')).toThrow(/oracles\[0\]\.public_key/);
    expect(() => parseProtocolConfig({ ...document, oracles: [document.oracles[0], document.oracles[0]] }, 'f.json')).toThrow(/duplicate oracle public keys/);
    expect(() => parseProtocolConfig(document, 'f.json', 1)).toThrow(/validatorsMinOracles 1 must lie in \[exit threshold 2, 3 oracles\]/);
  });

  it('keeps the last good config when a refresh fails, and reports why before the first load', async () => {
    let fail = true;
    const source: ProtocolConfigSource = {
      description: 'test source',
      load: async (): Promise<ProtocolConfig> => {
        if (fail) throw new Error('gateway down');
        return parseProtocolConfig(document, 'test');
      },
    };
    const provider = new ProtocolConfigProvider(source, undefined, silentLogger);
    await provider.start();
    expect(provider.loaded).toBe(false);
    expect(() => provider.current()).toThrow(/protocol config not loaded yet from test source: gateway down/);
    fail = false;
    await provider.refresh();
    const loaded = provider.current();
    fail = true;
    await expect(provider.refresh()).rejects.toThrow(/gateway down/);
    expect(provider.current()).toBe(loaded);
  });
});
