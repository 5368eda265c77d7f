/**
 * What the relayer asks the beacon node: which keys are already registered (a validator, or a
 * deposit pending in the Electra queue) and, for the legacy API, which index a new key will get.
 *
 * Index prediction: validators are appended in order, so the next free index is the validator
 * count, and each pending deposit for a key that is not a validator yet (with a valid deposit
 * signature, as the state transition requires) takes the next one in queue order. A requested key
 * already in the registry keeps its index; one in the queue gets its queue position; any other
 * gets the indexes after the whole queue, in request order. Deposits the consensus layer has not
 * yet seen (a few slots) are not counted.
 */
import { type BeaconClient, BeaconError, type PendingDeposit } from '@dvt/beacon';
import { hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositSigningRoot } from '@dvt/eth2';
import { verifyBatch, verify } from '@dvt/tbls';
import { RelayerError } from '../errors.js';

export interface ChainView {
  /** the subset of `publicKeys` the chain knows (validator or pending deposit) */
  registeredKeys(publicKeys: readonly string[]): Promise<Set<string>>;
  /** predicted validator index of each key (legacy API) */
  predictIndexes(publicKeys: readonly string[]): Promise<Map<string, number>>;
}

export class BeaconChainView implements ChainView {
  /** keys seen as validators: registration is permanent */
  private readonly knownValidators = new Set<string>();
  private validatorCountHint = 0;
  private readonly depositSignatureValid = new Map<string, boolean>();

  constructor(
    private readonly beacon: BeaconClient,
    private readonly network: NetworkConfig,
  ) {}

  async registeredKeys(publicKeys: readonly string[]): Promise<Set<string>> {
    const keys = publicKeys.map((k) => k.toLowerCase());
    const out = new Set(keys.filter((k) => this.knownValidators.has(k)));
    const unknown = keys.filter((k) => !out.has(k));
    const [validators, pending] = await Promise.all([
      unknown.length === 0 ? [] : this.call(() => this.beacon.getValidators(unknown)),
      this.pendingDeposits(),
    ]);
    for (const v of validators) {
      this.knownValidators.add(v.pubkey);
      out.add(v.pubkey);
    }
    const wanted = new Set(keys);
    for (const d of pending) if (wanted.has(d.pubkey)) out.add(d.pubkey);
    return out;
  }

  async predictIndexes(publicKeys: readonly string[]): Promise<Map<string, number>> {
    const requested = publicKeys.map((k) => k.toLowerCase());
    const [count, pending] = await Promise.all([this.validatorCount(), this.pendingDeposits()]);
    const lookup = [...new Set([...requested, ...pending.map((d) => d.pubkey)])];
    const found = lookup.length === 0 ? [] : await this.call(() => this.beacon.getValidators(lookup));
    const existing = new Map(found.map((v) => [v.pubkey, v.index]));
    const newKeys = pending.filter((d) => !existing.has(d.pubkey));
    const valid = this.checkDepositSignatures(newKeys);
    const queued = new Map<string, number>();
    let next = count;
    for (const d of newKeys) {
      if (queued.has(d.pubkey) || !valid.get(depositKey(d))) continue;
      queued.set(d.pubkey, next++);
    }
    const out = new Map<string, number>();
    for (const key of requested) {
      const index = existing.get(key) ?? queued.get(key) ?? next++;
      out.set(key, index);
    }
    return out;
  }

  /** Number of validators in the head state: a search over GET …/validators/{index}, starting at the last count. */
  async validatorCount(): Promise<number> {
    const exists = async (index: number) => (await this.call(() => this.beacon.getValidator(index))) !== null;
    let low = this.validatorCountHint; // invariant: every index < low exists
    if (low > 0 && !(await exists(low - 1))) low = 0;
    let step = 1;
    let high = low; // search for a missing index ≥ low
    while (await exists(high)) {
      low = high + 1;
      high = low + step;
      step *= 2;
    }
    // every index < low exists, `high` does not
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (await exists(mid)) low = mid + 1;
      else high = mid;
    }
    this.validatorCountHint = low;
    return low;
  }

  private async pendingDeposits(): Promise<PendingDeposit[]> {
    try {
      return await this.beacon.getPendingDeposits();
    } catch (err) {
      // a node before Electra has no queue
      if (err instanceof BeaconError && err.code === 'BEACON_ROUTE_NOT_FOUND') return [];
      throw toUnavailable(err);
    }
  }

  private checkDepositSignatures(deposits: PendingDeposit[]): Map<string, boolean> {
    const unchecked = deposits.filter((d) => !this.depositSignatureValid.has(depositKey(d)));
    const items = unchecked.map((d) => ({
      publicKey: hexToBytes(d.pubkey),
      message: depositSigningRoot(this.network, { pubkey: d.pubkey, withdrawalCredentials: d.withdrawalCredentials, amount: d.amount }),
      signature: hexToBytes(d.signature),
    }));
    let allValid = false;
    try {
      allValid = verifyBatch(items);
    } catch {
      allValid = false;
    }
    unchecked.forEach((d, i) => {
      let ok = allValid;
      if (!allValid) {
        try {
          ok = verify(items[i]!.publicKey, items[i]!.message, items[i]!.signature);
        } catch {
          ok = false;
        }
      }
      this.depositSignatureValid.set(depositKey(d), ok);
    });
    return this.depositSignatureValid;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toUnavailable(err);
    }
  }
}

function depositKey(d: PendingDeposit): string {
  return `${d.pubkey}:${d.signature}:${d.amount}:${d.withdrawalCredentials}`;
}

function toUnavailable(err: unknown): Error {
  if (err instanceof BeaconError) return new RelayerError('BEACON_UNAVAILABLE', `beacon node: ${err.message}`, { code: err.code });
  return err as Error;
}
