import { describe, expect, it } from '@jest/globals';
import { sidecarConfigFromOptions } from './cli.js';
import { nodePath, operatorPath, parseSidecarConfig } from './config.js';

describe('sidecar configuration', () => {
  it('reads the Python sidecar environment (test mode with a {node_index} template)', () => {
    const config = parseSidecarConfig(
      sidecarConfigFromOptions(
        {},
        {
          NETWORK: 'hoodi',
          RELAYER_ENDPOINT: 'http://relayer:8000/',
          RELAYER_TIMEOUT: '5',
          POLL_INTERVAL: '0.5',
          CLUSTER_TYPE: 'OBOL',
          OBOL_KEYSTORES_DIR_TEMPLATE: 'node{node_index}/validator_keys',
          OBOL_CLUSTER_LOCK_FILE: 'node0/cluster-lock.json',
          OBOL_NODE_INDEXES: '0,1,2,3',
        },
      ),
    );
    expect(config.relayer).toEqual({ url: 'http://relayer:8000', api: 'auto', timeoutMs: 5000 });
    expect(config.pollIntervalMs).toBe(500);
    expect(config.cluster).toEqual({
      type: 'obol',
      lockFile: 'node0/cluster-lock.json',
      keysDir: 'node{node_index}/validator_keys',
      nodeIndexes: [0, 1, 2, 3],
    });
    expect(nodePath('node{node_index}/validator_keys', 2)).toBe('node2/validator_keys');
    expect(operatorPath('op-{operator_id}/key.json', 263)).toBe('op-263/key.json');
  });

  it('expands --node-dir and options win over the environment', () => {
    const config = parseSidecarConfig(
      sidecarConfigFromOptions({ network: 'mainnet', relayerUrl: 'https://r.example', nodeDir: 'c/node{node_index}', nodeIndex: '1,2', vault: ['0x8AE5C1046158526CF236F74D8FB88FABE2E94ACA'], httpPort: '0' }, { NETWORK: 'hoodi' }),
    );
    expect(config.network).toBe('mainnet');
    expect(config.cluster).toMatchObject({ lockFile: 'c/node{node_index}/cluster-lock.json', identityKeyFile: 'c/node{node_index}/charon-enr-private-key', nodeIndexes: [1, 2] });
    expect(config.vaults).toEqual(['0x8ae5c1046158526cf236f74d8fb88fabe2e94aca']);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('names every bad setting', () => {
    const bad = () =>
      parseSidecarConfig(
        sidecarConfigFromOptions({ network: 'ropsten', relayerUrl: 'ftp://x', keysDir: 'keys', clusterLock: 'lock.json', nodeIndex: '0,1', vault: ['0x12'] }),
      );
    expect(bad).toThrow(/network:/);
    expect(bad).toThrow(/relayer\.url:/);
    expect(bad).toThrow(/cluster\.keysDir: acting for several nodes needs \{node_index\}/);
    expect(bad).toThrow(/vaults\.0: address: not an address/);
    expect(() => parseSidecarConfig(sidecarConfigFromOptions({ network: 'hoodi', relayerUrl: 'http://r', keysDir: 'k', clusterLock: 'l' }))).toThrow(
      /give the node index, or an identity key file/,
    );
    expect(() =>
      parseSidecarConfig(sidecarConfigFromOptions({ network: 'hoodi', relayerUrl: 'http://r', clusterType: 'ssv', ssvOperatorId: '1,2', ssvEventsFile: 'e', ssvOperatorKeyFile: 'k' })),
    ).toThrow(/needs \{operator_id\}/);
    expect(() => parseSidecarConfig(sidecarConfigFromOptions({ network: 'hoodi', relayerUrl: 'http://r', clusterType: 'lighthouse' }))).toThrow(/cluster/);
  });
});
