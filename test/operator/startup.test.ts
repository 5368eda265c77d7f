/**
 * Start-up refusals, each with a message that says what to fix: Redis unreachable, execution node
 * unreachable or on another chain, a relayer on another network, a wrong hot-wallet password, and
 * deposit-data mode with a hot wallet that is not the vault's validators manager.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDepositData, depositSigningRoot, getNetwork, serializeDepositDataFile, vaultWithdrawalCredentials } from '@dvt/eth2';
import { generateSecretKey, secretKeyToPublicKey, sign } from '@dvt/tbls';
import { type ChainFixture, FakeRelayer, clearRedisPrefix, operatorSettings, startChainFixture, startTestOperator, uniquePrefix } from './support.js';

describe('operator start-up errors', () => {
  let fx: ChainFixture;
  let relayer: FakeRelayer;
  let otherNetworkRelayer: FakeRelayer;
  const prefix = uniquePrefix('startup');

  beforeAll(async () => {
    fx = await startChainFixture();
    relayer = new FakeRelayer({ network: fx.network, fx, validatorType: '0x01', keys: 1 });
    otherNetworkRelayer = new FakeRelayer({ network: getNetwork('hoodi'), fx, validatorType: '0x01', keys: 1 });
    await relayer.start();
    await otherNetworkRelayer.start();
  });
  afterAll(async () => {
    await relayer?.stop();
    await otherNetworkRelayer?.stop();
    await fx?.stop();
    await clearRedisPrefix(prefix);
  });

  const start = async (extra: Record<string, string>, relayerUrl = relayer.url) =>
    startTestOperator(await operatorSettings(fx, relayerUrl, prefix, { VALIDATOR_TYPE: '0x01', ...extra })).then(
      async (op) => {
        await op.operator.close();
        throw new Error('started');
      },
      (err: unknown) => err as Error & { code: string },
    );

  it('Redis unreachable: says how to provide it', async () => {
    const error = await start({ DVT_REDIS_URL: 'redis://127.0.0.1:9' });
    expect(error.code).toBe('REDIS_UNREACHABLE');
    expect(error.message).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:9 unreachable \(connect ECONNREFUSED 127\.0\.0\.1:9\): .*start redis-server or set DVT_REDIS_URL \(--redis-url\)$/);
  });

  it('execution node unreachable, or on another chain', async () => {
    expect(await start({ EXECUTION_ENDPOINTS: 'http://127.0.0.1:9' })).toMatchObject({ code: 'EXECUTION_UNAVAILABLE', message: expect.stringMatching(/execution node http:\/\/127\.0\.0\.1:9 unreachable/) });
    expect(await start({ DEVNET_CHAIN_ID: '1338' })).toMatchObject({ code: 'NETWORK_MISMATCH', message: expect.stringMatching(/is on chain 1337, devnet is chain 1338/) });
  });

  it('a relayer serving another network', async () => {
    expect(await start({}, otherNetworkRelayer.url)).toMatchObject({ code: 'NETWORK_MISMATCH', message: expect.stringMatching(/serves hoodi, the operator runs on devnet/) });
  });

  it('a wrong hot-wallet password', async () => {
    const settings = await operatorSettings(fx, relayer.url, prefix);
    await writeFile(String(settings.WALLET_PASSWORD_FILE), 'not the password\n');
    const error = await startTestOperator(settings).catch((e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: 'WALLET_INVALID', message: expect.stringMatching(/hot wallet keystore .*: wrong password/) });
  });

  it('deposit-data mode when the hot wallet is not the validators manager', async () => {
    const secret = generateSecretKey();
    const pubkey = secretKeyToPublicKey(secret);
    const withdrawalCredentials = vaultWithdrawalCredentials(fx.deployment.vault.address, '0x01');
    const amount = 32_000_000_000;
    const entry = buildDepositData(fx.network, { pubkey, withdrawalCredentials, amount, signature: sign(secret, depositSigningRoot(fx.network, { pubkey, withdrawalCredentials, amount })) });
    const file = join(fx.dir.path, 'deposit_data.json');
    await writeFile(file, serializeDepositDataFile([entry]));
    const error = await start({ DEPOSIT_DATA_FILE: file });
    expect(error).toMatchObject({ code: 'NOT_VALIDATORS_MANAGER' });
    expect(error.message).toContain(`the vault's validators manager is ${fx.manager.address}, not ${fx.hotWallet.address}`);
  });
});
