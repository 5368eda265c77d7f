/**
 * Sends one transaction per intent key, at most once, across crashes, stalled workers and retries:
 *
 *   fresh run:  effect already on chain? → done, nothing sent
 *               preflight (registry root, deadline, simulation) → nonce, EIP-1559 fees under the cap
 *               → sign → persist the intent {nonce, raw tx, hash} → broadcast → wait for the receipt
 *   re-run:     the intent exists → a receipt for any of its signed versions? → done
 *               still pending → wait; too long → replace it (same nonce, fees +12.5 %, under the cap)
 *               unknown to the node, nonce still free → preflight, then re-broadcast the same bytes
 *               nonce taken by another transaction → the intent is dead: re-plan from chain state
 *
 * Every version of an intent shares its nonce, so at most one of them is ever mined.
 */
import { type CallExceptionError, type JsonRpcProvider, type TransactionReceipt, Transaction, type Wallet, getAddress, isError } from 'ethers';
import { OperatorError, errorMessage } from '../errors.js';
import { type Logger } from '../logger.js';
import { type Eip1559Fees, type FeePolicy, bumpedFees, currentFees } from './fees.js';
import { type IntentStore, type SignedVersion, type TxIntent } from './intent-store.js';
import { decodeRevert } from './revert.js';

export interface TxPlan {
  /** the job's deterministic id: one transaction per key, ever */
  readonly key: string;
  readonly kind: string;
  readonly to: string;
  readonly data: string;
  readonly value?: bigint;
  readonly publicKeys: readonly string[];
  /** true when the chain already shows the transaction's effect (nothing to send) */
  isDone(): Promise<boolean>;
  /** throws an OperatorError when the transaction must not be broadcast now */
  preflight(): Promise<void>;
}

export type TxOutcome =
  | {
      readonly status: 'confirmed';
      readonly txHash: string;
      readonly blockNumber: number;
      readonly gasUsed: bigint;
      readonly effectiveGasPrice: bigint;
      /** broadcast by an earlier attempt and found on chain (or in the mempool) by this one */
      readonly resumed: boolean;
    }
  | { readonly status: 'already-done' };

/** Test seams between the steps of a send (a hook may throw or never return, like a crash). */
export interface TxHooks {
  afterIntentSaved?(intent: TxIntent): Promise<void> | void;
  afterBroadcast?(intent: TxIntent): Promise<void> | void;
  afterConfirmed?(intent: TxIntent): Promise<void> | void;
}

export interface TxSenderOptions {
  readonly provider: JsonRpcProvider;
  readonly wallet: Wallet;
  readonly chainId: number;
  readonly store: IntentStore;
  readonly fees: FeePolicy;
  readonly logger: Logger;
  /** wait this long for a receipt in one attempt */
  readonly confirmationTimeoutMs: number;
  readonly receiptPollMs?: number;
  readonly hooks?: TxHooks;
  readonly now?: () => number;
}

const GAS_MARGIN_PERCENT = 125n;

export class TransactionSender {
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: TxSenderOptions) {
    this.pollMs = opts.receiptPollMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  get address(): string {
    return this.opts.wallet.address;
  }

  async send(plan: TxPlan): Promise<TxOutcome> {
    const existing = await this.opts.store.get(plan.key);
    if (existing) {
      const resumed = await this.resume(existing, plan);
      if (resumed) return resumed;
    }
    if (await plan.isDone()) {
      this.opts.logger.info('transaction effect already on chain: nothing to send', { key: plan.key, kind: plan.kind });
      return { status: 'already-done' };
    }
    await plan.preflight();
    const intent = await this.sign(plan);
    if (!(await this.opts.store.create(intent))) {
      // another worker wrote an intent for this key meanwhile: follow that one
      const other = await this.opts.store.get(plan.key);
      const resumed = other ? await this.resume(other, plan) : null;
      if (resumed) return resumed;
      throw new OperatorError('TX_NOT_CONFIRMED', `intent ${plan.key} changed under us; retrying`);
    }
    this.opts.logger.info('transaction intent saved', { key: intent.key, kind: intent.kind, nonce: intent.nonce, txHash: intent.versions[0]!.hash });
    await this.opts.hooks?.afterIntentSaved?.(intent);
    await this.broadcast(intent, intent.versions[0]!);
    await this.opts.hooks?.afterBroadcast?.(intent);
    return this.confirm(intent, false);
  }

  /** An earlier attempt's intent: its outcome, or null when it is dead and the plan must be sent afresh. */
  private async resume(intent: TxIntent, plan: TxPlan): Promise<TxOutcome | null> {
    if (intent.outcome?.status === 1) {
      return this.outcomeOf(intent, true);
    }
    if (intent.outcome?.status === 0) {
      await this.opts.store.discard(intent.key);
      return null;
    }
    this.opts.logger.info('resuming transaction intent of an earlier attempt', { key: intent.key, nonce: intent.nonce, versions: intent.versions.length });
    const receipt = await this.findReceipt(intent);
    if (receipt) return this.finish(intent, receipt, true);
    const pending = await this.anyKnown(intent);
    if (pending) return this.confirm(intent, true);
    if ((await this.latestNonce()) > intent.nonce) {
      // the nonce went to some transaction: ours if a receipt shows up now, else another one
      const late = await this.findReceipt(intent);
      if (late) return this.finish(intent, late, true);
      this.opts.logger.warn('transaction intent is dead: its nonce was used by another transaction', { key: intent.key, nonce: intent.nonce });
      await this.opts.store.discard(intent.key);
      return null;
    }
    // signed but never reached the node (crash between saving and broadcasting, or the node lost it)
    try {
      await plan.preflight();
    } catch (err) {
      await this.opts.store.discard(intent.key);
      throw err;
    }
    await this.broadcast(intent, intent.versions.at(-1)!);
    await this.opts.hooks?.afterBroadcast?.(intent);
    return this.confirm(intent, false);
  }

  private async sign(plan: TxPlan): Promise<TxIntent> {
    const { provider, wallet, chainId } = this.opts;
    const from = wallet.address;
    const value = plan.value ?? 0n;
    let gasLimit: bigint;
    try {
      gasLimit = ((await provider.estimateGas({ from, to: plan.to, data: plan.data, value })) * GAS_MARGIN_PERCENT) / 100n;
    } catch (err) {
      if (isError(err, 'CALL_EXCEPTION')) {
        throw new OperatorError('TX_SIMULATION_FAILED', `${plan.kind} would revert: ${await this.revertReason(err, { from, to: plan.to, data: plan.data, value })}`, { key: plan.key });
      }
      throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node: eth_estimateGas failed: ${errorMessage(err)}`);
    }
    const fees = await currentFees(provider, this.opts.fees);
    let nonce: number;
    try {
      const [pending, latest] = await Promise.all([provider.getTransactionCount(from, 'pending'), provider.getTransactionCount(from, 'latest')]);
      nonce = Math.max(pending, latest);
    } catch (err) {
      throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node: nonce of ${from}: ${errorMessage(err)}`);
    }
    const version = await this.signVersion({ chainId, nonce, to: plan.to, data: plan.data, value, gasLimit }, fees);
    return {
      key: plan.key,
      kind: plan.kind,
      from,
      to: getAddress(plan.to),
      data: plan.data,
      value: value.toString(),
      chainId,
      nonce,
      gasLimit: gasLimit.toString(),
      publicKeys: [...plan.publicKeys],
      versions: [version],
      createdAt: this.now(),
    };
  }

  /** Some nodes give no revert data for eth_estimateGas; eth_call does. */
  private async revertReason(err: CallExceptionError, tx: { from: string; to: string; data: string; value: bigint }): Promise<string> {
    if (err.data && err.data !== '0x') return decodeRevert(err);
    try {
      await this.opts.provider.call(tx);
    } catch (again) {
      if (isError(again, 'CALL_EXCEPTION')) return decodeRevert(again);
    }
    return decodeRevert(err);
  }

  private async signVersion(
    tx: { chainId: number; nonce: number; to: string; data: string; value: bigint; gasLimit: bigint },
    fees: Eip1559Fees,
  ): Promise<SignedVersion> {
    const raw = await this.opts.wallet.signTransaction({ type: 2, ...tx, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas });
    return {
      hash: Transaction.from(raw).hash!,
      raw,
      maxFeePerGas: fees.maxFeePerGas.toString(),
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
      signedAt: this.now(),
    };
  }

  private async broadcast(intent: TxIntent, version: SignedVersion): Promise<void> {
    try {
      await this.opts.provider.broadcastTransaction(version.raw);
      this.opts.logger.info('transaction broadcast', { key: intent.key, kind: intent.kind, txHash: version.hash, nonce: intent.nonce });
    } catch (err) {
      const message = errorMessage(err);
      if (/already known|known transaction|already imported/i.test(message)) return;
      if (isError(err, 'NONCE_EXPIRED') || /nonce too low/i.test(message)) {
        // mined already, or the nonce went elsewhere: the next attempt finds out which
        throw new OperatorError('TX_NOT_CONFIRMED', `broadcast of ${version.hash}: nonce ${intent.nonce} already used; checking on the next attempt`);
      }
      throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node: broadcast of ${version.hash} failed: ${message}`, { key: intent.key });
    }
  }

  /** Waits for a receipt of any version; on timeout replaces the transaction once and fails (retryable). */
  private async confirm(intent: TxIntent, resumed: boolean): Promise<TxOutcome> {
    const deadline = this.now() + this.opts.confirmationTimeoutMs;
    for (;;) {
      const receipt = await this.findReceipt(intent);
      if (receipt) return this.finish(intent, receipt, resumed);
      if (this.now() >= deadline) break;
      await sleep(Math.min(this.pollMs, Math.max(1, deadline - this.now())));
    }
    await this.replace(intent);
    throw new OperatorError('TX_NOT_CONFIRMED', `transaction ${intent.versions.at(-1)!.hash} (nonce ${intent.nonce}) not mined within ${this.opts.confirmationTimeoutMs} ms`, {
      key: intent.key,
    });
  }

  /** Same nonce, higher fees, while the cap allows; the new version is saved before it is broadcast. */
  private async replace(current: TxIntent): Promise<void> {
    const intent = (await this.opts.store.get(current.key)) ?? current;
    const last = intent.versions.at(-1)!;
    const fees = bumpedFees({ maxFeePerGas: BigInt(last.maxFeePerGas), maxPriorityFeePerGas: BigInt(last.maxPriorityFeePerGas) }, this.opts.fees.maxFeePerGasWei);
    if (!fees) {
      this.opts.logger.warn('transaction pending at the fee cap: waiting', { key: intent.key, txHash: last.hash, maxFeePerGas: last.maxFeePerGas });
      return;
    }
    const version = await this.signVersion(
      { chainId: intent.chainId, nonce: intent.nonce, to: intent.to, data: intent.data, value: BigInt(intent.value), gasLimit: BigInt(intent.gasLimit) },
      fees,
    );
    const updated = { ...intent, versions: [...intent.versions, version] };
    await this.opts.store.update(updated);
    this.opts.logger.info('replacing a pending transaction with higher fees', { key: intent.key, nonce: intent.nonce, txHash: version.hash, maxFeePerGas: version.maxFeePerGas });
    try {
      await this.broadcast(updated, version);
    } catch (err) {
      this.opts.logger.warn('replacement broadcast failed', { key: intent.key, error: (err as Error).message });
    }
  }

  private async finish(intent: TxIntent, receipt: TransactionReceipt, resumed: boolean): Promise<TxOutcome> {
    const outcome = {
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      status: receipt.status ?? 0,
      gasUsed: receipt.gasUsed.toString(),
      effectiveGasPrice: (receipt.gasPrice ?? 0n).toString(),
      at: this.now(),
    };
    const done = { ...intent, outcome };
    await this.opts.store.update(done);
    if (outcome.status !== 1) {
      throw new OperatorError('TX_REVERTED', `transaction ${receipt.hash} (${intent.kind}) reverted in block ${receipt.blockNumber}`, {
        key: intent.key,
        txHash: receipt.hash,
        gasUsed: outcome.gasUsed,
        effectiveGasPrice: outcome.effectiveGasPrice,
      });
    }
    this.opts.logger.info('transaction confirmed', { key: intent.key, kind: intent.kind, txHash: receipt.hash, blockNumber: receipt.blockNumber, resumed });
    await this.opts.hooks?.afterConfirmed?.(done);
    return this.outcomeOf(done, resumed);
  }

  private outcomeOf(intent: TxIntent, resumed: boolean): TxOutcome {
    const o = intent.outcome!;
    return { status: 'confirmed', txHash: o.txHash, blockNumber: o.blockNumber, gasUsed: BigInt(o.gasUsed), effectiveGasPrice: BigInt(o.effectiveGasPrice), resumed };
  }

  private async findReceipt(intent: TxIntent): Promise<TransactionReceipt | null> {
    try {
      for (const version of intent.versions) {
        const receipt = await this.opts.provider.getTransactionReceipt(version.hash);
        if (receipt) return receipt;
      }
      return null;
    } catch (err) {
      throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node: receipt lookup failed: ${errorMessage(err)}`);
    }
  }

  private async anyKnown(intent: TxIntent): Promise<boolean> {
    try {
      for (const version of intent.versions) if (await this.opts.provider.getTransaction(version.hash)) return true;
      return false;
    } catch (err) {
      throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node: transaction lookup failed: ${errorMessage(err)}`);
    }
  }

  private async latestNonce(): Promise<number> {
    try {
      return await this.opts.provider.getTransactionCount(this.opts.wallet.address, 'latest');
    } catch (err) {
      throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node: nonce lookup failed: ${errorMessage(err)}`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
