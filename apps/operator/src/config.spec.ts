import { describe, expect, it } from '@jest/globals';
import { getAddress } from 'ethers';
import { type RawSettings, parseOperatorConfig, parseStatusConfig, rawSettingsFrom } from './config.js';

const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const KEEPER = '0x6B5815467da09DaA7DC83Db21c9239d98Bb487b5';
const base: RawSettings = {
  NETWORK: 'hoodi',
  VAULT,
  KEEPER_ADDRESS: KEEPER,
  EXECUTION_ENDPOINTS: 'http://127.0.0.1:8545/,http://backup:8545',
  CONSENSUS_ENDPOINTS: 'http://127.0.0.1:5052',
  RELAYER_ENDPOINT: 'http://127.0.0.1:8000/',
  WALLET_FILE: '/keys/wallet.json',
  WALLET_PASSWORD_FILE: '/keys/wallet.password',
};

describe('operator config', () => {
  it('parses defaults: relayer mode, 0x02, local Redis, gas cap in wei', () => {
    const c = parseOperatorConfig(base);
    expect(c).toMatchObject({
      mode: 'relayer',
      validatorType: '0x02',
      vault: getAddress(VAULT),
      execution: { url: 'http://127.0.0.1:8545', timeoutMs: 30_000 },
      relayer: { url: 'http://127.0.0.1:8000', timeoutMs: 10_000, pollIntervalMs: 2_000, readyTimeoutMs: 120_000 },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'dvt-operator' },
      protocolConfig: { kind: 'keeper' },
      jobs: { attempts: 6, backoffMs: 5_000, lockDurationMs: 30_000, stalledIntervalMs: 30_000 },
      http: { host: '127.0.0.1', port: 9100 },
    });
    expect(c.gas.maxFeePerGasWei).toBe(100n * 10n ** 9n);
    expect(c.staking.maxValidatorBalanceGwei).toBe(2048n * 10n ** 9n);
  });

  it('picks deposit-data mode from the file, and flags win over the environment', () => {
    const raw = rawSettingsFrom({ depositDataFile: '/data/deposit_data.json', validatorType: '0x01', executionEndpoints: ['http://flag:8545'] }, { ...(base as Record<string, string>), DVT_REDIS_URL: 'redis://redis:6380/2' });
    const c = parseOperatorConfig(raw);
    expect(c).toMatchObject({ mode: 'deposit-data', depositDataFile: '/data/deposit_data.json', validatorType: '0x01', redis: { url: 'redis://redis:6380/2' } });
    expect(c.execution.url).toBe('http://flag:8545');
  });

  it('names every bad variable and its flag', () => {
    const bad = (raw: RawSettings) => () => parseOperatorConfig(raw);
    expect(bad({ ...base, VAULT: undefined })).toThrow(/VAULT \(--vault\): is required/);
    expect(bad({ ...base, VAULT: '0x1234' })).toThrow(/VAULT \(--vault\): /);
    expect(bad({ ...base, NETWORK: 'ropsten' })).toThrow(/NETWORK \(--network\): expected one of mainnet, hoodi, gnosis, devnet/);
    expect(bad({ ...base, DVT_REDIS_URL: 'http://x' })).toThrow(/DVT_REDIS_URL \(--redis-url\): expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(bad({ ...base, OPERATOR_MODE: 'deposit-data' })).toThrow(/DEPOSIT_DATA_FILE \(--deposit-data-file\): deposit-data mode needs the deposit data file/);
    expect(bad({ ...base, OPERATOR_MODE: 'relayer', DEPOSIT_DATA_FILE: 'x.json' })).toThrow(/relayer mode takes its deposits from the relayer/);
    expect(bad({ ...base, DEPOSIT_CONTRACT_ADDRESS: VAULT })).toThrow(/DEPOSIT_CONTRACT_ADDRESS .*only for the devnet, not hoodi/);
    expect(bad({ ...base, MAX_FEE_PER_GAS_GWEI: '5', PRIORITY_FEE_GWEI: '6' })).toThrow(/PRIORITY_FEE_GWEI .*exceeds MAX_FEE_PER_GAS_GWEI/);
    expect(bad({ ...base, MAX_VALIDATOR_BALANCE_GWEI: '1000' })).toThrow(/between 32 and 2048 ETH/);
    expect(bad({ ...base, POLL_INTERVAL: 'soon' })).toThrow(/POLL_INTERVAL \(--poll-interval\): expected seconds/);
    expect(bad({ ...base, DVT_QUEUE_PREFIX: 'a:b' })).toThrow(/DVT_QUEUE_PREFIX/);
    expect(bad({ ...base, EXECUTION_ENDPOINTS: '' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('the status command needs only the vault, the chain and Redis', () => {
    const s = parseStatusConfig({ NETWORK: 'hoodi', VAULT, KEEPER_ADDRESS: KEEPER, EXECUTION_ENDPOINTS: 'http://127.0.0.1:8545' });
    expect(s).toMatchObject({ vault: getAddress(VAULT), redis: { prefix: 'dvt-operator' }, walletFile: undefined });
    expect(() => parseStatusConfig({ NETWORK: 'hoodi', VAULT })).toThrow(/invalid operator status configuration: KEEPER_ADDRESS .*is required/);
  });
});
