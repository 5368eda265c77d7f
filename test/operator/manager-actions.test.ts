/**
 * The validators manager's other actions in relayer mode: a compounding validator below the max
 * balance is topped up (POST /fund → fundValidators, ValidatorFunded on chain) before any new
 * registration; withdrawals and consolidations are queued (also from the CLI), their relayer
 * signature is checked against the vault's manager at its current nonce, nothing is sent when the
 * signature is someone else's, and a valid request reaches the vault (ValidatorWithdrawalSubmitted /
 * ValidatorConsolidationSubmitted, manager nonce bumped).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { Wallet } from 'ethers';
import { registerOperatorCommand } from '../../apps/operator/src/cli.js';
import { type ChainFixture, FakeRelayer, type TestOperator, clearRedisPrefix, logged, operatorSettings, startChainFixture, startTestOperator, uniquePrefix, until } from './support.js';

const GWEI = 1_000_000_000;

describe('operator: fund, withdraw, consolidate through the relayer', () => {
  let fx: ChainFixture;
  let relayer: FakeRelayer;
  let op: TestOperator;
  const prefix = uniquePrefix('actions');

  beforeAll(async () => {
    fx = await startChainFixture();
    relayer = new FakeRelayer({ network: fx.network, fx, validatorType: '0x02', keys: 4 });
    await relayer.start();
    op = await startTestOperator(await operatorSettings(fx, relayer.url, prefix, { VALIDATOR_TYPE: '0x02', MAX_VALIDATOR_BALANCE_GWEI: String(100 * GWEI), MIN_DEPOSIT_AMOUNT_GWEI: String(GWEI), JOB_ATTEMPTS: '2' }));
  });
  afterAll(async () => {
    await op?.operator.close();
    await relayer?.stop();
    await fx?.stop();
    await clearRedisPrefix(prefix);
  });

  const sentTransactions = () => fx.chain.provider.getTransactionCount(fx.hotWallet.address, 'latest');

  it('tops up a compounding validator below the max balance before registering anything new', async () => {
    await fx.fund(64);
    const [registered] = await until('a 64 ETH 0x02 validator', async () => {
      const events = await fx.events(fx.vault, 'V2ValidatorRegistered');
      return events.length === 1 ? events : undefined;
    });
    const publicKey = String(registered![0]);
    // the consensus layer now knows it, with 64 ETH
    fx.beacon.addValidator({ pubkey: publicKey, balance: 64 * GWEI, status: 'active_ongoing', withdrawalCredentials: `0x02${'00'.repeat(11)}${fx.deployment.vault.address.slice(2).toLowerCase()}` });
    const nonceBefore = (await fx.vault.getFunction('validatorsManagerNonce')()) as bigint;
    await fx.fund(40);
    const funded = await until('ValidatorFunded', async () => {
      const events = await fx.events(fx.vault, 'ValidatorFunded');
      return events.length === 1 ? events : undefined;
    });
    expect(funded.map((e) => [String(e[0]), BigInt(e[1] as bigint)])).toEqual([[publicKey, 36n * 10n ** 18n]]);
    expect((await fx.vault.getFunction('validatorsManagerNonce')()) as bigint).toBe(nonceBefore + 1n);
    expect(relayer.requests.filter((r) => r.path === 'POST /fund')).toEqual([{ path: 'POST /fund', body: { vault: expect.any(String), public_keys: [publicKey], amounts: [36 * GWEI] } }]);
    await until('the fund job counted', async () => (await op.operator.metrics.value('dvt_operator_transactions_total', { kind: 'fund-validators', outcome: 'sent' })) === 1);
    // 4 ETH are left and the beacon chain still shows 64 ETH, but the next top-up waits MIN_DEPOSIT_DELAY (1 h)
    await until('a few more watch ticks', async () => logged(op, /waiting for the minimum delay since the last one/).length > 0);
    expect(await fx.events(fx.vault, 'ValidatorFunded')).toHaveLength(1);
    expect(await fx.events(fx.vault, 'V2ValidatorRegistered')).toHaveLength(1);
  });

  it('a withdrawal signed by someone else than the manager is refused and not sent; a valid one reaches the vault', async () => {
    const [registered] = await fx.events(fx.vault, 'V2ValidatorRegistered');
    const publicKey = String(registered![0]);
    const nonce = await sentTransactions();
    const managerNonce = (await fx.vault.getFunction('validatorsManagerNonce')()) as bigint;
    const forger = new Wallet(Wallet.createRandom().privateKey);
    relayer.managerActionSigner = forger;
    const forged = await op.operator.requestWithdrawal([{ publicKey, amountGwei: 4 * GWEI }]);
    expect(forged.added).toBe(true);
    const refused = await until('the forged withdrawal to fail', async () => logged(op, /^job failed$/).find((l) => l.id === forged.jobId));
    expect(refused.code).toBe('INVALID_MANAGER_SIGNATURE');
    expect(String(refused.error)).toContain(`relayer POST /withdraw: signature at manager nonce ${managerNonce} is by ${forger.address}, not by the validators manager`);
    expect(await sentTransactions()).toBe(nonce);
    expect((await fx.vault.getFunction('validatorsManagerNonce')()) as bigint).toBe(managerNonce);

    relayer.managerActionSigner = undefined;
    const out: string[] = [];
    const program = new Command('dvt').exitOverride();
    registerOperatorCommand(program, { stdout: (t) => out.push(t), stderr: (t) => out.push(t) }, {});
    await program.parseAsync(
      [
        'operator', 'withdraw', '--public-key', publicKey, '--amount-gwei', String(2 * GWEI), '--network', 'devnet', '--devnet-chain-id', String(fx.chain.chainId),
        '--deposit-contract-address', fx.deployment.depositContract.address, '--vault', fx.deployment.vault.address, '--keeper-address', fx.deployment.keeper.address,
        '--execution-endpoints', fx.chain.rpcUrl, '--queue-prefix', prefix,
      ],
      { from: 'user' },
    );
    const jobId = /withdrawal queued as job (\S+)/.exec(out.join('\n'))![1]!;
    const submitted = await until('ValidatorWithdrawalSubmitted', async () => {
      const events = await fx.events(fx.vault, 'ValidatorWithdrawalSubmitted');
      return events.length === 1 ? events : undefined;
    });
    // public key, amount in wei, fee paid (0: ganache has no EIP-7002 system contract)
    expect(submitted.map((e) => [String(e[0]), BigInt(e[1] as bigint), BigInt(e[2] as bigint)])).toEqual([[publicKey, 2n * 10n ** 18n, 0n]]);
    expect(relayer.requests.filter((r) => r.path === 'POST /withdraw').at(-1)!.body).toMatchObject({ public_keys: [publicKey], amounts: [2 * GWEI] });
    expect((await fx.vault.getFunction('validatorsManagerNonce')()) as bigint).toBe(managerNonce + 1n);
    await until('the withdraw job counted', async () => (await op.operator.metrics.value('dvt_operator_transactions_total', { kind: 'withdraw-validators', outcome: 'sent' })) === 1);
    expect(await sentTransactions()).toBe(nonce + 1);
    expect(logged(op, /^job failed$/).find((l) => l.id === jobId)).toBeUndefined();
  });

  it('consolidation requests reach the vault; one signed by someone else than the manager is refused and not sent', async () => {
    const [registered] = await fx.events(fx.vault, 'V2ValidatorRegistered');
    const target = String(registered![0]);
    const source = relayer.publicKeys[3]!;
    const nonce = await sentTransactions();
    const managerNonce = (await fx.vault.getFunction('validatorsManagerNonce')()) as bigint;

    const { jobId } = await op.operator.requestConsolidation([{ source, target }]);
    const submitted = await until('ValidatorConsolidationSubmitted', async () => {
      const events = await fx.events(fx.vault, 'ValidatorConsolidationSubmitted');
      return events.length === 1 ? events : undefined;
    });
    // source, target, fee paid (0: ganache has no EIP-7251 system contract)
    expect(submitted.map((e) => [String(e[0]), String(e[1]), BigInt(e[2] as bigint)])).toEqual([[source.toLowerCase(), target.toLowerCase(), 0n]]);
    expect(relayer.requests.filter((r) => r.path === 'POST /consolidate').at(-1)!.body).toMatchObject({ source_public_keys: [source], target_public_keys: [target] });
    expect((await fx.vault.getFunction('validatorsManagerNonce')()) as bigint).toBe(managerNonce + 1n);
    await until('the consolidate job counted', async () => (await op.operator.metrics.value('dvt_operator_transactions_total', { kind: 'consolidate-validators', outcome: 'sent' })) === 1);
    expect(await sentTransactions()).toBe(nonce + 1);
    expect(logged(op, /^job failed$/).find((l) => l.id === jobId)).toBeUndefined();

    // the same pair at the new manager nonce (a new job), signed by someone else
    const forger = new Wallet(Wallet.createRandom().privateKey);
    relayer.managerActionSigner = forger;
    const forged = await op.operator.requestConsolidation([{ source, target }]);
    expect(forged.jobId).not.toBe(jobId);
    const refused = await until('the forged consolidation to fail', async () => logged(op, /^job failed$/).find((l) => l.id === forged.jobId));
    relayer.managerActionSigner = undefined;
    expect(refused.code).toBe('INVALID_MANAGER_SIGNATURE');
    expect(String(refused.error)).toContain(`relayer POST /consolidate: signature at manager nonce ${managerNonce + 1n} is by ${forger.address}, not by the validators manager`);
    expect(await sentTransactions()).toBe(nonce + 1);
    expect(await fx.events(fx.vault, 'ValidatorConsolidationSubmitted')).toHaveLength(1);
    await expect(op.operator.requestConsolidation([{ source: '0x1234', target }])).rejects.toThrow(/pairs\[0\]\.source: expected 48 bytes/);
  });
});
