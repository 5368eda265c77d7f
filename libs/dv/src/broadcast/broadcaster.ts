import { DvtError, equalBytes } from '@dvt/common';
import { type NetworkConfig, forkAtEpoch, slotToEpoch } from '@dvt/eth2';
import { ForkSeq, type ForkName } from '@lodestar/params';
import { type phase0 } from '@lodestar/types';
import {
  DutyType,
  decodeAttesterMessage,
  decodeExitMessage,
  decodeProposalValue,
  formatDuty,
  systemClock,
  type AggregatedDuty,
  type AggregatedSignature,
  type BeaconDutyPort,
  type Clock,
  type Duty,
  type DutyDefinitionSet,
  type DvPubkey,
  type SlotTimes,
  type Timers,
} from '../core/index.js';

/** Why a broadcast failed, as a metric label. */
export type BroadcastFailureReason =
  /** the beacon node refused the object (4xx): retrying cannot help */
  | 'beacon_rejected'
  /** the beacon node failed (5xx, timeout, unreachable) on every attempt within the slot */
  | 'beacon_unavailable'
  /** the scheduler has no definition of this DV for the duty (attester committee unknown) */
  | 'missing_definition'
  /** no decided proposal for the DV */
  | 'missing_proposal'
  /** the aggregated signature is over something else than the duty's decided object */
  | 'message_mismatch'
  /** the duty's fork has no such beacon object (SingleAttestation before Electra) */
  | 'unsupported_fork';

export type BroadcastErrorCode = 'BROADCAST_FAILED';

export class BroadcastError extends DvtError<BroadcastErrorCode> {
  constructor(message: string, details?: Record<string, unknown>) {
    super('BROADCAST_FAILED', message, details);
  }
}

/** Metrics and log hooks; every method is optional and must not throw. */
export interface BroadcasterObserver {
  /** `dvs` objects of `duty` reached the beacon node (`ok`) or did not, for `reason` */
  onResult?(duty: Duty, ok: boolean, dvs: number, reason?: BroadcastFailureReason, detail?: string): void;
  /** a transient beacon node error; the submission is tried again */
  onRetry?(duty: Duty, attempt: number, error: string): void;
}

export interface BroadcasterOptions {
  beacon: BeaconDutyPort;
  network: NetworkConfig;
  definitionsOf(duty: Duty): DutyDefinitionSet | undefined;
  /** the decided proposal value of a DV (duty DB) */
  proposalOf(duty: Duty, dv: DvPubkey): Uint8Array | undefined;
  /** attempts per submission on transient beacon node errors; default 3 */
  attempts?: number;
  /** pause before the first retry, doubling after; default 250 ms */
  retryDelayMs?: number;
  /** when set, no retry starts after the end of the duty's slot */
  slotTimes?: SlotTimes;
  /** default: the system clock */
  clock?: Clock & Timers;
  observer?: BroadcasterObserver;
}

interface Failure {
  readonly dvs: number;
  readonly reason: BroadcastFailureReason;
  readonly detail: string;
}

class Refused extends Error {
  constructor(
    readonly reason: BroadcastFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Submits aggregated, verified signatures to the beacon node as the signed objects of their duty:
 * attestations in one call, blocks (full, blinded or with blobs) one per DV, voluntary exits. Randao
 * reveals, builder registrations and the other inputs of later steps are not beacon objects.
 */
export class Broadcaster {
  private readonly clock: Clock & Timers;
  private readonly observer: BroadcasterObserver;

  constructor(private readonly options: BroadcasterOptions) {
    this.clock = options.clock ?? systemClock;
    this.observer = options.observer ?? {};
  }

  /**
   * Resolves when the beacon node accepted every object of the duty; rejects with BroadcastError
   * naming the failures otherwise (each also reported to the observer with its reason).
   */
  async broadcast(aggregated: AggregatedDuty): Promise<void> {
    const { duty, signatures } = aggregated;
    if (signatures.size === 0) return;
    let failures: Failure[];
    let succeeded: number;
    switch (duty.type) {
      case DutyType.Attester:
        ({ failures, succeeded } = await this.attestations(duty, signatures));
        break;
      case DutyType.Proposer:
        ({ failures, succeeded } = await this.each(duty, signatures, (dv, aggregate) => this.block(duty, dv, aggregate)));
        break;
      case DutyType.Exit:
        ({ failures, succeeded } = await this.each(duty, signatures, (_dv, { message, signature }) => this.submit(duty, () => this.options.beacon.submitVoluntaryExit(decodeExitMessage(message), signature))));
        break;
      default:
        return;
    }
    if (succeeded > 0) this.report(duty, true, succeeded);
    for (const failure of failures) this.report(duty, false, failure.dvs, failure.reason, failure.detail);
    if (failures.length > 0) {
      throw new BroadcastError(`${formatDuty(duty)}: ${failures.map((f) => `${f.dvs} DV(s) ${f.reason}: ${f.detail}`).join('; ')}`, {
        reasons: failures.map((f) => f.reason),
      });
    }
  }

  private async attestations(duty: Duty, signatures: ReadonlyMap<DvPubkey, AggregatedSignature>): Promise<{ failures: Failure[]; succeeded: number }> {
    const failures: Failure[] = [];
    const fork = this.forkOf(duty.slot);
    if (ForkSeq[fork] < ForkSeq.electra) {
      return { failures: [{ dvs: signatures.size, reason: 'unsupported_fork', detail: `single attestations do not exist at fork ${fork}` }], succeeded: 0 };
    }
    const definitions = this.options.definitionsOf(duty);
    const attestations: { committeeIndex: number; attesterIndex: number; data: phase0.AttestationData; signature: Uint8Array }[] = [];
    for (const [dv, { message, signature }] of signatures) {
      const definition = definitions?.get(dv);
      if (definition?.kind !== 'attester') {
        failures.push({ dvs: 1, reason: 'missing_definition', detail: `no attester definition for ${dv}` });
        continue;
      }
      let data: phase0.AttestationData;
      try {
        data = decodeAttesterMessage(message);
        if (data.slot !== duty.slot) throw new Error(`attestation data of slot ${data.slot}`);
      } catch (error) {
        failures.push({ dvs: 1, reason: 'message_mismatch', detail: `${dv}: ${(error as Error).message}` });
        continue;
      }
      attestations.push({ committeeIndex: definition.committeeIndex, attesterIndex: definition.validatorIndex, data, signature });
    }
    if (attestations.length === 0) return { failures, succeeded: 0 };
    try {
      await this.submit(duty, () => this.options.beacon.submitSingleAttestations(fork, attestations));
      return { failures, succeeded: attestations.length };
    } catch (error) {
      failures.push({ dvs: attestations.length, reason: (error as Refused).reason, detail: (error as Error).message });
      return { failures, succeeded: 0 };
    }
  }

  private async block(duty: Duty, dv: DvPubkey, { message, signature }: AggregatedSignature): Promise<void> {
    const value = this.options.proposalOf(duty, dv);
    if (value === undefined) throw new Refused('missing_proposal', `no decided proposal for ${dv}`);
    const proposal = decodeProposalValue(value);
    const fork = proposal.fork as ForkName;
    const { block, signed } = signedBlockSsz(fork, proposal.blinded, proposal.ssz, signature);
    // the signing message is forkSeq | blinded | block SSZ (signed-data.ts): compare bytes, no decoding
    if (message.length !== block.length + 2 || message[0] !== ForkSeq[fork] || message[1] !== (proposal.blinded ? 1 : 0) || !equalBytes(message.subarray(2), block)) {
      throw new Refused('message_mismatch', `the aggregated signature of ${dv} is not over its decided block`);
    }
    await this.submit(duty, () => this.options.beacon.submitBlock(fork, proposal.blinded, signed));
  }

  private async each(
    duty: Duty,
    signatures: ReadonlyMap<DvPubkey, AggregatedSignature>,
    send: (dv: DvPubkey, aggregate: AggregatedSignature) => Promise<void>,
  ): Promise<{ failures: Failure[]; succeeded: number }> {
    const entries = [...signatures];
    const results = await Promise.allSettled(entries.map(([dv, aggregate]) => send(dv, aggregate)));
    const failures: Failure[] = [];
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        const error = result.reason as Error;
        failures.push({ dvs: 1, reason: error instanceof Refused ? error.reason : 'message_mismatch', detail: `${entries[i]![0]}: ${error.message}` });
      }
    });
    return { failures, succeeded: entries.length - failures.length };
  }

  /** One submission with retries of transient errors; throws Refused. */
  private async submit(duty: Duty, send: () => Promise<void>): Promise<void> {
    const attempts = this.options.attempts ?? 3;
    let delay = this.options.retryDelayMs ?? 250;
    const until = this.options.slotTimes ? this.options.slotTimes.startMs(duty.slot + 1) : Infinity;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const message = (error as Error)?.message ?? String(error);
        if (isPermanent(error)) throw new Refused('beacon_rejected', `the beacon node refused it: ${message}`);
        if (attempt >= attempts || this.clock.now() + delay >= until) throw new Refused('beacon_unavailable', `beacon node failed ${attempt} time(s): ${message}`);
        this.observer.onRetry?.(duty, attempt, message);
        await new Promise<void>((resolve) => this.clock.at(this.clock.now() + delay, resolve));
        delay *= 2;
      }
    }
  }

  private forkOf(slot: number): ForkName {
    return forkAtEpoch(this.options.network, slotToEpoch(this.options.network, slot)).name as ForkName;
  }

  private report(duty: Duty, ok: boolean, dvs: number, reason?: BroadcastFailureReason, detail?: string): void {
    try {
      this.observer.onResult?.(duty, ok, dvs, reason, detail);
    } catch {
      // observers must not throw; a broken one does not stop the broadcast
    }
  }
}

/** A 4xx answer (or a route the node does not serve) is final; anything else may pass on a retry. */
function isPermanent(error: unknown): boolean {
  const { code, details } = error as { code?: unknown; details?: { status?: unknown } };
  if (code === 'BEACON_ROUTE_NOT_FOUND' || code === 'BEACON_INVALID_RESPONSE') return true;
  const status = details?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

const u32 = (bytes: Uint8Array, offset: number): number => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);

function putU32(out: Uint8Array, offset: number, value: number): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(offset, value, true);
}

/** SSZ of Signed{Blinded}BeaconBlock: offset of the message (4 + 96) | signature | message. */
function signedContainer(block: Uint8Array, signature: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 96 + block.length);
  putU32(out, 0, 100);
  out.set(signature, 4);
  out.set(block, 100);
  return out;
}

/**
 * The SSZ of the signed object the v2 block routes take, spliced from the decided proposal's SSZ
 * (offsets only, nothing decoded): SignedBlindedBeaconBlock, SignedBlockContents from Deneb on,
 * SignedBeaconBlock before. Also returns the block's own SSZ, which the signed message must hold.
 */
export function signedBlockSsz(fork: ForkName, blinded: boolean, proposalSsz: Uint8Array, signature: Uint8Array): { block: Uint8Array; signed: Uint8Array } {
  if (signature.length !== 96) throw new Refused('message_mismatch', `a signature is 96 bytes, got ${signature.length}`);
  if (blinded || ForkSeq[fork] < ForkSeq.deneb) return { block: proposalSsz, signed: signedContainer(proposalSsz, signature) };
  // BlockContents: three variable fields (block, kzg_proofs, blobs), so three offsets then the data
  if (proposalSsz.length < 12) throw new Refused('message_mismatch', 'block contents shorter than their offsets');
  const [o0, o1, o2] = [u32(proposalSsz, 0), u32(proposalSsz, 4), u32(proposalSsz, 8)];
  if (o0 !== 12 || o1 < o0 || o2 < o1 || o2 > proposalSsz.length) throw new Refused('message_mismatch', 'block contents with inconsistent offsets');
  const block = proposalSsz.subarray(o0, o1);
  const signedBlock = signedContainer(block, signature);
  const rest = proposalSsz.subarray(o1);
  const out = new Uint8Array(12 + signedBlock.length + rest.length);
  putU32(out, 0, 12);
  putU32(out, 4, 12 + signedBlock.length);
  putU32(out, 8, 12 + signedBlock.length + (o2 - o1));
  out.set(signedBlock, 12);
  out.set(rest, 12 + signedBlock.length);
  return { block, signed: out };
}
