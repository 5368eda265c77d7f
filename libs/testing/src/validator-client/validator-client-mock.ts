/**
 * A validator client for tests that behaves like a real one against a beacon API (a beacon node,
 * or a DV node's validator API): it checks the node's genesis and spec, finds its validators'
 * indexes, reads its duties every epoch, proposes at the slot start (randao reveal → block v3 as
 * SSZ → signed block), attests at 1/3 of the slot (attestation data → SingleAttestation), keeps
 * its own minimal slashing protection, and records the outcome of every duty.
 *
 *   const vc = new ValidatorClientMock({ baseUrl: node.validatorApi.url, network, secretKeys: [share] });
 *   await vc.start();  …  await vc.stop();
 */
import { type Type } from '@chainsafe/ssz';
import { ForkSeq, type ForkName } from '@lodestar/params';
import { type BeaconBlock, type BlindedBeaconBlock, type phase0, ssz, sszTypesFor } from '@lodestar/types';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, attestationDataSigningRoot, beaconBlockSigningRoot, epochStartSlot, randaoSigningRoot, voluntaryExitSigningRoot } from '@dvt/eth2';
import { secretKeyToPublicKey, sign } from '@dvt/tbls';

export type VcDutyKind = 'attester' | 'proposer' | 'exit';

export interface VcOutcome {
  readonly kind: VcDutyKind;
  readonly slot: number;
  readonly ok: boolean;
  /** HTTP status of the failing request, if any */
  readonly status?: number;
  readonly message?: string;
  /** validators covered */
  readonly count: number;
}

export interface ValidatorClientMockOptions {
  baseUrl: string;
  /** the network the VC is configured for; its genesis validators root must match the node's */
  network: NetworkConfig;
  /** BLS secret keys (key shares, in a DV cluster) */
  secretKeys: readonly Uint8Array[];
  /** default Date.now */
  now?: () => number;
  /** fault injection: change a block before signing it (a VC that submits something else) */
  tamperBlock?: (block: BeaconBlock | BlindedBeaconBlock) => void;
  /** per-request timeout; default 2 slots */
  requestTimeoutMs?: number;
}

interface KeyState {
  readonly secretKey: Uint8Array;
  readonly pubkey: string;
  index?: number;
  readonly votes: { source: number; target: number; root: string }[];
  readonly blocks: Map<number, string>;
}

interface AttesterDutyRow {
  readonly pubkey: string;
  readonly validatorIndex: number;
  readonly committeeIndex: number;
  readonly slot: number;
}

export class VcError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export class ValidatorClientMock {
  readonly outcomes: VcOutcome[] = [];
  private readonly keys: KeyState[];
  private readonly byPubkey = new Map<string, KeyState>();
  private readonly now: () => number;
  private network!: NetworkConfig;
  private slotMs = 0;
  private genesisMs = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private running = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly attesterDuties = new Map<number, AttesterDutyRow[]>();
  private readonly proposerDuties = new Map<number, { pubkey: string; validatorIndex: number; slot: number }[]>();
  private abort = new AbortController();

  constructor(private readonly options: ValidatorClientMockOptions) {
    this.now = options.now ?? Date.now;
    this.keys = options.secretKeys.map((secretKey) => {
      const state: KeyState = { secretKey, pubkey: bytesToHex(secretKeyToPublicKey(secretKey)), votes: [], blocks: new Map() };
      this.byPubkey.set(state.pubkey, state);
      return state;
    });
  }

  get publicKeys(): string[] {
    return this.keys.map((k) => k.pubkey);
  }

  count(kind: VcDutyKind, ok = true): number {
    return this.outcomes.filter((o) => o.kind === kind && o.ok === ok).reduce((sum, o) => sum + o.count, 0);
  }

  /** Checks the node's configuration and starts the duty loop. Throws VcError on a mismatching network. */
  async start(): Promise<void> {
    if (this.running) return;
    this.abort = new AbortController();
    const genesis = (await this.json('GET', '/eth/v1/beacon/genesis')) as { data: { genesis_time: string; genesis_validators_root: string } };
    const spec = (await this.json('GET', '/eth/v1/config/spec')) as { data: Record<string, string> };
    if (genesis.data.genesis_validators_root.toLowerCase() !== this.options.network.genesisValidatorsRoot.toLowerCase()) {
      throw new VcError(`the node is on another network: genesis validators root ${genesis.data.genesis_validators_root}, expected ${this.options.network.genesisValidatorsRoot}`);
    }
    this.network = { ...this.options.network, genesisTime: Number(genesis.data.genesis_time), secondsPerSlot: Number(spec.data.SECONDS_PER_SLOT) };
    this.genesisMs = this.network.genesisTime * 1000;
    this.slotMs = this.network.secondsPerSlot * 1000;
    if (Number(spec.data.SLOTS_PER_EPOCH) !== this.network.slotsPerEpoch) throw new VcError(`the node has ${spec.data.SLOTS_PER_EPOCH} slots per epoch, expected ${this.network.slotsPerEpoch}`);
    this.running = true;
    this.schedule(this.currentSlot(), false);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort(new Error('validator client stopped'));
    await Promise.allSettled([...this.inFlight]);
  }

  /** Signs and submits a voluntary exit for the validator of `pubkey` (one of this VC's keys). */
  async submitVoluntaryExit(pubkey: string, epoch: number): Promise<void> {
    const key = this.byPubkey.get(pubkey.toLowerCase());
    if (!key) throw new VcError(`${pubkey} is not a key of this validator client`);
    await this.resolveIndexes();
    if (key.index === undefined) throw new VcError(`the node does not know ${pubkey}`);
    const exit: phase0.VoluntaryExit = { epoch, validatorIndex: key.index };
    const signature = sign(key.secretKey, voluntaryExitSigningRoot(this.network, exit));
    await this.record('exit', epochStartSlot(this.network, epoch), 1, () =>
      this.json('POST', '/eth/v1/beacon/pool/voluntary_exits', ssz.phase0.SignedVoluntaryExit.toJson({ message: exit, signature })),
    );
  }

  private currentSlot(): number {
    return Math.floor((this.now() - this.genesisMs) / this.slotMs);
  }

  private schedule(slot: number, attesterPhase: boolean): void {
    if (!this.running) return;
    const at = this.genesisMs + slot * this.slotMs + (attesterPhase ? this.slotMs / 3 : 0);
    this.timer = setTimeout(() => {
      if (!this.running) return;
      this.track(attesterPhase ? this.attest(slot) : this.slotStart(slot));
      if (attesterPhase) this.schedule(slot + 1, false);
      else this.schedule(slot, true);
    }, Math.max(0, at - this.now()));
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async slotStart(slot: number): Promise<void> {
    if (slot < 0) return;
    const epoch = Math.floor(slot / this.network.slotsPerEpoch);
    await this.loadDuties(epoch).catch(() => undefined);
    if (slot % this.network.slotsPerEpoch === 0) void this.loadDuties(epoch + 1).catch(() => undefined);
    const proposal = this.proposerDuties.get(epoch)?.find((d) => d.slot === slot);
    if (proposal) await this.propose(slot, proposal.pubkey);
  }

  private async resolveIndexes(): Promise<void> {
    if (this.keys.every((k) => k.index !== undefined)) return;
    const answer = (await this.json('POST', '/eth/v1/beacon/states/head/validators', { ids: this.keys.map((k) => k.pubkey) })) as {
      data: { index: string; validator: { pubkey: string } }[];
    };
    for (const row of answer.data) {
      const key = this.byPubkey.get(row.validator.pubkey.toLowerCase());
      if (key) key.index = Number(row.index);
    }
  }

  private async loadDuties(epoch: number): Promise<void> {
    if (this.attesterDuties.has(epoch) && this.proposerDuties.has(epoch)) return;
    await this.resolveIndexes();
    const indexes = this.keys.filter((k) => k.index !== undefined).map((k) => String(k.index));
    if (indexes.length === 0) return;
    const attesters = (await this.json('POST', `/eth/v1/validator/duties/attester/${epoch}`, indexes)) as {
      data: { pubkey: string; validator_index: string; committee_index: string; slot: string }[];
    };
    this.attesterDuties.set(
      epoch,
      attesters.data
        .filter((d) => this.byPubkey.has(d.pubkey.toLowerCase()))
        .map((d) => ({ pubkey: d.pubkey.toLowerCase(), validatorIndex: Number(d.validator_index), committeeIndex: Number(d.committee_index), slot: Number(d.slot) })),
    );
    const proposers = (await this.json('GET', `/eth/v1/validator/duties/proposer/${epoch}`)) as { data: { pubkey: string; validator_index: string; slot: string }[] };
    this.proposerDuties.set(
      epoch,
      proposers.data
        .filter((d) => this.byPubkey.has(d.pubkey.toLowerCase()))
        .map((d) => ({ pubkey: d.pubkey.toLowerCase(), validatorIndex: Number(d.validator_index), slot: Number(d.slot) })),
    );
    for (const old of this.attesterDuties.keys()) if (old < epoch - 2) this.attesterDuties.delete(old);
    for (const old of this.proposerDuties.keys()) if (old < epoch - 2) this.proposerDuties.delete(old);
  }

  private async attest(slot: number): Promise<void> {
    const epoch = Math.floor(slot / this.network.slotsPerEpoch);
    // like a real VC, duties fetched late (a slow node at an epoch boundary) still count for this slot
    await this.loadDuties(epoch).catch(() => undefined);
    const duties = (this.attesterDuties.get(epoch) ?? []).filter((d) => d.slot === slot);
    if (duties.length === 0) return;
    await this.record('attester', slot, duties.length, async () => {
      const answer = (await this.json('GET', `/eth/v1/validator/attestation_data?slot=${slot}&committee_index=${duties[0]!.committeeIndex}`)) as { data: unknown };
      const data = ssz.phase0.AttestationData.fromJson(answer.data);
      const root = attestationDataSigningRoot(this.network, data);
      const rootHex = bytesToHex(root);
      const body = [];
      for (const duty of duties) {
        const key = this.byPubkey.get(duty.pubkey)!;
        const conflict = key.votes.find(
          (v) =>
            (v.target === data.target.epoch && v.root !== rootHex) ||
            (v.source < data.source.epoch && data.target.epoch < v.target) ||
            (data.source.epoch < v.source && v.target < data.target.epoch),
        );
        if (conflict) throw new VcError(`local slashing protection refused attestation of ${duty.pubkey} at slot ${slot}`);
        key.votes.push({ source: data.source.epoch, target: data.target.epoch, root: rootHex });
        if (key.votes.length > 64) key.votes.shift();
        body.push({
          committee_index: String(duty.committeeIndex),
          attester_index: String(duty.validatorIndex),
          data: answer.data,
          signature: bytesToHex(sign(key.secretKey, root)),
        });
      }
      const fork = this.forkAt(slot);
      await this.json('POST', '/eth/v2/beacon/pool/attestations', body, { 'eth-consensus-version': fork });
    });
  }

  private async propose(slot: number, pubkey: string): Promise<void> {
    const key = this.byPubkey.get(pubkey)!;
    await this.record('proposer', slot, 1, async () => {
      const epoch = Math.floor(slot / this.network.slotsPerEpoch);
      const reveal = sign(key.secretKey, randaoSigningRoot(this.network, epoch));
      const response = await this.request('GET', `/eth/v3/validator/blocks/${slot}?randao_reveal=${bytesToHex(reveal)}`, undefined, { accept: 'application/octet-stream' });
      const raw = new Uint8Array(await response.arrayBuffer());
      if (!response.ok) throw new VcError(`block production for slot ${slot}: HTTP ${response.status}: ${Buffer.from(raw).toString('utf8').slice(0, 300)}`, response.status);
      const fork = (response.headers.get('eth-consensus-version') ?? '').toLowerCase() as ForkName;
      const blinded = response.headers.get('eth-execution-payload-blinded') === 'true';
      const types = sszTypesFor(fork) as unknown as Record<string, Type<unknown>>;
      const contents = !blinded && ForkSeq[fork] >= ForkSeq.deneb;
      const produced = types[blinded ? 'BlindedBeaconBlock' : contents ? 'BlockContents' : 'BeaconBlock']!.deserialize(raw) as Record<string, unknown>;
      const block = (contents ? produced.block : produced) as BeaconBlock | BlindedBeaconBlock;
      if (block.slot !== slot) throw new VcError(`the node produced a block for slot ${block.slot} at slot ${slot}`);
      this.options.tamperBlock?.(block);
      const root = bytesToHex(beaconBlockSigningRoot(this.network, block));
      const signedBefore = key.blocks.get(slot);
      if (signedBefore !== undefined && signedBefore !== root) throw new VcError(`local slashing protection refused a second block at slot ${slot}`);
      key.blocks.set(slot, root);
      const signature = sign(key.secretKey, hexToBytes(root));
      const signed = contents
        ? types.SignedBlockContents!.serialize({ signedBlock: { message: block, signature }, kzgProofs: produced.kzgProofs, blobs: produced.blobs })
        : types[blinded ? 'SignedBlindedBeaconBlock' : 'SignedBeaconBlock']!.serialize({ message: block, signature });
      const path = blinded ? '/eth/v2/beacon/blinded_blocks' : '/eth/v2/beacon/blocks';
      const submitted = await this.request('POST', path, signed, { 'content-type': 'application/octet-stream', 'eth-consensus-version': fork });
      const text = await submitted.text();
      if (!submitted.ok) throw new VcError(`block submission for slot ${slot}: HTTP ${submitted.status}: ${text.slice(0, 300)}`, submitted.status);
    });
  }

  private forkAt(slot: number): string {
    const epoch = Math.floor(slot / this.network.slotsPerEpoch);
    let name = this.network.forks[0]!.name;
    for (const fork of this.network.forks) if (fork.epoch <= epoch) name = fork.name;
    return name;
  }

  private async record(kind: VcDutyKind, slot: number, count: number, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
      this.outcomes.push({ kind, slot, ok: true, count });
    } catch (error) {
      if (!this.running && kind !== 'exit') return;
      this.outcomes.push({ kind, slot, ok: false, count, status: (error as VcError).status, message: (error as Error).message });
      if (kind === 'exit') throw error;
    }
  }

  private async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const binary = body instanceof Uint8Array;
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? Math.max(2 * this.slotMs, 4000));
    return fetch(this.options.baseUrl + path, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined && !binary ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : binary ? body : JSON.stringify(body),
      signal: AbortSignal.any([timeout, this.abort.signal]),
    });
  }

  private async json(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const response = await this.request(method, path, body, headers);
    const text = await response.text();
    if (!response.ok) throw new VcError(`${method} ${path}: HTTP ${response.status}: ${text.slice(0, 300)}`, response.status);
    return text === '' ? undefined : JSON.parse(text);
  }
}
