import {
  DvError,
  DutyType,
  Subscribers,
  dutyKey,
  formatDuty,
  newDuty,
  toDvPubkey,
  type BeaconDutyPort,
  type Clock,
  type Duty,
  type DutyDefinition,
  type DutyDefinitionSet,
  type DvPubkey,
  type SlotTimes,
  type Timers,
} from '../core/index.js';

export interface SchedulerLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Metrics and log hooks; every method is optional and must not throw. */
export interface SchedulerObserver {
  /** a duty fired for `dvs` DVs, `lateMs` after its trigger time */
  onDuty?(duty: Duty, dvs: number, lateMs: number): void;
  /** a known duty did not fire: its slot was over before the scheduler got to it */
  onMissed?(duty: Duty, dvs: number): void;
  /** the duties of an epoch were (re)fetched */
  onDutiesFetched?(epoch: number, attesterDuties: number, proposerDuties: number): void;
  /** the beacon node's dependent root of an epoch changed: its duties were replaced */
  onReorg?(epoch: number, kind: 'attester' | 'proposer', previousRoot: string, root: string): void;
  /** a beacon node call failed; it is retried */
  onBeaconError?(operation: 'validator_indexes' | 'attester_duties' | 'proposer_duties', error: string): void;
  /** validator indexes known so far, of all the cluster's DVs */
  onIndexes?(known: number, total: number): void;
}

export interface SchedulerOptions {
  beacon: BeaconDutyPort;
  /** the cluster's DV root keys */
  dvs: readonly (DvPubkey | string)[];
  slotTimes: SlotTimes;
  slotsPerEpoch: number;
  clock: Clock;
  timers: Timers;
  logger?: SchedulerLogger;
  observer?: SchedulerObserver;
  /** a duty listener threw or rejected */
  onListenerError?: (error: unknown) => void;
  /** first pause after a failed beacon node poll, doubling up to one slot; default 1000 ms */
  retryDelayMs?: number;
}

/** When in its slot a duty fires, in firing order. */
const PHASES = [
  { type: DutyType.Proposer, offset: (_slotMs: number) => 0 },
  { type: DutyType.Attester, offset: (slotMs: number) => slotMs / 3 },
] as const;

interface Cursor {
  readonly slot: number;
  readonly phase: number;
}

interface EpochDuties {
  readonly attesterRoot: string;
  readonly proposerRoot: string;
  /** the validator indexes the attester duties were asked for */
  readonly indexes: string;
  readonly attester: number;
  readonly proposer: number;
  /** duty key → definitions */
  readonly duties: ReadonlyMap<string, ReadonlyMap<DvPubkey, DutyDefinition>>;
}

const silent: SchedulerLogger = { debug() {}, warn() {} };

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Asks the beacon node for the attester and proposer duties of the cluster's DVs, for the current
 * and the next epoch, every slot (an answer with the same dependent root changes nothing; another
 * root replaces the epoch's duties), and fires each duty at its time (DV-NODE.md): proposer at the
 * slot start, attester at 1/3 of the slot, only for the DVs that have it. Duties fire in slot
 * order, each at most once; one whose time passed while the process was busy (or before it
 * started, or before its duties were known) still fires while its slot lasts. Beacon node errors
 * are logged and retried with backoff, never thrown.
 */
export class Scheduler {
  private readonly dvs: readonly DvPubkey[];
  private readonly dvSet: ReadonlySet<DvPubkey>;
  private readonly logger: SchedulerLogger;
  private readonly observer: SchedulerObserver;
  private readonly listeners: Subscribers<[Duty, DutyDefinitionSet]>;
  private readonly slotMs: number;
  private readonly epochMs: number;
  private readonly indexOf = new Map<DvPubkey, number>();
  private readonly dvOfIndex = new Map<number, DvPubkey>();
  private readonly epochs = new Map<number, EpochDuties>();
  /** definitions each fired duty ran with (later refetches do not change them) */
  private readonly fired = new Map<string, { readonly slot: number; readonly definitions: DutyDefinitionSet }>();
  private cursor: Cursor = { slot: 0, phase: 0 };
  private running = false;
  private cancelTimer?: () => void;
  private cancelRetry?: () => void;
  private polling?: Promise<void>;
  private pollAgain = false;
  private polledSlot = -1;
  private retryDelayMs: number;
  /** beacon node failures since the last successful poll */
  private failures = 0;
  private indexAttemptAtMs = 0;
  private indexDelaySlots = 1;

  constructor(private readonly options: SchedulerOptions) {
    if (!Number.isInteger(options.slotsPerEpoch) || options.slotsPerEpoch < 1) {
      throw new DvError('INVALID_CONFIG', `slots per epoch must be a positive integer, got ${options.slotsPerEpoch}`);
    }
    if (options.retryDelayMs !== undefined && !(options.retryDelayMs > 0)) throw new DvError('INVALID_CONFIG', `retry delay must be positive, got ${options.retryDelayMs}`);
    this.dvs = options.dvs.map((dv, i) => toDvPubkey(dv, `dvs[${i}]`));
    this.dvSet = new Set(this.dvs);
    this.logger = options.logger ?? silent;
    this.observer = options.observer ?? {};
    this.listeners = new Subscribers(
      options.onListenerError ?? ((error) => this.logger.warn('duty listener failed', { error: errorText(error) })),
    );
    this.slotMs = options.slotTimes.slotDurationMs;
    this.epochMs = this.slotMs * options.slotsPerEpoch;
    this.retryDelayMs = this.firstRetryDelay();
  }

  /** Adds a duty listener (proposer and attester duties); returns the function that removes it. */
  onDuty(listener: (duty: Duty, definitions: DutyDefinitionSet) => void): () => void {
    return this.listeners.subscribe(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const slot = Math.max(0, this.options.slotTimes.slotAt(this.options.clock.now()));
    if (compareCursor({ slot, phase: 0 }, this.cursor) > 0) this.cursor = { slot, phase: 0 };
    this.polledSlot = Math.max(this.polledSlot, slot);
    this.poll();
    this.process();
  }

  stop(): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
  }

  /** The definitions a duty fired with, else the ones known for it; undefined when no DV has it. */
  definitionsOf(duty: Duty): DutyDefinitionSet | undefined {
    const key = dutyKey(duty);
    return this.fired.get(key)?.definitions ?? this.epochs.get(this.epochOf(duty.slot))?.duties.get(key);
  }

  dvOfValidatorIndex(index: number): DvPubkey | undefined {
    return this.dvOfIndex.get(index);
  }

  dvProposingAt(slot: number): DvPubkey | undefined {
    if (!Number.isSafeInteger(slot) || slot < 0) return undefined;
    const definitions = this.definitionsOf(newDuty(slot, DutyType.Proposer));
    return definitions?.keys().next().value;
  }

  /** Validator index of each DV the beacon node knows so far. */
  validatorIndexes(): ReadonlyMap<DvPubkey, number> {
    return this.indexOf;
  }

  // ---- triggering -----------------------------------------------------------------------------

  private epochOf(slot: number): number {
    return Math.floor(slot / this.options.slotsPerEpoch);
  }

  private triggerMs(cursor: Cursor): number {
    return this.options.slotTimes.startMs(cursor.slot) + PHASES[cursor.phase]!.offset(this.slotMs);
  }

  private advance(): void {
    const { slot, phase } = this.cursor;
    this.cursor = phase + 1 < PHASES.length ? { slot, phase: phase + 1 } : { slot: slot + 1, phase: 0 };
  }

  /** Fires every due trigger in order, then arms the timer of the next one. */
  private process(): void {
    if (!this.running) return;
    const { slotTimes, clock } = this.options;
    while (this.running) {
      const now = clock.now();
      const at = this.triggerMs(this.cursor);
      if (at > now) return this.arm(at);
      const currentSlot = slotTimes.slotAt(now);
      const { slot, phase } = this.cursor;
      if (phase === 0 && slot >= currentSlot && this.polledSlot < slot) {
        this.polledSlot = slot;
        this.poll();
      }
      const duty = newDuty(slot, PHASES[phase]!.type);
      const epoch = this.epochs.get(this.epochOf(slot));
      if (slot < currentSlot) {
        const definitions = epoch?.duties.get(dutyKey(duty));
        if (definitions) {
          this.logger.warn('duty missed: its slot was over before it could fire', { duty: formatDuty(duty), dvs: definitions.size });
          this.observer.onMissed?.(duty, definitions.size);
        }
        if (!epoch) {
          // nothing known about this epoch: skip straight on, without walking every trigger
          const next = Math.min((this.epochOf(slot) + 1) * this.options.slotsPerEpoch, currentSlot);
          this.cursor = next > slot ? { slot: next, phase: 0 } : this.cursor;
          if (next > slot) continue;
        }
        this.advance();
        continue;
      }
      if (!epoch) {
        // duties not known yet: the poll in flight calls back; the slot end moves on regardless
        return this.arm(slotTimes.startMs(slot + 1));
      }
      const definitions = epoch.duties.get(dutyKey(duty));
      if (definitions && definitions.size > 0) this.fire(duty, definitions, now - at);
      this.advance();
    }
  }

  private fire(duty: Duty, definitions: DutyDefinitionSet, lateMs: number): void {
    const key = dutyKey(duty);
    if (this.fired.has(key)) return;
    this.fired.set(key, { slot: duty.slot, definitions });
    this.logger.debug('duty fired', { duty: formatDuty(duty), dvs: definitions.size, lateMs });
    this.observer.onDuty?.(duty, definitions.size, lateMs);
    this.listeners.emit(duty, definitions);
  }

  private arm(atMs: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.options.timers.at(atMs, () => {
      this.cancelTimer = undefined;
      this.process();
    });
  }

  // ---- beacon node polling --------------------------------------------------------------------

  private firstRetryDelay(): number {
    return Math.min(this.options.retryDelayMs ?? 1000, this.slotMs);
  }

  /** Fetches indexes and duties (single flight: a call during a poll runs another one after it). */
  private poll(): void {
    if (!this.running) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.polling = this.pollOnce()
      .then((ok) => {
        if (!this.running) return;
        if (ok) {
          if (this.failures > 0) this.logger.warn('beacon node answers again', { failures: this.failures });
          this.failures = 0;
          this.retryDelayMs = this.firstRetryDelay();
        } else {
          const delay = this.retryDelayMs;
          this.retryDelayMs = Math.min(2 * delay, this.slotMs);
          this.cancelRetry = this.options.timers.at(this.options.clock.now() + delay, () => {
            this.cancelRetry = undefined;
            this.poll();
          });
        }
      })
      .catch((error: unknown) => this.logger.warn('duty poll failed', { error: errorText(error) }))
      .finally(() => {
        this.polling = undefined;
        this.process();
        if (this.pollAgain) {
          this.pollAgain = false;
          this.poll();
        }
      });
  }

  /** One round: resolve missing indexes (when due), then the duties of the current and next epoch. False if the BN failed. */
  private async pollOnce(): Promise<boolean> {
    const now = this.options.clock.now();
    const epoch = this.epochOf(Math.max(0, this.options.slotTimes.slotAt(now)));
    let ok = true;
    if (this.indexOf.size < this.dvs.length && now >= this.indexAttemptAtMs) ok = (await this.resolveIndexes()) && ok;
    const results = await Promise.all([epoch, epoch + 1].map((e) => this.fetchEpoch(e)));
    for (const old of this.epochs.keys()) if (old < epoch - 1) this.epochs.delete(old);
    const oldestKept = (epoch - 1) * this.options.slotsPerEpoch;
    for (const [key, { slot }] of this.fired) if (slot < oldestKept) this.fired.delete(key);
    return ok && results.every(Boolean);
  }

  private async resolveIndexes(): Promise<boolean> {
    const missing = this.dvs.filter((dv) => !this.indexOf.has(dv));
    let ok = true;
    try {
      const found = await this.options.beacon.validatorIndexes(missing);
      for (const [pubkey, index] of found) this.learnIndex(pubkey, index);
    } catch (error) {
      ok = false;
      this.beaconError('validator_indexes', error);
    }
    const stillMissing = this.dvs.length - this.indexOf.size;
    this.observer.onIndexes?.(this.indexOf.size, this.dvs.length);
    if (stillMissing > 0 && ok) {
      // not (yet) on chain: ask again after 1, 2, 4 … slots, at least once an epoch (after an error, at the next poll)
      this.indexAttemptAtMs = this.options.clock.now() + this.indexDelaySlots * this.slotMs;
      this.indexDelaySlots = Math.min(2 * this.indexDelaySlots, this.options.slotsPerEpoch);
      this.logger.debug('DVs not yet known to the beacon node', { missing: stillMissing });
    }
    return ok;
  }

  private learnIndex(pubkey: string, index: number): void {
    let dv: DvPubkey;
    try {
      dv = toDvPubkey(pubkey);
    } catch {
      return;
    }
    if (!this.dvSet.has(dv) || !Number.isSafeInteger(index) || index < 0 || this.indexOf.get(dv) === index) return;
    const other = this.dvOfIndex.get(index);
    if (other !== undefined && other !== dv) {
      this.logger.warn('the beacon node gave one validator index to two DVs; ignored', { index, dv, other });
      return;
    }
    this.indexOf.set(dv, index);
    this.dvOfIndex.set(index, dv);
  }

  /** (Re)fetches one epoch's duties; keeps the known ones when both dependent roots and the asked indexes are unchanged. */
  private async fetchEpoch(epoch: number): Promise<boolean> {
    const { beacon, slotsPerEpoch } = this.options;
    const indexes = [...this.dvOfIndex.keys()].sort((a, b) => a - b);
    const [attesters, proposers] = await Promise.allSettled([
      indexes.length > 0 ? beacon.attesterDuties(epoch, indexes) : Promise.resolve({ dependentRoot: '', duties: [] }),
      beacon.proposerDuties(epoch),
    ]);
    if (attesters.status === 'rejected') this.beaconError('attester_duties', attesters.reason, epoch);
    if (proposers.status === 'rejected') this.beaconError('proposer_duties', proposers.reason, epoch);
    if (attesters.status === 'rejected' || proposers.status === 'rejected' || !this.running) return false;

    const known = this.epochs.get(epoch);
    const indexKey = indexes.join(',');
    const attesterRoot = attesters.value.dependentRoot;
    const proposerRoot = proposers.value.dependentRoot;
    if (known && known.attesterRoot === attesterRoot && known.proposerRoot === proposerRoot && known.indexes === indexKey) return true;
    if (known && known.attesterRoot !== attesterRoot && known.indexes !== '') this.reorg(epoch, 'attester', known.attesterRoot, attesterRoot);
    if (known && known.proposerRoot !== proposerRoot) this.reorg(epoch, 'proposer', known.proposerRoot, proposerRoot);

    const first = epoch * slotsPerEpoch;
    const inEpoch = (slot: number): boolean => Number.isSafeInteger(slot) && slot >= first && slot < first + slotsPerEpoch;
    const duties = new Map<string, Map<DvPubkey, DutyDefinition>>();
    const add = (duty: Duty, definition: DutyDefinition): void => {
      const key = dutyKey(duty);
      let set = duties.get(key);
      if (!set) duties.set(key, (set = new Map()));
      set.set(definition.dv, definition);
    };
    let attester = 0;
    for (const row of attesters.value.duties) {
      const dv = this.dvOfIndex.get(row.validatorIndex);
      if (!dv || !inEpoch(row.slot) || !samePubkey(row.pubkey, dv)) continue;
      add(newDuty(row.slot, DutyType.Attester), {
        kind: 'attester',
        dv,
        validatorIndex: row.validatorIndex,
        slot: row.slot,
        committeeIndex: row.committeeIndex,
        committeeLength: row.committeeLength,
        committeesAtSlot: row.committeesAtSlot,
        validatorCommitteeIndex: row.validatorCommitteeIndex,
      });
      attester++;
    }
    let proposer = 0;
    for (const row of proposers.value.duties) {
      // proposer duties name every proposer of the epoch: a DV whose index is not resolved yet is found by its key
      if (!this.dvOfIndex.has(row.validatorIndex)) this.learnIndex(row.pubkey, row.validatorIndex);
      const dv = this.dvOfIndex.get(row.validatorIndex);
      if (!dv || !inEpoch(row.slot) || !samePubkey(row.pubkey, dv)) continue;
      add(newDuty(row.slot, DutyType.Proposer), { kind: 'proposer', dv, validatorIndex: row.validatorIndex, slot: row.slot });
      proposer++;
    }
    this.epochs.set(epoch, { attesterRoot, proposerRoot, indexes: indexKey, attester, proposer, duties });
    this.logger.debug('duties fetched', { epoch, attester, proposer });
    this.observer.onDutiesFetched?.(epoch, attester, proposer);
    return true;
  }

  private reorg(epoch: number, kind: 'attester' | 'proposer', previousRoot: string, root: string): void {
    this.logger.warn('dependent root changed: duties refetched', { epoch, kind, previousRoot, root });
    this.observer.onReorg?.(epoch, kind, previousRoot, root);
  }

  /** Logged as a warning at the first failure and every 10th after it, until a poll succeeds again. */
  private beaconError(operation: 'validator_indexes' | 'attester_duties' | 'proposer_duties', error: unknown, epoch?: number): void {
    const fields = { operation, epoch, failures: ++this.failures, retryInMs: this.retryDelayMs, error: errorText(error) };
    if (this.failures % 10 === 1) this.logger.warn('beacon node call failed; retrying', fields);
    else this.logger.debug('beacon node call failed; retrying', fields);
    this.observer.onBeaconError?.(operation, errorText(error));
  }
}

function samePubkey(pubkey: string, dv: DvPubkey): boolean {
  try {
    return toDvPubkey(pubkey) === dv;
  } catch {
    return false;
  }
}

function compareCursor(a: Cursor, b: Cursor): number {
  return a.slot - b.slot || a.phase - b.phase;
}
