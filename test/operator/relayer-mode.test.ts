/**
 * The operator in relayer mode against a fake relayer holding whole keys (so the test can make it
 * misbehave), the local chain with the test contracts, four mock oracles and real Redis:
 * registration of a 0x01 batch with every on-chain effect checked, the HTTP endpoints and the
 * status command, polling a relayer that is not ready yet, and refusing a bad deposit signature.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { depositDataRoot } from '@dvt/eth2';
import { decodeValidators } from '@dvt/stakewise';
import { registerOperatorCommand } from '../../apps/operator/src/cli.js';
import {
  type ChainFixture,
  FakeRelayer,
  type TestOperator,
  clearRedisPrefix,
  logged,
  operatorSettings,
  startChainFixture,
  startTestOperator,
  uniquePrefix,
  until,
} from './support.js';

const GWEI = 1_000_000_000n;

describe('operator, relayer mode (fake relayer)', () => {
  let fx: ChainFixture;
  let relayer: FakeRelayer;
  const prefixes: string[] = [];
  const running: TestOperator[] = [];

  async function start(label: string, extra = {}): Promise<TestOperator> {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    const op = await startTestOperator(await operatorSettings(fx, relayer.url, prefix, { VALIDATOR_TYPE: '0x01', ...extra }));
    running.push(op);
    return op;
  }

  beforeAll(async () => {
    fx = await startChainFixture();
    relayer = new FakeRelayer({ network: fx.network, fx, validatorType: '0x01', keys: 8 });
    await relayer.start();
  });
  afterAll(async () => {
    for (const op of running) await op.operator.close();
    await relayer?.stop();
    await fx?.stop();
    for (const prefix of prefixes) await clearRedisPrefix(prefix);
  });

  it('registers three 0x01 validators once the vault holds 96 ETH: vault and deposit contract events, deposit data roots, metrics', async () => {
    relayer.pendingAnswers = 2; // the relayer is still collecting signatures at first
    const op = await start('happy');
    await fx.fund(96);
    const registered = await until('three ValidatorRegistered events', async () => {
      const events = await fx.events(fx.vault, 'ValidatorRegistered');
      return events.length === 3 ? events : undefined;
    });
    const keys = registered.map((args) => String(args[0]));
    expect(keys).toEqual(relayer.publicKeys.slice(0, 3));
    expect(relayer.requests.filter((r) => r.path === 'POST /register').length).toBeGreaterThanOrEqual(3);

    // the deposit contract saw exactly these deposits, with the vault's 0x01 credentials and 32 ETH
    const deposits = await fx.events(fx.depositContract, 'DepositEvent');
    expect(deposits.map((d) => String(d[0]))).toEqual(keys);
    const credentials = `0x01${'00'.repeat(11)}${fx.deployment.vault.address.slice(2).toLowerCase()}`;
    for (const d of deposits) expect(String(d[1])).toBe(credentials);

    // the roots the contract hashed from the event fields are the roots the operator sent
    const topic = fx.vault.interface.getEvent('ValidatorRegistered')!.topicHash;
    const [log] = await fx.chain.provider.getLogs({ address: fx.deployment.vault.address, topics: [topic], fromBlock: fx.deployment.fromBlock });
    const tx = (await fx.chain.provider.getTransaction(log!.transactionHash))!;
    const call = fx.vault.interface.parseTransaction({ data: tx.data })!;
    const sent = decodeValidators(String(call.args[0][2]), '0x01').validators;
    const onChainRoots = deposits.map((d) => {
      const amount = new DataView(hexToBytes(String(d[2])).buffer).getBigUint64(0, true);
      return bytesToHex(depositDataRoot({ pubkey: String(d[0]), withdrawalCredentials: String(d[1]), amount: Number(amount), signature: String(d[3]) }));
    });
    expect(onChainRoots).toEqual(sent.map((v) => v.depositDataRoot));
    expect(BigInt((await fx.vault.getFunction('withdrawableAssets')()) as bigint)).toBe(0n);

    const m = op.operator.metrics;
    await until('register job counted', async () => (await m.value('dvt_operator_jobs_succeeded_total', { job: 'register-validators' })) === 1);
    expect(await m.value('dvt_operator_validators_registered_total', { type: '0x01' })).toBe(3);
    expect(await m.value('dvt_operator_transactions_total', { kind: 'register-validators', outcome: 'sent' })).toBe(1);
    expect(await m.value('dvt_operator_gas_used_total', { kind: 'register-validators' })).toBeGreaterThan(100_000);
    expect(await m.value('dvt_operator_gas_spent_eth_total', { kind: 'register-validators' })).toBeGreaterThan(0);
    expect(logged(op, /^waiting for the relayer$/).length).toBeGreaterThanOrEqual(1);
  });

  it('serves /health, /ready, /metrics and /status, and `dvt operator status` prints the vault and the queue', async () => {
    const op = running[0]!;
    const health = await fetch(`${op.operator.url}/health`);
    expect(health.status).toBe(200);
    const ready = (await (await fetch(`${op.operator.url}/ready`)).json()) as { status: string; info: Record<string, { status: string }> };
    expect(ready.status).toBe('ok');
    expect(Object.keys(ready.info).sort()).toEqual(['execution', 'oracles', 'redis']);
    const metrics = await (await fetch(`${op.operator.url}/metrics`)).text();
    expect(metrics).toMatch(/dvt_operator_validators_registered_total\{type="0x01"\} 3/);
    expect(metrics).toMatch(/dvt_operator_queue_jobs\{state="completed"\} 1/);
    const status = (await (await fetch(`${op.operator.url}/status`)).json()) as { vault: { registeredValidators: number } };
    expect(status.vault.registeredValidators).toBe(3);

    const out: string[] = [];
    const program = new Command('dvt').exitOverride();
    registerOperatorCommand(program, { stdout: (t) => out.push(t), stderr: (t) => out.push(t) }, {});
    const s = op.operator.config;
    await program.parseAsync(
      [
        'operator', 'status', '--network', 'devnet', '--devnet-chain-id', String(fx.chain.chainId), '--deposit-contract-address', fx.deployment.depositContract.address,
        '--vault', s.vault, '--keeper-address', s.keeper, '--execution-endpoints', fx.chain.rpcUrl, '--queue-prefix', op.prefix, '--wallet-file', s.wallet.file,
      ],
      { from: 'user' },
    );
    const text = out.join('\n');
    expect(text).toMatch(new RegExp(`vault ${s.vault}`));
    expect(text).toMatch(/registered validators 3/);
    expect(text).toMatch(/withdrawable assets\s+0\.0 ETH/);
    expect(text).toMatch(new RegExp(`hot wallet ${fx.hotWallet.address}`));
    expect(text).toMatch(/queue: .*completed 1/);
  });

  it('refuses a batch whose deposit signature does not verify: no transaction, a clear error', async () => {
    for (const op of running.splice(0)) await op.operator.close();
    relayer.corruptDepositSignature = true;
    const nonce = await fx.chain.provider.getTransactionCount(fx.hotWallet.address);
    const op = await start('bad-deposit');
    await fx.fund(32);
    const failure = await until('the prepare job to fail', async () => logged(op, /^job failed$/).find((l) => l.job === 'prepare-registration'));
    expect(failure.code).toBe('INVALID_DEPOSIT_SIGNATURE');
    expect(String(failure.error)).toMatch(/deposit signature of 0x[0-9a-f]{96} does not verify for vault .*not sending/);
    expect(await fx.chain.provider.getTransactionCount(fx.hotWallet.address)).toBe(nonce);
    expect(await fx.events(fx.vault, 'ValidatorRegistered')).toHaveLength(3);
    expect(fx.oracles.oracles.every((o) => o.decisions.length === 1)).toBe(true); // only the first batch went to the oracles
    expect(await op.operator.metrics.value('dvt_operator_jobs_failed_total', { job: 'prepare-registration', code: 'INVALID_DEPOSIT_SIGNATURE' })).toBeGreaterThanOrEqual(1);

    relayer.corruptDepositSignature = false;
    await until('the next watch to register the fourth validator', async () => (await fx.events(fx.vault, 'ValidatorRegistered')).length === 4);
    expect(BigInt((await fx.vault.getFunction('withdrawableAssets')()) as bigint) / GWEI).toBe(0n);
  });
});
