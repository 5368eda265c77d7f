import { decodeQbftEnvelope, encodeQbftEnvelope, qbftValueHash } from '../codec.js';
import { InMemoryQbftNetwork } from '../in-memory-network.js';
import { QbftInstance, rawBytesCodec, type QbftDecision, type QbftReceiveResult } from '../instance.js';
import { Secp256k1Signer, secp256k1Verifier, signQbftMessage, type QbftSigner, type QbftVerifier } from '../signing.js';
import { increasingRoundDuration, qbftLeader, type QbftTiming } from '../timing.js';
import { QbftMessageType, ZERO_HASH, type QbftDuty, type QbftEnvelope, type QbftMessage, type SignedQbftMessage } from '../types.js';
import { fakeKeys } from './fake-keys.js';

export const DUTY: QbftDuty = { slot: 100, type: 2 };
export const START_MS = 1_000_000;
/** rounds of 1 s, 1.5 s, 2 s, … ; round r ends at START_MS + 1000r + 250r(r-1); 15 rounds fit */
export const TIMING: QbftTiming = { startMs: START_MS, deadlineMs: START_MS + 60_000, roundDuration: increasingRoundDuration(1000, 500) };

export const val = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

export interface Keys {
  signers: QbftSigner[];
  peers: Uint8Array[];
  verifier: QbftVerifier;
}

/** Deterministic secp256k1 identity keys (private key i+1 padded), for tests of the real scheme. */
export function secpKeys(n: number): Keys {
  const signers = Array.from({ length: n }, (_, i) => {
    const sk = new Uint8Array(32);
    sk[31] = i + 1;
    sk[0] = 7;
    return new Secp256k1Signer(sk);
  });
  return { signers, peers: signers.map((s) => s.publicKey), verifier: secp256k1Verifier };
}

export interface Sent {
  to: number | 'all';
  envelope: QbftEnvelope;
}

export interface SingleNodeOptions {
  n: number;
  me: number;
  duty?: QbftDuty;
  timing?: QbftTiming;
  isValid?: (value: Uint8Array) => boolean;
  keys?: Keys;
  maxMessageBytes?: number;
}

/**
 * One real instance (node `me`) whose peers are puppets: the test crafts their signed messages and
 * reads what the instance sends.
 */
export class SingleNode {
  now = START_MS;
  readonly keys: Keys;
  readonly instance: QbftInstance<Uint8Array>;
  readonly sent: Sent[] = [];
  readonly decisions: QbftDecision<Uint8Array>[] = [];
  readonly wakes: number[] = [];
  readonly duty: QbftDuty;
  readonly n: number;

  constructor(readonly options: SingleNodeOptions) {
    this.n = options.n;
    this.duty = options.duty ?? DUTY;
    this.keys = options.keys ?? fakeKeys(options.n);
    this.instance = new QbftInstance<Uint8Array>({
      duty: this.duty,
      nodeIndex: options.me,
      peers: this.keys.peers,
      signer: this.keys.signers[options.me]!,
      verifier: this.keys.verifier,
      codec: rawBytesCodec,
      isValid: options.isValid ?? (() => true),
      timing: options.timing ?? TIMING,
      clock: { now: () => this.now },
      timer: { wakeAt: (t) => this.wakes.push(t) },
      transport: {
        broadcast: (bytes) => this.sent.push({ to: 'all', envelope: decodeQbftEnvelope(bytes) }),
        send: (to, bytes) => this.sent.push({ to, envelope: decodeQbftEnvelope(bytes) }),
      },
      onDecide: (d) => this.decisions.push(d),
      limits: options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : undefined,
    });
  }

  leader(round: number): number {
    return qbftLeader(this.duty, round, this.n);
  }

  /** Messages this node sent, optionally only of one type. */
  out(type?: QbftMessageType): Sent[] {
    return type === undefined ? this.sent : this.sent.filter((s) => s.envelope.signed.message.type === type);
  }

  clearSent(): void {
    this.sent.length = 0;
  }

  at(timeMs: number): void {
    this.now = timeMs;
    this.instance.tick();
  }

  receive(bytes: Uint8Array): QbftReceiveResult {
    return this.instance.receive(bytes);
  }

  // ---- crafting messages of any node ----

  sign(from: number, fields: Partial<QbftMessage> & Pick<QbftMessage, 'type' | 'round'>, signAs = from): SignedQbftMessage {
    const message: QbftMessage = { duty: this.duty, source: from, valueHash: ZERO_HASH, preparedRound: 0, preparedValueHash: ZERO_HASH, ...fields };
    return signQbftMessage(message, this.keys.signers[signAs]!);
  }

  prepareMsg(from: number, round: number, value: Uint8Array): SignedQbftMessage {
    return this.sign(from, { type: QbftMessageType.Prepare, round, valueHash: qbftValueHash(value) });
  }

  commitMsg(from: number, round: number, value: Uint8Array): SignedQbftMessage {
    return this.sign(from, { type: QbftMessageType.Commit, round, valueHash: qbftValueHash(value) });
  }

  roundChangeMsg(from: number, round: number, prepared?: { round: number; value: Uint8Array }): SignedQbftMessage {
    return this.sign(from, {
      type: QbftMessageType.RoundChange,
      round,
      preparedRound: prepared?.round ?? 0,
      preparedValueHash: prepared ? qbftValueHash(prepared.value) : ZERO_HASH,
    });
  }

  proposal(from: number, round: number, value: Uint8Array, justifications: SignedQbftMessage[] = []): Uint8Array {
    const signed = this.sign(from, { type: QbftMessageType.PrePrepare, round, valueHash: qbftValueHash(value) });
    return encodeQbftEnvelope({ signed, justifications, value });
  }

  prepare(from: number, round: number, value: Uint8Array): Uint8Array {
    return encodeQbftEnvelope({ signed: this.prepareMsg(from, round, value), justifications: [] });
  }

  commit(from: number, round: number, value: Uint8Array): Uint8Array {
    return encodeQbftEnvelope({ signed: this.commitMsg(from, round, value), justifications: [] });
  }

  /** A ROUND-CHANGE; when prepared, with the PREPAREs of `certificateFrom` as its justification. */
  roundChange(from: number, round: number, prepared?: { round: number; value: Uint8Array; certificateFrom: number[] }): Uint8Array {
    const signed = this.roundChangeMsg(from, round, prepared);
    if (!prepared) return encodeQbftEnvelope({ signed, justifications: [] });
    const justifications = prepared.certificateFrom.map((s) => this.prepareMsg(s, prepared.round, prepared.value));
    return encodeQbftEnvelope({ signed, justifications, value: prepared.value });
  }

  decided(from: number, round: number, value: Uint8Array, commitsFrom: number[]): Uint8Array {
    const signed = this.sign(from, { type: QbftMessageType.Decided, round, valueHash: qbftValueHash(value) });
    const justifications = commitsFrom.map((s) => this.commitMsg(s, round, value));
    return encodeQbftEnvelope({ signed, justifications, value });
  }
}

export interface ClusterOptions {
  n: number;
  duty?: QbftDuty;
  timing?: QbftTiming;
  keys?: Keys;
  isValid?: (node: number, value: Uint8Array) => boolean;
  /** return false to lose the message */
  deliver?: (from: number, to: number, envelope: QbftEnvelope) => boolean;
}

/** n real instances on an InMemoryQbftNetwork sharing one manual clock. */
export class Cluster {
  now = START_MS;
  readonly network: InMemoryQbftNetwork;
  readonly instances: QbftInstance<Uint8Array>[];
  readonly decisions: (QbftDecision<Uint8Array> | undefined)[];
  readonly rejections: { node: number; code: string; message: string }[] = [];
  readonly keys: Keys;
  readonly timing: QbftTiming;
  crashed = new Set<number>();
  deliver?: (from: number, to: number, envelope: QbftEnvelope) => boolean;

  constructor(options: ClusterOptions) {
    const { n } = options;
    this.keys = options.keys ?? fakeKeys(n);
    this.timing = options.timing ?? TIMING;
    this.deliver = options.deliver;
    this.network = new InMemoryQbftNetwork(n);
    this.decisions = new Array(n).fill(undefined);
    this.instances = Array.from({ length: n }, (_, i) => {
      const instance = new QbftInstance<Uint8Array>({
        duty: options.duty ?? DUTY,
        nodeIndex: i,
        peers: this.keys.peers,
        signer: this.keys.signers[i]!,
        verifier: this.keys.verifier,
        codec: rawBytesCodec,
        isValid: (v) => options.isValid?.(i, v) ?? true,
        timing: this.timing,
        clock: { now: () => this.now },
        transport: this.network.transport(i),
        onDecide: (d) => {
          if (this.decisions[i]) throw new Error(`node ${i} decided twice`);
          this.decisions[i] = d;
        },
      });
      this.network.connect(i, (bytes, from) => {
        if (this.crashed.has(i)) return;
        if (this.deliver && !this.deliver(from, i, decodeQbftEnvelope(bytes))) return;
        const result = instance.receive(bytes);
        if (result.status === 'rejected') this.rejections.push({ node: i, code: result.error.code, message: result.error.message });
      });
      return instance;
    });
  }

  start(inputs: (node: number) => Uint8Array | undefined = (i) => val(`value of node ${i}`)): void {
    this.instances.forEach((instance, i) => {
      if (!this.crashed.has(i)) instance.start(inputs(i));
    });
    this.network.deliverAll();
  }

  /** Moves the clock, lets every live node handle its timeouts, then delivers everything. */
  at(timeMs: number): void {
    this.now = timeMs;
    this.instances.forEach((instance, i) => {
      if (!this.crashed.has(i)) instance.tick();
    });
    this.network.deliverAll();
  }

  decidedValues(): (string | undefined)[] {
    return this.decisions.map((d) => (d ? text(d.value) : undefined));
  }
}
