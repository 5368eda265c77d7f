import { equalBytes } from '@dvt/common';
import { type NetworkConfig, attestationDataSigningRoot } from '@dvt/eth2';
import { createQbftSigner, increasingRoundDuration } from '@dvt/qbft';
import { AggregatedSignatureDb, SignatureAggregator } from '../aggregation/index.js';
import { Broadcaster } from '../broadcast/index.js';
import { Consensus, QBFT_TOPIC, clusterConsensusTransport, type ClusterMessaging } from '../consensus/index.js';
import {
  DvError,
  DutyType,
  SlotTimes,
  decodeAttesterMessage,
  formatDuty,
  newDuty,
  proposalSigningMessage,
  signingRootOf,
  systemClock,
  toDvPubkey,
  type AggregatedDuty,
  type BeaconDutyPort,
  type Clock,
  type DecidedProposal,
  type Duty,
  type DutyDefinitionSet,
  type DvPubkey,
  type PartialSignatureSet,
  type SlashingGuard,
  type ThresholdPartials,
  type Timers,
  type UnsignedDataSet,
  type ValidatorApiBackend,
} from '../core/index.js';
import { DutyDb } from '../duty-db/index.js';
import { Fetcher, checkAttesterValue, checkProposerValue } from '../fetcher/index.js';
import { PartialSignatureDb, PartialSignatureExchange } from '../partial-signatures/index.js';
import { Scheduler } from '../scheduler/index.js';
import { ValidatorApi, type ValidatorApiClusterValidator } from '../validator-api/index.js';

/** Structured log lines of one node; `fields` never carry secrets. */
export interface DvNodeLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the node reports for metrics and status views; every hook is optional and must not throw. */
export interface DvNodeObserver {
  onDecided?(duty: Duty, round: number, durationMs: number, dvs: number): void;
  onRoundChange?(duty: Duty, round: number): void;
  /** `ok` false with a short reason code (no_consensus, broadcast_failed): the duty ended without a broadcast for these DVs */
  onDutyResult?(duty: Duty, ok: boolean, dvs: number, reason?: string): void;
  /** a DV's decided value the local slashing database refused (no share is released for it) */
  onSlashingRefusal?(duty: Duty, dv: DvPubkey, reason: string): void;
  /** a peer's partial signature was dropped */
  onPartialRejected?(peerIndex: number, reason: string): void;
  /** a peer's partials for a DV arrived after the signature was aggregated (`late`), or not within a slot of it (`missing`) */
  onPartialTiming?(peerIndex: number, kind: 'late' | 'missing', count: number): void;
  onBroadcast?(duty: Duty, dvs: number, latencyFromDecisionMs: number | undefined): void;
}

export interface DvNodeOptions {
  network: NetworkConfig;
  /** 0-based position of this node in the cluster (share index = nodeIndex + 1) */
  nodeIndex: number;
  threshold: number;
  /** every DV of the cluster with its public shares (index i = share index i + 1) */
  validators: readonly ValidatorApiClusterValidator[];
  /** identity public keys (33-byte secp256k1) of the cluster's nodes, in index order */
  peers: readonly Uint8Array[];
  identityKey: Uint8Array;
  messaging: ClusterMessaging;
  beacon: BeaconDutyPort;
  beaconNodeUrl: string;
  slashing: SlashingGuard;
  /** default: the network's genesis and slot time */
  slotTimes?: SlotTimes;
  clock?: Clock & Timers;
  validatorApi?: { host?: string; port?: number };
  logger?: DvNodeLogger;
  observer?: DvNodeObserver;
}

const silent: DvNodeLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * One DV node: the workflow components of DV-NODE.md wired together by their subscriptions, in this
 * one place. scheduler → fetcher → consensus → slashing DB + duty DB → validator API → partial
 * signature DB ⇄ exchange → aggregation → aggregated signature DB → broadcast.
 */
export class DvNode {
  readonly shareIndex: number;
  readonly consensus: Consensus;
  readonly validatorApi: ValidatorApi;
  readonly scheduler: Scheduler;
  readonly dutyDb: DutyDb;
  readonly partialSignatures: PartialSignatureDb;
  readonly exchange: PartialSignatureExchange;
  readonly aggregatedSignatures: AggregatedSignatureDb;
  private readonly fetcher: Fetcher;
  private readonly aggregator: SignatureAggregator;
  private readonly broadcaster: Broadcaster;
  private readonly network: NetworkConfig;
  private readonly slashing: SlashingGuard;
  private readonly logger: DvNodeLogger;
  private readonly observer: DvNodeObserver;
  private readonly clock: Clock & Timers;
  private readonly slotTimes: SlotTimes;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly decidedAtMs = new Map<string, number>();
  private readonly missingChecks = new Map<string, Set<DvPubkey>>();
  /** decisions are recorded one after the other, in the order consensus delivers them */
  private decisionChain: Promise<void> = Promise.resolve();
  private pendingAggregation: ThresholdPartials[] = [];
  private aggregationScheduled = false;
  private cancelPrune?: () => void;
  private running = false;

  constructor(private readonly options: DvNodeOptions) {
    const { network, nodeIndex } = options;
    if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= options.peers.length) {
      throw new DvError('INVALID_CONFIG', `node index ${nodeIndex} is outside 0..${options.peers.length - 1}`);
    }
    this.network = network;
    this.shareIndex = nodeIndex + 1;
    this.slashing = options.slashing;
    this.logger = options.logger ?? silent;
    this.observer = options.observer ?? {};
    this.clock = options.clock ?? systemClock;
    this.slotTimes = options.slotTimes ?? SlotTimes.fromSeconds(network.genesisTime, network.secondsPerSlot);
    const dvs = options.validators.map((v, i) => toDvPubkey(v.dv, `validators[${i}].dv`));
    const publicShares = new Map<DvPubkey, readonly Uint8Array[]>(options.validators.map((v, i) => [dvs[i]!, v.publicShares]));

    this.scheduler = new Scheduler({
      beacon: options.beacon,
      dvs,
      slotTimes: this.slotTimes,
      slotsPerEpoch: network.slotsPerEpoch,
      clock: this.clock,
      timers: this.clock,
      logger: this.logger,
    });
    this.dutyDb = new DutyDb({ slotTimes: this.slotTimes, slotsPerEpoch: network.slotsPerEpoch, clock: this.clock });
    this.aggregatedSignatures = new AggregatedSignatureDb();
    this.fetcher = new Fetcher({
      beacon: options.beacon,
      network,
      awaitRandao: async (slot, dv, signal) =>
        (await this.aggregatedSignatures.await(newDuty(slot, DutyType.Randao), dv, signal)).signature,
    });
    this.partialSignatures = new PartialSignatureDb({ threshold: options.threshold });
    this.exchange = new PartialSignatureExchange({
      network,
      selfIndex: nodeIndex,
      publicShares,
      messaging: options.messaging,
      slotTimes: this.slotTimes,
      clock: this.clock,
      observer: {
        onRejected: (peerIndex, reason, count, detail) => {
          this.logger.warn('partial signature from peer dropped', { peer: peerIndex, reason, count, detail });
          this.observer.onPartialRejected?.(peerIndex, reason);
        },
      },
    });
    this.aggregator = new SignatureAggregator({
      network,
      threshold: options.threshold,
      observer: { onFailed: (duty, dv, reason) => this.logger.error('aggregation failed', { duty: formatDuty(duty), dv, reason }) },
    });
    this.broadcaster = new Broadcaster({
      beacon: options.beacon,
      network,
      definitionsOf: (duty) => this.scheduler.definitionsOf(duty),
      proposalOf: (duty, dv) => this.dutyDb.decidedValue(duty, dv),
      slotTimes: this.slotTimes,
      clock: this.clock,
      observer: {
        onResult: (duty, ok, dvs, reason, detail) => {
          if (ok) this.observer.onDutyResult?.(duty, true, dvs);
          else {
            this.logger.warn('broadcast failed', { duty: formatDuty(duty), dvs, reason, detail });
            this.observer.onDutyResult?.(duty, false, dvs, reason ?? 'broadcast_failed');
          }
        },
        onRetry: (duty, attempt, error) => this.logger.debug('broadcast retried', { duty: formatDuty(duty), attempt, error }),
      },
    });
    this.consensus = new Consensus({
      nodeIndex,
      peers: options.peers,
      signer: createQbftSigner(options.identityKey),
      transport: clusterConsensusTransport(options.messaging, {
        topic: QBFT_TOPIC,
        onSendError: (error, to) => this.logger.warn('consensus send failed', { to, error: (error as Error).message }),
      }),
      slotTimes: this.slotTimes,
      clock: this.clock,
      timers: this.clock,
      knownDvs: dvs,
      duties: {
        // network and CPU latency do not shrink with the slot: round 1 lasts at least 250 ms (1 s on 12 s slots)
        [DutyType.Attester]: {
          isValid: (duty, value) => this.isValidAttesterValue(duty, value),
          roundDuration: increasingRoundDuration(Math.max(250, this.slotTimes.slotDurationMs / 12), this.slotTimes.slotDurationMs / 48),
        },
        // round 1 of a proposal also covers the VCs' randao partials, their aggregation and the block fetch
        [DutyType.Proposer]: {
          isValid: (duty, value) => this.isValidProposerValue(duty, value),
          roundDuration: increasingRoundDuration(Math.max(400, this.slotTimes.slotDurationMs / 4), this.slotTimes.slotDurationMs / 24),
        },
      },
      observer: {
        onDecided: (duty, round, durationMs) => this.observer.onDecided?.(duty, round, durationMs, this.consensus.decisionOf(duty)?.size ?? 0),
        onRoundChange: (duty, round, reason) => {
          if (reason === 'start' && round === 1) return; // entering round 1 is not a change
          this.logger.debug('consensus round change', { duty: formatDuty(duty), round, reason });
          this.observer.onRoundChange?.(duty, round);
        },
        onExpired: (duty, decided) => {
          if (!decided) {
            this.logger.warn('duty expired without a decision', { duty: formatDuty(duty) });
            this.observer.onDutyResult?.(duty, false, 0, 'no_consensus');
          }
        },
      },
    });
    this.validatorApi = new ValidatorApi({
      network,
      shareIndex: this.shareIndex,
      validators: options.validators,
      beaconNodeUrl: options.beaconNodeUrl,
      backend: this.backend(),
      logger: this.logger,
      host: options.validatorApi?.host,
      port: options.validatorApi?.port,
    });
    this.wire();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.validatorApi.start();
    this.scheduler.start();
    this.schedulePrune();
    this.logger.info('DV node started', { node: this.options.nodeIndex, shareIndex: this.shareIndex, validators: this.options.validators.length, validatorApi: this.validatorApi.url });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.cancelPrune?.();
    this.scheduler.stop();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.consensus.stop();
    await this.validatorApi.stop();
    await this.decisionChain.catch(() => undefined);
  }

  /** Hand a reconnected peer what it may have missed. */
  peerReconnected(peerIndex: number): void {
    this.exchange.resend(peerIndex);
  }

  // ---- wiring ---------------------------------------------------------------------------------

  private wire(): void {
    this.unsubscribers.push(
      this.scheduler.onDuty((duty, definitions) => this.startDuty(duty, definitions)),
      this.consensus.subscribe((duty, value) => {
        this.decidedAtMs.set(`${duty.slot}/${duty.type}`, this.clock.now());
        this.decisionChain = this.decisionChain.then(() => this.recordDecision(duty, value)).catch((error) => {
          this.logger.error('recording a decision failed', { duty: formatDuty(duty), error: (error as Error).message });
        });
      }),
      this.partialSignatures.onInternal((batch) => this.exchange.broadcast(batch)),
      this.exchange.onReceived((batch) => {
        this.countLate(batch.duty, batch.partials);
        this.partialSignatures.storeExternal(batch.duty, batch.partials);
      }),
      this.partialSignatures.onThreshold((ready) => {
        this.queueAggregation(ready);
        this.checkMissingLater(ready);
      }),
    );
  }

  private startDuty(duty: Duty, definitions: DutyDefinitionSet): void {
    if (!this.running) return;
    this.logger.debug('duty started', { duty: formatDuty(duty), dvs: definitions.size });
    this.fetcher
      .fetch(duty, definitions)
      .then((value) => this.consensus.propose(duty, value))
      .catch((error: unknown) => {
        this.logger.warn('fetching the duty data failed; voting without a value of our own', { duty: formatDuty(duty), error: (error as Error).message });
        try {
          this.consensus.participate(duty);
        } catch (participateError) {
          this.logger.debug('could not join the duty', { duty: formatDuty(duty), error: (participateError as Error).message });
        }
      });
  }

  /**
   * The decided value goes to the slashing database durably first; only the DVs it accepts reach
   * the duty DB, which is where the validator client gets data to sign (invariants 3 and 4).
   */
  private async recordDecision(duty: Duty, value: UnsignedDataSet): Promise<void> {
    const accepted = new Map<DvPubkey, Uint8Array>();
    if (duty.type === DutyType.Attester) {
      const entries = [...value].map(([dv, bytes]) => {
        const data = decodeAttesterMessage(bytes);
        return { pubkey: dv, sourceEpoch: data.source.epoch, targetEpoch: data.target.epoch, signingRoot: attestationDataSigningRoot(this.network, data) };
      });
      const verdicts = await this.slashing.recordAttestations(entries);
      verdicts.forEach((verdict, i) => {
        const dv = entries[i]!.pubkey;
        if (verdict.ok) accepted.set(dv, value.get(dv)!);
        else this.refuse(duty, dv, verdict.reason);
      });
    } else if (duty.type === DutyType.Proposer) {
      for (const [dv, bytes] of value) {
        try {
          await this.slashing.recordBlock(dv, duty.slot, signingRootOf(this.network, duty, proposalSigningMessage(bytes)));
          accepted.set(dv, bytes);
        } catch (error) {
          this.refuse(duty, dv, (error as Error).message);
        }
      }
    }
    if (accepted.size > 0) this.dutyDb.store(duty, accepted);
  }

  private refuse(duty: Duty, dv: DvPubkey, reason: string): void {
    this.logger.error('decided value refused by slashing protection; no share will be released', { duty: formatDuty(duty), dv, reason });
    this.observer.onSlashingRefusal?.(duty, dv, reason);
  }

  /** Partials of a peer for DVs already aggregated here: late (metrics of partials per peer). */
  private countLate(duty: Duty, partials: PartialSignatureSet): void {
    const late = new Map<number, number>();
    for (const [dv, partial] of partials) {
      if (this.aggregatedSignatures.get(duty, dv) !== undefined) late.set(partial.shareIndex - 1, (late.get(partial.shareIndex - 1) ?? 0) + 1);
    }
    for (const [peer, count] of late) this.observer.onPartialTiming?.(peer, 'late', count);
  }

  /** One slot after a duty's first threshold, the peers whose partial never came count as missing (one timer per duty). */
  private checkMissingLater(ready: ThresholdPartials): void {
    if (!this.observer.onPartialTiming) return;
    const key = `${ready.duty.slot}/${ready.duty.type}`;
    const pending = this.missingChecks.get(key);
    if (pending) {
      pending.add(ready.dv);
      return;
    }
    const dvs = new Set([ready.dv]);
    this.missingChecks.set(key, dvs);
    this.clock.at(this.clock.now() + this.slotTimes.slotDurationMs, () => {
      this.missingChecks.delete(key);
      if (!this.running) return;
      const missing = new Map<number, number>();
      for (const dv of dvs) {
        const seen = new Set(this.partialSignatures.shareIndexesOf(ready.duty, dv));
        for (let peer = 0; peer < this.options.peers.length; peer++) {
          if (peer !== this.options.nodeIndex && !seen.has(peer + 1)) missing.set(peer, (missing.get(peer) ?? 0) + 1);
        }
      }
      for (const [peer, count] of missing) this.observer.onPartialTiming?.(peer, 'missing', count);
    });
  }

  private queueAggregation(ready: ThresholdPartials): void {
    this.pendingAggregation.push(ready);
    if (this.aggregationScheduled) return;
    this.aggregationScheduled = true;
    setImmediate(() => {
      this.aggregationScheduled = false;
      const items = this.pendingAggregation;
      this.pendingAggregation = [];
      try {
        for (const result of this.aggregator.aggregate(items)) this.onAggregated(result);
      } catch (error) {
        this.logger.error('aggregation failed', { error: (error as Error).message });
      }
    });
  }

  private onAggregated(result: AggregatedDuty): void {
    for (const [dv, signature] of result.signatures) this.aggregatedSignatures.store(result.duty, dv, signature);
    const decidedAt = this.decidedAtMs.get(`${result.duty.slot}/${result.duty.type}`);
    this.broadcaster
      .broadcast(result)
      .then(() => this.observer.onBroadcast?.(result.duty, result.signatures.size, decidedAt === undefined ? undefined : this.clock.now() - decidedAt))
      .catch(() => undefined); // reported by the broadcaster's observer
  }

  // ---- consensus validity (DV-NODE.md: right slot, fork-correct, not slashable) ------------------

  private isValidAttesterValue(duty: Duty, value: UnsignedDataSet): boolean {
    const first = value.values().next().value;
    for (const [dv, bytes] of value) {
      // from Electra on one attestation data serves every committee: a value mixing data is refused
      if (first === undefined || !equalBytes(bytes, first)) return false;
      checkAttesterValue(this.network, duty, bytes);
      const data = decodeAttesterMessage(bytes);
      const verdict = this.slashing.checkAttestation(dv, data.source.epoch, data.target.epoch, attestationDataSigningRoot(this.network, data));
      if (!verdict.ok) {
        this.logger.warn('attestation value refused: slashable', { duty: formatDuty(duty), dv, reason: verdict.reason });
        return false;
      }
    }
    return true;
  }

  private isValidProposerValue(duty: Duty, value: UnsignedDataSet): boolean {
    const definitions = this.scheduler.definitionsOf(duty);
    for (const [dv, bytes] of value) {
      const definition = definitions?.get(dv);
      if (definition === undefined || definition.kind !== 'proposer') return false;
      checkProposerValue(this.network, duty, definition, bytes);
      const verdict = this.slashing.checkBlock(dv, duty.slot, signingRootOf(this.network, duty, proposalSigningMessage(bytes)));
      if (!verdict.ok) {
        this.logger.warn('block value refused: slashable', { duty: formatDuty(duty), dv, reason: verdict.reason });
        return false;
      }
    }
    return true;
  }

  // ---- what the validator API needs ------------------------------------------------------------

  private backend(): ValidatorApiBackend {
    return {
      awaitAttestationData: (slot, committeeIndex, signal) => this.dutyDb.awaitAttestationData(slot, committeeIndex, signal),
      awaitProposal: (slot, dv, signal): Promise<DecidedProposal> => this.dutyDb.awaitProposal(slot, dv, signal),
      submitPartialSignatures: async (duty, partials) => this.handInOwnPartials(duty, partials),
      dvOfValidatorIndex: (index) => this.scheduler.dvOfValidatorIndex(index),
      dvProposingAt: (slot) => this.scheduler.dvProposingAt(slot),
    };
  }

  /** Invariant 9: the VC's partial must sign exactly the decided object. */
  private handInOwnPartials(duty: Duty, partials: PartialSignatureSet): void {
    if (duty.type === DutyType.Attester || duty.type === DutyType.Proposer) {
      for (const [dv, partial] of partials) {
        const decided = this.dutyDb.decidedSigningMessage(duty, dv);
        if (decided === undefined) {
          throw new DvError('SUBMISSION_MISMATCH', `${formatDuty(duty)}: nothing was decided for ${dv}; the submission is refused`, { dv });
        }
        if (!equalBytes(decided, partial.message)) {
          throw new DvError('SUBMISSION_MISMATCH', `${formatDuty(duty)}: the submitted ${duty.type === DutyType.Proposer ? 'block' : 'attestation data'} of ${dv} differs from the one the cluster decided`, { dv });
        }
      }
    }
    this.partialSignatures.storeInternal(duty, partials);
  }

  private schedulePrune(): void {
    const epochMs = this.slotTimes.slotDurationMs * this.network.slotsPerEpoch;
    const run = (): void => {
      const keepFrom = this.slotTimes.slotAt(this.clock.now()) - 2 * this.network.slotsPerEpoch;
      if (keepFrom > 0) {
        this.dutyDb.prune(keepFrom);
        this.partialSignatures.prune(keepFrom);
        this.aggregatedSignatures.prune(keepFrom);
        for (const key of this.decidedAtMs.keys()) if (Number(key.split('/')[0]) < keepFrom) this.decidedAtMs.delete(key);
      }
      this.cancelPrune = this.clock.at(this.clock.now() + epochMs, run);
    };
    this.cancelPrune = this.clock.at(this.clock.now() + epochMs, run);
  }
}
