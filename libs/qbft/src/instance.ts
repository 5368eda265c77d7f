import { createHash } from 'node:crypto';
import { equalBytes } from '@dvt/common';
import {
  DEFAULT_QBFT_LIMITS,
  decodeQbftEnvelope,
  encodeQbftEnvelope,
  qbftEnvelopeOverhead,
  qbftValueHash,
  type QbftLimits,
} from './codec.js';
import { QbftError } from './errors.js';
import { qbftSigningInput, signQbftMessage, type QbftSigner, type QbftVerifier } from './signing.js';
import { QbftRoundClock, qbftFaultTolerance, qbftLeader, qbftQuorum, type QbftTiming } from './timing.js';
import {
  QbftMessageType,
  ZERO_HASH,
  qbftMessageTypeName,
  type QbftDuty,
  type QbftEnvelope,
  type QbftMessage,
  type SignedQbftMessage,
} from './types.js';

/** Turns consensus values into the bytes that travel and are hashed, and back. */
export interface QbftValueCodec<V> {
  encode(value: V): Uint8Array;
  /** may throw on bytes that are not a value; the message carrying them is then rejected */
  decode(bytes: Uint8Array): V;
}

/** Values that already are bytes. */
export const rawBytesCodec: QbftValueCodec<Uint8Array> = {
  encode: (value) => value,
  decode: (bytes) => bytes,
};

export interface QbftClock {
  /** ms since the Unix epoch */
  now(): number;
}

/** Asks the host to call `tick()` at (or soon after) a time; each request replaces the previous one. */
export interface QbftTimer {
  wakeAt(timeMs: number): void;
}

/** Carries encoded envelopes to peers; a libp2p stream or an in-memory queue. Never loops back to self. */
export interface QbftTransport {
  broadcast(bytes: Uint8Array): void;
  send(peerIndex: number, bytes: Uint8Array): void;
}

export interface QbftDecision<V> {
  readonly duty: QbftDuty;
  readonly round: number;
  readonly value: V;
  readonly valueHash: Uint8Array;
  /** a quorum of COMMITs for (round, valueHash): the proof other nodes accept in a DECIDED */
  readonly commits: readonly SignedQbftMessage[];
}

export type QbftRoundChangeReason = 'start' | 'timeout' | 'round-changes' | 'proposal';

export interface QbftObserver {
  onRoundChange?(round: number, reason: QbftRoundChangeReason): void;
  onExpire?(): void;
}

export interface QbftInstanceOptions<V> {
  duty: QbftDuty;
  /** this node's index in `peers` */
  nodeIndex: number;
  /** identity public keys of all cluster nodes, in index order, this node included */
  peers: readonly Uint8Array[];
  signer: QbftSigner;
  verifier: QbftVerifier;
  codec: QbftValueCodec<V>;
  /**
   * Gates PREPARE (and this node's own proposal): slot, fork, randao, slashing DB. Synchronous; a
   * throw counts as "invalid". Decisions proven by a COMMIT quorum are not re-checked here.
   */
  isValid(value: V): boolean;
  timing: QbftTiming;
  clock: QbftClock;
  timer?: QbftTimer;
  transport: QbftTransport;
  onDecide?(decision: QbftDecision<V>): void;
  observer?: QbftObserver;
  /** defaults: DEFAULT_QBFT_LIMITS.maxMessageBytes and 2n justifications */
  limits?: Partial<QbftLimits>;
}

export type QbftDropReason =
  /** the same message again */
  | 'DUPLICATE'
  /** a second, different message of one type from one signer in one round; the first one counts */
  | 'EQUIVOCATION'
  | 'PAST_ROUND'
  | 'AFTER_DECISION'
  /** a PREPARE for a round this node already committed in (its PREPARE quorum is complete) */
  | 'AFTER_COMMIT'
  /** the duty deadline has passed */
  | 'EXPIRED';

export type QbftReceiveResult =
  | { readonly status: 'accepted' }
  | { readonly status: 'dropped'; readonly reason: QbftDropReason }
  | { readonly status: 'rejected'; readonly error: QbftError };

export type QbftStatus = 'idle' | 'running' | 'decided' | 'expired';

interface KnownValue<V> {
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly value: V;
}

interface StoredRoundChange {
  readonly signed: SignedQbftMessage;
  /** the PREPARE quorum behind its prepared round, empty when it prepared nothing */
  readonly prepareCertificate: readonly SignedQbftMessage[];
}

interface PreparedState {
  readonly round: number;
  readonly valueKey: string;
  readonly certificate: readonly SignedQbftMessage[];
}

const ACCEPTED: QbftReceiveResult = { status: 'accepted' };
const dropped = (reason: QbftDropReason): QbftReceiveResult => ({ status: 'dropped', reason });

function hashKey(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function sameSigned(a: SignedQbftMessage, b: SignedQbftMessage): boolean {
  const x = a.message;
  const y = b.message;
  return (
    x.type === y.type &&
    x.round === y.round &&
    x.source === y.source &&
    x.preparedRound === y.preparedRound &&
    equalBytes(x.valueHash, y.valueHash) &&
    equalBytes(x.preparedValueHash, y.preparedValueHash) &&
    equalBytes(a.signature, b.signature)
  );
}

/**
 * One QBFT consensus instance (one duty) as a deterministic state machine. It does no I/O and
 * keeps no timers: time comes from `clock`, wake-ups are requested through `timer`, messages go
 * out through `transport` and come in through `receive`. The same inputs in the same order give
 * the same outputs.
 *
 * Messages may arrive before `start` (they are kept); `start` without a value lets a node that
 * could not fetch its own value still vote and decide.
 */
export class QbftInstance<V> {
  readonly duty: QbftDuty;
  readonly nodeIndex: number;
  readonly nodeCount: number;
  readonly quorum: number;
  readonly faultTolerance: number;
  readonly roundClock: QbftRoundClock;
  readonly limits: QbftLimits;

  private readonly options: QbftInstanceOptions<V>;
  private started = false;
  private expired = false;
  private currentRound = 0;
  private inputKey?: string;
  private inputIsValid?: boolean;
  private prepared?: PreparedState;
  private decision?: QbftDecision<V>;
  private requestedWake?: number;

  private readonly values = new Map<string, KnownValue<V>>();
  /** round → the first valid, justified proposal of that round's leader */
  private readonly proposals = new Map<number, { readonly signed: SignedQbftMessage; readonly valueKey: string }>();
  private readonly prepares = new Map<number, Map<number, SignedQbftMessage>>();
  private readonly commits = new Map<number, Map<number, SignedQbftMessage>>();
  private readonly roundChanges = new Map<number, Map<number, StoredRoundChange>>();
  private readonly proposedRounds = new Set<number>();
  private readonly preparedRounds = new Set<number>();
  private readonly committedRounds = new Set<number>();
  private readonly roundChangeRounds = new Set<number>();
  private readonly decidedRepliesSent = new Set<string>();
  private readonly verifiedSignatures = new Set<string>();

  constructor(options: QbftInstanceOptions<V>) {
    const { duty, nodeIndex, peers, signer } = options;
    const n = peers.length;
    if (n < 1 || n > 0xffff) throw new QbftError('INVALID_CONFIG', `a cluster needs 1..65535 nodes, got ${n}`);
    if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= n) {
      throw new QbftError('INVALID_CONFIG', `node index ${nodeIndex} is outside 0..${n - 1}`);
    }
    if (!Number.isSafeInteger(duty.slot) || duty.slot < 0 || !Number.isInteger(duty.type) || duty.type < 0 || duty.type > 0xff) {
      throw new QbftError('INVALID_CONFIG', `bad duty: slot ${duty.slot}, type ${duty.type}`);
    }
    const seen = new Set<string>();
    for (const [i, key] of peers.entries()) {
      const k = hashKey(key);
      if (seen.has(k)) throw new QbftError('INVALID_CONFIG', `peer ${i} repeats the public key of an earlier peer`);
      seen.add(k);
    }
    if (!equalBytes(signer.publicKey, peers[nodeIndex]!)) {
      throw new QbftError('INVALID_CONFIG', `the signer's public key is not peers[${nodeIndex}]`);
    }
    this.options = options;
    this.duty = { slot: duty.slot, type: duty.type };
    this.nodeIndex = nodeIndex;
    this.nodeCount = n;
    this.quorum = qbftQuorum(n);
    this.faultTolerance = qbftFaultTolerance(n);
    this.roundClock = new QbftRoundClock(options.timing);
    this.limits = {
      maxMessageBytes: options.limits?.maxMessageBytes ?? DEFAULT_QBFT_LIMITS.maxMessageBytes,
      maxJustifications: options.limits?.maxJustifications ?? 2 * n,
    };
    if (this.limits.maxJustifications < 2 * this.quorum) {
      throw new QbftError('INVALID_CONFIG', `maxJustifications must be at least 2 × quorum = ${2 * this.quorum}`);
    }
  }

  get status(): QbftStatus {
    if (this.expired) return 'expired';
    if (this.decision) return 'decided';
    return this.started ? 'running' : 'idle';
  }

  /** Current round; 0 before `start`. */
  get round(): number {
    return this.currentRound;
  }

  get decided(): QbftDecision<V> | undefined {
    return this.decision;
  }

  /** Highest round in which this node saw a PREPARE quorum for the proposal and committed, 0 if none. */
  get preparedRound(): number {
    return this.prepared?.round ?? 0;
  }

  /** When the instance next needs `tick()`; undefined once it has expired. */
  get nextWakeAt(): number | undefined {
    if (this.expired) return undefined;
    if (!this.started || this.decision) return this.roundClock.deadlineMs;
    return Math.min(this.roundClock.roundEnd(this.currentRound), this.roundClock.deadlineMs);
  }

  /** Joins the instance, proposing `input` when this node leads. Throws INVALID_STATE if called twice. */
  start(input?: V): void {
    if (this.started) throw new QbftError('INVALID_STATE', 'instance already started');
    if (input !== undefined) {
      const bytes = this.options.codec.encode(input);
      const worst = qbftEnvelopeOverhead(this.limits.maxJustifications) + bytes.length;
      if (worst > this.limits.maxMessageBytes) {
        throw new QbftError('VALUE_TOO_LARGE', `a value of ${bytes.length} bytes cannot travel within ${this.limits.maxMessageBytes} bytes`);
      }
      const known = this.rememberValue(bytes, qbftValueHash(bytes), input);
      this.inputKey = hashKey(known.hash);
    }
    this.started = true;
    const now = this.options.clock.now();
    if (now >= this.roundClock.deadlineMs) {
      this.expire();
    } else if (!this.decision) {
      this.enterRound(this.roundClock.roundAt(now), 'start');
      this.evaluate();
    }
    this.requestWake();
  }

  /** Handles round timeouts and the duty deadline; call it when the timer fires (extra calls are harmless). */
  tick(): void {
    this.advanceTime();
    this.evaluate();
    this.requestWake();
  }

  /** Untrusted bytes from a peer. Never throws for bad input: the result says what happened and why. */
  receive(bytes: Uint8Array): QbftReceiveResult {
    let envelope: QbftEnvelope;
    try {
      envelope = decodeQbftEnvelope(bytes, this.limits);
    } catch (error) {
      if (error instanceof QbftError) return { status: 'rejected', error };
      throw error;
    }
    return this.receiveEnvelope(envelope);
  }

  /** Like `receive`, for an envelope a router already decoded (with this instance's limits). */
  receiveEnvelope(envelope: QbftEnvelope): QbftReceiveResult {
    let result: QbftReceiveResult;
    try {
      result = this.handle(envelope);
    } catch (error) {
      if (error instanceof QbftError) result = { status: 'rejected', error };
      else throw error;
    }
    this.evaluate();
    this.requestWake();
    return result;
  }

  // ---- incoming messages ----------------------------------------------------------------------

  private handle(envelope: QbftEnvelope): QbftReceiveResult {
    const { message } = envelope.signed;
    if (message.duty.slot !== this.duty.slot || message.duty.type !== this.duty.type) {
      throw new QbftError('WRONG_INSTANCE', `message for slot ${message.duty.slot} duty ${message.duty.type}, instance is slot ${this.duty.slot} duty ${this.duty.type}`);
    }
    if (envelope.justifications.length > this.limits.maxJustifications) {
      throw new QbftError('TOO_MANY_JUSTIFICATIONS', `${envelope.justifications.length} justifications exceed ${this.limits.maxJustifications}`);
    }
    this.advanceTime();
    if (this.expired) return dropped('EXPIRED');
    if (message.source >= this.nodeCount) {
      throw new QbftError('UNKNOWN_SIGNER', `source ${message.source} is not a cluster node (n = ${this.nodeCount})`);
    }
    if (message.round > this.roundClock.maxRound) {
      throw new QbftError('INVALID_ROUND', `round ${message.round} starts after the duty deadline (last round ${this.roundClock.maxRound})`);
    }
    if (this.decision) {
      if (message.type === QbftMessageType.RoundChange) this.replyDecided(envelope.signed);
      return dropped('AFTER_DECISION');
    }
    switch (message.type) {
      case QbftMessageType.PrePrepare:
        return this.handleProposal(envelope);
      case QbftMessageType.Prepare:
      case QbftMessageType.Commit:
        return this.handleVote(envelope);
      case QbftMessageType.RoundChange:
        return this.handleRoundChange(envelope);
      case QbftMessageType.Decided:
        return this.handleDecided(envelope);
    }
  }

  private handleProposal(envelope: QbftEnvelope): QbftReceiveResult {
    const { signed } = envelope;
    const { message } = signed;
    const leader = qbftLeader(this.duty, message.round, this.nodeCount);
    if (message.source !== leader) {
      throw new QbftError('WRONG_LEADER', `round ${message.round} is led by node ${leader}, not node ${message.source}`);
    }
    if (this.started && message.round < this.currentRound) return dropped('PAST_ROUND');
    const existing = this.proposals.get(message.round);
    if (existing && sameSigned(existing.signed, signed)) return dropped('DUPLICATE');
    this.verifySignature(signed);
    if (existing) return dropped('EQUIVOCATION');
    const bytes = this.requireValue(envelope, message.valueHash);
    if (message.round === 1) {
      if (envelope.justifications.length > 0) {
        throw new QbftError('INVALID_JUSTIFICATION', 'a round-1 proposal carries no justification');
      }
    } else {
      this.checkProposalJustification(message, envelope.justifications);
    }
    const value = this.decodeValue(bytes);
    if (!this.checkValidity(value)) {
      throw new QbftError('INVALID_VALUE', `the proposed value of round ${message.round} fails the validity predicate`);
    }
    const known = this.rememberValue(bytes, message.valueHash, value);
    this.proposals.set(message.round, { signed, valueKey: hashKey(known.hash) });
    return ACCEPTED;
  }

  private handleVote(envelope: QbftEnvelope): QbftReceiveResult {
    const { signed } = envelope;
    const { message } = signed;
    this.requireBare(envelope);
    const isPrepare = message.type === QbftMessageType.Prepare;
    // Old PREPAREs are useless; old COMMITs can still prove a decision.
    if (isPrepare && this.started && message.round < this.currentRound) return dropped('PAST_ROUND');
    // Its certificate is fixed once this node commits: further PREPAREs of that round change nothing, skip their verification.
    if (isPrepare && this.committedRounds.has(message.round)) return dropped('AFTER_COMMIT');
    const byRound = isPrepare ? this.prepares : this.commits;
    const existing = byRound.get(message.round)?.get(message.source);
    if (existing && sameSigned(existing, signed)) return dropped('DUPLICATE');
    this.verifySignature(signed);
    if (existing) return dropped('EQUIVOCATION');
    this.store(byRound, signed);
    return ACCEPTED;
  }

  private handleRoundChange(envelope: QbftEnvelope): QbftReceiveResult {
    const { signed, justifications } = envelope;
    const { message } = signed;
    if (message.round < 2) throw new QbftError('INVALID_ROUND', 'a ROUND-CHANGE is for round 2 or later');
    if (this.started && message.round < this.currentRound) return dropped('PAST_ROUND');
    const existing = this.roundChanges.get(message.round)?.get(message.source);
    if (existing && sameSigned(existing.signed, signed)) return dropped('DUPLICATE');
    this.verifySignature(signed);
    if (existing) return dropped('EQUIVOCATION');
    if (message.preparedRound === 0) {
      this.requireBare(envelope);
    } else {
      const bytes = this.requireValue(envelope, message.preparedValueHash);
      this.checkCertificate(justifications, QbftMessageType.Prepare, message.preparedRound, message.preparedValueHash, 'prepared round-change');
      this.rememberValue(bytes, message.preparedValueHash, this.decodeValue(bytes));
    }
    let byRound = this.roundChanges.get(message.round);
    if (!byRound) this.roundChanges.set(message.round, (byRound = new Map()));
    byRound.set(message.source, { signed, prepareCertificate: message.preparedRound === 0 ? [] : justifications });
    return ACCEPTED;
  }

  private handleDecided(envelope: QbftEnvelope): QbftReceiveResult {
    const { signed, justifications } = envelope;
    const { message } = signed;
    this.verifySignature(signed);
    const bytes = this.requireValue(envelope, message.valueHash);
    this.checkCertificate(justifications, QbftMessageType.Commit, message.round, message.valueHash, 'DECIDED');
    const known = this.rememberValue(bytes, message.valueHash, this.decodeValue(bytes));
    this.decide(message.round, known, justifications);
    return ACCEPTED;
  }

  /**
   * A proposal for round r > 1 needs a quorum of ROUND-CHANGEs for r. If any of them prepared, the
   * proposal must carry the PREPARE quorum of the highest prepared round, and propose that value.
   */
  private checkProposalJustification(proposal: QbftMessage, justifications: readonly SignedQbftMessage[]): void {
    const roundChanges: SignedQbftMessage[] = [];
    const prepares: SignedQbftMessage[] = [];
    for (const j of justifications) {
      if (j.message.type === QbftMessageType.RoundChange) roundChanges.push(j);
      else if (j.message.type === QbftMessageType.Prepare) prepares.push(j);
      else throw new QbftError('INVALID_JUSTIFICATION', `a proposal cannot be justified by a ${qbftMessageTypeName(j.message.type)}`);
    }
    this.checkSigners(roundChanges, 'proposal round-change', (m) => m.round === proposal.round, `ROUND-CHANGEs for round ${proposal.round}`);
    let highest: QbftMessage | undefined;
    for (const rc of roundChanges) {
      if (rc.message.preparedRound > (highest?.preparedRound ?? 0)) highest = rc.message;
    }
    if (!highest) {
      if (prepares.length > 0) {
        throw new QbftError('INVALID_JUSTIFICATION', 'PREPAREs justify a proposal although no round-change prepared anything');
      }
      return;
    }
    const top = highest.preparedRound;
    const proposesHighest = roundChanges.some(
      (rc) => rc.message.preparedRound === top && equalBytes(rc.message.preparedValueHash, proposal.valueHash),
    );
    if (!proposesHighest) {
      throw new QbftError('INVALID_JUSTIFICATION', `the proposal does not carry the value prepared in the highest round ${top}`, {
        highestPreparedRound: top,
      });
    }
    this.checkCertificate(prepares, QbftMessageType.Prepare, top, proposal.valueHash, 'proposal prepare');
  }

  /** A quorum of distinct, correctly signed messages of `type` for (round, valueHash). */
  private checkCertificate(
    messages: readonly SignedQbftMessage[],
    type: QbftMessageType,
    round: number,
    valueHash: Uint8Array,
    what: string,
  ): void {
    for (const m of messages) {
      if (m.message.type !== type) {
        throw new QbftError('INVALID_JUSTIFICATION', `${what}: expected ${qbftMessageTypeName(type)}, found ${qbftMessageTypeName(m.message.type)}`);
      }
    }
    this.checkSigners(
      messages,
      what,
      (m) => m.round === round && equalBytes(m.valueHash, valueHash),
      `${qbftMessageTypeName(type)}s for round ${round} and the same value`,
    );
  }

  private checkSigners(
    messages: readonly SignedQbftMessage[],
    what: string,
    matches: (m: QbftMessage) => boolean,
    expected: string,
  ): void {
    const signers = new Set<number>();
    for (const j of messages) {
      const m = j.message;
      if (m.duty.slot !== this.duty.slot || m.duty.type !== this.duty.type) {
        throw new QbftError('INVALID_JUSTIFICATION', `${what}: justification for another duty`);
      }
      if (!matches(m)) throw new QbftError('INVALID_JUSTIFICATION', `${what}: expected ${expected}`, { source: m.source, round: m.round });
      if (signers.has(m.source)) throw new QbftError('INVALID_JUSTIFICATION', `${what}: node ${m.source} signs twice`);
      signers.add(m.source);
      if (m.source >= this.nodeCount) throw new QbftError('UNKNOWN_SIGNER', `${what}: source ${m.source} is not a cluster node`);
      this.verifySignature(j);
    }
    if (signers.size < this.quorum) {
      throw new QbftError('INVALID_JUSTIFICATION', `${what}: ${signers.size} distinct signers, quorum is ${this.quorum}`, {
        signers: signers.size,
        quorum: this.quorum,
      });
    }
  }

  private verifySignature(signed: SignedQbftMessage): void {
    const { source } = signed.message;
    const publicKey = this.options.peers[source];
    if (!publicKey) throw new QbftError('UNKNOWN_SIGNER', `source ${source} is not a cluster node (n = ${this.nodeCount})`);
    const signingInput = qbftSigningInput(signed.message);
    const cacheKey = hashKey(signingInput) + hashKey(signed.signature);
    if (this.verifiedSignatures.has(cacheKey)) return;
    const { verifier } = this.options;
    const valid = verifier.verifyPreimage
      ? verifier.verifyPreimage(signingInput, signed.signature, publicKey)
      : verifier.verify(sha256(signingInput), signed.signature, publicKey);
    if (!valid) {
      throw new QbftError('INVALID_SIGNATURE', `bad signature on a ${qbftMessageTypeName(signed.message.type)} from node ${source}`, {
        source,
        round: signed.message.round,
      });
    }
    this.verifiedSignatures.add(cacheKey);
  }

  private requireValue(envelope: QbftEnvelope, expectedHash: Uint8Array): Uint8Array {
    const { value } = envelope;
    const kind = qbftMessageTypeName(envelope.signed.message.type);
    if (!value) throw new QbftError('MISSING_VALUE', `${kind} arrived without the value it refers to`);
    if (!equalBytes(qbftValueHash(value), expectedHash)) {
      throw new QbftError('VALUE_HASH_MISMATCH', `the value beside a ${kind} does not hash to the signed value hash`);
    }
    return value;
  }

  private requireBare(envelope: QbftEnvelope): void {
    const kind = qbftMessageTypeName(envelope.signed.message.type);
    if (envelope.value) throw new QbftError('UNEXPECTED_VALUE', `${kind} must not carry a value`);
    if (envelope.justifications.length > 0) throw new QbftError('INVALID_JUSTIFICATION', `${kind} must not carry justifications`);
  }

  private decodeValue(bytes: Uint8Array): V {
    try {
      return this.options.codec.decode(bytes);
    } catch (error) {
      throw new QbftError('INVALID_VALUE', `value does not decode: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private checkValidity(value: V): boolean {
    try {
      return this.options.isValid(value) === true;
    } catch {
      return false;
    }
  }

  private rememberValue(bytes: Uint8Array, hash: Uint8Array, value: V): KnownValue<V> {
    const key = hashKey(hash);
    let known = this.values.get(key);
    if (!known) this.values.set(key, (known = { bytes, hash, value }));
    return known;
  }

  private store(byRound: Map<number, Map<number, SignedQbftMessage>>, signed: SignedQbftMessage): void {
    let bySource = byRound.get(signed.message.round);
    if (!bySource) byRound.set(signed.message.round, (bySource = new Map()));
    bySource.set(signed.message.source, signed);
  }

  // ---- the rules ------------------------------------------------------------------------------

  private advanceTime(): void {
    if (this.expired) return;
    const now = this.options.clock.now();
    if (now >= this.roundClock.deadlineMs) {
      this.expire();
      return;
    }
    if (this.started && !this.decision && now >= this.roundClock.roundEnd(this.currentRound)) {
      this.enterRound(this.roundClock.roundAt(now), 'timeout');
    }
  }

  /** Applies every rule that can fire until none can. Each rule fires at most once per round. */
  private evaluate(): void {
    while (this.step());
  }

  private step(): boolean {
    if (this.decision || this.expired) return false;
    if (this.tryDecideFromCommits()) return true;
    if (!this.started) return false;

    const jumpTo = this.roundChangeJumpTarget();
    if (jumpTo !== undefined) {
      this.enterRound(jumpTo, 'round-changes');
      return true;
    }
    let futureProposal = 0;
    for (const round of this.proposals.keys()) if (round > this.currentRound) futureProposal = Math.max(futureProposal, round);
    if (futureProposal > 0) {
      // Its justification already proves a quorum of round changes for that round.
      this.enterRound(futureProposal, 'proposal');
      return true;
    }

    const round = this.currentRound;
    const proposal = this.proposals.get(round);
    if (proposal && !this.preparedRounds.has(round)) {
      this.preparedRounds.add(round);
      this.broadcast({ ...this.blank(QbftMessageType.Prepare, round), valueHash: this.values.get(proposal.valueKey)!.hash });
      return true;
    }
    if (proposal && !this.committedRounds.has(round)) {
      const certificate = this.matching(this.prepares.get(round), proposal.valueKey);
      if (certificate.length >= this.quorum) {
        this.committedRounds.add(round);
        this.prepared = { round, valueKey: proposal.valueKey, certificate: certificate.slice(0, this.quorum) };
        this.broadcast({ ...this.blank(QbftMessageType.Commit, round), valueHash: this.values.get(proposal.valueKey)!.hash });
        return true;
      }
    }
    if (!this.proposedRounds.has(round) && qbftLeader(this.duty, round, this.nodeCount) === this.nodeIndex) {
      return this.tryPropose(round);
    }
    return false;
  }

  private tryDecideFromCommits(): boolean {
    for (const [round, bySource] of this.commits) {
      if (bySource.size < this.quorum) continue;
      const byValue = new Map<string, SignedQbftMessage[]>();
      for (const commit of bySource.values()) {
        const key = hashKey(commit.message.valueHash);
        const list = byValue.get(key) ?? [];
        list.push(commit);
        byValue.set(key, list);
      }
      for (const [key, list] of byValue) {
        const known = this.values.get(key);
        if (list.length >= this.quorum && known) {
          this.decide(round, known, list.sort((a, b) => a.message.source - b.message.source).slice(0, this.quorum));
          return true;
        }
      }
    }
    return false;
  }

  /** f+1 distinct nodes asking for rounds above ours: at least one is honest, so join the lowest of them. */
  private roundChangeJumpTarget(): number | undefined {
    const highestBySource = new Map<number, number>();
    for (const [round, bySource] of this.roundChanges) {
      if (round <= this.currentRound) continue;
      for (const source of bySource.keys()) highestBySource.set(source, Math.max(round, highestBySource.get(source) ?? 0));
    }
    if (highestBySource.size < this.faultTolerance + 1) return undefined;
    return Math.min(...highestBySource.values());
  }

  private tryPropose(round: number): boolean {
    let valueKey: string | undefined;
    let justifications: SignedQbftMessage[] = [];
    if (round === 1) {
      valueKey = this.validInputKey();
    } else {
      const bySource = this.roundChanges.get(round);
      if (!bySource || bySource.size < this.quorum) return false;
      const roundChanges = [...bySource.values()].sort((a, b) => a.signed.message.source - b.signed.message.source);
      let highest: StoredRoundChange | undefined;
      for (const rc of roundChanges) {
        if (rc.signed.message.preparedRound > (highest?.signed.message.preparedRound ?? 0)) highest = rc;
      }
      justifications = roundChanges.map((rc) => rc.signed);
      if (highest) {
        valueKey = hashKey(highest.signed.message.preparedValueHash);
        justifications.push(...highest.prepareCertificate);
      } else {
        valueKey = this.validInputKey();
      }
    }
    if (valueKey === undefined) return false;
    const known = this.values.get(valueKey)!;
    this.proposedRounds.add(round);
    const signed = this.broadcast({ ...this.blank(QbftMessageType.PrePrepare, round), valueHash: known.hash }, justifications, known.bytes);
    if (this.checkValidity(known.value) && !this.proposals.has(round)) this.proposals.set(round, { signed, valueKey });
    return true;
  }

  private validInputKey(): string | undefined {
    if (this.inputKey === undefined) return undefined;
    this.inputIsValid ??= this.checkValidity(this.values.get(this.inputKey)!.value);
    return this.inputIsValid ? this.inputKey : undefined;
  }

  private enterRound(round: number, reason: QbftRoundChangeReason): void {
    this.currentRound = round;
    this.options.observer?.onRoundChange?.(round, reason);
    if (round === 1 || reason === 'proposal' || this.roundChangeRounds.has(round)) return;
    this.roundChangeRounds.add(round);
    const prepared = this.prepared;
    const message: QbftMessage = prepared
      ? { ...this.blank(QbftMessageType.RoundChange, round), preparedRound: prepared.round, preparedValueHash: this.values.get(prepared.valueKey)!.hash }
      : this.blank(QbftMessageType.RoundChange, round);
    this.broadcast(message, prepared ? [...prepared.certificate] : [], prepared ? this.values.get(prepared.valueKey)!.bytes : undefined);
  }

  private decide(round: number, known: KnownValue<V>, commits: readonly SignedQbftMessage[]): void {
    this.decision = { duty: this.duty, round, value: known.value, valueHash: known.hash, commits };
    this.options.onDecide?.(this.decision);
  }

  /** A node still changing rounds has missed the decision: send it the proof, once per round it asks. */
  private replyDecided(roundChange: SignedQbftMessage): void {
    const decision = this.decision!;
    const key = `${roundChange.message.source}:${roundChange.message.round}`;
    if (roundChange.message.source === this.nodeIndex || this.decidedRepliesSent.has(key)) return;
    this.verifySignature(roundChange);
    this.decidedRepliesSent.add(key);
    const signed = signQbftMessage({ ...this.blank(QbftMessageType.Decided, decision.round), valueHash: decision.valueHash }, this.options.signer);
    const bytes = encodeQbftEnvelope({ signed, justifications: decision.commits, value: this.values.get(hashKey(decision.valueHash))!.bytes });
    this.options.transport.send(roundChange.message.source, bytes);
  }

  private expire(): void {
    if (this.expired) return;
    this.expired = true;
    this.options.observer?.onExpire?.();
  }

  // ---- outgoing messages ----------------------------------------------------------------------

  private blank(type: QbftMessageType, round: number): QbftMessage {
    return { type, duty: this.duty, source: this.nodeIndex, round, valueHash: ZERO_HASH, preparedRound: 0, preparedValueHash: ZERO_HASH };
  }

  /** Signs, sends to every peer, and records the message as received from self. */
  private broadcast(message: QbftMessage, justifications: readonly SignedQbftMessage[] = [], value?: Uint8Array): SignedQbftMessage {
    const signed = signQbftMessage(message, this.options.signer);
    this.options.transport.broadcast(encodeQbftEnvelope(value ? { signed, justifications, value } : { signed, justifications }));
    switch (message.type) {
      case QbftMessageType.Prepare:
        this.store(this.prepares, signed);
        break;
      case QbftMessageType.Commit:
        this.store(this.commits, signed);
        break;
      case QbftMessageType.RoundChange: {
        let byRound = this.roundChanges.get(message.round);
        if (!byRound) this.roundChanges.set(message.round, (byRound = new Map()));
        byRound.set(this.nodeIndex, { signed, prepareCertificate: justifications });
        break;
      }
    }
    return signed;
  }

  private matching(bySource: Map<number, SignedQbftMessage> | undefined, valueKey: string): SignedQbftMessage[] {
    if (!bySource) return [];
    return [...bySource.values()]
      .filter((m) => hashKey(m.message.valueHash) === valueKey)
      .sort((a, b) => a.message.source - b.message.source);
  }

  private requestWake(): void {
    const at = this.nextWakeAt;
    if (at === undefined || at === this.requestedWake) return;
    this.requestedWake = at;
    this.options.timer?.wakeAt(at);
  }
}
