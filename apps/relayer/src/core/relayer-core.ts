/**
 * The relayer's one core behind both API generations: binds validators (key ↔ index, vault,
 * amount, type), accepts partial signatures — each verified against its public key share before
 * it is stored —, rebuilds and verifies the full signatures once t partials exist, re-shares the
 * exit signature to the oracles (ECIES-encrypted) and serves the results. Controllers only parse
 * requests and call these methods; errors are RelayerErrors.
 */
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositSigningRoot, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import {
  type ExitsResponse,
  type InfoResponse,
  type LegacyValidatorsResponse,
  type OracleExitSignatureShares,
  type ParsedConsolidateRequest,
  type ParsedFundRequest,
  type ParsedLegacyValidatorsRequest,
  type ParsedPushExitSignaturesRequest,
  type ParsedPushSignaturesRequest,
  type ParsedRegisterRequest,
  type ParsedWithdrawRequest,
  type RegisterResponse,
  type ValidatorsManagerSignatureResponse,
  type ValidatorsResponse,
  formatCreatedAt,
} from '@dvt/stakewise';
import { type SignatureSetBytes, assertPublicKey, assertSignature } from '@dvt/tbls';
import { getAddress } from 'ethers';
import { type ChainView } from '../beacon/chain-view.js';
import { type ExecutionPort } from '../chain/execution.js';
import { consolidationValidators, fundingValidators, registrationValidators, type ValidatorsManager, withdrawalValidators } from '../chain/validators-manager.js';
import { type OracleShards, type RecoverOutcome, type SignatureWork } from '../crypto/signature-work.js';
import { RelayerError, type RelayerErrorCode, type ShareRejection, SharesRejectedError, shareRejection } from '../errors.js';
import { type KeyRegistry, type PublicKeyShareHex, checkPublicShares } from '../keys/key-registry.js';
import { type Logger } from '../logger.js';
import { type RelayerMetrics } from '../metrics.js';
import { type ProtocolConfig, type ProtocolConfigProvider } from '../protocol-config/protocol-config.js';
import { type PartialRecord, type RelayerApi, type ValidatorRecord } from '../store/entities.js';
import { type NewValidator, type RelayerStore, type StoreTx } from '../store/store.js';

export interface RelayerCoreDeps {
  network: NetworkConfig;
  store: RelayerStore;
  keys: KeyRegistry;
  chain: ChainView;
  protocol: ProtocolConfigProvider;
  crypto: SignatureWork;
  metrics: RelayerMetrics;
  logger: Logger;
  execution?: ExecutionPort;
  manager?: ValidatorsManager;
  validatorLifetimeSeconds: number;
  maxSubsetSearch: number;
  /** unix ms; injectable for tests */
  clock?: () => number;
}

/** One pushed item after the checks that need no lock: where it goes and how it was verified. */
interface PreparedShare {
  publicKey: string;
  validatorId: string;
  exitSignature: string;
  depositSignature: string | null;
  /** the share's public key, when known (config, pinned, or sent and checked) */
  shareKey?: string;
  /** a share set sent by the sidecar and checked: pinned when the item is stored */
  pin?: PublicKeyShareHex[];
  verified: boolean;
}

type ShareOutcome = 'stored' | 'duplicate' | { code: RelayerErrorCode; reason: string };

interface RebuildPlan {
  row: ValidatorRecord;
  partials: PartialRecord[];
  needExit: boolean;
  needDeposit: boolean;
  publicShares?: { index: number; publicKey: Uint8Array }[];
  config?: ProtocolConfig;
}

interface RebuildResult {
  exit?: RecoverOutcome;
  deposit?: RecoverOutcome;
  shards?: Partial<ValidatorRecord>;
}

type PushItem = { public_key: string; exit_signature: string; deposit_signature?: string; public_key_shares?: { share_index: number; public_key_share: string }[] };

/** Shares stored per transaction, and batches of one request in flight at once. */
const STORE_BATCH = 50;
const STORE_CONCURRENCY = 4;

export class RelayerCore {
  private readonly clock: () => number;
  /** share sets already checked against their key: key → JSON of the set → error message or '' */
  private readonly checkedShareSets = new Map<string, string>();
  /** one store-and-rebuild at a time per validator in this process (see storeShares) */
  private readonly validatorLocks = new KeyedLock();
  /** validator id → partials count of its last failed rebuild: not retried until more shares come */
  private readonly failedRebuilds = new Map<string, number>();

  constructor(private readonly deps: RelayerCoreDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  get network(): NetworkConfig {
    return this.deps.network;
  }

  info(): InfoResponse {
    return { network: this.deps.network.name, validators_manager_address: this.deps.manager?.address ?? null };
  }

  // ---- current API ----

  /**
   * POST /register: the next not-yet-registered configured keys, bound to the operator's indexes,
   * vault, amounts and type; signatures and shards where ready (null = poll again).
   */
  async register(req: ParsedRegisterRequest): Promise<RegisterResponse> {
    const picked = await this.pickUnregisteredKeys(req.amounts.length);
    const now = this.clock();
    const credentials = vaultWithdrawalCredentials(req.vault, req.validator_type);
    const rows: ValidatorRecord[] = [];
    for (const [i, publicKey] of picked.entries()) {
      const validatorIndex = req.validators_start_index + i;
      const amountGwei = req.amounts[i]!;
      const exit = voluntaryExitSigningData(this.deps.network, validatorIndex);
      const wanted: NewValidator = {
        publicKey,
        api: 'current',
        vault: req.vault,
        validatorType: req.validator_type,
        amountGwei,
        validatorIndex,
        exitEpoch: exit.message.epoch,
        threshold: this.thresholdOf(publicKey),
        exitSigningRoot: bytesToHex(exit.signingRoot),
        depositSigningRoot: bytesToHex(depositSigningRoot(this.deps.network, { pubkey: publicKey, withdrawalCredentials: credentials, amount: amountGwei })),
      };
      rows.push(await this.bind(wanted, now));
    }
    const served = await this.withCurrentShards(await this.refreshed(rows));
    const validators = served.map((row) => ({
      public_key: row.publicKey,
      amount: row.amountGwei!,
      deposit_signature: row.depositSignature,
      exit_signature: null,
      oracles_exit_signature_shares: this.shardsOf(row),
    }));
    const ready = validators.length > 0 && validators.every((v) => v.deposit_signature !== null && v.oracles_exit_signature_shares !== null);
    let signature: string | null = null;
    if (ready && this.deps.manager) {
      const bytes = registrationValidators(
        req.vault,
        req.validator_type,
        served.map((row) => ({ publicKey: row.publicKey, depositSignature: row.depositSignature!, amountGwei: row.amountGwei! })),
      );
      const root = await this.execution().depositRoot();
      signature = this.deps.manager.signRegistration(this.deps.network.chainId, req.vault, root, bytes);
    }
    return { validators, validators_manager_signature: signature };
  }

  async fund(req: ParsedFundRequest): Promise<ValidatorsManagerSignatureResponse> {
    return this.signWithNonce(req.vault, () =>
      fundingValidators(
        req.vault,
        req.public_keys.map((publicKey, i) => ({ publicKey, amountGwei: req.amounts[i]! })),
      ),
    );
  }

  async withdraw(req: ParsedWithdrawRequest): Promise<ValidatorsManagerSignatureResponse> {
    return this.signWithNonce(req.vault, () => withdrawalValidators(req.public_keys.map((publicKey, i) => ({ publicKey, amountGwei: req.amounts[i]! }))));
  }

  async consolidate(req: ParsedConsolidateRequest): Promise<ValidatorsManagerSignatureResponse> {
    return this.signWithNonce(req.vault, () =>
      consolidationValidators(req.source_public_keys.map((source, i) => ({ source, target: req.target_public_keys[i]! }))),
    );
  }

  /** GET /validators: what sidecars should sign (requested within the lifetime). */
  async pendingValidators(): Promise<ValidatorsResponse> {
    const rows = await this.deps.store.listValidators('current', this.clock() - this.deps.validatorLifetimeSeconds * 1000);
    const indexes = await this.deps.store.shareIndexes(rows.map((r) => r.id));
    const config = this.deps.protocol.peek();
    return {
      validators: rows.map((row) => ({
        public_key: row.publicKey,
        vault: getAddress(row.vault!),
        amount: row.amountGwei!,
        validator_type: row.validatorType!,
        validator_index: row.validatorIndex,
        share_indexes_ready: indexes.get(row.id) ?? [],
        is_signatures_ready: this.isReady(row, config),
        created_at_timestamp: Math.floor(row.createdAt / 1000),
        created_at_string: formatCreatedAt(Math.floor(row.createdAt / 1000)),
      })),
    };
  }

  /** POST /signatures: each item is checked and stored on its own; refusals are listed in a SharesRejectedError. */
  async pushSignatures(req: ParsedPushSignaturesRequest): Promise<void> {
    await this.acceptShares('current', req.share_index, req.shares);
  }

  // ---- legacy API ----

  /** POST /validators (legacy): binds each key to its predicted index; shards where ready. */
  async legacyValidators(req: ParsedLegacyValidatorsRequest): Promise<LegacyValidatorsResponse> {
    const keys = req.public_keys;
    if (!this.deps.keys.openLegacyKeys) {
      const unknown = keys.filter((k) => !this.deps.keys.has(k));
      if (unknown.length > 0) {
        throw new RelayerError('KEY_NOT_CONFIGURED', `public key(s) not configured in this relayer: ${unknown.join(', ')}`, { publicKeys: unknown });
      }
    } else {
      keys.forEach((k, i) => {
        try {
          assertPublicKey(hexToBytes(k), `public_keys[${i}]`);
        } catch (err) {
          throw new RelayerError('INVALID_REQUEST', `public_keys[${i}] ${k}: ${(err as Error).message}`);
        }
      });
    }
    const indexes = await this.deps.chain.predictIndexes(keys);
    const now = this.clock();
    const rows: ValidatorRecord[] = [];
    for (const publicKey of keys) {
      const exit = voluntaryExitSigningData(this.deps.network, indexes.get(publicKey)!);
      rows.push(
        await this.bind(
          {
            publicKey,
            api: 'legacy',
            vault: null,
            validatorType: null,
            amountGwei: null,
            validatorIndex: exit.message.validator_index,
            exitEpoch: exit.message.epoch,
            threshold: this.thresholdOf(publicKey),
            exitSigningRoot: bytesToHex(exit.signingRoot),
            depositSigningRoot: null,
          },
          now,
        ),
      );
    }
    const served = await this.withCurrentShards(await this.refreshed(rows));
    const validators = served.map((row) => ({ public_key: row.publicKey, oracles_exit_signature_shares: this.shardsOf(row) }));
    return { ready: validators.every((v) => v.oracles_exit_signature_shares !== null), validators };
  }

  /** GET /exits (legacy). */
  async exits(): Promise<ExitsResponse> {
    const rows = await this.deps.store.listValidators('legacy', this.clock() - this.deps.validatorLifetimeSeconds * 1000);
    const indexes = await this.deps.store.shareIndexes(rows.map((r) => r.id));
    return {
      exits: rows.map((row) => ({
        public_key: row.publicKey,
        validator_index: row.validatorIndex,
        is_exit_signature_ready: row.exitSignature !== null,
        created_at_timestamp: Math.floor(row.createdAt / 1000),
        created_at_string: formatCreatedAt(Math.floor(row.createdAt / 1000)),
        share_indexes_ready: indexes.get(row.id) ?? [],
      })),
    };
  }

  /** POST /exit-signature (legacy). */
  async pushExitSignatures(req: ParsedPushExitSignaturesRequest): Promise<void> {
    await this.acceptShares('legacy', req.share_index, req.shares);
  }

  // ---- shares ----

  private async acceptShares(api: RelayerApi, shareIndex: number, items: PushItem[]): Promise<void> {
    const rejected: ShareRejection[] = [];
    const reject = (publicKey: string, code: RelayerErrorCode, reason: string) => {
      rejected.push(shareRejection(publicKey, shareIndex, code, reason));
      this.deps.metrics.sharesRejected.inc({ reason: code });
      this.deps.metrics.sharesReceived.inc({ api, outcome: 'rejected' });
    };
    const keys = items.map((i) => i.public_key);
    const [rows, pinned] = await Promise.all([this.deps.store.findValidators(keys), this.deps.store.pinnedPublicKeyShares(keys)]);

    // 1. per item, no lock: binding, share key
    const prepared: PreparedShare[] = [];
    for (const item of items) {
      const row = rows.get(item.public_key);
      if (row === undefined || row.api !== api) {
        const hint =
          row === undefined
            ? api === 'current'
              ? 'no validator with this key was handed out by /register'
              : 'no validator with this key was requested through POST /validators'
            : `the key is bound through the ${row.api} API`;
        reject(item.public_key, 'UNKNOWN_VALIDATOR', `unknown validator: ${hint}`);
        continue;
      }
      const resolved = this.resolveShareKey(item, row, shareIndex, pinned.get(item.public_key));
      if ('code' in resolved) {
        reject(item.public_key, resolved.code, resolved.reason);
        continue;
      }
      prepared.push({
        publicKey: item.public_key,
        validatorId: row.id,
        exitSignature: item.exit_signature,
        depositSignature: item.deposit_signature ?? null,
        shareKey: resolved.shareKey,
        pin: resolved.pin,
        verified: resolved.shareKey !== undefined,
      });
    }

    // 2. verification: one batch for every item whose share key is known
    const checks: SignatureSetBytes[] = [];
    const owners: { share: PreparedShare; what: string; root: string }[] = [];
    for (const share of prepared) {
      const row = rows.get(share.publicKey)!;
      if (share.shareKey === undefined) continue;
      const publicShare = hexToBytes(share.shareKey);
      checks.push({ publicKey: publicShare, message: hexToBytes(row.exitSigningRoot), signature: hexToBytes(share.exitSignature) });
      owners.push({ share, what: 'exit signature', root: row.exitSigningRoot });
      if (share.depositSignature !== null && row.depositSigningRoot !== null) {
        checks.push({ publicKey: publicShare, message: hexToBytes(row.depositSigningRoot), signature: hexToBytes(share.depositSignature) });
        owners.push({ share, what: 'deposit signature', root: row.depositSigningRoot });
      }
    }
    const results = await this.deps.crypto.verifyPartials(checks);
    const failed = new Map<PreparedShare, string>();
    results.forEach((ok, i) => {
      const { share, what, root } = owners[i]!;
      if (!ok && !failed.has(share)) failed.set(share, `${what} does not verify against public key share ${share.shareKey} for signing root ${root}`);
    });
    for (const share of prepared) {
      if (share.shareKey !== undefined) continue;
      // unknown share key: at least refuse what is not a signature at all
      for (const [what, sig] of [
        ['exit signature', share.exitSignature],
        ['deposit signature', share.depositSignature],
      ] as const) {
        if (sig === null || failed.has(share)) continue;
        try {
          assertSignature(hexToBytes(sig), what);
        } catch (err) {
          failed.set(share, (err as Error).message);
        }
      }
    }
    for (const [share, reason] of failed) reject(share.publicKey, 'INVALID_SHARE', reason);
    const accepted = prepared.filter((s) => !failed.has(s));

    // 3. store in batches, each in one transaction holding its validators' locks; rebuild those that reached t partials
    let stored = 0;
    const batches: PreparedShare[][] = [];
    for (let i = 0; i < accepted.length; i += STORE_BATCH) batches.push(accepted.slice(i, i + STORE_BATCH));
    await forEachLimit(batches, STORE_CONCURRENCY, async (batch) => {
      const outcomes = await this.storeShares(batch, shareIndex);
      for (const share of batch) {
        const outcome = outcomes.get(share)!;
        if (outcome === 'stored' || outcome === 'duplicate') {
          stored++;
          this.deps.metrics.sharesReceived.inc({ api, outcome: outcome === 'stored' ? 'accepted' : 'duplicate' });
        } else {
          reject(share.publicKey, outcome.code, outcome.reason);
        }
      }
    });
    if (rejected.length > 0) {
      this.deps.logger.warn('shares rejected', { api, shareIndex, rejected: rejected.length, accepted: stored, first: rejected[0]!.message });
      throw new SharesRejectedError(rejected, stored);
    }
  }

  /** Which public key share checks this item: configured, pinned, or sent along (checked, to be pinned). */
  private resolveShareKey(
    item: PushItem,
    row: ValidatorRecord,
    shareIndex: number,
    pinned: PublicKeyShareHex[] | undefined,
  ): { shareKey?: string; pin?: PublicKeyShareHex[] } | { code: RelayerErrorCode; reason: string } {
    const sent = item.public_key_shares?.map((s) => ({ index: s.share_index, publicKey: s.public_key_share })).sort((a, b) => a.index - b.index);
    const known = this.deps.keys.get(item.public_key)?.publicShares ?? pinned;
    if (known !== undefined) {
      const mine = known.find((s) => s.index === shareIndex);
      if (mine === undefined) {
        return { code: 'SHARE_INDEX_NOT_IN_CLUSTER', reason: `share index not among the key's share indexes ${known.map((s) => s.index).join(', ')}` };
      }
      const claimed = sent?.find((s) => s.index === shareIndex);
      if (claimed !== undefined && claimed.publicKey !== mine.publicKey) {
        return {
          code: 'PUBLIC_KEY_SHARES_MISMATCH',
          reason: `public key share ${claimed.publicKey} differs from the known one ${mine.publicKey}`,
        };
      }
      return { shareKey: mine.publicKey };
    }
    if (sent === undefined || sent.length === 0) return {};
    const problem = this.checkSentShares(item.public_key, sent, row.threshold);
    if (problem !== '') return { code: 'PUBLIC_KEY_SHARES_INVALID', reason: problem };
    const mine = sent.find((s) => s.index === shareIndex);
    if (mine === undefined) return { code: 'SHARE_INDEX_NOT_IN_CLUSTER', reason: `public_key_shares has no entry for share index ${shareIndex}` };
    return { shareKey: mine.publicKey, pin: sent };
  }

  /** '' when the sent shares rebuild the key (any t of them); else why not. Cached per set. */
  private checkSentShares(publicKey: string, shares: PublicKeyShareHex[], threshold: number): string {
    const cacheKey = `${publicKey}:${threshold}:${JSON.stringify(shares)}`;
    let result = this.checkedShareSets.get(cacheKey);
    if (result === undefined) {
      try {
        checkPublicShares(publicKey, shares, threshold, 'public_key_shares');
        result = '';
      } catch (err) {
        result = (err as Error).message;
      }
      if (this.checkedShareSets.size > 10_000) this.checkedShareSets.clear();
      this.checkedShareSets.set(cacheKey, result);
    }
    return result;
  }

  /**
   * Stores checked shares and rebuilds the validators that reach t partials. On PostgreSQL the whole
   * step runs in one transaction holding the validators' row locks (replicas serialise on them); on
   * SQLite — one process owns the file — the in-process validator locks span a short storing
   * transaction, the CPU work, and a short writing transaction, so the process-wide transaction
   * queue never waits on BLS work. Either way a validator is rebuilt once.
   */
  private storeShares(shares: PreparedShare[], shareIndex: number): Promise<Map<PreparedShare, ShareOutcome>> {
    return this.lockedStep(
      shares.map((s) => s.publicKey),
      (tx) => this.stageShares(tx, shares, shareIndex),
    );
  }

  /** Runs `stage` on the validators' rows, then the rebuilds it planned (see storeShares for the locking). */
  private lockedStep<T>(publicKeys: string[], stage: (tx: StoreTx) => Promise<{ outcome: T; plans: RebuildPlan[] }>): Promise<T> {
    const { store } = this.deps;
    const keys = [...new Set(publicKeys)];
    if (store.kind === 'postgres') {
      // the in-process locks keep this process's pushes of one validator from holding several pool connections waiting on its row
      return this.validatorLocks.runAll(keys, () =>
        store.transaction(async (tx) => {
          const staged = await stage(tx);
          const results = await Promise.all(staged.plans.map((plan) => this.computeRebuild(plan)));
          for (const [i, plan] of staged.plans.entries()) await this.applyRebuild(tx, plan, results[i]!);
          return staged.outcome;
        }),
      );
    }
    return this.validatorLocks.runAll(keys, async () => {
      const staged = await store.transaction(stage);
      if (staged.plans.length > 0) {
        const results = await Promise.all(staged.plans.map((plan) => this.computeRebuild(plan)));
        await store.transaction(async (tx) => {
          const rows = await tx.lockValidators(staged.plans.map((plan) => plan.row.publicKey));
          for (const [i, plan] of staged.plans.entries()) {
            const row = rows.get(plan.row.publicKey);
            if (row?.id === plan.row.id) await this.applyRebuild(tx, { ...plan, row }, results[i]!);
          }
        });
      }
      return staged.outcome;
    });
  }

  /**
   * Rebuilds validators that have t partials but a missing signature: after a crash between
   * storing the t-th share and writing the signature (SQLite), or a rebuild that failed and got
   * new shares since. Runs at start and whenever the operator asks for the validators.
   */
  async resumeRebuilds(rows?: ValidatorRecord[]): Promise<number> {
    const candidates = (rows ?? (await this.deps.store.incompleteValidators())).filter(
      (r) => r.exitSignature === null || (r.api === 'current' && r.depositSignature === null),
    );
    if (candidates.length === 0) return 0;
    const counts = await this.deps.store.shareIndexes(candidates.map((r) => r.id));
    let resumed = 0;
    for (const row of candidates) {
      const count = counts.get(row.id)?.length ?? 0;
      if (count < row.threshold || this.failedRebuilds.get(row.id) === count) continue;
      resumed++;
      await this.lockedStep([row.publicKey], async (tx) => {
        const locked = await tx.lockValidator(row.publicKey);
        if (locked?.id !== row.id) return { outcome: undefined, plans: [] };
        const plan = this.planRebuild(locked, await tx.partials(locked.id), await tx.pinnedShares(locked.publicKey));
        return { outcome: undefined, plans: plan ? [plan] : [] };
      });
    }
    return resumed;
  }

  /**
   * Within the validators' transaction: store (or recognise) each share, in order; plan a rebuild
   * for each validator that now has t partials. One statement per step for the whole batch.
   */
  private async stageShares(
    tx: StoreTx,
    shares: PreparedShare[],
    shareIndex: number,
  ): Promise<{ outcome: Map<PreparedShare, ShareOutcome>; plans: RebuildPlan[] }> {
    const outcomes = new Map<PreparedShare, ShareOutcome>();
    const rows = await tx.lockValidators([...new Set(shares.map((s) => s.publicKey))]);
    const current = shares.filter((share) => {
      if (rows.get(share.publicKey)?.id === share.validatorId) return true;
      outcomes.set(share, { code: 'BINDING_CHANGED', reason: 'the validator was re-bound (index, vault, amount or type changed) while this share was checked: sign it again' });
      return false;
    });
    const now = this.clock();
    await tx.pinPublicKeySharesOf(current.filter((s) => s.pin).map((s) => ({ publicKey: s.publicKey, shares: s.pin!, createdAt: now })));
    const keys = [...new Set(current.map((s) => s.publicKey))];
    // one read each serves the pin check, the duplicate check and the rebuild plans
    const [pinned, partials] = await Promise.all([
      tx.pinnedSharesOf(keys.filter((key) => this.deps.keys.get(key)?.publicShares === undefined)),
      tx.partialsOf(keys.map((key) => rows.get(key)!.id)),
    ]);
    const inserts: PartialRecord[] = [];
    const touched = new Set<ValidatorRecord>();
    for (const share of current) {
      if (share.pin) {
        const mine = pinned.get(share.publicKey)?.find((s) => s.index === shareIndex);
        if (mine?.publicKey !== share.shareKey) {
          outcomes.set(share, { code: 'PUBLIC_KEY_SHARES_MISMATCH', reason: 'another set of public key shares was recorded for this key first' });
          continue;
        }
      }
      const row = rows.get(share.publicKey)!;
      const stored = partials.get(row.id)!;
      const existing = stored.find((p) => p.shareIndex === shareIndex);
      const record: PartialRecord = {
        validatorId: row.id,
        shareIndex,
        exitSignature: share.exitSignature,
        depositSignature: share.depositSignature,
        verified: share.verified,
        createdAt: now,
      };
      if (existing !== undefined) {
        if (existing.exitSignature === share.exitSignature && existing.depositSignature === share.depositSignature) {
          outcomes.set(share, 'duplicate');
          continue;
        }
        if (existing.verified || !share.verified) {
          outcomes.set(share, { code: 'SHARE_INDEX_FILLED', reason: 'a different share is already stored for this share index' });
          continue;
        }
        // a checked share replaces one nobody could check
        const pending = inserts.indexOf(existing);
        if (pending >= 0) inserts[pending] = record;
        else await tx.replacePartial(record);
        stored[stored.indexOf(existing)] = record;
      } else {
        inserts.push(record);
        stored.push(record);
      }
      outcomes.set(share, 'stored');
      touched.add(row);
    }
    await tx.insertPartials(inserts);
    const plans: RebuildPlan[] = [];
    for (const row of touched) {
      const plan = this.planRebuild(row, partials.get(row.id)!, pinned.get(row.publicKey));
      if (plan) plans.push(plan);
    }
    return { outcome: outcomes, plans };
  }

  /** What to rebuild for `row` from its stored partials, or undefined when nothing is missing or fewer than t partials are in. */
  private planRebuild(row: ValidatorRecord, partials: PartialRecord[], pinnedShares?: PublicKeyShareHex[]): RebuildPlan | undefined {
    const needExit = row.exitSignature === null;
    const needDeposit = row.api === 'current' && row.depositSignature === null && row.depositSigningRoot !== null;
    if (!needExit && !needDeposit) return undefined;
    if (partials.length < row.threshold) return undefined;
    const shares = this.deps.keys.get(row.publicKey)?.publicShares ?? pinnedShares;
    const publicShares = shares?.map((s) => ({ index: s.index, publicKey: hexToBytes(s.publicKey) }));
    return { row, partials, needExit, needDeposit, publicShares, config: this.deps.protocol.peek() };
  }

  /** The BLS work of a plan (no database access): rebuilds, then the oracle shards of a new exit signature. */
  private async computeRebuild(plan: RebuildPlan): Promise<RebuildResult> {
    const { row, partials } = plan;
    const ordered = [...partials.filter((p) => p.verified), ...partials.filter((p) => !p.verified)];
    const publicKey = hexToBytes(row.publicKey);
    const started = performance.now();
    const [exit, deposit] = await Promise.all([
      plan.needExit
        ? this.deps.crypto.recover(
            publicKey,
            hexToBytes(row.exitSigningRoot),
            ordered.map((p) => ({ index: p.shareIndex, signature: hexToBytes(p.exitSignature) })),
            row.threshold,
            this.deps.maxSubsetSearch,
            plan.publicShares,
          )
        : undefined,
      plan.needDeposit
        ? this.deps.crypto.recover(
            publicKey,
            hexToBytes(row.depositSigningRoot!),
            ordered.filter((p) => p.depositSignature !== null).map((p) => ({ index: p.shareIndex, signature: hexToBytes(p.depositSignature!) })),
            row.threshold,
            this.deps.maxSubsetSearch,
            plan.publicShares,
          )
        : undefined,
    ]);
    const shards = exit?.ok && plan.config ? await this.oracleShards(row, exit.signature, plan.config) : undefined;
    this.deps.metrics.rebuildSeconds.observe((performance.now() - started) / 1000);
    return { exit, deposit, shards };
  }

  /** Within the validator's transaction: store what the rebuild produced, drop shares it disproved. */
  private async applyRebuild(tx: StoreTx, plan: RebuildPlan, result: RebuildResult): Promise<void> {
    const { row, partials } = plan;
    const patch: Partial<ValidatorRecord> = {};
    const unverified = new Set(partials.filter((p) => !p.verified).map((p) => p.shareIndex));
    const disproved = new Set<number>();
    const account = (kind: 'exit' | 'deposit', outcome: RecoverOutcome | undefined): Uint8Array | undefined => {
      if (outcome === undefined) return undefined;
      this.deps.metrics.rebuilds.inc({ kind, result: outcome.ok ? 'ok' : 'failed' });
      if (!outcome.ok) {
        this.deps.logger.warn('rebuild failed, waiting for more shares', { publicKey: row.publicKey, kind, code: outcome.code, reason: outcome.message });
        this.failedRebuilds.set(row.id, partials.length);
        return undefined;
      }
      for (const index of outcome.excludedIndexes) if (unverified.has(index)) disproved.add(index);
      return outcome.signature;
    };
    const exitSignature = account('exit', result.exit);
    const depositSignature = account('deposit', result.deposit);
    if (exitSignature && row.exitSignature === null) {
      patch.exitSignature = bytesToHex(exitSignature);
      if (result.shards) Object.assign(patch, result.shards);
    }
    if (depositSignature && row.depositSignature === null) patch.depositSignature = bytesToHex(depositSignature);
    const config = this.deps.protocol.peek();
    if (row.readyAt === null && this.isReady({ ...row, ...patch }, config)) {
      patch.readyAt = this.clock();
      this.deps.metrics.readySeconds.observe((patch.readyAt - row.createdAt) / 1000);
      this.deps.logger.info('validator ready', { publicKey: row.publicKey, validatorIndex: row.validatorIndex, api: row.api });
    }
    if (Object.keys(patch).length > 0) await tx.updateValidator(row.id, patch);
    if (disproved.size > 0) {
      // shares nobody could check and the rebuild proved wrong: free their indexes for a correct resubmission
      await tx.deletePartials(row.id, [...disproved]);
      this.deps.logger.warn('dropped shares the rebuild proved wrong', { publicKey: row.publicKey, shareIndexes: [...disproved] });
    }
  }

  /** The oracle shard columns of `row` for its exit signature under the current oracle set. */
  private async oracleShards(row: ValidatorRecord, exitSignature: Uint8Array, config: ProtocolConfig): Promise<Partial<ValidatorRecord>> {
    const shards: OracleShards = await this.deps.crypto.shareToOracles(
      hexToBytes(row.publicKey),
      exitSignature,
      hexToBytes(row.exitSigningRoot),
      config.oracles.map((o) => hexToBytes(o.publicKey)),
      config.exitSignatureRecoverThreshold,
    );
    return { oracleSetId: config.oracleSetId, oraclePublicKeyShards: shards.publicKeys, oracleEncryptedExitSignatures: shards.encryptedExitSignatures };
  }

  private thresholdOf(publicKey: string): number {
    const threshold = this.deps.keys.thresholdOf(publicKey);
    if (threshold === undefined) {
      throw new RelayerError('KEY_NOT_CONFIGURED', `public key ${publicKey}: no cluster threshold known (SIGNATURE_THRESHOLD is not set)`);
    }
    return threshold;
  }

  private async bind(wanted: NewValidator, now: number): Promise<ValidatorRecord> {
    const { row, replaced } = await this.deps.store.transaction((tx) => tx.bindValidator(wanted, now));
    if (replaced) {
      this.deps.logger.info('validator re-bound: earlier shares discarded', {
        publicKey: wanted.publicKey,
        api: wanted.api,
        validatorIndex: wanted.validatorIndex,
        vault: wanted.vault,
        amountGwei: wanted.amountGwei,
        validatorType: wanted.validatorType,
      });
    }
    return row;
  }

  /** The first `count` configured keys the chain does not know yet, in configured order. */
  private async pickUnregisteredKeys(count: number): Promise<string[]> {
    const all = this.deps.keys.publicKeys;
    const picked: string[] = [];
    const chunk = Math.max(64, count * 2);
    for (let i = 0; i < all.length && picked.length < count; i += chunk) {
      const candidates = all.slice(i, i + chunk);
      const registered = await this.deps.chain.registeredKeys(candidates);
      for (const key of candidates) {
        if (picked.length === count) break;
        if (!registered.has(key)) picked.push(key);
      }
    }
    return picked;
  }

  private isReady(row: ValidatorRecord, config: ProtocolConfig | undefined): boolean {
    const shards = row.oracleSetId !== null && (config === undefined || row.oracleSetId === config.oracleSetId);
    return row.exitSignature !== null && shards && (row.api === 'legacy' || row.depositSignature !== null);
  }

  private shardsOf(row: ValidatorRecord): OracleExitSignatureShares | null {
    const config = this.deps.protocol.peek();
    if (row.oraclePublicKeyShards === null || row.oracleEncryptedExitSignatures === null) return null;
    if (config !== undefined && row.oracleSetId !== config.oracleSetId) return null;
    return { public_keys: row.oraclePublicKeyShards, encrypted_exit_signatures: row.oracleEncryptedExitSignatures };
  }

  /** The rows after resuming any stalled rebuild among them (re-read when one ran). */
  private async refreshed(rows: ValidatorRecord[]): Promise<ValidatorRecord[]> {
    if ((await this.resumeRebuilds(rows)) === 0) return rows;
    const fresh = await this.deps.store.findValidators(rows.map((r) => r.publicKey));
    return rows.map((r) => fresh.get(r.publicKey) ?? r);
  }

  /** Re-shares exit signatures made for another oracle set (or never shared) to the current one. */
  private async withCurrentShards(rows: ValidatorRecord[]): Promise<ValidatorRecord[]> {
    const config = this.deps.protocol.peek();
    if (config === undefined) return rows;
    const out: ValidatorRecord[] = [];
    for (const row of rows) {
      if (row.exitSignature === null || row.oracleSetId === config.oracleSetId) {
        out.push(row);
        continue;
      }
      out.push(
        await this.deps.store.transaction(async (tx) => {
          const locked = await tx.lockValidator(row.publicKey);
          if (locked === null || locked.id !== row.id || locked.exitSignature === null || locked.oracleSetId === config.oracleSetId) return locked ?? row;
          const patch = await this.oracleShards(locked, hexToBytes(locked.exitSignature), config);
          const updated = { ...locked, ...patch };
          if (locked.readyAt === null && this.isReady(updated, config)) patch.readyAt = this.clock();
          await tx.updateValidator(locked.id, patch);
          this.deps.logger.info('exit signature re-shared to the current oracle set', { publicKey: locked.publicKey, oracleSetId: config.oracleSetId });
          return { ...updated, readyAt: patch.readyAt ?? locked.readyAt };
        }),
      );
    }
    return out;
  }

  private execution(): ExecutionPort {
    if (!this.deps.execution) throw new RelayerError('EXECUTION_UNAVAILABLE', 'no execution endpoint configured (EXECUTION_ENDPOINT)');
    return this.deps.execution;
  }

  private async signWithNonce(vault: string, encode: () => string): Promise<ValidatorsManagerSignatureResponse> {
    if (!this.deps.manager) return { validators_manager_signature: null };
    const validators = encode();
    const nonce = await this.execution().validatorsManagerNonce(vault);
    return { validators_manager_signature: this.deps.manager.signWithNonce(this.deps.network.chainId, vault, nonce, validators) };
  }
}

/** Runs tasks that share a key one after another, tasks with no key in common freely. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /**
   * Runs `task` once every earlier task holding any of `keys` has ended. Registration is
   * synchronous, so waits only ever point at earlier tasks: no deadlock whatever the key order.
   */
  runAll<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const previous = keys.map((key) => this.tails.get(key)).filter((tail) => tail !== undefined);
    const result = previous.length === 0 ? task() : Promise.all(previous).then(task);
    const tail = result.catch(() => undefined);
    for (const key of keys) this.tails.set(key, tail);
    void tail.then(() => {
      for (const key of keys) if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
