import { decodeQbftEnvelope, encodeQbftEnvelope, qbftValueHash } from '../codec.js';
import { QbftInstance, rawBytesCodec, type QbftDecision } from '../instance.js';
import { signQbftMessage } from '../signing.js';
import { increasingRoundDuration, qbftQuorum, type QbftTiming } from '../timing.js';
import { QbftMessageType, ZERO_HASH, type QbftDuty, type QbftEnvelope, type QbftMessage, type SignedQbftMessage } from '../types.js';
import { fakeKeys } from './fake-keys.js';
import type { Keys } from './scenario.js';

/** Small seeded PRNG (mulberry32): the whole run follows from the seed. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
}

export interface SimulationConfig {
  n: number;
  seed: number;
  /** nodes that never run */
  crashed?: readonly number[];
  /** nodes that run the attacks of ByzantineNode */
  byzantine?: readonly number[];
  /** probability of losing a message sent before GST */
  lossBeforeGst?: number;
  /**
   * Before GST, time is cut into slices of up to this many ms; in each slice the nodes are split
   * into two random sides (or left whole) and messages across sides are lost. 0 = no partitions.
   */
  partitionSliceMs?: number;
  /**
   * An adaptive adversary: the first honest node to decide before GST is cut off (everything it
   * sends is lost) until GST, so the others must carry on without its decision.
   */
  muteFirstDecider?: boolean;
  /** until the first honest decision (before GST), COMMITs reach only this node */
  commitsOnlyTo?: number;
  /** probability that a directed link is down for the whole time before GST */
  linkCutBeforeGst?: number;
  /** global stabilisation time, ms after the duty start: no loss and bounded delay afterwards */
  gstAfterMs?: number;
  maxDelayBeforeGstMs?: number;
  maxDelayAfterGstMs?: number;
  /** each node's clock is off by up to ± this much */
  maxSkewMs?: number;
  duty?: QbftDuty;
  timing?: QbftTiming;
  keys?: Keys;
}

export interface SimulationResult {
  decisions: (QbftDecision<Uint8Array> | undefined)[];
  honest: number[];
  /** events processed */
  events: number;
  /** rejections seen by honest nodes, by error code */
  rejectedCodes: Map<string, number>;
}

const SIM_START_MS = 1_700_000_000_000;
export const SIM_TIMING: QbftTiming = {
  startMs: SIM_START_MS,
  deadlineMs: SIM_START_MS + 30_000,
  roundDuration: increasingRoundDuration(200, 100),
};

interface SimEvent {
  time: number;
  seq: number;
  run: () => void;
}

/** Binary min-heap on (time, seq): equal times run in scheduling order. */
class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;
  get size(): number {
    return this.heap.length;
  }
  push(time: number, run: () => void): void {
    const heap = this.heap;
    heap.push({ time, seq: this.seq++, run });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }
  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
  private less(a: SimEvent, b: SimEvent): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }
}

/**
 * A deterministic discrete-event network of QBFT nodes: random delays (so reordering), loss
 * before GST, clock skew, crashed and Byzantine nodes; everything drawn from one seed.
 */
export class Simulation {
  now: number;
  readonly rng: Prng;
  readonly queue = new EventQueue();
  readonly keys: Keys;
  readonly timing: QbftTiming;
  readonly duty: QbftDuty;
  readonly decisions: (QbftDecision<Uint8Array> | undefined)[];
  readonly rejectedCodes = new Map<string, number>();
  private readonly receivers: (((bytes: Uint8Array) => void) | undefined)[];
  private readonly gstMs: number;
  private readonly cutLinks = new Set<string>();
  private muted?: number;
  /** [slice end (ms since start), side of each node] */
  private readonly partitions: [number, number[]][] = [];

  constructor(readonly config: SimulationConfig) {
    const { n } = config;
    this.rng = new Prng(config.seed);
    this.timing = config.timing ?? SIM_TIMING;
    this.duty = config.duty ?? { slot: 1000 + (config.seed % 97), type: 2 };
    this.keys = config.keys ?? fakeKeys(n);
    this.now = this.timing.startMs;
    this.gstMs = this.timing.startMs + (config.gstAfterMs ?? 0);
    this.decisions = new Array(n).fill(undefined);
    this.receivers = new Array(n).fill(undefined);
    const crashed = new Set(config.crashed ?? []);
    const byzantine = new Set(config.byzantine ?? []);
    const maxSkew = config.maxSkewMs ?? 0;
    const sliceMs = config.partitionSliceMs ?? 0;
    for (let end = 0; sliceMs > 0 && end < (config.gstAfterMs ?? 0); ) {
      end += 1 + this.rng.int(sliceMs);
      const whole = this.rng.chance(0.3);
      this.partitions.push([end, Array.from({ length: n }, () => (whole ? 0 : this.rng.int(2)))]);
    }
    for (let from = 0; from < n; from++) {
      for (let to = 0; to < n; to++) if (from !== to && this.rng.chance(config.linkCutBeforeGst ?? 0)) this.cutLinks.add(`${from}>${to}`);
    }
    for (let i = 0; i < n; i++) {
      if (crashed.has(i)) continue;
      const skew = maxSkew === 0 ? 0 : Math.round((this.rng.next() * 2 - 1) * maxSkew);
      const instance = this.createInstance(i, skew);
      if (byzantine.has(i)) {
        const attacker = new ByzantineNode(this, i, instance.inner);
        instance.onSend = (bytes, to) => attacker.outgoing(bytes, to);
        this.receivers[i] = (bytes) => attacker.incoming(bytes);
      } else {
        this.receivers[i] = (bytes) => {
          const result = instance.inner.receive(bytes);
          if (result.status === 'rejected') {
            this.rejectedCodes.set(result.error.code, (this.rejectedCodes.get(result.error.code) ?? 0) + 1);
          }
        };
      }
      // the fetcher of each node finishes at a slightly different time
      const startAt = this.timing.startMs + this.rng.int(50);
      this.queue.push(startAt, () => instance.inner.start(new TextEncoder().encode(`value of node ${i}`)));
    }
  }

  honest(): number[] {
    const skip = new Set([...(this.config.crashed ?? []), ...(this.config.byzantine ?? [])]);
    return Array.from({ length: this.config.n }, (_, i) => i).filter((i) => !skip.has(i));
  }

  private createInstance(index: number, skew: number) {
    const handle: { onSend?: (bytes: Uint8Array, to: number | 'all') => void } = {};
    const send = (bytes: Uint8Array, to: number | 'all') => {
      if (handle.onSend) handle.onSend(bytes, to);
      else this.transmit(index, to, bytes);
    };
    const inner: QbftInstance<Uint8Array> = new QbftInstance<Uint8Array>({
      duty: this.duty,
      nodeIndex: index,
      peers: this.keys.peers,
      signer: this.keys.signers[index]!,
      verifier: this.keys.verifier,
      codec: rawBytesCodec,
      isValid: () => true,
      timing: this.timing,
      clock: { now: () => this.now + skew },
      timer: { wakeAt: (t) => this.queue.push(Math.max(this.now, t - skew), () => inner.tick()) },
      transport: { broadcast: (bytes) => send(bytes, 'all'), send: (to, bytes) => send(bytes, to) },
      onDecide: (d) => {
        if (this.decisions[index]) throw new Error(`node ${index} decided twice`);
        this.decisions[index] = d;
        if (this.config.muteFirstDecider && this.muted === undefined && !this.config.byzantine?.includes(index)) this.muted = index;
      },
    });
    return Object.assign(handle, { inner });
  }

  /** Puts a message on the wire to one peer or all others, subject to loss and delay. */
  transmit(from: number, to: number | 'all', bytes: Uint8Array): void {
    if (to === 'all') {
      for (let peer = 0; peer < this.config.n; peer++) if (peer !== from) this.transmit(from, peer, bytes);
      return;
    }
    const beforeGst = this.now < this.gstMs;
    if (beforeGst && this.lostBeforeGst(from, to, bytes)) return;
    const maxDelay = beforeGst ? (this.config.maxDelayBeforeGstMs ?? 50) : (this.config.maxDelayAfterGstMs ?? 50);
    const delay = 1 + this.rng.int(maxDelay);
    this.queue.push(this.now + delay, () => this.receivers[to]?.(bytes));
  }

  private lostBeforeGst(from: number, to: number, bytes: Uint8Array): boolean {
    const type = bytes[1]; // byte 1 of an envelope is the message type
    const { commitsOnlyTo } = this.config;
    if (type === QbftMessageType.Commit && commitsOnlyTo !== undefined && this.muted === undefined && to !== commitsOnlyTo) return true;
    if (from === this.muted || this.cutLinks.has(`${from}>${to}`)) return true;
    const slice = this.partitions.find(([end]) => this.now - this.timing.startMs < end);
    if (slice && slice[1][from] !== slice[1][to]) return true;
    return this.rng.chance(this.config.lossBeforeGst ?? 0);
  }

  run(untilMs = this.timing.deadlineMs + 1000): SimulationResult {
    let events = 0;
    for (;;) {
      const event = this.queue.pop();
      if (!event || event.time > untilMs) break;
      this.now = event.time;
      event.run();
      events++;
    }
    return { decisions: this.decisions, honest: this.honest(), events, rejectedCodes: this.rejectedCodes };
  }
}

/**
 * A Byzantine node: runs the protocol to know what is going on, but equivocates as leader,
 * votes for every value it sees, hides what it prepared, builds proposals from hand-picked
 * round-change quorums, signs messages in other nodes' names and sends garbage.
 */
class ByzantineNode {
  private readonly rng: Prng;
  private readonly n: number;
  private readonly roundChanges = new Map<number, Map<number, QbftEnvelope>>();
  private readonly votedFor = new Set<string>();
  private readonly seen: Uint8Array[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly index: number,
    private readonly inner: QbftInstance<Uint8Array>,
  ) {
    this.rng = sim.rng;
    this.n = sim.config.n;
  }

  private sign(fields: Partial<QbftMessage> & Pick<QbftMessage, 'type' | 'round'>, source = this.index): SignedQbftMessage {
    const message: QbftMessage = {
      duty: this.sim.duty,
      source,
      valueHash: ZERO_HASH,
      preparedRound: 0,
      preparedValueHash: ZERO_HASH,
      ...fields,
    };
    return signQbftMessage(message, this.sim.keys.signers[this.index]!);
  }

  private send(to: number | 'all', envelope: QbftEnvelope): void {
    this.sim.transmit(this.index, to, encodeQbftEnvelope(envelope));
  }

  private peers(): number[] {
    return Array.from({ length: this.n }, (_, i) => i).filter((i) => i !== this.index);
  }

  private fakeValue(round: number, variant: number): Uint8Array {
    return new TextEncoder().encode(`byzantine ${this.index} round ${round} variant ${variant}`);
  }

  outgoing(bytes: Uint8Array, to: number | 'all'): void {
    const envelope = decodeQbftEnvelope(bytes);
    const { message } = envelope.signed;
    if (message.type === QbftMessageType.PrePrepare) {
      this.propose(envelope);
      return;
    }
    const targets = to === 'all' ? this.peers() : [to];
    for (const peer of targets) {
      const roll = this.rng.next();
      if (message.type === QbftMessageType.RoundChange && message.preparedRound > 0 && roll < 0.5) {
        // hide the prepared value
        this.send(peer, { signed: this.sign({ type: QbftMessageType.RoundChange, round: message.round }), justifications: [] });
      } else if (roll < 0.9) {
        this.sim.transmit(this.index, peer, bytes);
      }
      if (this.rng.chance(0.3)) this.sendJunk(peer, envelope);
    }
  }

  /** Replaces the proposal its honest twin would make: as is, split between two values, or hand-picked. */
  private propose(honest: QbftEnvelope): void {
    const { round } = honest.signed.message;
    const roll = this.rng.next();
    if (roll < 0.2) {
      for (const peer of this.peers()) this.send(peer, honest);
      this.voteForEverything(round, honest.signed.message.valueHash);
    } else if (round === 1 || roll < 0.5 || !this.proposeHandPicked(round)) {
      // two values, each peer gets one; the justification is the honest one
      const values = [honest.value!, this.fakeValue(round, 1)];
      for (const peer of this.peers()) {
        const value = values[this.rng.int(2)]!;
        const signed = this.sign({ type: QbftMessageType.PrePrepare, round, valueHash: qbftValueHash(value) });
        this.send(peer, { signed, justifications: honest.justifications, value });
        this.voteForEverything(round, signed.message.valueHash);
      }
    }
  }

  incoming(bytes: Uint8Array): void {
    let envelope: QbftEnvelope | undefined;
    try {
      envelope = decodeQbftEnvelope(bytes);
    } catch {
      envelope = undefined;
    }
    if (envelope) {
      if (this.seen.length < 64) this.seen.push(bytes);
      const { message } = envelope.signed;
      if (message.type === QbftMessageType.PrePrepare) this.voteForEverything(message.round, message.valueHash);
      if (message.type === QbftMessageType.RoundChange) {
        let byRound = this.roundChanges.get(message.round);
        if (!byRound) this.roundChanges.set(message.round, (byRound = new Map()));
        byRound.set(message.source, envelope);
      }
    }
    this.inner.receive(bytes);
  }

  private voteForEverything(round: number, valueHash: Uint8Array): void {
    const key = `${round}:${Buffer.from(valueHash).toString('hex')}`;
    if (this.votedFor.has(key)) return;
    this.votedFor.add(key);
    for (const type of [QbftMessageType.Prepare, QbftMessageType.Commit]) {
      const signed = this.sign({ type, round, valueHash });
      for (const peer of this.peers()) if (this.rng.chance(0.8)) this.send(peer, { signed, justifications: [] });
    }
  }

  /**
   * Builds its own justification from the round changes it received, preferring those that
   * prepared nothing (or the least), and proposes a fresh value to most peers.
   */
  private proposeHandPicked(round: number): boolean {
    const quorum = qbftQuorum(this.n);
    const received = [...(this.roundChanges.get(round)?.values() ?? [])].filter((e) => e.signed.message.source !== this.index);
    if (received.length + 1 < quorum) return false;
    received.sort((a, b) => a.signed.message.preparedRound - b.signed.message.preparedRound);
    const chosen = received.slice(0, quorum - 1);
    const justifications: SignedQbftMessage[] = [this.sign({ type: QbftMessageType.RoundChange, round }), ...chosen.map((e) => e.signed)];
    const highest = chosen.reduce<QbftEnvelope | undefined>(
      (best, e) => (e.signed.message.preparedRound > (best?.signed.message.preparedRound ?? 0) ? e : best),
      undefined,
    );
    const fresh = this.fakeValue(round, 2);
    for (const peer of this.peers()) {
      const value = highest && this.rng.chance(0.25) ? highest.value! : fresh;
      const signed = this.sign({ type: QbftMessageType.PrePrepare, round, valueHash: qbftValueHash(value) });
      this.send(peer, { signed, justifications: highest ? [...justifications, ...highest.justifications] : justifications, value });
      this.voteForEverything(round, signed.message.valueHash);
    }
    return true;
  }

  private sendJunk(peer: number, envelope: QbftEnvelope): void {
    const kind = this.rng.int(6);
    const { message } = envelope.signed;
    const other = (this.index + 1 + this.rng.int(this.n - 1)) % this.n;
    switch (kind) {
      case 0:
        this.sim.transmit(this.index, peer, this.rng.bytes(this.rng.int(400)));
        break;
      case 1: {
        const bytes = encodeQbftEnvelope(envelope);
        bytes[this.rng.int(bytes.length)]! ^= 1 << this.rng.int(8);
        this.sim.transmit(this.index, peer, bytes);
        break;
      }
      case 2: // in another node's name
        this.send(peer, { ...envelope, signed: this.sign({ ...message, source: other }) });
        break;
      case 3: {
        // a well-signed vote for a random value in a random round
        const type = this.rng.chance(0.5) ? QbftMessageType.Prepare : QbftMessageType.Commit;
        this.send(peer, { signed: this.sign({ type, round: 1 + this.rng.int(6), valueHash: this.rng.bytes(32) }), justifications: [] });
        break;
      }
      case 4: {
        // a DECIDED whose COMMIT quorum is one real signature repeated
        const value = this.fakeValue(message.round, 9);
        const commit = this.sign({ type: QbftMessageType.Commit, round: message.round, valueHash: qbftValueHash(value) });
        const quorum = qbftQuorum(this.n);
        this.send(peer, {
          signed: this.sign({ type: QbftMessageType.Decided, round: message.round, valueHash: qbftValueHash(value) }),
          justifications: new Array<SignedQbftMessage>(quorum).fill(commit),
          value,
        });
        break;
      }
      default: {
        // replay something seen earlier
        const old = this.seen[this.rng.int(Math.max(1, this.seen.length))];
        if (old) this.sim.transmit(this.index, peer, old);
      }
    }
  }
}
