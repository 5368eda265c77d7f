/**
 * Oracle faults and a moving registry root, one registration round (32 ETH, one 0x01 validator)
 * each: quorum not reached (no transaction, a clear log, retried until the oracles come back),
 * one oracle answering garbage, one signing the wrong message, one too slow (each ignored), and a
 * deposit by someone else while the oracles approve (the operator starts over with a new root).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type Contract } from 'ethers';
import { fakeValidatorDeposit } from '@dvt/testing';
import { type RegisterValidatorsJob } from '../../apps/operator/src/queue/jobs.js';
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

// Several registrations on a ganache chain with Redis-backed retries: slow on a loaded 2-core machine.
jest.setTimeout(120_000);

describe('operator: oracle approvals', () => {
  let fx: ChainFixture;
  let relayer: FakeRelayer;
  let op: TestOperator;
  const prefix = uniquePrefix('oracles');

  beforeAll(async () => {
    fx = await startChainFixture();
    relayer = new FakeRelayer({ network: fx.network, fx, validatorType: '0x01', keys: 8 });
    await relayer.start();
    op = await startTestOperator(
      await operatorSettings(fx, relayer.url, prefix, { VALIDATOR_TYPE: '0x01', JOB_ATTEMPTS: '30', JOB_BACKOFF: '0.1', ORACLES_VALIDATORS_TIMEOUT: '5' }),
    );
  });
  afterAll(async () => {
    await op?.operator.close();
    await relayer?.stop();
    await fx?.stop();
    await clearRedisPrefix(prefix);
  });

  const registeredCount = async () => (await fx.events(fx.vault, 'ValidatorRegistered')).length;
  const sentTransactions = () => fx.chain.provider.getTransactionCount(fx.hotWallet.address, 'latest');
  const setBehaviours = (...behaviours: ('honest' | 'garbage' | 'wrong-signature' | 'refuse' | 'delay')[]) =>
    fx.oracles.oracles.forEach((o, i) => (o.behaviour = behaviours[i] ?? 'honest'));

  async function registerOneRound(): Promise<RegisterValidatorsJob> {
    const before = await registeredCount();
    await fx.fund(32);
    await until('one more registration', async () => (await registeredCount()) === before + 1, 30_000);
    const key = String((await fx.events(fx.vault, 'ValidatorRegistered')).at(-1)![0]);
    return until('its completed register job', async () => {
      const jobs = await op.operator.queue.queue.getCompleted(0, 100);
      return jobs.map((j) => j.data as RegisterValidatorsJob).find((d) => d.publicKeys.includes(key));
    });
  }

  it('quorum not reached: no transaction, a clear log, retried with back-off until the oracles approve', async () => {
    setBehaviours('refuse', 'honest', 'refuse', 'honest');
    const nonce = await sentTransactions();
    await fx.fund(32);
    await until('three failed approval rounds', async () => (await op.operator.metrics.value('dvt_operator_job_attempts_failed_total', { job: 'prepare-registration', code: 'NOT_ENOUGH_APPROVALS' })) >= 3);
    expect(await sentTransactions()).toBe(nonce);
    expect(await registeredCount()).toBe(0);
    const warning = logged(op, /^oracle quorum not reached: no transaction; retrying later$/)[0]!;
    expect(warning).toMatchObject({ approvals: 2, threshold: 3, oracles: 4 });
    expect(String(warning.error)).toMatch(/oracle quorum not reached: 2 matching approval\(s\) of 4 oracle\(s\), 3 needed/);
    expect(String(warning.error)).toMatch(/HTTP 400/);
    const retries = logged(op, /^job attempt failed: retrying later$/).filter((l) => l.job === 'prepare-registration');
    expect(retries.slice(0, 3).map((l) => l.retryInMs)).toEqual([100, 200, 400]);

    setBehaviours('honest', 'honest', 'honest', 'honest');
    await until('registration once the oracles approve', async () => (await registeredCount()) === 1, 30_000);
    expect(await sentTransactions()).toBe(nonce + 1);
  });

  it('one oracle answering garbage is ignored', async () => {
    setBehaviours('honest', 'garbage', 'honest', 'honest');
    const job = await registerOneRound();
    const garbage = fx.oracles.oracles[1]!.address;
    expect(job.approval.oracles).not.toContain(garbage);
    const ignored = logged(op, /^oracle answers ignored$/).at(-1)!.ignored as { oracle: string; reason: string }[];
    expect(ignored).toEqual([{ oracle: garbage, reason: expect.stringMatching(/malformed approval at signature/) }]);
  });

  it('one oracle signing another message is ignored (its signature does not recover to it)', async () => {
    setBehaviours('wrong-signature', 'honest', 'honest', 'honest');
    const job = await registerOneRound();
    const liar = fx.oracles.oracles[0]!.address;
    expect(job.approval.oracles).not.toContain(liar);
    const ignored = logged(op, /^oracle answers ignored$/).at(-1)!.ignored as { oracle: string; reason: string }[];
    expect(ignored).toEqual([{ oracle: liar, reason: expect.stringMatching(/signature recovers to 0x[0-9a-fA-F]{40}, not to the oracle/) }]);
  });

  it('one oracle slower than the timeout is ignored', async () => {
    setBehaviours('honest', 'honest', 'honest', 'delay');
    const slowOracle = fx.oracles.oracles[3]!;
    slowOracle.delayMs = 6_000;
    const answered = slowOracle.decisions.length;
    const job = await registerOneRound();
    const slow = slowOracle.address;
    expect(job.approval.oracles).not.toContain(slow);
    expect(job.approval.oracles).toHaveLength(3);
    const ignored = logged(op, /^oracle answers ignored$/).at(-1)!.ignored as { oracle: string; reason: string }[];
    expect(ignored).toEqual([{ oracle: slow, reason: expect.stringMatching(/no answer within 5000 ms/) }]);
    expect([...job.approval.oracles].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(job.approval.oracles);
    // the late answer is still on its way: let it land so that it cannot run the next test's hooks
    await until('the slow oracle has answered', async () => slowOracle.decisions.length > answered, 15_000);
  });

  it('a deposit by someone else while the oracles approve: the registry root changed, the operator starts over and registers', async () => {
    setBehaviours('honest', 'honest', 'honest', 'honest');
    const before = await registeredCount();
    const nonce = await sentTransactions();
    const registerCalls = relayer.requests.filter((r) => r.path === 'POST /register').length;
    const thinking = fx.oracles.oracles[3]!;
    const others = fx.oracles.oracles.slice(0, 3);
    const answeredBefore = others.map((o) => o.decisions.length);
    let deposits = 0;
    thinking.beforeAnswer = async () => {
      if (deposits++ > 0) return;
      // the other three approve the current root first (on a loaded machine they could otherwise see the new one and refuse)
      await until('the other oracles have answered', async () => others.every((o, i) => o.decisions.length > answeredBefore[i]!));
      // someone else's deposit changes get_deposit_root() under the pending approval
      const outsider = fakeValidatorDeposit(fx.deployment.vault.address, '0x01');
      const depositor = fx.chain.wallet(6);
      const deposit = (fx.depositContract.connect(depositor) as Contract).getFunction('deposit');
      await (await deposit(outsider.publicKey, outsider.withdrawalCredentials, outsider.signature, outsider.depositDataRoot, { value: 32n * 10n ** 18n })).wait();
    };
    await fx.fund(32);
    await until('the registration with the new root', async () => (await registeredCount()) === before + 1, 60_000);
    thinking.beforeAnswer = undefined;
    const changed = logged(op, /^job failed$/).filter((l) => l.code === 'REGISTRY_ROOT_CHANGED');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ job: 'prepare-registration' });
    expect(String(changed[0]!.error)).toMatch(/registry root changed while the oracles approved \(0x[0-9a-f]{64} → 0x[0-9a-f]{64}\): starting over/);
    expect(thinking.decisions.at(-2)).toMatchObject({ approved: false, reason: expect.stringMatching(/is not the current registry root/) });
    expect(relayer.requests.filter((r) => r.path === 'POST /register').length).toBeGreaterThanOrEqual(registerCalls + 2);
    expect(await sentTransactions()).toBe(nonce + 1); // nothing was sent with the stale approval
  });
});
