/**
 * What the operator asks the beacon node: which keys it already knows (validators or pending
 * deposits) and the index the next new validator gets. The next index is the validator count,
 * plus one per pending deposit of a new key with a valid signature (the state transition skips
 * invalid ones), plus one per key this vault registered that the beacon node has not seen yet
 * (deposits take a few minutes to reach the consensus layer).
 */
import { type BeaconClient, type PendingDeposit } from '@dvt/beacon';
import { hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositSigningRoot } from '@dvt/eth2';
import { verifyEach } from '@dvt/tbls';
import { OperatorError, errorMessage } from '../errors.js';
import { type ChainReader } from '../chain/vault-reader.js';

export interface ConsensusView {
  /** validator index the next registered validator gets */
  nextValidatorIndex(): Promise<number>;
  /** the subset of `publicKeys` the beacon chain knows (validator or pending deposit) */
  knownKeys(publicKeys: readonly string[]): Promise<Set<string>>;
  /**
   * Gwei balance of each compounding (0x02) key the beacon chain knows, pending deposits included;
   * exiting or exited validators and keys it has not seen yet are left out.
   */
  compoundingBalances(publicKeys: readonly string[]): Promise<Map<string, number>>;
}

const NOT_FUNDABLE = new Set(['active_exiting', 'active_slashed', 'exited_unslashed', 'exited_slashed', 'withdrawal_possible', 'withdrawal_done']);

export class BeaconView implements ConsensusView {
  private countHint = 0;
  private readonly seen = new Set<string>();
  private readonly validDeposit = new Map<string, boolean>();

  constructor(
    private readonly beacon: BeaconClient,
    private readonly network: NetworkConfig,
    private readonly chain: ChainReader,
  ) {}

  async nextValidatorIndex(): Promise<number> {
    const [count, pending, registrations] = await Promise.all([this.validatorCount(), this.pendingDeposits(), this.chain.registrations()]);
    const lookup = [...new Set([...pending.map((d) => d.pubkey), ...[...registrations.keys()].filter((k) => !this.seen.has(k))])];
    const validators = await this.call(() => (lookup.length === 0 ? Promise.resolve([]) : this.beacon.getValidators(lookup)));
    for (const v of validators) this.seen.add(v.pubkey);
    const queued = new Set<string>();
    const fresh = pending.filter((d) => !this.seen.has(d.pubkey));
    const valid = this.checkSignatures(fresh);
    for (const d of fresh) if (valid.get(depositKey(d))) queued.add(d.pubkey);
    let unseen = 0;
    for (const key of registrations.keys()) if (!this.seen.has(key) && !queued.has(key) && !pending.some((d) => d.pubkey === key)) unseen++;
    return count + queued.size + unseen;
  }

  async knownKeys(publicKeys: readonly string[]): Promise<Set<string>> {
    const keys = publicKeys.map((k) => k.toLowerCase());
    const unknown = keys.filter((k) => !this.seen.has(k));
    const [validators, pending] = await Promise.all([
      this.call(() => (unknown.length === 0 ? Promise.resolve([]) : this.beacon.getValidators(unknown))),
      this.pendingDeposits(),
    ]);
    for (const v of validators) this.seen.add(v.pubkey);
    const out = new Set(keys.filter((k) => this.seen.has(k)));
    const wanted = new Set(keys);
    for (const d of pending) if (wanted.has(d.pubkey)) out.add(d.pubkey);
    return out;
  }

  async compoundingBalances(publicKeys: readonly string[]): Promise<Map<string, number>> {
    const keys = publicKeys.map((k) => k.toLowerCase());
    if (keys.length === 0) return new Map();
    const [validators, pending] = await Promise.all([this.call(() => this.beacon.getValidators(keys)), this.pendingDeposits()]);
    const balances = new Map<string, number>();
    const excluded = new Set<string>();
    for (const v of validators) {
      this.seen.add(v.pubkey);
      if (v.withdrawalCredentials.startsWith('0x02') && !NOT_FUNDABLE.has(v.status)) balances.set(v.pubkey, v.balance);
      else excluded.add(v.pubkey);
    }
    const wanted = new Set(keys);
    for (const d of pending) {
      if (!wanted.has(d.pubkey) || excluded.has(d.pubkey) || !d.withdrawalCredentials.startsWith('0x02')) continue;
      balances.set(d.pubkey, (balances.get(d.pubkey) ?? 0) + d.amount);
    }
    return balances;
  }

  /** Validators in the head state: exponential then binary search over GET …/validators/{index}. */
  private async validatorCount(): Promise<number> {
    const exists = async (index: number) => (await this.call(() => this.beacon.getValidator(index))) !== null;
    let low = this.countHint;
    if (low > 0 && !(await exists(low - 1))) low = 0;
    let step = 1;
    let high = low;
    while (await exists(high)) {
      low = high + 1;
      high = low + step;
      step *= 2;
    }
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (await exists(mid)) low = mid + 1;
      else high = mid;
    }
    this.countHint = low;
    return low;
  }

  private async pendingDeposits(): Promise<PendingDeposit[]> {
    try {
      return await this.beacon.getPendingDeposits();
    } catch (err) {
      // before Electra there is no deposit queue
      if ((err as { code?: string }).code === 'BEACON_ROUTE_NOT_FOUND') return [];
      throw new OperatorError('BEACON_UNAVAILABLE', `beacon node: pending deposits: ${errorMessage(err)}`);
    }
  }

  private checkSignatures(deposits: PendingDeposit[]): Map<string, boolean> {
    const unchecked = deposits.filter((d) => !this.validDeposit.has(depositKey(d)));
    if (unchecked.length === 0) return this.validDeposit;
    const results = verifyEach(
      unchecked.map((d) => ({
        publicKey: hexToBytes(d.pubkey),
        message: depositSigningRoot(this.network, { pubkey: d.pubkey, withdrawalCredentials: d.withdrawalCredentials, amount: d.amount }),
        signature: hexToBytes(d.signature),
      })),
    );
    unchecked.forEach((d, i) => this.validDeposit.set(depositKey(d), results[i]!));
    return this.validDeposit;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new OperatorError('BEACON_UNAVAILABLE', `beacon node: ${errorMessage(err)}`);
    }
  }
}

function depositKey(d: PendingDeposit): string {
  return `${d.pubkey}:${d.withdrawalCredentials}:${d.amount}:${d.signature}`;
}
