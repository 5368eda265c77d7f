/**
 * Exactly one registration whatever happens around the broadcast: a crash between the broadcast
 * and the job's completion (the job is re-run), a worker killed mid-job (another worker takes the
 * stalled job over), and a flaky execution node (refused or lost answers, retried with back-off).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OperatorError } from '../../apps/operator/src/errors.js';
import { type RegisterValidatorsJob } from '../../apps/operator/src/queue/jobs.js';
import {
  type ChainFixture,
  FakeRelayer,
  FlakyRpcProxy,
  type TestOperator,
  clearRedisPrefix,
  logged,
  operatorSettings,
  startChainFixture,
  startTestOperator,
  uniquePrefix,
  until,
} from './support.js';

describe('operator: one registration per batch, across crashes and node failures', () => {
  let fx: ChainFixture;
  let relayer: FakeRelayer;
  let proxy: FlakyRpcProxy;
  const prefixes: string[] = [];
  const running: TestOperator[] = [];

  beforeAll(async () => {
    fx = await startChainFixture();
    relayer = new FakeRelayer({ network: fx.network, fx, validatorType: '0x01', keys: 12 });
    await relayer.start();
    proxy = new FlakyRpcProxy(fx.chain.rpcUrl);
    await proxy.start();
  });
  afterAll(async () => {
    for (const op of running) await op.operator.close();
    await relayer?.stop();
    await proxy?.stop();
    await fx?.stop();
    for (const prefix of prefixes) await clearRedisPrefix(prefix);
  });

  const registeredCount = async () => (await fx.events(fx.vault, 'ValidatorRegistered')).length;
  const sentTransactions = () => fx.chain.provider.getTransactionCount(fx.hotWallet.address, 'latest');

  async function stopAll(): Promise<void> {
    for (const op of running.splice(0)) await op.operator.close();
  }

  it('a crash after the broadcast and before the job completes: the re-run finds the transaction and sends nothing', async () => {
    const prefix = uniquePrefix('crash');
    prefixes.push(prefix);
    let crashes = 0;
    const op = await startTestOperator(await operatorSettings(fx, relayer.url, prefix, { VALIDATOR_TYPE: '0x01' }), {
      hooks: {
        afterBroadcast: () => {
          if (crashes++ === 0) throw new OperatorError('SIMULATED_CRASH', 'simulated crash between broadcast and completion');
        },
      },
    });
    running.push(op);
    const nonceBefore = await sentTransactions();
    await fx.fund(64);
    await until('the register job to complete', async () => (await op.operator.metrics.value('dvt_operator_jobs_succeeded_total', { job: 'register-validators' })) === 1);
    expect(crashes).toBe(1);
    expect(await registeredCount()).toBe(2);
    expect(await sentTransactions()).toBe(nonceBefore + 1);
    expect(await op.operator.metrics.value('dvt_operator_transactions_total', { kind: 'register-validators', outcome: 'resumed' })).toBe(1);
    expect(await op.operator.metrics.value('dvt_operator_job_attempts_failed_total', { job: 'register-validators', code: 'SIMULATED_CRASH' })).toBe(1);
    expect(logged(op, /^resuming transaction intent of an earlier attempt$/)).toHaveLength(1);
    expect(logged(op, /^transaction broadcast$/)).toHaveLength(1);
    await stopAll();
  });

  it('a worker killed after the broadcast: another operator takes the stalled job over and registers nothing twice', async () => {
    const prefix = uniquePrefix('killed');
    prefixes.push(prefix);
    let broadcast: ((job: string) => void) | undefined;
    const broadcastSeen = new Promise<string>((resolve) => (broadcast = resolve));
    const first = await startTestOperator(await operatorSettings(fx, relayer.url, prefix, { VALIDATOR_TYPE: '0x01', JOB_LOCK_DURATION: '2', JOB_STALLED_INTERVAL: '0.5' }), {
      hooks: {
        // the process dies here: the job never completes and its lock is never renewed again
        afterBroadcast: (intent) => {
          broadcast!(intent.key);
          return new Promise<void>(() => undefined);
        },
      },
    });
    const nonceBefore = await sentTransactions();
    const registeredBefore = await registeredCount();
    await fx.fund(32);
    const jobId = await broadcastSeen;
    await first.operator.kill();
    expect(await registeredCount()).toBe(registeredBefore + 1);

    // a short lock: the dead worker's job counts as stalled two seconds after its last renewal
    const second = await startTestOperator(await operatorSettings(fx, relayer.url, prefix, { VALIDATOR_TYPE: '0x01', JOB_LOCK_DURATION: '2', JOB_STALLED_INTERVAL: '0.5' }));
    running.push(second);
    await until('the stalled job to complete on the second operator', async () => {
      const job = await second.operator.queue.queue.getJob(jobId);
      return (await job?.getState()) === 'completed';
    });
    const job = (await second.operator.queue.queue.getJob(jobId))!;
    expect((job.data as RegisterValidatorsJob).publicKeys).toHaveLength(1);
    expect(job.attemptsStarted).toBeGreaterThanOrEqual(2);
    expect(job.returnvalue).toMatchObject({ status: 'confirmed', resumed: true });
    expect(await registeredCount()).toBe(registeredBefore + 1);
    expect(await sentTransactions()).toBe(nonceBefore + 1);
    expect(logged(second, /^transaction broadcast$/)).toHaveLength(0);
    expect(logged(second, /stalled/).length).toBeGreaterThanOrEqual(1);
    await stopAll();
  });

  it('RPC errors are retried with back-off: refused broadcasts re-send the same signed transaction, a lost answer is found on chain', async () => {
    const prefix = uniquePrefix('rpc');
    prefixes.push(prefix);
    proxy.faults.push({ method: 'eth_estimateGas', times: 1, mode: 'refuse' }, { method: 'eth_sendRawTransaction', times: 2, mode: 'refuse' });
    const op = await startTestOperator(await operatorSettings(fx, relayer.url, prefix, { VALIDATOR_TYPE: '0x01', EXECUTION_ENDPOINTS: proxy.url, JOB_ATTEMPTS: '6' }));
    running.push(op);
    const nonceBefore = await sentTransactions();
    const registeredBefore = await registeredCount();
    await fx.fund(32);
    await until('registration through the flaky node', async () => (await registeredCount()) === registeredBefore + 1, 30_000);
    const sends = proxy.calls.filter((c) => c.method === 'eth_sendRawTransaction');
    expect(sends.map((c) => c.failed)).toEqual([true, true, false]);
    expect(await sentTransactions()).toBe(nonceBefore + 1);
    const metrics = op.operator.metrics;
    expect(await metrics.value('dvt_operator_job_attempts_failed_total', { job: 'register-validators', code: 'EXECUTION_UNAVAILABLE' })).toBe(3);
    const retries = logged(op, /^job attempt failed: retrying later$/).filter((l) => l.job === 'register-validators');
    expect(retries.map((l) => l.retryInMs)).toEqual([100, 200, 400]);
    const intents = [...new Set(logged(op, /^transaction (intent saved|broadcast)$/).map((l) => l.txHash))];
    expect(intents).toHaveLength(1); // one signed transaction, broadcast until it got through

    // the node takes the transaction but the answer is lost: the retry finds it mined
    proxy.faults.push({ method: 'eth_sendRawTransaction', times: 1, mode: 'lose-answer' });
    await fx.fund(32);
    await until('second registration', async () => (await registeredCount()) === registeredBefore + 2, 30_000);
    await until('register job counted', async () => (await metrics.value('dvt_operator_jobs_succeeded_total', { job: 'register-validators' })) === 2);
    expect(await sentTransactions()).toBe(nonceBefore + 2);
    expect(await metrics.value('dvt_operator_transactions_total', { kind: 'register-validators', outcome: 'sent' })).toBe(1);
    expect(await metrics.value('dvt_operator_transactions_total', { kind: 'register-validators', outcome: 'resumed' })).toBe(1);
  });
});
