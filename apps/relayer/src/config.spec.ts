import { describe, expect, it } from '@jest/globals';
import { RelayerError } from './errors.js';
import { type RawSettings, parseRelayerConfig, rawSettingsFrom } from './config.js';

const BASE: RawSettings = { NETWORK: 'hoodi', CONSENSUS_ENDPOINT: 'http://127.0.0.1:5052', PROTOCOL_CONFIG_FILE: 'oracles.json' };

function problems(raw: RawSettings): string {
  try {
    parseRelayerConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(RelayerError);
    expect((err as RelayerError).code).toBe('CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('relayer config', () => {
  it('applies defaults: SQLite file, port 8000, one crypto worker, no tokens', () => {
    const config = parseRelayerConfig(BASE);
    expect(config.database).toEqual({ kind: 'sqlite', file: 'relayer.sqlite' });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8000, maxBodyBytes: 16 * 1024 * 1024 });
    expect(config.protocolConfig).toEqual({ kind: 'file', file: 'oracles.json' });
    expect([config.cryptoWorkers, config.validatorLifetimeSeconds, config.auth]).toEqual([1, 3600, { operator: undefined, sidecar: undefined }]);
  });

  it('takes PostgreSQL, the Keeper source, key lists and tokens', () => {
    const config = parseRelayerConfig({
      ...BASE,
      PROTOCOL_CONFIG_FILE: undefined,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      DATABASE_SCHEMA: 'relayer_a',
      KEEPER_ADDRESS: '0x6B5815467da09DaA7DC83Db21c9239d98Bb487b5',
      EXECUTION_ENDPOINT: 'http://127.0.0.1:8545/',
      IPFS_FETCH_ENDPOINTS: 'http://a.example, http://b.example/',
      RELAYER_PUBLIC_KEYS: ['0x' + 'AB'.repeat(48), 'cd'.repeat(48)],
      RELAYER_OPERATOR_TOKEN: 'tok',
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test', schema: 'relayer_a' });
    expect(config.protocolConfig).toMatchObject({ kind: 'chain', ipfsGateways: ['http://a.example', 'http://b.example'], refreshMs: 60_000 });
    expect(config.execution).toEqual({ url: 'http://127.0.0.1:8545', timeoutMs: 10_000 });
    expect(config.keys.publicKeys).toEqual(['0x' + 'ab'.repeat(48), '0x' + 'cd'.repeat(48)]);
    expect(config.auth.operator).toEqual({ value: 'tok' });
  });

  it('fails naming the variable and its flag', () => {
    expect(problems({ ...BASE, NETWORK: undefined })).toMatch(/NETWORK \(--network\): is required/);
    expect(problems({ ...BASE, NETWORK: 'goerli' })).toMatch(/NETWORK \(--network\): expected one of mainnet, hoodi, gnosis, devnet/);
    expect(problems({ ...BASE, RELAYER_PORT: '70000' })).toMatch(/RELAYER_PORT \(--port\): must be ≤ 65535/);
    expect(problems({ ...BASE, RELAYER_PORT: 'eighty' })).toMatch(/RELAYER_PORT \(--port\): expected a whole number/);
    expect(problems({ ...BASE, CONSENSUS_ENDPOINT: 'localhost:5052' })).toMatch(/CONSENSUS_ENDPOINT \(--consensus-endpoint\): expected an http\(s\) URL/);
    expect(problems({ ...BASE, DATABASE_URL: 'mysql://x' })).toMatch(/DATABASE_URL \(--database-url\): expected a postgres:\/\/ URL/);
    expect(problems({ ...BASE, RELAYER_PUBLIC_KEYS: '0x1234' })).toMatch(/RELAYER_PUBLIC_KEYS \(--public-key\): expected a 48-byte BLS public key/);
    expect(problems({ ...BASE, PROTOCOL_CONFIG_FILE: undefined })).toMatch(/PROTOCOL_CONFIG_FILE \(--protocol-config-file\): give a protocol config file, or KEEPER_ADDRESS/);
    expect(problems({ ...BASE, KEEPER_ADDRESS: '0x6B5815467da09DaA7DC83Db21c9239d98Bb487b5' })).toMatch(/KEEPER_ADDRESS .*not both/);
    expect(problems({ ...BASE, VALIDATORS_MANAGER_KEYSTORE_FILE: 'k.json' })).toMatch(
      /VALIDATORS_MANAGER_PASSWORD_FILE \(--manager-password-file\): the manager keystore needs its password file.*EXECUTION_ENDPOINT/,
    );
    expect(problems({ ...BASE, DEPOSIT_CONTRACT_ADDRESS: '0x4242424242424242424242424242424242424242' })).toMatch(/DEPOSIT_CONTRACT_ADDRESS .*only the devnet/);
    expect(problems({ ...BASE, SIGNATURE_THRESHOLD: '0' })).toMatch(/SIGNATURE_THRESHOLD \(--signature-threshold\): must be ≥ 1/);
  });

  it('lets flags win over the environment; token flags name files', () => {
    const { raw, tokenFiles } = rawSettingsFrom(
      { network: 'mainnet', keysFile: ['a.json', 'b.json'], sidecarTokenFile: '/run/secrets/sidecar' },
      { NETWORK: 'hoodi', RELAYER_PORT: '9000', RELAYER_OPERATOR_TOKEN_FILE: '/run/secrets/operator', RELAYER_KEYS_FILES: 'ignored.json' },
    );
    expect(raw).toEqual({
      NETWORK: 'mainnet',
      RELAYER_PORT: '9000',
      RELAYER_KEYS_FILES: ['a.json', 'b.json'],
      RELAYER_SIDECAR_TOKEN: '/run/secrets/sidecar',
      RELAYER_OPERATOR_TOKEN: '/run/secrets/operator',
    });
    const config = parseRelayerConfig({ ...BASE, ...raw }, tokenFiles);
    expect(config.auth).toEqual({ operator: { file: '/run/secrets/operator' }, sidecar: { file: '/run/secrets/sidecar' } });
    expect(config.keys.files).toEqual(['a.json', 'b.json']);
  });
});
