import {
  DEFAULT_QBFT_LIMITS,
  QbftError,
  QbftInstance,
  QbftRoundClock,
  decodeQbftEnvelope,
  secp256k1Verifier,
  type QbftDecision,
  type QbftEnvelope,
  type QbftLimits,
  type QbftReceiveResult,
  type QbftRoundChangeReason,
  type QbftSigner,
  type QbftValueCodec,
  type QbftVerifier,
} from '@dvt/qbft';
import {
  DEFAULT_UNSIGNED_DATA_SET_LIMITS,
  Subscribers,
  decodeUnsignedDataSet,
  dutyKey,
  encodeUnsignedDataSet,
  formatDuty,
  isDutyType,
  newDuty,
  systemClock,
  toDvPubkey,
  type Clock,
  type Duty,
  type DutyType,
  type DvPubkey,
  type SlotTimes,
  type Timers,
  type UnsignedDataSet,
  type UnsignedDataSetLimits,
} from '../core/index.js';
import { ConsensusError } from './errors.js';
import { defaultDutyConsensusTiming, type DutyConsensusTiming } from './timing.js';
import type { ConsensusTransport } from './transport.js';

/**
 * Whether this node may agree to `value` for `duty`: right slot, fork-correct fields, and not
 * slashable against the local slashing DB. Synchronous; a throw counts as "no".
 */
export type ValidityPredicate = (duty: Duty, value: UnsignedDataSet) => boolean;

/** Consensus settings of one duty type; unset timing fields take `defaultDutyConsensusTiming`. */
export interface DutyConsensusConfig extends Partial<DutyConsensusTiming> {
  readonly isValid: ValidityPredicate;
}

export interface DecisionInfo {
  /** the round the value was decided in (1 when all went well) */
  readonly round: number;
  /** sha256 of the value's canonical encoding */
  readonly valueHash: Uint8Array;
}

export type DecidedListener = (duty: Duty, value: UnsignedDataSet, info: DecisionInfo) => void;

/** Why a message did not reach an instance, or what the instance said about it. */
export type ConsensusMessageOutcome =
  | { readonly status: 'accepted' }
  | {
      readonly status: 'dropped';
      /** OUT_OF_WINDOW, EXPIRED, UNSUPPORTED_DUTY_TYPE, TOO_MANY_INSTANCES, or the instance's DUPLICATE, EQUIVOCATION, … */
      readonly reason: string;
    }
  | {
      readonly status: 'rejected';
      /** SENDER_MISMATCH, UNKNOWN_DUTY_TYPE, or a QbftError code */
      readonly reason: string;
      readonly message: string;
    };

/** Metrics and log hooks; every method is optional and must not throw. */
export interface ConsensusObserver {
  /** this node joined the duty, with (`proposed`) or without its own value */
  onStart?(duty: Duty, proposed: boolean): void;
  /** `durationMs`: from this node joining (or from the first message, if it never joined) to the decision */
  onDecided?(duty: Duty, round: number, durationMs: number): void;
  onRoundChange?(duty: Duty, round: number, reason: QbftRoundChangeReason): void;
  /** the duty deadline passed and the instance was deleted */
  onExpired?(duty: Duty, decided: boolean): void;
  onMessage?(fromIndex: number, duty: Duty | undefined, outcome: ConsensusMessageOutcome): void;
  /** a decided-value listener threw */
  onListenerError?(error: unknown): void;
}

export interface ConsensusOptions {
  /** this node's index in `peers` */
  nodeIndex: number;
  /** identity public keys of the cluster's nodes (33-byte secp256k1), in index order */
  peers: readonly Uint8Array[];
  signer: QbftSigner;
  /** default: secp256k1Verifier (native) */
  verifier?: QbftVerifier;
  transport: ConsensusTransport;
  slotTimes: SlotTimes;
  /** default: the system clock */
  clock?: Clock;
  /** default: setTimeout */
  timers?: Timers;
  /** the duty types this node runs consensus for; messages of other types are dropped */
  duties: Partial<Record<DutyType, DutyConsensusConfig>>;
  /** when set, a value with any other DV key is invalid */
  knownDvs?: Iterable<DvPubkey | string | Uint8Array>;
  dataLimits?: Partial<UnsignedDataSetLimits>;
  /** largest QBFT message sent or accepted; default 8 MiB */
  maxMessageBytes?: number;
  /** how many slots ahead of the local clock a duty may start (peers' clocks drift); default 1 */
  futureSlots?: number;
  /** instances alive at once, a backstop on top of the slot window; default 256 */
  maxInstances?: number;
  observer?: ConsensusObserver;
}

export interface ConsensusStats {
  instances: number;
  decided: number;
  /** instances that reached their deadline without a decision */
  expiredUndecided: number;
  accepted: number;
  dropped: number;
  rejected: number;
}

interface DutyInstance {
  readonly duty: Duty;
  readonly key: string;
  readonly instance: QbftInstance<UnsignedDataSet>;
  readonly createdAtMs: number;
  joinedAtMs?: number;
  accepted: number;
  timerAtMs?: number;
  cancelTimer?: () => void;
}

interface ResolvedDutyConfig extends DutyConsensusTiming {
  readonly isValid: ValidityPredicate;
}

/** Encodes sets canonically; remembers each set's bytes so a value is encoded once. */
class UnsignedDataSetCodec implements QbftValueCodec<UnsignedDataSet> {
  private readonly encoded = new WeakMap<UnsignedDataSet, Uint8Array>();
  constructor(private readonly limits: UnsignedDataSetLimits) {}
  encode(set: UnsignedDataSet): Uint8Array {
    let bytes = this.encoded.get(set);
    if (!bytes) this.encoded.set(set, (bytes = encodeUnsignedDataSet(set, this.limits)));
    return bytes;
  }
  /** `bytes` are the instance's own copy out of the decoded envelope: the set may view them */
  decode(bytes: Uint8Array): UnsignedDataSet {
    const set = decodeUnsignedDataSet(bytes, this.limits, { copy: false });
    this.encoded.set(set, bytes);
    return set;
  }
}

/**
 * The consensus component of the DV node: one QBFT instance per duty (slot × duty type) whose
 * value is the unsigned data of all the cluster's DVs for that duty.
 *
 * Messages are decoded once and routed by duty. An instance is created by `propose` /
 * `participate`, or lazily by the first message of a duty whose slot lies within the window
 * [deadline not passed, at most `futureSlots` ahead]; messages that arrive before this node joins
 * wait in the instance. Rounds run on the duty's slot time, so all nodes change rounds together.
 * At the duty deadline the instance is deleted; later messages for it are dropped. Decided values
 * go to `subscribe` listeners, once per duty.
 */
export class Consensus {
  readonly nodeIndex: number;
  readonly nodeCount: number;
  private readonly signer: QbftSigner;
  private readonly verifier: QbftVerifier;
  private readonly peers: readonly Uint8Array[];
  private readonly transport: ConsensusTransport;
  private readonly slotTimes: SlotTimes;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly dutyConfigs = new Map<DutyType, ResolvedDutyConfig>();
  private readonly knownDvs?: ReadonlySet<DvPubkey>;
  private readonly codec: UnsignedDataSetCodec;
  private readonly qbftLimits: QbftLimits;
  private readonly futureSlots: number;
  private readonly maxInstances: number;
  private readonly observer: ConsensusObserver;
  private readonly instances = new Map<string, DutyInstance>();
  private readonly decided: Subscribers<[Duty, UnsignedDataSet, DecisionInfo]>;
  private readonly unsubscribeTransport: () => void;
  private running = true;
  private readonly counters = { decided: 0, expiredUndecided: 0, accepted: 0, dropped: 0, rejected: 0 };

  /** Validates the options and subscribes to the transport; throws ConsensusError INVALID_CONFIG. */
  constructor(options: ConsensusOptions) {
    const { nodeIndex, peers } = options;
    if (!Array.isArray(peers) || peers.length < 1) throw new ConsensusError('INVALID_CONFIG', 'peers: at least one identity key is required');
    if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= peers.length) {
      throw new ConsensusError('INVALID_CONFIG', `nodeIndex ${String(nodeIndex)} is outside 0..${peers.length - 1}`);
    }
    this.nodeIndex = nodeIndex;
    this.nodeCount = peers.length;
    this.peers = peers.map((key) => Uint8Array.from(key));
    this.signer = options.signer;
    this.verifier = options.verifier ?? secp256k1Verifier;
    this.transport = options.transport;
    this.slotTimes = options.slotTimes;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemClock;
    this.observer = options.observer ?? {};
    this.futureSlots = nonNegativeInteger(options.futureSlots, 1, 'futureSlots');
    this.maxInstances = nonNegativeInteger(options.maxInstances, 256, 'maxInstances');
    if (this.maxInstances < 1) throw new ConsensusError('INVALID_CONFIG', 'maxInstances must be at least 1');
    const limits = { ...DEFAULT_UNSIGNED_DATA_SET_LIMITS, ...options.dataLimits };
    this.codec = new UnsignedDataSetCodec(limits);
    this.qbftLimits = {
      maxMessageBytes: nonNegativeInteger(options.maxMessageBytes, DEFAULT_QBFT_LIMITS.maxMessageBytes, 'maxMessageBytes'),
      maxJustifications: 2 * this.nodeCount,
    };
    if (options.knownDvs) this.knownDvs = new Set([...options.knownDvs].map((key, i) => toDvPubkey(key, `knownDvs[${i}]`)));
    this.resolveDutyConfigs(options.duties);
    this.decided = new Subscribers((error) => this.observer.onListenerError?.(error));
    this.unsubscribeTransport = this.transport.subscribe((fromIndex, bytes) => this.receive(fromIndex, bytes));
  }

  /** Calls `listener(duty, value, info)` once for every duty this node decides; returns the unsubscribe function. */
  subscribe(listener: DecidedListener): () => void {
    return this.decided.subscribe(listener);
  }

  /**
   * Joins `duty` with this node's fetched value, proposing it when this node leads a round. A value
   * that fails the duty's validity predicate is not proposed, but the node still votes.
   * Throws ConsensusError (UNSUPPORTED_DUTY_TYPE, DUTY_EXPIRED, DUTY_OUT_OF_WINDOW, ALREADY_STARTED,
   * TOO_MANY_INSTANCES, NOT_RUNNING), DvError (INVALID_DUTY, INVALID_UNSIGNED_DATA) or QbftError VALUE_TOO_LARGE.
   */
  propose(duty: Duty, value: UnsignedDataSet): void {
    this.join(duty, value);
  }

  /** Joins `duty` without a value of its own (its fetch failed): votes for a valid leader value. */
  participate(duty: Duty): void {
    this.join(duty, undefined);
  }

  /** Duties with a live instance, in no particular order. */
  activeDuties(): Duty[] {
    return [...this.instances.values()].map((record) => record.duty);
  }

  /** The decided value of a live duty, if any. */
  decisionOf(duty: Duty): UnsignedDataSet | undefined {
    return this.instances.get(dutyKey(duty))?.instance.decided?.value;
  }

  stats(): ConsensusStats {
    return { instances: this.instances.size, ...this.counters };
  }

  /** Unsubscribes from the transport and drops every instance and timer. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.unsubscribeTransport();
    for (const record of this.instances.values()) record.cancelTimer?.();
    this.instances.clear();
    this.decided.clear();
  }

  // ---- joining ----------------------------------------------------------------------------------

  private join(dutyIn: Duty, value: UnsignedDataSet | undefined): void {
    if (!this.running) throw new ConsensusError('NOT_RUNNING', 'the consensus component was stopped');
    const duty = newDuty(dutyIn?.slot, dutyIn?.type);
    if (!this.dutyConfigs.has(duty.type)) {
      throw new ConsensusError('UNSUPPORTED_DUTY_TYPE', `${formatDuty(duty)}: this node runs no consensus for that duty type`, { duty });
    }
    if (value !== undefined) this.codec.encode(value);
    const key = dutyKey(duty);
    let record = this.instances.get(key);
    if (record?.joinedAtMs !== undefined) throw new ConsensusError('ALREADY_STARTED', `${formatDuty(duty)}: already joined`, { duty });
    const problem = this.admissionProblem(duty, record === undefined);
    if (problem) throw new ConsensusError(problem.code, `${formatDuty(duty)}: ${problem.why}`, { duty });
    record ??= this.create(duty, key);
    try {
      record.instance.start(value);
    } catch (error) {
      if (record.accepted === 0) this.remove(record);
      throw error;
    }
    record.joinedAtMs = this.clock.now();
    this.observer.onStart?.(duty, value !== undefined);
  }

  /** Why `duty` may not have an instance now; `creating` adds the window and instance-count checks. */
  private admissionProblem(
    duty: Duty,
    creating: boolean,
  ): { code: 'DUTY_EXPIRED' | 'DUTY_OUT_OF_WINDOW' | 'TOO_MANY_INSTANCES'; why: string } | undefined {
    const config = this.dutyConfigs.get(duty.type)!;
    const now = this.clock.now();
    const deadline = this.slotTimes.startMs(duty.slot) + config.deadlineMs;
    if (now >= deadline) return { code: 'DUTY_EXPIRED', why: `its deadline passed ${now - deadline} ms ago` };
    if (!creating) return undefined;
    const currentSlot = this.slotTimes.slotAt(now);
    if (duty.slot > currentSlot + this.futureSlots) {
      return { code: 'DUTY_OUT_OF_WINDOW', why: `it is more than ${this.futureSlots} slot(s) ahead of the current slot ${currentSlot}` };
    }
    if (this.instances.size >= this.maxInstances) return { code: 'TOO_MANY_INSTANCES', why: `${this.instances.size} instances already run` };
    return undefined;
  }

  private create(duty: Duty, key: string): DutyInstance {
    const config = this.dutyConfigs.get(duty.type)!;
    const slotStart = this.slotTimes.startMs(duty.slot);
    // the instance's callbacks need the record, which needs the instance
    const self: { record?: DutyInstance } = {};
    const instance = new QbftInstance<UnsignedDataSet>({
      duty,
      nodeIndex: this.nodeIndex,
      peers: this.peers,
      signer: this.signer,
      verifier: this.verifier,
      codec: this.codec,
      isValid: (value) => this.isValid(config, duty, value),
      timing: { startMs: slotStart + config.startOffsetMs, deadlineMs: slotStart + config.deadlineMs, roundDuration: config.roundDuration },
      clock: this.clock,
      timer: { wakeAt: (timeMs) => this.schedule(self.record!, timeMs) },
      transport: { broadcast: (bytes) => this.transport.broadcast(bytes), send: (peer, bytes) => this.transport.send(peer, bytes) },
      onDecide: (decision) => this.onDecide(self.record!, decision),
      observer: {
        onRoundChange: (round, reason) => this.observer.onRoundChange?.(duty, round, reason),
        onExpire: () => this.onExpire(self.record!),
      },
      limits: this.qbftLimits,
    });
    const record: DutyInstance = { duty, key, instance, createdAtMs: this.clock.now(), accepted: 0 };
    self.record = record;
    this.instances.set(key, record);
    return record;
  }

  private isValid(config: ResolvedDutyConfig, duty: Duty, value: UnsignedDataSet): boolean {
    if (this.knownDvs) {
      for (const key of value.keys()) if (!this.knownDvs.has(key)) return false;
    }
    return config.isValid(duty, value) === true;
  }

  // ---- receiving --------------------------------------------------------------------------------

  private receive(fromIndex: number, bytes: Uint8Array): void {
    if (!this.running) return;
    let envelope: QbftEnvelope;
    try {
      envelope = decodeQbftEnvelope(bytes, this.qbftLimits);
    } catch (error) {
      if (!(error instanceof QbftError)) throw error;
      this.report(fromIndex, undefined, { status: 'rejected', reason: error.code, message: error.message });
      return;
    }
    const { message } = envelope.signed;
    if (message.source !== fromIndex) {
      const why = `node ${fromIndex} sent a message signed as node ${message.source}`;
      this.report(fromIndex, undefined, { status: 'rejected', reason: 'SENDER_MISMATCH', message: why });
      return;
    }
    if (!isDutyType(message.duty.type)) {
      const why = `duty type ${message.duty.type} does not exist`;
      this.report(fromIndex, undefined, { status: 'rejected', reason: 'UNKNOWN_DUTY_TYPE', message: why });
      return;
    }
    const duty = newDuty(message.duty.slot, message.duty.type);
    if (!this.dutyConfigs.has(duty.type)) {
      this.report(fromIndex, duty, { status: 'dropped', reason: 'UNSUPPORTED_DUTY_TYPE' });
      return;
    }
    const key = dutyKey(duty);
    let record = this.instances.get(key);
    if (!record) {
      const problem = this.admissionProblem(duty, true);
      if (problem) {
        const reason = problem.code === 'DUTY_EXPIRED' ? 'EXPIRED' : problem.code === 'DUTY_OUT_OF_WINDOW' ? 'OUT_OF_WINDOW' : problem.code;
        this.report(fromIndex, duty, { status: 'dropped', reason });
        return;
      }
      record = this.create(duty, key);
    }
    const result = record.instance.receiveEnvelope(envelope);
    if (result.status === 'accepted') record.accepted++;
    // an instance that only ever saw junk is not kept: junk must not hold slots of the window
    else if (record.accepted === 0 && record.joinedAtMs === undefined && this.instances.get(key) === record) this.remove(record);
    this.report(fromIndex, duty, outcomeOf(result));
  }

  private report(fromIndex: number, duty: Duty | undefined, outcome: ConsensusMessageOutcome): void {
    this.counters[outcome.status]++;
    this.observer.onMessage?.(fromIndex, duty, outcome);
  }

  // ---- instance events --------------------------------------------------------------------------

  private onDecide(record: DutyInstance, decision: QbftDecision<UnsignedDataSet>): void {
    this.counters.decided++;
    const durationMs = this.clock.now() - (record.joinedAtMs ?? record.createdAtMs);
    this.observer.onDecided?.(record.duty, decision.round, durationMs);
    this.decided.emit(record.duty, decision.value, { round: decision.round, valueHash: decision.valueHash });
  }

  private onExpire(record: DutyInstance): void {
    const decided = record.instance.decided !== undefined;
    if (!decided) this.counters.expiredUndecided++;
    this.remove(record);
    this.observer.onExpired?.(record.duty, decided);
  }

  private schedule(record: DutyInstance, timeMs: number): void {
    if (!this.running || this.instances.get(record.key) !== record) return;
    record.cancelTimer?.();
    record.timerAtMs = timeMs;
    record.cancelTimer = this.timers.at(timeMs, () => this.onTimer(record));
  }

  private onTimer(record: DutyInstance): void {
    record.cancelTimer = undefined;
    if (!this.running || this.instances.get(record.key) !== record) return;
    // a timer that fires a little early would otherwise be lost: the instance asks once per time
    if (record.timerAtMs !== undefined && this.clock.now() < record.timerAtMs) {
      this.schedule(record, record.timerAtMs);
      return;
    }
    record.instance.tick();
  }

  private remove(record: DutyInstance): void {
    if (this.instances.get(record.key) !== record) return;
    record.cancelTimer?.();
    record.cancelTimer = undefined;
    this.instances.delete(record.key);
  }

  // ---- configuration ----------------------------------------------------------------------------

  private resolveDutyConfigs(duties: Partial<Record<DutyType, DutyConsensusConfig>>): void {
    if (duties === null || typeof duties !== 'object') throw new ConsensusError('INVALID_CONFIG', 'duties: expected an object keyed by duty type');
    for (const [typeText, config] of Object.entries(duties)) {
      if (config === undefined) continue;
      const type = Number(typeText);
      if (!isDutyType(type)) throw new ConsensusError('INVALID_CONFIG', `duties: ${typeText} is not a duty type`);
      if (typeof config?.isValid !== 'function') throw new ConsensusError('INVALID_CONFIG', `duties[${typeText}].isValid must be a function`);
      const defaults = defaultDutyConsensusTiming(type, this.slotTimes.slotDurationMs);
      const resolved: ResolvedDutyConfig = {
        isValid: config.isValid,
        startOffsetMs: config.startOffsetMs ?? defaults.startOffsetMs,
        deadlineMs: config.deadlineMs ?? defaults.deadlineMs,
        roundDuration: config.roundDuration ?? defaults.roundDuration,
      };
      if (!Number.isFinite(resolved.startOffsetMs) || resolved.startOffsetMs < 0) {
        throw new ConsensusError('INVALID_CONFIG', `duties[${typeText}].startOffsetMs must be ≥ 0, got ${resolved.startOffsetMs}`);
      }
      try {
        // builds the round table once, so a schedule that cannot work fails here and not at the first duty
        new QbftRoundClock({ startMs: resolved.startOffsetMs, deadlineMs: resolved.deadlineMs, roundDuration: resolved.roundDuration });
      } catch (error) {
        throw new ConsensusError('INVALID_CONFIG', `duties[${typeText}]: ${(error as Error).message}`);
      }
      this.dutyConfigs.set(type, resolved);
    }
    if (this.dutyConfigs.size === 0) throw new ConsensusError('INVALID_CONFIG', 'duties: configure at least one duty type');
  }
}

function outcomeOf(result: QbftReceiveResult): ConsensusMessageOutcome {
  if (result.status === 'accepted') return result;
  if (result.status === 'dropped') return { status: 'dropped', reason: result.reason };
  return { status: 'rejected', reason: result.error.code, message: result.error.message };
}

function nonNegativeInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new ConsensusError('INVALID_CONFIG', `${field} must be a non-negative integer, got ${String(value)}`);
  return value;
}
