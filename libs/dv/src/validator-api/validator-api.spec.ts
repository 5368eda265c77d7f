import * as http from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DvtError, bytesToHex } from '@dvt/common';
import { attestationDataSigningRoot, beaconBlockSigningRoot, getNetwork, randaoSigningRoot, voluntaryExitSigningRoot } from '@dvt/eth2';
import { generateSecretKey, sign, splitSecret } from '@dvt/tbls';
import { ssz, type phase0 } from '@lodestar/types';
import {
  type DecidedProposal,
  type Duty,
  type DvPubkey,
  type PartialSignatureSet,
  type ValidatorApiBackend,
  DutyType,
  encodeAttesterMessage,
  encodeExitMessage,
  encodeProposerMessage,
  encodeRandaoMessage,
  toDvPubkey,
} from '../core/index.js';
import { ValidatorApi } from './validator-api.js';

const network = getNetwork('devnet');
const NODE_SHARE_INDEX = 2;
const fulu = ssz.fulu;

interface TestDv {
  dv: DvPubkey;
  index: number;
  /** secret key shares, share index i+1 at [i] */
  secretShares: Uint8Array[];
  publicShares: Uint8Array[];
}

function makeDv(index: number): TestDv {
  const split = splitSecret(generateSecretKey(), 3, [1, 2, 3, 4]);
  return {
    dv: toDvPubkey(split.publicKey),
    index,
    secretShares: split.shares.map((s) => s.secretKey),
    publicShares: split.publicShares.map((s) => s.publicKey),
  };
}

const DV_A = makeDv(11);
const DV_B = makeDv(12);
const OUTSIDER_KEY = bytesToHex(splitSecret(generateSecretKey(), 1, [1]).publicKey);
const myShare = (dv: TestDv): string => bytesToHex(dv.publicShares[NODE_SHARE_INDEX - 1]!);
const mySecret = (dv: TestDv): Uint8Array => dv.secretShares[NODE_SHARE_INDEX - 1]!;

// ---- the rest of the node, faked ----

class FakeBackend implements ValidatorApiBackend {
  readonly submitted: { duty: Duty; partials: PartialSignatureSet }[] = [];
  readonly signals: AbortSignal[] = [];
  readonly attestationData = new Map<number, phase0.AttestationData>();
  readonly proposals = new Map<number, DecidedProposal>();
  readonly proposers = new Map<number, DvPubkey>();
  /** decided proposer messages by slot: a different block is refused */
  readonly decidedBlocks = new Map<number, Uint8Array>();
  /** decided attestation data by slot: other data is refused */
  readonly decidedAttestations = new Map<number, Uint8Array>();
  private readonly waiters = new Set<() => void>();

  dvOfValidatorIndex(index: number): DvPubkey | undefined {
    return [DV_A, DV_B].find((dv) => dv.index === index)?.dv;
  }

  dvProposingAt(slot: number): DvPubkey | undefined {
    return this.proposers.get(slot);
  }

  decide(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private wait<T>(get: () => T | undefined, signal?: AbortSignal): Promise<T> {
    if (signal) this.signals.push(signal);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = get();
        if (value !== undefined) {
          this.waiters.delete(check);
          resolve(value);
        }
      };
      this.waiters.add(check);
      signal?.addEventListener('abort', () => {
        this.waiters.delete(check);
        reject(new DvtError('ABORTED', 'aborted'));
      });
      check();
    });
  }

  awaitAttestationData(slot: number, _committeeIndex: number, signal?: AbortSignal): Promise<phase0.AttestationData> {
    return this.wait(() => this.attestationData.get(slot), signal);
  }

  awaitProposal(slot: number, _dv: DvPubkey, signal?: AbortSignal): Promise<DecidedProposal> {
    return this.wait(() => this.proposals.get(slot), signal);
  }

  async submitPartialSignatures(duty: Duty, partials: PartialSignatureSet): Promise<void> {
    if (duty.type === DutyType.Proposer) {
      const decided = this.decidedBlocks.get(duty.slot);
      for (const partial of partials.values()) {
        if (decided && Buffer.compare(decided, partial.message) !== 0) {
          throw new DvtError('NOT_DECIDED', `the block of slot ${duty.slot} differs from the block the cluster decided`);
        }
      }
    }
    if (duty.type === DutyType.Attester) {
      const decided = this.decidedAttestations.get(duty.slot);
      for (const partial of partials.values()) {
        if (decided && Buffer.compare(decided, partial.message) !== 0) {
          throw new DvtError('NOT_DECIDED', `attestation data of slot ${duty.slot} differs from the data the cluster decided`);
        }
      }
    }
    this.submitted.push({ duty, partials });
  }
}

// ---- a beacon node, faked ----

interface SeenByBn {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

class FakeBeaconNode {
  readonly seen: SeenByBn[] = [];
  eventStreamClosed = false;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.answer(req, res, Buffer.concat(chunks).toString()));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private validatorEntry(pubkey: string, index: string): unknown {
    return { index, balance: '32000000000', status: 'active_ongoing', validator: { pubkey, effective_balance: '32000000000', slashed: false } };
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const url = new URL(req.url!, 'http://bn');
    const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    const path = url.pathname;
    if (path === '/eth/v1/node/version') return json(200, { data: { version: 'fake-bn/1' } }, { 'x-fake-bn': 'yes' });
    if (path === '/eth/v2/debug/beacon/states/head') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'eth-consensus-version': 'fulu' });
      return void res.end(Buffer.from([1, 2, 3, 4, 5]));
    }
    if (path === '/eth/v1/validator/beacon_committee_subscriptions') return json(200, {});
    if (path === '/eth/v1/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: head\ndata: {"slot":"1"}\n\n');
      res.on('close', () => (this.eventStreamClosed = true));
      return;
    }
    if (/^\/eth\/v1\/validator\/duties\/(attester|sync)\/\d+$/.test(path) || /^\/eth\/v1\/validator\/duties\/proposer\/\d+$/.test(path)) {
      return json(200, {
        dependent_root: '0x' + '11'.repeat(32),
        execution_optimistic: false,
        data: [
          { pubkey: DV_A.dv, validator_index: String(DV_A.index), slot: '33' },
          { pubkey: OUTSIDER_KEY, validator_index: '99', slot: '34' },
        ],
      });
    }
    const byId = /^\/eth\/v1\/beacon\/states\/head\/validators\/(.+)$/.exec(path);
    if (byId) {
      const id = decodeURIComponent(byId[1]!);
      const dv = [DV_A, DV_B].find((d) => d.dv === id || String(d.index) === id);
      if (!dv) return json(404, { code: 404, message: 'validator not found' });
      return json(200, { execution_optimistic: false, finalized: false, data: this.validatorEntry(dv.dv, String(dv.index)) });
    }
    if (path === '/eth/v1/beacon/states/head/validators') {
      const ids = req.method === 'GET' ? (url.searchParams.get('id') ?? '').split(',') : ((JSON.parse(body) as { ids: string[] }).ids ?? []);
      const data = [DV_A, DV_B].filter((d) => ids.includes(d.dv) || ids.includes(String(d.index))).map((d) => this.validatorEntry(d.dv, String(d.index)));
      return json(200, { execution_optimistic: false, finalized: false, data });
    }
    json(404, { code: 404, message: `fake BN: no route ${path}` });
  }
}

// ---- signed objects ----

function attestationData(slot: number): phase0.AttestationData {
  return {
    slot,
    index: 0,
    beaconBlockRoot: new Uint8Array(32).fill(7),
    source: { epoch: 0, root: new Uint8Array(32).fill(1) },
    target: { epoch: Math.floor(slot / 32), root: new Uint8Array(32).fill(2) },
  };
}

function singleAttestationJson(dv: TestDv, data: phase0.AttestationData, secret = mySecret(dv)): unknown {
  const signature = sign(secret, attestationDataSigningRoot(network, data));
  return ssz.electra.SingleAttestation.toJson({ committeeIndex: 3, attesterIndex: dv.index, data, signature });
}

function block(slot: number, proposer: TestDv, graffitiByte = 0) {
  const value = fulu.BeaconBlock.defaultValue();
  value.slot = slot;
  value.proposerIndex = proposer.index;
  value.body.graffiti = new Uint8Array(32).fill(graffitiByte);
  return value;
}

function signedBlockContents(slot: number, proposer: TestDv, graffitiByte = 0, secret = mySecret(proposer)) {
  const message = block(slot, proposer, graffitiByte);
  const signature = sign(secret, beaconBlockSigningRoot(network, message));
  return { signedBlock: { message, signature }, kzgProofs: [], blobs: [] };
}

// ---- the tests ----

describe('ValidatorApi', () => {
  let bn: FakeBeaconNode;
  let bnUrl: string;
  let backend: FakeBackend;
  let api: ValidatorApi;
  let requests: { route: string; status: number }[];

  beforeAll(async () => {
    bn = new FakeBeaconNode();
    bnUrl = await bn.start();
  });
  afterAll(async () => {
    await bn.stop();
  });

  beforeEach(async () => {
    backend = new FakeBackend();
    requests = [];
    bn.seen.length = 0;
    api = new ValidatorApi({
      network,
      shareIndex: NODE_SHARE_INDEX,
      validators: [DV_A, DV_B].map((d) => ({ dv: d.dv, publicShares: d.publicShares })),
      beaconNodeUrl: bnUrl,
      backend,
      requestTimeoutMs: 3000,
      maxBodyBytes: 64 * 1024,
      observer: { onRequest: (route, status) => requests.push({ route, status }) },
    });
    await api.start();
  });
  afterEach(async () => {
    await api.stop();
  });

  const call = (path: string, init: RequestInit = {}): Promise<Response> => fetch(api.url + path, init);
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  describe('proxy', () => {
    it('forwards unknown routes with status, headers and body', async () => {
      const res = await call('/eth/v1/node/version');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-fake-bn')).toBe('yes');
      expect(await res.json()).toEqual({ data: { version: 'fake-bn/1' } });
      const missing = await call('/eth/v1/nope');
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { message: string }).message).toContain('fake BN');
      expect(requests).toContainEqual({ route: 'proxy', status: 200 });
    });

    it('forwards request bodies and SSZ answers unchanged', async () => {
      const body = JSON.stringify([{ validator_index: '11', committee_index: '1', committees_at_slot: '2', slot: '40', is_aggregator: false }]);
      const res = await call('/eth/v1/validator/beacon_committee_subscriptions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(200);
      expect(bn.seen.at(-1)!.body).toBe(body);
      const state = await call('/eth/v2/debug/beacon/states/head', { headers: { accept: 'application/octet-stream' } });
      expect(state.headers.get('eth-consensus-version')).toBe('fulu');
      expect(new Uint8Array(await state.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
      expect(bn.seen.at(-1)!.headers.accept).toBe('application/octet-stream');
    });

    it('streams the event stream and closes it upstream when the VC leaves', async () => {
      const abort = new AbortController();
      const res = await call('/eth/v1/events?topics=head', { signal: abort.signal });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value!).toString()).toContain('event: head');
      abort.abort();
      await expect(reader.read()).rejects.toThrow();
      for (let i = 0; i < 100 && !bn.eventStreamClosed; i++) await new Promise((r) => setTimeout(r, 20));
      expect(bn.eventStreamClosed).toBe(true);
    });

    it('answers 503 with a clear error when the beacon node is down', async () => {
      const down = new ValidatorApi({ network, shareIndex: 2, validators: [], beaconNodeUrl: 'http://127.0.0.1:1', backend });
      await down.start();
      try {
        const res = await fetch(down.url + '/eth/v1/node/version');
        expect(res.status).toBe(503);
        const body = (await res.json()) as { code: number; message: string };
        expect(body.code).toBe(503);
        expect(body.message).toMatch(/beacon node at http:\/\/127\.0\.0\.1:1 is unreachable/);
        const duties = await fetch(down.url + '/eth/v1/validator/duties/proposer/1');
        expect(duties.status).toBe(503);
      } finally {
        await down.stop();
      }
    });
  });

  describe('key rewriting', () => {
    it('shows the VC its public share instead of the DV key in duties', async () => {
      for (const [method, path] of [
        ['POST', '/eth/v1/validator/duties/attester/1'],
        ['GET', '/eth/v1/validator/duties/proposer/1'],
        ['POST', '/eth/v1/validator/duties/sync/1'],
      ] as const) {
        const res = method === 'POST' ? await postJson(path, ['11', '99']) : await call(path);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { dependent_root: string; data: { pubkey: string; validator_index: string }[] };
        expect(body.dependent_root).toBe('0x' + '11'.repeat(32));
        expect(body.data.map((d) => d.pubkey)).toEqual([myShare(DV_A), OUTSIDER_KEY]);
        if (method === 'POST') expect(JSON.parse(bn.seen.at(-1)!.body)).toEqual(['11', '99']);
      }
    });

    it('rejects duties requests with a body that is not a list of indices', async () => {
      const res = await call('/eth/v1/validator/duties/attester/1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/not valid JSON/);
      const wrong = await postJson('/eth/v1/validator/duties/attester/1', ['0xabc']);
      expect(wrong.status).toBe(400);
      expect(bn.seen).toHaveLength(0);
    });

    it('GET validators: share ids go to the BN as DV keys, indices unchanged, answers come back as shares', async () => {
      const res = await call(`/eth/v1/beacon/states/head/validators?id=${myShare(DV_A)},12&status=active_ongoing`);
      expect(res.status).toBe(200);
      const sent = new URL(bn.seen.at(-1)!.url, 'http://bn');
      expect(sent.searchParams.get('id')).toBe(`${DV_A.dv},12`);
      expect(sent.searchParams.get('status')).toBe('active_ongoing');
      const body = (await res.json()) as { data: { index: string; validator: { pubkey: string } }[] };
      expect(body.data.map((d) => [d.index, d.validator.pubkey])).toEqual([
        ['11', myShare(DV_A)],
        ['12', myShare(DV_B)],
      ]);
    });

    it('POST validators rewrites ids in the body', async () => {
      const res = await postJson('/eth/v1/beacon/states/head/validators', { ids: [myShare(DV_B).toUpperCase().replace('0X', '0x')], statuses: [] });
      expect(res.status).toBe(200);
      expect(JSON.parse(bn.seen.at(-1)!.body)).toEqual({ ids: [DV_B.dv], statuses: [] });
      const body = (await res.json()) as { data: { validator: { pubkey: string } }[] };
      expect(body.data.map((d) => d.validator.pubkey)).toEqual([myShare(DV_B)]);
    });

    it('GET validators/{id} by share key', async () => {
      const res = await call(`/eth/v1/beacon/states/head/validators/${myShare(DV_A)}`);
      expect(res.status).toBe(200);
      expect(bn.seen.at(-1)!.url).toBe(`/eth/v1/beacon/states/head/validators/${DV_A.dv}`);
      expect(((await res.json()) as { data: { validator: { pubkey: string } } }).data.validator.pubkey).toBe(myShare(DV_A));
      const missing = await call('/eth/v1/beacon/states/head/validators/5');
      expect(missing.status).toBe(404);
    });

    it('a key of another share index gets a 400 naming both share indexes, and nothing reaches the BN', async () => {
      const otherShare = bytesToHex(DV_A.publicShares[2]!);
      const paths = [
        () => call(`/eth/v1/beacon/states/head/validators?id=${otherShare}`),
        () => postJson('/eth/v1/beacon/states/head/validators', { ids: ['11', otherShare] }),
        () => call(`/eth/v1/beacon/states/head/validators/${otherShare}`),
      ];
      for (const request of paths) {
        const res = await request();
        expect(res.status).toBe(400);
        const { message } = (await res.json()) as { message: string };
        expect(message).toBe(
          `key ${otherShare} is the share of share index 3 of DV ${DV_A.dv}, but this node holds share index 2 — the validator client's keys are wired to the wrong node`,
        );
      }
      expect(bn.seen).toHaveLength(0);
    });
  });

  describe('attestation data', () => {
    it('blocks until the cluster decides, then answers JSON or SSZ', async () => {
      const pending = call('/eth/v1/validator/attestation_data?slot=40&committee_index=0');
      await new Promise((r) => setTimeout(r, 50));
      const data = attestationData(40);
      backend.attestationData.set(40, data);
      backend.decide();
      const res = await pending;
      expect(res.status).toBe(200);
      expect(ssz.phase0.AttestationData.fromJson(((await res.json()) as { data: unknown }).data)).toEqual(data);
      const sszRes = await call('/eth/v1/validator/attestation_data?slot=40&committee_index=0', { headers: { accept: 'application/octet-stream;q=1,application/json;q=0.9' } });
      expect(sszRes.headers.get('content-type')).toBe('application/octet-stream');
      expect(new Uint8Array(await sszRes.arrayBuffer())).toEqual(ssz.phase0.AttestationData.serialize(data));
    });

    it('aborts the wait when the VC closes the request', async () => {
      const req = http.request(api.url + '/eth/v1/validator/attestation_data?slot=41&committee_index=0');
      req.on('error', () => {});
      req.end();
      for (let i = 0; i < 100 && backend.signals.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(backend.signals[0]!.aborted).toBe(false);
      req.destroy();
      for (let i = 0; i < 100 && !backend.signals[0]!.aborted; i++) await new Promise((r) => setTimeout(r, 10));
      expect(backend.signals[0]!.aborted).toBe(true);
    });

    it('answers 503 when the cluster does not decide in time, 400 on a bad slot', async () => {
      const quick = new ValidatorApi({ network, shareIndex: 2, validators: [], beaconNodeUrl: bnUrl, backend, requestTimeoutMs: 100 });
      await quick.start();
      try {
        const res = await fetch(quick.url + '/eth/v1/validator/attestation_data?slot=42&committee_index=0');
        expect(res.status).toBe(503);
        expect(((await res.json()) as { message: string }).message).toMatch(/did not decide attestation data for slot 42 within 100 ms/);
      } finally {
        await quick.stop();
      }
      const bad = await call('/eth/v1/validator/attestation_data?slot=-1&committee_index=0');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/slot must be a decimal unsigned integer/);
    });
  });

  describe('block proposal', () => {
    const slot = 70;
    const epoch = Math.floor(slot / 32);
    const reveal = (dv: TestDv, secret = mySecret(dv)): string => bytesToHex(sign(secret, randaoSigningRoot(network, epoch)));
    const decided = (): DecidedProposal => ({
      fork: 'fulu',
      blinded: false,
      executionPayloadValue: '123',
      consensusBlockValue: '456',
      ssz: fulu.BlockContents.serialize({ block: block(slot, DV_A, 9), kzgProofs: [], blobs: [] }),
    });

    it('hands in the randao partial and answers the decided block as JSON and SSZ', async () => {
      backend.proposers.set(slot, DV_A.dv);
      backend.proposals.set(slot, decided());
      const res = await call(`/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal(DV_A)}&graffiti=0x${'00'.repeat(32)}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('eth-consensus-version')).toBe('fulu');
      expect(res.headers.get('eth-execution-payload-blinded')).toBe('false');
      expect(res.headers.get('eth-execution-payload-value')).toBe('123');
      expect(res.headers.get('eth-consensus-block-value')).toBe('456');
      const body = (await res.json()) as { version: string; execution_payload_blinded: boolean; data: unknown };
      expect(body.version).toBe('fulu');
      expect(body.execution_payload_blinded).toBe(false);
      expect(fulu.BlockContents.serialize(fulu.BlockContents.fromJson(body.data))).toEqual(decided().ssz);
      expect(backend.submitted).toHaveLength(1);
      const { duty, partials } = backend.submitted[0]!;
      expect(duty).toEqual({ slot, type: DutyType.Randao });
      const partial = partials.get(DV_A.dv)!;
      expect(partial.shareIndex).toBe(2);
      expect(partial.message).toEqual(encodeRandaoMessage(epoch));
      expect(bytesToHex(partial.signature)).toBe(reveal(DV_A));

      const sszRes = await call(`/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal(DV_A)}`, { headers: { accept: 'application/octet-stream' } });
      expect(sszRes.status).toBe(200);
      expect(sszRes.headers.get('eth-consensus-version')).toBe('fulu');
      expect(new Uint8Array(await sszRes.arrayBuffer())).toEqual(decided().ssz);
    });

    it('answers a blinded proposal with the blinded block', async () => {
      backend.proposers.set(slot, DV_A.dv);
      const blinded = fulu.BlindedBeaconBlock.defaultValue();
      blinded.slot = slot;
      backend.proposals.set(slot, { ...decided(), blinded: true, ssz: fulu.BlindedBeaconBlock.serialize(blinded) });
      const res = await call(`/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal(DV_A)}`);
      expect(res.headers.get('eth-execution-payload-blinded')).toBe('true');
      const body = (await res.json()) as { data: unknown };
      expect(fulu.BlindedBeaconBlock.fromJson(body.data)).toEqual(blinded);
    });

    it('rejects a randao reveal that is not this node\'s share, and slots no DV proposes', async () => {
      backend.proposers.set(slot, DV_A.dv);
      const wrong = await call(`/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal(DV_A, DV_A.secretShares[0])}`);
      expect(wrong.status).toBe(400);
      expect(((await wrong.json()) as { message: string }).message).toMatch(/randao reveal for epoch 2 of DV .* does not verify against this node's public share/);
      const junk = await call(`/eth/v3/validator/blocks/${slot}?randao_reveal=0x${'ab'.repeat(96)}`);
      expect(junk.status).toBe(400);
      const missing = await call(`/eth/v3/validator/blocks/${slot}`);
      expect(missing.status).toBe(400);
      const nobody = await call(`/eth/v3/validator/blocks/${slot + 1}?randao_reveal=${reveal(DV_A)}`);
      expect(nobody.status).toBe(400);
      expect(((await nobody.json()) as { message: string }).message).toBe(`no DV of this cluster is known to propose at slot ${slot + 1}`);
      expect(backend.submitted).toHaveLength(0);
    });
  });

  describe('block submission', () => {
    const slot = 80;
    const headers = { 'eth-consensus-version': 'fulu' };

    it('verifies a JSON or SSZ signed block and hands in the proposer partial', async () => {
      const contents = signedBlockContents(slot, DV_A);
      const res = await postJson('/eth/v2/beacon/blocks', fulu.SignedBlockContents.toJson(contents), headers);
      expect(res.status).toBe(200);
      const sszRes = await call('/eth/v2/beacon/blocks', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: fulu.SignedBlockContents.serialize(contents),
      });
      expect(sszRes.status).toBe(200);
      expect(backend.submitted).toHaveLength(2);
      for (const { duty, partials } of backend.submitted) {
        expect(duty).toEqual({ slot, type: DutyType.Proposer });
        const partial = partials.get(DV_A.dv)!;
        expect(partial.message).toEqual(encodeProposerMessage({ fork: 'fulu' as never, blinded: false, block: contents.signedBlock.message }));
        expect(partial.signature).toEqual(contents.signedBlock.signature);
      }
    });

    it('verifies a blinded block', async () => {
      const message = fulu.BlindedBeaconBlock.defaultValue();
      message.slot = slot;
      message.proposerIndex = DV_B.index;
      const signature = sign(mySecret(DV_B), beaconBlockSigningRoot(network, message));
      const res = await postJson('/eth/v2/beacon/blinded_blocks', fulu.SignedBlindedBeaconBlock.toJson({ message, signature }), headers);
      expect(res.status).toBe(200);
      expect(backend.submitted[0]!.partials.get(DV_B.dv)!.message).toEqual(encodeProposerMessage({ fork: 'fulu' as never, blinded: true, block: message }));
    });

    it('rejects a block that differs from the decided one with 400 and the backend\'s message', async () => {
      backend.decidedBlocks.set(slot, encodeProposerMessage({ fork: 'fulu' as never, blinded: false, block: block(slot, DV_A, 1) }));
      const res = await postJson('/eth/v2/beacon/blocks', fulu.SignedBlockContents.toJson(signedBlockContents(slot, DV_A, 2)), headers);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toBe(`the block of slot ${slot} differs from the block the cluster decided`);
      expect(backend.submitted).toHaveLength(0);
    });

    it('rejects bad signatures, bad bodies and missing fork headers without handing anything in', async () => {
      const badSig = await postJson('/eth/v2/beacon/blocks', fulu.SignedBlockContents.toJson(signedBlockContents(slot, DV_A, 0, DV_A.secretShares[3])), headers);
      expect(badSig.status).toBe(400);
      expect(((await badSig.json()) as { message: string }).message).toMatch(/block of slot 80 by validator 11: the signature does not verify/);
      const noHeader = await postJson('/eth/v2/beacon/blocks', fulu.SignedBlockContents.toJson(signedBlockContents(slot, DV_A)));
      expect(noHeader.status).toBe(400);
      expect(((await noHeader.json()) as { message: string }).message).toBe('the Eth-Consensus-Version header is required');
      const junkSsz = await call('/eth/v2/beacon/blocks', { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: new Uint8Array(10) });
      expect(junkSsz.status).toBe(400);
      expect(((await junkSsz.json()) as { message: string }).message).toMatch(/not the SSZ of/);
      const junkJson = await call('/eth/v2/beacon/blocks', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"signed_block":' });
      expect(junkJson.status).toBe(400);
      const wrongShape = await postJson('/eth/v2/beacon/blocks', { signed_block: {} }, headers);
      expect(wrongShape.status).toBe(400);
      const unknown = signedBlockContents(slot, { ...DV_A, index: 500 });
      const unknownRes = await postJson('/eth/v2/beacon/blocks', fulu.SignedBlockContents.toJson(unknown), headers);
      expect(unknownRes.status).toBe(400);
      expect(((await unknownRes.json()) as { message: string }).message).toMatch(/validator index 500 is not a DV of this cluster/);
      const tooBig = await call('/eth/v2/beacon/blocks', { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: new Uint8Array(100 * 1024) });
      expect(tooBig.status).toBe(413);
      expect(backend.submitted).toHaveLength(0);
    });
  });

  describe('attestation submission', () => {
    const headers = { 'eth-consensus-version': 'fulu' };

    it('hands in one partial signature set per slot', async () => {
      const atts = [singleAttestationJson(DV_A, attestationData(96)), singleAttestationJson(DV_B, attestationData(96)), singleAttestationJson(DV_A, attestationData(97))];
      const res = await postJson('/eth/v2/beacon/pool/attestations', atts, headers);
      expect(res.status).toBe(200);
      expect(backend.submitted.map((s) => [s.duty.slot, s.duty.type, [...s.partials.keys()].sort()])).toEqual([
        [96, DutyType.Attester, [DV_A.dv, DV_B.dv].sort()],
        [97, DutyType.Attester, [DV_A.dv]],
      ]);
      expect(backend.submitted[0]!.partials.get(DV_B.dv)!.message).toEqual(encodeAttesterMessage(attestationData(96)));
    });

    it('accepts an SSZ list', async () => {
      const value = ssz.electra.SingleAttestation.fromJson(singleAttestationJson(DV_A, attestationData(98)));
      const res = await call('/eth/v2/beacon/pool/attestations', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: ssz.electra.SingleAttestation.serialize(value),
      });
      expect(res.status).toBe(200);
      expect(backend.submitted[0]!.partials.get(DV_A.dv)!.signature).toEqual(value.signature);
    });

    it('answers 400 with per-index failures and hands in only the valid ones', async () => {
      const badSignature = singleAttestationJson(DV_B, attestationData(99), DV_B.secretShares[0]);
      const unknownIndex = { ...(singleAttestationJson(DV_A, attestationData(99)) as object), attester_index: '500' };
      const res = await postJson('/eth/v2/beacon/pool/attestations', [singleAttestationJson(DV_A, attestationData(99)), badSignature, unknownIndex, { junk: true }], headers);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: number; failures: { index: number; message: string }[] };
      expect(body.code).toBe(400);
      expect(body.failures.map((f) => f.index)).toEqual([1, 2, 3]);
      expect(body.failures[0]!.message).toMatch(/does not verify against this node's public share/);
      expect(body.failures[1]!.message).toMatch(/validator index 500/);
      expect(body.failures[2]!.message).toMatch(/not a SingleAttestation/);
      expect(backend.submitted).toHaveLength(1);
      expect([...backend.submitted[0]!.partials.keys()]).toEqual([DV_A.dv]);
    });

    it('fails every attestation of a slot the backend refuses, and two different attestations of one validator', async () => {
      const other = { ...attestationData(100), beaconBlockRoot: new Uint8Array(32).fill(8) };
      backend.decidedAttestations.set(100, encodeAttesterMessage(attestationData(100)));
      const res = await postJson(
        '/eth/v2/beacon/pool/attestations',
        [singleAttestationJson(DV_A, other), singleAttestationJson(DV_B, other), singleAttestationJson(DV_A, attestationData(101)), singleAttestationJson(DV_A, { ...attestationData(101), beaconBlockRoot: new Uint8Array(32).fill(9) })],
        headers,
      );
      expect(res.status).toBe(400);
      const body = (await res.json()) as { failures: { index: number; message: string }[] };
      expect(body.failures).toEqual([
        { index: 0, message: 'attestation data of slot 100 differs from the data the cluster decided' },
        { index: 1, message: 'attestation data of slot 100 differs from the data the cluster decided' },
        { index: 3, message: 'validator 11 has two different attestations for slot 101 in this request' },
      ]);
      expect(backend.submitted.map((s) => s.duty.slot)).toEqual([101]);
    });

    it('rejects bad bodies and pre-Electra forks without handing anything in', async () => {
      for (const [body, hdrs, pattern] of [
        ['[', headers, /not valid JSON/],
        ['{}', headers, /non-empty JSON array/],
        [JSON.stringify([singleAttestationJson(DV_A, attestationData(99))]), { 'eth-consensus-version': 'deneb' }, /fork deneb are not supported/],
        [JSON.stringify([singleAttestationJson(DV_A, attestationData(99))]), {}, /header is required/],
      ] as const) {
        const res = await call('/eth/v2/beacon/pool/attestations', { method: 'POST', headers: { 'content-type': 'application/json', ...hdrs }, body });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { message: string }).message).toMatch(pattern);
      }
      const sszJunk = await call('/eth/v2/beacon/pool/attestations', { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: new Uint8Array(7) });
      expect(sszJunk.status).toBe(400);
      expect(backend.submitted).toHaveLength(0);
    });
  });

  describe('voluntary exits', () => {
    it('hands in an exit partial at the first slot of the exit epoch; refuses a bad signature', async () => {
      const exit = { epoch: 5, validatorIndex: DV_B.index };
      const signature = sign(mySecret(DV_B), voluntaryExitSigningRoot(network, exit));
      const res = await postJson('/eth/v1/beacon/pool/voluntary_exits', ssz.phase0.SignedVoluntaryExit.toJson({ message: exit, signature }));
      expect(res.status).toBe(200);
      expect(backend.submitted).toHaveLength(1);
      expect(backend.submitted[0]!.duty).toEqual({ slot: 160, type: DutyType.Exit });
      expect(backend.submitted[0]!.partials.get(DV_B.dv)!.message).toEqual(encodeExitMessage(exit));
      const bad = sign(DV_B.secretShares[0]!, voluntaryExitSigningRoot(network, exit));
      const rejected = await postJson('/eth/v1/beacon/pool/voluntary_exits', ssz.phase0.SignedVoluntaryExit.toJson({ message: exit, signature: bad }));
      expect(rejected.status).toBe(400);
      const junk = await postJson('/eth/v1/beacon/pool/voluntary_exits', { message: { epoch: 'x' } });
      expect(junk.status).toBe(400);
      expect(backend.submitted).toHaveLength(1);
    });
  });

  describe('fixed answers', () => {
    it('accepts and drops registrations and proposer preparations', async () => {
      for (const path of ['/eth/v1/validator/register_validator', '/eth/v1/validator/prepare_beacon_proposer']) {
        const res = await postJson(path, [{ validator_index: '11', fee_recipient: '0x' + '00'.repeat(20) }]);
        expect(res.status).toBe(200);
        const bad = await call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'nope' });
        expect(bad.status).toBe(400);
        const sszBody = await call(path, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(84) });
        expect(sszBody.status).toBe(200);
        const xml = await call(path, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' });
        expect(xml.status).toBe(415);
      }
      expect(bn.seen).toHaveLength(0);
    });

    it('answers 501 for aggregation and selection endpoints, without forwarding', async () => {
      for (const [method, path] of [
        ['GET', '/eth/v2/validator/aggregate_attestation?slot=1&attestation_data_root=0x00&committee_index=0'],
        ['GET', '/eth/v1/validator/sync_committee_contribution'],
        ['POST', '/eth/v1/validator/beacon_committee_selections'],
        ['POST', '/eth/v1/validator/sync_committee_selections'],
        ['POST', '/eth/v2/validator/aggregate_and_proofs'],
      ]) {
        const res = await call(path!, { method, body: method === 'POST' ? '[]' : undefined });
        expect(res.status).toBe(501);
        expect(((await res.json()) as { message: string }).message).toMatch(/not implemented by this DV node yet/);
      }
      expect(bn.seen).toHaveLength(0);
      expect(requests).toContainEqual({ route: 'POST /eth/v1/validator/beacon_committee_selections', status: 501 });
    });

    it('answers 404 on purpose for the old endpoints, naming the one to use', async () => {
      for (const [method, path, use] of [
        ['POST', '/eth/v1/beacon/pool/attestations', 'POST /eth/v2/beacon/pool/attestations'],
        ['GET', '/eth/v1/validator/aggregate_attestation', 'GET /eth/v2/validator/aggregate_attestation'],
        ['POST', '/eth/v1/validator/aggregate_and_proofs', 'POST /eth/v2/validator/aggregate_and_proofs'],
        ['GET', '/eth/v2/validator/blocks/5', 'GET /eth/v3/validator/blocks/{slot}'],
        ['GET', '/eth/v1/validator/blinded_blocks/5', 'GET /eth/v3/validator/blocks/{slot}'],
      ]) {
        const res = await call(path!, { method, body: method === 'POST' ? '[]' : undefined });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { message: string }).message).toContain(`use ${use}`);
      }
      expect(bn.seen).toHaveLength(0);
    });
  });

  it('refuses a share of another node in its configuration check', () => {
    expect(() => new ValidatorApi({ network, shareIndex: 5, validators: [{ dv: DV_A.dv, publicShares: DV_A.publicShares }], beaconNodeUrl: bnUrl, backend })).toThrow(
      /has 4 public shares, this node's share index is 5/,
    );
  });
});
