import { describe, expect, it } from '@jest/globals';
import { type Type } from '@chainsafe/ssz';
import { type NetworkConfig, attestationDataSigningRoot, beaconBlockSigningRoot, getNetwork, voluntaryExitSigningRoot } from '@dvt/eth2';
import { generateSecretKey, secretKeyToPublicKey, sign, verify } from '@dvt/tbls';
import { ForkName, ForkSeq } from '@lodestar/params';
import { type BeaconBlock, type BlindedBeaconBlock, type phase0, ssz, sszTypesFor } from '@lodestar/types';
import {
  DutyType,
  ManualClock,
  SlotTimes,
  encodeAttesterMessage,
  encodeExitMessage,
  encodeProposalValue,
  encodeRandaoMessage,
  newDuty,
  proposalSigningMessage,
  toDvPubkey,
  type AttesterDefinition,
  type BeaconDutyPort,
  type Duty,
  type DutyDefinitionSet,
  type DvPubkey,
} from '../core/index.js';
import { BroadcastError, Broadcaster, type BroadcastFailureReason, type BroadcasterOptions } from './broadcaster.js';

const devnet = getNetwork('devnet');
const hoodi = getNetwork('hoodi');
const mainnet = getNetwork('mainnet');

interface Key {
  readonly secret: Uint8Array;
  readonly pubkey: Uint8Array;
  readonly dv: DvPubkey;
}
function key(): Key {
  const secret = generateSecretKey();
  const pubkey = secretKeyToPublicKey(secret);
  return { secret, pubkey, dv: toDvPubkey(pubkey) };
}
const A = key();
const B = key();

class BeaconError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: { status?: number } = {},
  ) {
    super(message);
  }
}

/** Records what a beacon node would receive; `failures` are thrown by the next submissions, in order. */
class FakeBeacon implements BeaconDutyPort {
  readonly attestationCalls: { fork: string; attestations: { committeeIndex: number; attesterIndex: number; data: phase0.AttestationData; signature: Uint8Array }[] }[] = [];
  readonly blocks: { fork: string; blinded: boolean; ssz: Uint8Array }[] = [];
  readonly exits: { exit: phase0.VoluntaryExit; signature: Uint8Array }[] = [];
  failures: Error[] = [];
  calls = 0;

  private next(): void {
    this.calls++;
    const failure = this.failures.shift();
    if (failure) throw failure;
  }
  async submitSingleAttestations(fork: string, attestations: readonly { committeeIndex: number; attesterIndex: number; data: phase0.AttestationData; signature: Uint8Array }[]): Promise<void> {
    this.next();
    this.attestationCalls.push({ fork, attestations: [...attestations] });
  }
  async submitBlock(fork: string, blinded: boolean, signedSsz: Uint8Array): Promise<void> {
    this.next();
    this.blocks.push({ fork, blinded, ssz: signedSsz });
  }
  async submitVoluntaryExit(exit: phase0.VoluntaryExit, signature: Uint8Array): Promise<void> {
    this.next();
    this.exits.push({ exit, signature });
  }
  validatorIndexes(): Promise<ReadonlyMap<string, number>> {
    throw new Error('not used');
  }
  attesterDuties(): Promise<never> {
    throw new Error('not used');
  }
  proposerDuties(): Promise<never> {
    throw new Error('not used');
  }
  attestationData(): Promise<phase0.AttestationData> {
    throw new Error('not used');
  }
  produceBlock(): Promise<never> {
    throw new Error('not used');
  }
}

function attestationData(network: NetworkConfig, slot: number, root: number): phase0.AttestationData {
  const epoch = Math.floor(slot / network.slotsPerEpoch);
  return { slot, index: 0, beaconBlockRoot: new Uint8Array(32).fill(root), source: { epoch: epoch - 1, root: new Uint8Array(32).fill(1) }, target: { epoch, root: new Uint8Array(32).fill(2) } };
}

function attesterDefinition(k: Key, slot: number, validatorIndex: number, committeeIndex: number): AttesterDefinition {
  return { kind: 'attester', dv: k.dv, validatorIndex, slot, committeeIndex, committeeLength: 128, committeesAtSlot: 4, validatorCommitteeIndex: 7 };
}

const anyType = (fork: ForkName, name: string): Type<unknown> => (sszTypesFor(fork) as unknown as Record<string, Type<unknown>>)[name]!;

/** A decided proposal value as the beacon node's v3 endpoint would give it, with blobs from Deneb on. */
function proposalValue(fork: ForkName, blinded: boolean, slot: number, proposerIndex: number, graffiti = 0): Uint8Array {
  const block = anyType(fork, blinded ? 'BlindedBeaconBlock' : 'BeaconBlock').defaultValue() as BeaconBlock;
  block.slot = slot;
  block.proposerIndex = proposerIndex;
  block.body.graffiti = new Uint8Array(32).fill(graffiti);
  block.body.randaoReveal = new Uint8Array(96).fill(5);
  let value: unknown = block;
  let typeName = blinded ? 'BlindedBeaconBlock' : 'BeaconBlock';
  if (!blinded && ForkSeq[fork] >= ForkSeq.deneb) {
    value = { block, kzgProofs: [new Uint8Array(48).fill(0xc0), new Uint8Array(48).fill(0xc1)], blobs: [new Uint8Array(131072).fill(0xb1)] };
    typeName = 'BlockContents';
  }
  return encodeProposalValue({ fork, blinded, executionPayloadValue: '1000', consensusBlockValue: '2000', ssz: anyType(fork, typeName).serialize(value) });
}

function setup(network: NetworkConfig, extra: Partial<BroadcasterOptions> = {}) {
  const beacon = new FakeBeacon();
  const definitions = new Map<string, Map<DvPubkey, AttesterDefinition>>();
  const proposals = new Map<string, Uint8Array>();
  const results: { duty: Duty; ok: boolean; dvs: number; reason?: BroadcastFailureReason }[] = [];
  const retries: number[] = [];
  const broadcaster = new Broadcaster({
    beacon,
    network,
    definitionsOf: (duty): DutyDefinitionSet | undefined => definitions.get(`${duty.slot}/${duty.type}`),
    proposalOf: (duty, dv) => proposals.get(`${duty.slot}/${dv}`),
    retryDelayMs: 1,
    observer: { onResult: (duty, ok, dvs, reason) => results.push({ duty, ok, dvs, reason }), onRetry: (_duty, attempt) => retries.push(attempt) },
    ...extra,
  });
  return { beacon, broadcaster, definitions, proposals, results, retries };
}

async function broadcastError(promise: Promise<void>): Promise<BroadcastError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BroadcastError);
  return error as BroadcastError;
}

describe('Broadcaster', () => {
  it('submits the attestations of all DVs of a duty in one call, with committee and attester index from the definitions', async () => {
    const { beacon, broadcaster, definitions, results } = setup(devnet);
    const slot = 1000;
    const duty = newDuty(slot, DutyType.Attester);
    definitions.set(`${slot}/${DutyType.Attester}`, new Map([[A.dv, attesterDefinition(A, slot, 11, 2)], [B.dv, attesterDefinition(B, slot, 12, 3)]]));
    const data = attestationData(devnet, slot, 9);
    const root = attestationDataSigningRoot(devnet, data);
    const message = encodeAttesterMessage(data);
    await broadcaster.broadcast({ duty, signatures: new Map([[A.dv, { message, signature: sign(A.secret, root) }], [B.dv, { message, signature: sign(B.secret, root) }]]) });

    expect(beacon.attestationCalls).toHaveLength(1);
    const [call] = beacon.attestationCalls;
    expect(call!.fork).toBe('fulu');
    const byIndex = new Map(call!.attestations.map((a) => [a.attesterIndex, a]));
    expect(byIndex.get(11)!.committeeIndex).toBe(2);
    expect(byIndex.get(12)!.committeeIndex).toBe(3);
    // what the beacon node receives verifies under each validator key
    expect(verify(A.pubkey, attestationDataSigningRoot(devnet, byIndex.get(11)!.data), byIndex.get(11)!.signature)).toBe(true);
    expect(verify(B.pubkey, attestationDataSigningRoot(devnet, byIndex.get(12)!.data), byIndex.get(12)!.signature)).toBe(true);
    expect(ssz.electra.SingleAttestation.serialize({ committeeIndex: 2, attesterIndex: 11, data: byIndex.get(11)!.data, signature: byIndex.get(11)!.signature }).length).toBe(ssz.electra.SingleAttestation.fixedSize);
    expect(results).toEqual([{ duty, ok: true, dvs: 2, reason: undefined }]);
  });

  it('still submits the DVs it can when one has no attester definition, and reports the other', async () => {
    const { beacon, broadcaster, definitions, results } = setup(devnet);
    const duty = newDuty(1001, DutyType.Attester);
    definitions.set(`1001/${DutyType.Attester}`, new Map([[A.dv, attesterDefinition(A, 1001, 11, 2)]]));
    const data = attestationData(devnet, 1001, 9);
    const root = attestationDataSigningRoot(devnet, data);
    const message = encodeAttesterMessage(data);
    const error = await broadcastError(broadcaster.broadcast({ duty, signatures: new Map([[A.dv, { message, signature: sign(A.secret, root) }], [B.dv, { message, signature: sign(B.secret, root) }]]) }));
    expect(error.message).toMatch(/missing_definition/);
    expect(beacon.attestationCalls[0]!.attestations.map((a) => a.attesterIndex)).toEqual([11]);
    expect(results.map((r) => [r.ok, r.dvs, r.reason])).toEqual([
      [true, 1, undefined],
      [false, 1, 'missing_definition'],
    ]);
  });

  it('refuses attestations before Electra (no SingleAttestation) without calling the beacon node', async () => {
    const { beacon, broadcaster, definitions, results } = setup(hoodi);
    const slot = 100; // Deneb on Hoodi
    definitions.set(`${slot}/${DutyType.Attester}`, new Map([[A.dv, attesterDefinition(A, slot, 11, 2)]]));
    const data = attestationData(hoodi, slot, 9);
    await broadcastError(broadcaster.broadcast({ duty: newDuty(slot, DutyType.Attester), signatures: new Map([[A.dv, { message: encodeAttesterMessage(data), signature: sign(A.secret, attestationDataSigningRoot(hoodi, data)) }]]) }));
    expect(beacon.calls).toBe(0);
    expect(results[0]!.reason).toBe('unsupported_fork');
  });

  const blockCases: [string, NetworkConfig, ForkName, boolean, number, string][] = [
    ['a Fulu block with blobs as SignedBlockContents', devnet, ForkName.fulu, false, 2000, 'SignedBlockContents'],
    ['a blinded Fulu block as SignedBlindedBeaconBlock', devnet, ForkName.fulu, true, 2001, 'SignedBlindedBeaconBlock'],
    ['an Electra block with blobs on Hoodi', hoodi, ForkName.electra, false, 2048 * 32 + 3, 'SignedBlockContents'],
    ['a Capella block as SignedBeaconBlock', mainnet, ForkName.capella, false, 194048 * 32 + 1, 'SignedBeaconBlock'],
  ];
  it.each(blockCases)('submits %s, signed by the aggregated signature', async (_name, network, fork, blinded, slot, signedType) => {
    const { beacon, broadcaster, proposals, results } = setup(network);
    const duty = newDuty(slot, DutyType.Proposer);
    const value = proposalValue(fork, blinded, slot, 77);
    proposals.set(`${slot}/${A.dv}`, value);
    const message = proposalSigningMessage(value);
    const unsignedBlock = anyType(fork, blinded ? 'BlindedBeaconBlock' : 'BeaconBlock');
    const decidedBlock = unsignedBlock.deserialize(message.subarray(2)) as BeaconBlock | BlindedBeaconBlock;
    const signature = sign(A.secret, beaconBlockSigningRoot(network, decidedBlock));
    await broadcaster.broadcast({ duty, signatures: new Map([[A.dv, { message, signature }]]) });

    expect(beacon.blocks).toHaveLength(1);
    const sent = beacon.blocks[0]!;
    expect(sent.fork).toBe(fork);
    expect(sent.blinded).toBe(blinded);
    const type = anyType(fork, signedType);
    const decoded = type.deserialize(sent.ssz) as Record<string, unknown>;
    // the spliced SSZ is exactly what the SSZ library would serialize
    expect(type.serialize(decoded)).toEqual(sent.ssz);
    const signed = (signedType === 'SignedBlockContents' ? decoded.signedBlock : decoded) as { message: BeaconBlock; signature: Uint8Array };
    expect(unsignedBlock.equals(signed.message, decidedBlock)).toBe(true);
    expect(signed.message.slot).toBe(slot);
    expect(verify(A.pubkey, beaconBlockSigningRoot(network, signed.message), signed.signature)).toBe(true);
    if (signedType === 'SignedBlockContents') {
      expect(decoded.kzgProofs).toEqual([new Uint8Array(48).fill(0xc0), new Uint8Array(48).fill(0xc1)]);
      expect((decoded.blobs as Uint8Array[])[0]).toEqual(new Uint8Array(131072).fill(0xb1));
    }
    expect(results).toEqual([{ duty, ok: true, dvs: 1, reason: undefined }]);
  });

  it('refuses to submit a block whose aggregated signature is over another block, or without a decided proposal', async () => {
    const { beacon, broadcaster, proposals, results } = setup(devnet);
    const duty = newDuty(3000, DutyType.Proposer);
    proposals.set(`3000/${A.dv}`, proposalValue(ForkName.fulu, false, 3000, 77, 1));
    const otherMessage = proposalSigningMessage(proposalValue(ForkName.fulu, false, 3000, 77, 2));
    const error = await broadcastError(
      broadcaster.broadcast({ duty, signatures: new Map([[A.dv, { message: otherMessage, signature: sign(A.secret, new Uint8Array(32)) }], [B.dv, { message: otherMessage, signature: sign(B.secret, new Uint8Array(32)) }]]) }),
    );
    expect(error.details?.reasons).toEqual(['message_mismatch', 'missing_proposal']);
    expect(beacon.calls).toBe(0);
    expect(results.map((r) => r.reason).sort()).toEqual(['message_mismatch', 'missing_proposal']);
  });

  it('submits a voluntary exit that verifies under the validator key', async () => {
    const { beacon, broadcaster, results } = setup(hoodi);
    const exit = { epoch: 60000, validatorIndex: 1234 };
    const signature = sign(A.secret, voluntaryExitSigningRoot(hoodi, exit));
    await broadcaster.broadcast({ duty: newDuty(60000 * 32, DutyType.Exit), signatures: new Map([[A.dv, { message: encodeExitMessage(exit), signature }]]) });
    expect(beacon.exits).toHaveLength(1);
    expect(beacon.exits[0]!.exit).toEqual(exit);
    expect(verify(A.pubkey, voluntaryExitSigningRoot(hoodi, beacon.exits[0]!.exit), beacon.exits[0]!.signature)).toBe(true);
    expect(results[0]!.ok).toBe(true);
  });

  it('sends nothing for randao reveals and builder registrations', async () => {
    const { beacon, broadcaster, results } = setup(devnet);
    const signatures = new Map([[A.dv, { message: encodeRandaoMessage(3), signature: new Uint8Array(96) }]]);
    await broadcaster.broadcast({ duty: newDuty(100, DutyType.Randao), signatures });
    await broadcaster.broadcast({ duty: newDuty(100, DutyType.BuilderRegistration), signatures });
    expect(beacon.calls).toBe(0);
    expect(results).toEqual([]);
  });

  it('retries transient beacon node errors and succeeds', async () => {
    const { beacon, broadcaster, results, retries } = setup(hoodi, { attempts: 3 });
    beacon.failures = [new BeaconError('BEACON_HTTP_ERROR', 'HTTP 503', { status: 503 }), new BeaconError('BEACON_TIMEOUT', 'no answer')];
    const exit = { epoch: 60000, validatorIndex: 5 };
    await broadcaster.broadcast({ duty: newDuty(60000 * 32, DutyType.Exit), signatures: new Map([[A.dv, { message: encodeExitMessage(exit), signature: sign(A.secret, voluntaryExitSigningRoot(hoodi, exit)) }]]) });
    expect(beacon.calls).toBe(3);
    expect(retries).toEqual([1, 2]);
    expect(beacon.exits).toHaveLength(1);
    expect(results[0]!.ok).toBe(true);
  });

  it('does not retry a 4xx refusal, and gives up after the attempts on persistent 5xx', async () => {
    const { beacon, broadcaster, results } = setup(hoodi, { attempts: 2 });
    const exit = { epoch: 60000, validatorIndex: 5 };
    const agg = { duty: newDuty(60000 * 32, DutyType.Exit), signatures: new Map([[A.dv, { message: encodeExitMessage(exit), signature: sign(A.secret, voluntaryExitSigningRoot(hoodi, exit)) }]]) };
    beacon.failures = [new BeaconError('BEACON_HTTP_ERROR', 'HTTP 400: invalid signature', { status: 400 })];
    expect((await broadcastError(broadcaster.broadcast(agg))).message).toMatch(/beacon_rejected.*invalid signature/);
    expect(beacon.calls).toBe(1);
    beacon.failures = [new BeaconError('BEACON_HTTP_ERROR', 'HTTP 500', { status: 500 }), new BeaconError('BEACON_HTTP_ERROR', 'HTTP 502', { status: 502 })];
    expect((await broadcastError(broadcaster.broadcast(agg))).message).toMatch(/beacon_unavailable.*2 time/);
    expect(beacon.calls).toBe(3);
    expect(results.map((r) => r.reason)).toEqual(['beacon_rejected', 'beacon_unavailable']);
  });

  it('does not start a retry after the end of the duty slot', async () => {
    const slotTimes = new SlotTimes(0, 12_000);
    const clock = new ManualClock(5 * 12_000 - 100);
    const { beacon, broadcaster, definitions, results } = setup(devnet, { slotTimes, clock, retryDelayMs: 250, attempts: 5 });
    definitions.set(`4/${DutyType.Attester}`, new Map([[A.dv, attesterDefinition(A, 4, 11, 2)]]));
    beacon.failures = [new BeaconError('BEACON_UNREACHABLE', 'connection refused')];
    const data = attestationData(devnet, 4, 1);
    const error = await broadcastError(broadcaster.broadcast({ duty: newDuty(4, DutyType.Attester), signatures: new Map([[A.dv, { message: encodeAttesterMessage(data), signature: sign(A.secret, attestationDataSigningRoot(devnet, data)) }]]) }));
    expect(error.message).toMatch(/beacon_unavailable/);
    expect(beacon.calls).toBe(1);
    expect(results[0]!.reason).toBe('beacon_unavailable');
  });
});
