/**
 * The beacon chain as validators see it, for the beacon-node mock's duty mode: a wall-clock slot,
 * deterministic attester and proposer duties, attestation data and blocks to sign, and checked
 * submissions — every signature verified under the validator's key, and every slashable pair
 * (double vote, surround vote, two blocks in one slot) recorded as an offence.
 */
import { createHash } from 'node:crypto';
import { type Type } from '@chainsafe/ssz';
import { ForkName, ForkSeq } from '@lodestar/params';
import { type BeaconBlock, type BlindedBeaconBlock, type phase0, ssz, sszTypesFor } from '@lodestar/types';
import { type ValidatorInfo } from '@dvt/beacon';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, attestationDataSigningRoot, beaconBlockSigningRoot, forkAtEpoch, randaoSigningRoot, voluntaryExitSigningRoot } from '@dvt/eth2';
import { verify } from '@dvt/tbls';

export interface DutyChainOptions {
  /** ms since the epoch; default Date.now */
  now?: () => number;
  /** only these public keys are chosen as proposers (default: every active validator with a real key) */
  proposers?: readonly string[];
  /** produce blinded blocks (default full blocks) */
  blinded?: boolean;
  /** make attestation data differ between requests (each answer names a request counter) */
  varyAttestationData?: boolean;
  /** committees per slot; default 4 */
  committeesPerSlot?: number;
  /** the slot a validator attests at in an epoch; default (index + epoch) mod SLOTS_PER_EPOCH into the epoch */
  attesterSlot?: (validatorIndex: number, epoch: number) => number;
  /** verify submitted signatures (default true; benchmarks turn it off to keep the mock out of the figures) */
  verifySignatures?: boolean;
  /** more attester duty slots of a validator in an epoch (fault tests: a duty that would be a double vote) */
  extraAttesterSlots?: (validatorIndex: number, epoch: number) => readonly number[];
}

export interface SubmittedAttestation {
  readonly validatorIndex: number;
  readonly committeeIndex: number;
  readonly data: phase0.AttestationData;
  readonly signingRoot: string;
}

export interface SubmittedBlock {
  readonly slot: number;
  readonly proposerIndex: number;
  readonly blinded: boolean;
  readonly signingRoot: string;
}

export interface SubmittedExit {
  readonly validatorIndex: number;
  readonly epoch: number;
}

export interface SlashingOffence {
  readonly kind: 'double_vote' | 'surround_vote' | 'double_proposal';
  readonly validatorIndex: number;
  readonly detail: string;
}

/** An answer for the mock's HTTP layer. */
export interface ChainAnswer {
  readonly status: number;
  readonly json?: unknown;
  readonly ssz?: Uint8Array;
  readonly headers?: Record<string, string>;
}

const sha = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest());

function anyType(fork: ForkName, name: string): Type<unknown> | undefined {
  return (sszTypesFor(fork) as unknown as Record<string, Type<unknown> | undefined>)[name];
}

export class DutyChain {
  readonly attestations: SubmittedAttestation[] = [];
  readonly blocks: SubmittedBlock[] = [];
  readonly exits: SubmittedExit[] = [];
  readonly offences: SlashingOffence[] = [];
  /** submissions refused for a bad signature or shape */
  readonly rejected: { readonly route: string; readonly message: string }[] = [];
  private readonly now: () => number;
  private readonly committees: number;
  private requestCounter = 0;
  private readonly votes = new Map<number, { source: number; target: number; root: string }[]>();
  private readonly proposals = new Map<string, string>();

  constructor(
    private readonly network: NetworkConfig,
    private readonly validators: () => readonly ValidatorInfo[],
    private readonly options: DutyChainOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.committees = options.committeesPerSlot ?? 4;
  }

  currentSlot(): number {
    return Math.max(0, Math.floor((this.now() / 1000 - this.network.genesisTime) / this.network.secondsPerSlot));
  }

  private epochOf(slot: number): number {
    return Math.floor(slot / this.network.slotsPerEpoch);
  }

  private forkAt(slot: number): ForkName {
    return forkAtEpoch(this.network, this.epochOf(slot)).name;
  }

  private active(): ValidatorInfo[] {
    return this.validators().filter((v) => v.status.startsWith('active'));
  }

  /** Each active validator attests once per epoch, at slot (index + epoch) mod SLOTS_PER_EPOCH of it. */
  attesterDuties(epoch: number, indexes: readonly number[]) {
    const all = this.validators();
    const spe = this.network.slotsPerEpoch;
    const rows = [];
    for (const index of indexes) {
      const v = all[index];
      if (!v || !v.status.startsWith('active')) continue;
      const first = this.options.attesterSlot?.(index, epoch) ?? epoch * spe + ((index + epoch) % spe);
      const slots = [first, ...(this.options.extraAttesterSlots?.(index, epoch) ?? [])];
      for (const slot of slots) {
        rows.push({
          pubkey: v.pubkey,
          validator_index: String(index),
          committee_index: String(index % this.committees),
          committee_length: '128',
          committees_at_slot: String(this.committees),
          validator_committee_index: String(Math.floor(index / this.committees) % 128),
          slot: String(slot),
        });
      }
    }
    return { dependent_root: this.dependentRoot(epoch), execution_optimistic: false, data: rows };
  }

  proposerOf(slot: number): ValidatorInfo | undefined {
    const wanted = this.options.proposers?.map((p) => p.toLowerCase());
    const eligible = this.active().filter((v) => (wanted ? wanted.includes(v.pubkey) : true));
    if (eligible.length === 0) return undefined;
    return eligible[(slot * 7 + 3) % eligible.length];
  }

  proposerDuties(epoch: number) {
    const spe = this.network.slotsPerEpoch;
    const data = [];
    for (let slot = epoch * spe; slot < (epoch + 1) * spe; slot++) {
      const v = this.proposerOf(slot);
      if (v) data.push({ pubkey: v.pubkey, validator_index: String(v.index), slot: String(slot) });
    }
    return { dependent_root: this.dependentRoot(epoch), execution_optimistic: false, data };
  }

  private dependentRoot(epoch: number): string {
    return bytesToHex(sha(`dependent root ${epoch}`));
  }

  attestationData(slot: number): phase0.AttestationData {
    const epoch = this.epochOf(slot);
    const variant = this.options.varyAttestationData ? ` request ${this.requestCounter++}` : '';
    const checkpoint = (e: number) => ({ epoch: e, root: sha(`checkpoint ${e}`) });
    return {
      slot,
      index: 0,
      beaconBlockRoot: sha(`block ${slot}${variant}`),
      source: checkpoint(Math.max(0, epoch - 1)),
      target: checkpoint(epoch),
    };
  }

  /** `GET /eth/v3/validator/blocks/{slot}`: checks the randao reveal under the slot's proposer key. */
  produceBlock(slot: number, randaoRevealHex: string, wantSsz: boolean): ChainAnswer {
    const proposer = this.proposerOf(slot);
    if (!proposer) return { status: 400, json: { code: 400, message: `no proposer at slot ${slot}` } };
    let reveal: Uint8Array;
    try {
      reveal = hexToBytes(randaoRevealHex, 'randao_reveal', 96);
    } catch (error) {
      return { status: 400, json: { code: 400, message: (error as Error).message } };
    }
    if (!verify(hexToBytes(proposer.pubkey), randaoSigningRoot(this.network, this.epochOf(slot)), reveal)) {
      return { status: 400, json: { code: 400, message: `randao_reveal does not verify for the proposer of slot ${slot} (validator ${proposer.index})` } };
    }
    const fork = this.forkAt(slot);
    const blinded = this.options.blinded === true;
    const blockType = anyType(fork, blinded ? 'BlindedBeaconBlock' : 'BeaconBlock')!;
    const block = blockType.defaultValue() as BeaconBlock & BlindedBeaconBlock;
    block.slot = slot;
    block.proposerIndex = proposer.index;
    block.parentRoot = sha(`block ${slot - 1}`);
    block.stateRoot = sha(`state ${slot}`);
    block.body.randaoReveal = reveal;
    block.body.graffiti = sha('dvt beacon mock');
    const body = block.body as unknown as Record<string, Record<string, unknown> | undefined>;
    const payload = blinded ? body.executionPayloadHeader : body.executionPayload;
    if (payload) {
      payload.blockNumber = slot;
      payload.timestamp = this.network.genesisTime + slot * this.network.secondsPerSlot;
      payload.blockHash = sha(`execution block ${slot}`);
    }
    let value: unknown = block;
    let typeName = blinded ? 'BlindedBeaconBlock' : 'BeaconBlock';
    if (!blinded && ForkSeq[fork] >= ForkSeq.deneb) {
      value = { block, kzgProofs: [], blobs: [] };
      typeName = 'BlockContents';
    }
    const type = anyType(fork, typeName)!;
    const headers = {
      'eth-consensus-version': fork,
      'eth-execution-payload-blinded': String(blinded),
      'eth-execution-payload-value': '1000000000',
      'eth-consensus-block-value': '2000000000',
    };
    if (wantSsz) return { status: 200, ssz: type.serialize(value), headers };
    return {
      status: 200,
      headers,
      json: { version: fork, execution_payload_blinded: blinded, execution_payload_value: headers['eth-execution-payload-value'], consensus_block_value: headers['eth-consensus-block-value'], data: type.toJson(value) },
    };
  }

  /** `POST /eth/v2/beacon/pool/attestations` (SingleAttestation JSON list). */
  submitAttestations(fork: string | undefined, body: unknown): ChainAnswer {
    const route = 'attestations';
    if (!fork || !(Object.values(ForkName) as string[]).includes(fork)) return this.refuse(route, 'the Eth-Consensus-Version header is required');
    if (!Array.isArray(body)) return this.refuse(route, 'expected a JSON array of attestations');
    const type = anyType(fork as ForkName, 'SingleAttestation');
    if (!type) return this.refuse(route, `SingleAttestation does not exist at fork ${fork}`);
    const failures: { index: number; message: string }[] = [];
    body.forEach((item, index) => {
      try {
        const att = type.fromJson(item) as { committeeIndex: number; attesterIndex: number; data: phase0.AttestationData; signature: Uint8Array };
        const v = this.validators()[att.attesterIndex];
        if (!v) throw new Error(`unknown attester index ${att.attesterIndex}`);
        const root = attestationDataSigningRoot(this.network, att.data);
        if (this.options.verifySignatures !== false && !verify(hexToBytes(v.pubkey), root, att.signature)) throw new Error(`signature does not verify for validator ${v.index}`);
        this.recordVote(v.index, att.data, bytesToHex(root));
        this.attestations.push({ validatorIndex: v.index, committeeIndex: att.committeeIndex, data: att.data, signingRoot: bytesToHex(root) });
      } catch (error) {
        failures.push({ index, message: (error as Error).message });
        this.rejected.push({ route, message: (error as Error).message });
      }
    });
    if (failures.length > 0) return { status: 400, json: { code: 400, message: 'some attestations failed', failures } };
    return { status: 200 };
  }

  /** `POST /eth/v2/beacon/blocks` or `blinded_blocks`, SSZ (octet-stream) or JSON. */
  submitBlock(blinded: boolean, fork: string | undefined, raw: Buffer, isSsz: boolean): ChainAnswer {
    const route = blinded ? 'blinded_blocks' : 'blocks';
    if (!fork || !(Object.values(ForkName) as string[]).includes(fork)) return this.refuse(route, 'the Eth-Consensus-Version header is required');
    const f = fork as ForkName;
    const typeName = blinded ? 'SignedBlindedBeaconBlock' : ForkSeq[f] >= ForkSeq.deneb ? 'SignedBlockContents' : 'SignedBeaconBlock';
    const type = anyType(f, typeName);
    if (!type) return this.refuse(route, `${typeName} does not exist at fork ${fork}`);
    let signed: { message: BeaconBlock | BlindedBeaconBlock; signature: Uint8Array };
    try {
      const value = isSsz ? type.deserialize(raw) : type.fromJson(JSON.parse(raw.toString('utf8')));
      signed = (typeName === 'SignedBlockContents' ? (value as { signedBlock: unknown }).signedBlock : value) as typeof signed;
    } catch (error) {
      return this.refuse(route, `not a ${typeName}: ${(error as Error).message}`);
    }
    const block = signed.message;
    const v = this.validators()[block.proposerIndex];
    if (!v) return this.refuse(route, `unknown proposer index ${block.proposerIndex}`);
    if (this.proposerOf(block.slot)?.index !== v.index) return this.refuse(route, `validator ${v.index} is not the proposer of slot ${block.slot}`);
    const root = beaconBlockSigningRoot(this.network, block);
    if (!verify(hexToBytes(v.pubkey), root, signed.signature)) return this.refuse(route, `block signature does not verify for validator ${v.index}`);
    const key = `${v.index}/${block.slot}`;
    const rootHex = bytesToHex(root);
    const previous = this.proposals.get(key);
    if (previous !== undefined && previous !== rootHex) {
      this.offences.push({ kind: 'double_proposal', validatorIndex: v.index, detail: `slot ${block.slot}: ${previous} and ${rootHex}` });
    }
    this.proposals.set(key, rootHex);
    this.blocks.push({ slot: block.slot, proposerIndex: v.index, blinded, signingRoot: rootHex });
    return { status: 200 };
  }

  /** `POST /eth/v1/beacon/pool/voluntary_exits` (JSON SignedVoluntaryExit). */
  submitExit(body: unknown): ChainAnswer {
    try {
      const signed = ssz.phase0.SignedVoluntaryExit.fromJson(body);
      const v = this.validators()[signed.message.validatorIndex];
      if (!v) throw new Error(`unknown validator index ${signed.message.validatorIndex}`);
      if (!verify(hexToBytes(v.pubkey), voluntaryExitSigningRoot(this.network, signed.message), signed.signature)) throw new Error(`exit signature does not verify for validator ${v.index}`);
      this.exits.push({ validatorIndex: v.index, epoch: signed.message.epoch });
      return { status: 200 };
    } catch (error) {
      return this.refuse('voluntary_exits', (error as Error).message);
    }
  }

  private refuse(route: string, message: string): ChainAnswer {
    this.rejected.push({ route, message });
    return { status: 400, json: { code: 400, message } };
  }

  private recordVote(index: number, data: phase0.AttestationData, root: string): void {
    const mine = this.votes.get(index) ?? [];
    const source = data.source.epoch;
    const target = data.target.epoch;
    for (const vote of mine) {
      if (vote.target === target && vote.root !== root) {
        this.offences.push({ kind: 'double_vote', validatorIndex: index, detail: `target ${target}: ${vote.root} and ${root}` });
      } else if ((vote.source < source && target < vote.target) || (source < vote.source && vote.target < target)) {
        this.offences.push({ kind: 'surround_vote', validatorIndex: index, detail: `(${vote.source}, ${vote.target}) and (${source}, ${target})` });
      }
    }
    if (!mine.some((vote) => vote.target === target && vote.root === root)) mine.push({ source, target, root });
    this.votes.set(index, mine);
  }
}
