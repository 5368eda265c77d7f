/**
 * The transaction sender on a local chain: one transaction per intent key, whatever step an
 * earlier attempt died at; a stuck transaction replaced under the fee cap (same nonce); a nonce
 * taken by another transaction re-planned; refusals before anything is signed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { contractInterface } from '@dvt/stakewise';
import { type LocalChain, type StakewiseDeployment, deployStakewiseContracts, startLocalChain } from '@dvt/testing';
import { createExecutionProvider } from '../../apps/operator/src/app.js';
import { MemoryIntentStore } from '../../apps/operator/src/chain/intent-store.js';
import { TransactionSender, type TxHooks, type TxPlan } from '../../apps/operator/src/chain/tx-sender.js';
import { OperatorError } from '../../apps/operator/src/errors.js';
import { silentLogger } from '../../apps/operator/src/logger.js';

const GWEI = 1_000_000_000n;

describe('TransactionSender', () => {
  let chain: LocalChain;
  let deployment: StakewiseDeployment;
  let provider: JsonRpcProvider;
  let wallet: Wallet;
  const recipient = Wallet.createRandom().address;

  beforeAll(async () => {
    chain = await startLocalChain();
    deployment = await deployStakewiseContracts(chain, { oracles: [Wallet.createRandom().address], validatorsMinOracles: 1, validatorsManager: chain.accounts[1]!.address });
    provider = createExecutionProvider(chain.rpcUrl, chain.chainId, 10_000);
    wallet = new Wallet(chain.accounts[3]!.privateKey, provider);
  });
  afterAll(async () => {
    provider?.destroy();
    await chain?.stop();
  });

  function sender(store: MemoryIntentStore, hooks: TxHooks = {}, extra: { confirmationTimeoutMs?: number; maxFeePerGasWei?: bigint } = {}) {
    return new TransactionSender({
      provider,
      wallet,
      chainId: chain.chainId,
      store,
      fees: { maxFeePerGasWei: extra.maxFeePerGasWei ?? 100n * GWEI, priorityFeeWei: 1n * GWEI },
      logger: silentLogger,
      confirmationTimeoutMs: extra.confirmationTimeoutMs ?? 5_000,
      receiptPollMs: 25,
      hooks,
    });
  }

  function transfer(key: string, overrides: Partial<TxPlan> = {}): TxPlan {
    return { key, kind: 'transfer', to: recipient, data: '0x', value: parseEther('0.01'), publicKeys: [], isDone: async () => false, preflight: async () => undefined, ...overrides };
  }

  const nonce = () => provider.getTransactionCount(wallet.address, 'latest');

  it('an attempt that died after saving the intent: the re-run broadcasts the same signed bytes', async () => {
    const store = new MemoryIntentStore();
    const before = await nonce();
    const crash = new OperatorError('SIMULATED_CRASH', 'died before broadcasting');
    await expect(sender(store, { afterIntentSaved: () => Promise.reject(crash) }).send(transfer('saved-only'))).rejects.toBe(crash);
    const saved = (await store.get('saved-only'))!;
    expect(await provider.getTransaction(saved.versions[0]!.hash)).toBeNull();
    const outcome = await sender(store).send(transfer('saved-only'));
    expect(outcome).toMatchObject({ status: 'confirmed', txHash: saved.versions[0]!.hash, resumed: false });
    expect(await nonce()).toBe(before + 1);
    expect((await store.get('saved-only'))!.outcome).toMatchObject({ status: 1, txHash: saved.versions[0]!.hash });
    // and a third run only reads the record
    expect(await sender(store).send(transfer('saved-only'))).toMatchObject({ status: 'confirmed', resumed: true });
    expect(await nonce()).toBe(before + 1);
  });

  it('a stuck transaction is replaced with higher fees under the same nonce; only one of them is ever mined', async () => {
    const store = new MemoryIntentStore();
    const before = await nonce();
    await provider.send('miner_stop', []);
    try {
      await expect(sender(store, {}, { confirmationTimeoutMs: 300 }).send(transfer('stuck'))).rejects.toMatchObject({ code: 'TX_NOT_CONFIRMED' });
      const intent = (await store.get('stuck'))!;
      expect(intent.versions).toHaveLength(2);
      expect(BigInt(intent.versions[1]!.maxFeePerGas) * 10n).toBeGreaterThan(BigInt(intent.versions[0]!.maxFeePerGas) * 11n);
    } finally {
      await provider.send('miner_start', []);
    }
    const outcome = await sender(store).send(transfer('stuck'));
    const intent = (await store.get('stuck'))!;
    expect(outcome).toMatchObject({ status: 'confirmed', resumed: true, txHash: intent.versions[1]!.hash });
    expect(await nonce()).toBe(before + 1);
    expect(await provider.getTransactionReceipt(intent.versions[0]!.hash)).toBeNull();
  });

  it('an intent whose nonce another transaction took is dropped, and the plan is sent anew', async () => {
    const store = new MemoryIntentStore();
    await expect(sender(store, { afterIntentSaved: () => Promise.reject(new Error('crash')) }).send(transfer('taken'))).rejects.toThrow('crash');
    const dead = (await store.get('taken'))!;
    await (await wallet.sendTransaction({ to: recipient, value: 1n, nonce: dead.nonce })).wait();
    const outcome = await sender(store).send(transfer('taken'));
    expect(outcome.status).toBe('confirmed');
    const fresh = (await store.get('taken'))!;
    expect(fresh.nonce).toBe(dead.nonce + 1);
    expect(await provider.getTransactionReceipt(dead.versions[0]!.hash)).toBeNull();
  });

  it('sends nothing when the effect is already on chain, when the call would revert, or when gas costs more than the cap', async () => {
    const store = new MemoryIntentStore();
    const before = await nonce();
    expect(await sender(store).send(transfer('done', { isDone: async () => true }))).toEqual({ status: 'already-done' });
    const data = contractInterface('EthVault').encodeFunctionData('registerValidators', [[`0x${'00'.repeat(32)}`, 0, '0x1234', '0x', ''], '0x']);
    await expect(sender(store).send(transfer('reverts', { to: deployment.vault.address, data, value: 0n }))).rejects.toMatchObject({
      code: 'TX_SIMULATION_FAILED',
      message: expect.stringMatching(/transfer would revert: DeadlineExpired/),
    });
    await expect(sender(store, {}, { maxFeePerGasWei: 1n }).send(transfer('expensive'))).rejects.toMatchObject({ code: 'GAS_PRICE_TOO_HIGH' });
    const preflight = new OperatorError('REGISTRY_ROOT_CHANGED', 'moved');
    await expect(sender(store).send(transfer('moved', { preflight: () => Promise.reject(preflight) }))).rejects.toBe(preflight);
    expect(await nonce()).toBe(before);
    expect(store.intents.size).toBe(0);
  });
});
