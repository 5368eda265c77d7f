/**
 * DV-NODE.md liveness 2–5 and safety 1–4, 8, 9 under faults, each on its own 4-node cluster
 * (threshold 3) with validator-client mocks and the beacon mock in duty mode (1 s slots, 8 DVs).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { hexToBytes } from '@dvt/common';
import {
  type ClusterMessaging,
  DvNode,

  PARTIAL_SIGNATURE_TOPIC,
  QBFT_TOPIC,
  decodePartialSignatureBatch,
  encodePartialSignatureBatch,
  type PartialSignature,
  type DvPubkey,
} from '@dvt/dv';
import { attestationDataSigningRoot } from '@dvt/eth2';
import { SlashingProtectionDb } from '@dvt/slashing-protection';
import { BeaconNodeMock, SimulatedCluster, ValidatorClientMock } from '@dvt/testing';
import { generateSecretKey, sign } from '@dvt/tbls';
import { coverage, memoryLogger } from './support.js';

const VALIDATORS = 8;

/** Messaging that only reaches `allowed` peers, passing each outgoing message through `tamper`. */
function restricted(base: ClusterMessaging, allowed: readonly number[], tamper: (to: number, topic: string, payload: Uint8Array) => Uint8Array | undefined = (_to, _topic, p) => p): ClusterMessaging {
  const send = (to: number, topic: string, payload: Uint8Array) => {
    if (!allowed.includes(to)) return;
    const out = tamper(to, topic, payload);
    if (out) base.send(to, topic, out);
  };
  return { send, broadcast: (topic, payload) => allowed.forEach((to) => send(to, topic, payload)), subscribe: (topic, handler) => base.subscribe(topic, handler) };
}

describe('DV node faults', () => {
  let sim: SimulatedCluster | undefined;
  const extra: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const thing of extra.splice(0)) await thing.stop();
    await sim?.stop();
    sim = undefined;
  });

  it('one node down, including round-1 leaders: every duty still completes', async () => {
    const rounds: number[] = [];
    sim = await SimulatedCluster.start({ validators: VALIDATORS, offline: [1], observer: () => ({ onDecided: (_d, round) => rounds.push(round) }) });
    await sim.untilSlot(11);
    const c = coverage(sim, 0, 9);
    expect({ missing: c.missingAttestations, conflicting: c.conflictingAttestations }).toEqual({ missing: [], conflicting: [] });
    expect(c.completeAttestations).toBe(VALIDATORS);
    expect({ missing: c.missingBlocks, conflicting: c.conflictingBlocks }).toEqual({ missing: [], conflicting: [] });
    // node 1 leads round 1 of the attester duty when (slot + 2) mod 4 = 1: those duties needed a round change
    expect(rounds.some((round) => round > 1)).toBe(true);
    expect(sim.beacon.chain!.offences).toEqual([]);
  }, 40_000);

  it('two nodes down: nothing is broadcast; duties resume when they return', async () => {
    sim = await SimulatedCluster.start({ validators: VALIDATORS, offline: [2, 3] });
    await sim.untilSlot(4);
    const chain = sim.beacon.chain!;
    expect(chain.attestations.filter((a) => a.data.slot < 4)).toEqual([]);
    expect(chain.blocks.filter((b) => b.slot < 4)).toEqual([]);
    // the two remaining validator clients were not served anything to sign
    expect(sim.validatorClients[0]!.count('attester')).toBe(0);
    await sim.startNode(2);
    await sim.startNode(3);
    await sim.untilSlot(10);
    const c = coverage(sim, 5, 8);
    expect({ missing: c.missingAttestations, blocks: c.missingBlocks }).toEqual({ missing: [], blocks: [] });
    expect(c.completeAttestations).toBe(3);
    expect(chain.offences).toEqual([]);
  }, 40_000);

  it('one Byzantine node (equivocating proposals, invalid partials, other share indexes, junk): duties complete, nothing slashable', async () => {
    const rejections: string[] = [];
    sim = await SimulatedCluster.start({
      validators: VALIDATORS,
      validatorClients: false,
      observer: () => ({ onPartialRejected: (peer, reason) => rejections.push(`${peer}:${reason}`) }),
    });
    const cluster = sim;
    await sim.stopNode(3);
    // twin A of node 3: its value, to nodes 0 and 1, with its partials tampered per receiver
    const tamper = (to: number, topic: string, payload: Uint8Array): Uint8Array | undefined => {
      if (topic === QBFT_TOPIC) return payload;
      if (topic !== PARTIAL_SIGNATURE_TOPIC) return payload;
      const batch = decodePartialSignatureBatch(payload);
      const partials = new Map<DvPubkey, PartialSignature>();
      for (const [dv, p] of batch.partials) {
        if (to === 0) partials.set(dv, { ...p, shareIndex: 1 }); // claims node 0's share index
        else partials.set(dv, { ...p, signature: sign(generateSecretKey(), p.message) }); // does not verify
      }
      return encodePartialSignatureBatch({ duty: batch.duty, partials });
    };
    const twinA = new DvNode(sim.nodeOptions(3, { slashing: SlashingProtectionDb.open({ genesisValidatorsRoot: sim.network.genesisValidatorsRoot }), messaging: restricted(sim.net.messaging(3), [0, 1], tamper) }));
    // twin B of node 3: same identity key, other attestation data (its own beacon view), to node 2 only, plus junk
    const otherView = new BeaconNodeMock({ network: sim.network, dutyChain: { proposers: sim.cluster.lock.distributed_validators.map((d) => d.distributed_public_key), varyAttestationData: true } });
    for (const dv of sim.cluster.lock.distributed_validators) otherView.addValidator({ pubkey: dv.distributed_public_key });
    await otherView.start();
    const base = sim.net.messaging(3);
    const junk = (to: number, _topic: string, payload: Uint8Array) => {
      base.send(to, PARTIAL_SIGNATURE_TOPIC, new Uint8Array([7, 7, 7, ...payload.subarray(0, 20)]));
      base.send(to, QBFT_TOPIC, new Uint8Array([7, ...payload.subarray(0, 40)]));
      return payload;
    };
    const twinB = new DvNode(
      sim.nodeOptions(3, {
        slashing: SlashingProtectionDb.open({ genesisValidatorsRoot: sim.network.genesisValidatorsRoot }),
        messaging: restricted(base, [2], junk),
        beaconNodeUrl: otherView.url,
        beacon: new (await import('@dvt/beacon')).BeaconClient({ baseUrl: otherView.url }),
      }),
    );
    sim.net.bringUp(3);
    await twinA.start();
    await twinB.start();
    extra.push(twinA, twinB, otherView);
    for (let i = 0; i < 3; i++) await sim.startValidatorClient(i);
    const vcA = new ValidatorClientMock({ baseUrl: twinA.validatorApi.url, network: sim.network, secretKeys: sim.cluster.nodes[3]!.keyShares });
    await vcA.start();
    extra.push(vcA);

    await cluster.untilSlot(11);
    const c = coverage(cluster, 1, 9);
    expect({ missing: c.missingAttestations, conflicting: c.conflictingAttestations }).toEqual({ missing: [], conflicting: [] });
    expect({ missing: c.missingBlocks, conflicting: c.conflictingBlocks }).toEqual({ missing: [], conflicting: [] });
    expect(cluster.beacon.chain!.offences).toEqual([]);
    expect(cluster.beacon.chain!.rejected).toEqual([]);
    // the honest nodes dropped the Byzantine partials, each for its reason
    expect(rejections).toEqual(expect.arrayContaining(['3:wrong_share_index', '3:invalid_signature', '3:malformed']));
  }, 60_000);

  it('a node restarted mid-epoch keeps its slashing history and never signs a conflicting vote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-restart-'));
    const logs = [memoryLogger(), memoryLogger(), memoryLogger(), memoryLogger()];
    try {
      // validator 0 attests at slot 0 (target epoch 0); the beacon node then asks it again at slot 6: a double vote
      sim = await SimulatedCluster.start({
        validators: VALIDATORS,
        slashingDir: dir,
        chain: { extraAttesterSlots: (index, epoch) => (index === 0 && epoch === 0 ? [6] : []) },
        logger: (i) => logs[i],
      });
      await sim.untilSlot(3);
      await sim.stopNode(1);
      const before = SlashingProtectionDb.open({ file: join(dir, 'node1.sqlite'), genesisValidatorsRoot: sim.network.genesisValidatorsRoot });
      const dv0 = sim.cluster.lock.distributed_validators[0]!.distributed_public_key.toLowerCase();
      const history = before.exportInterchange([dv0]).data[0]!.signed_attestations;
      before.close();
      expect(history.map((a) => a.target_epoch)).toEqual(['0']);
      await sim.startNode(1);
      await sim.untilSlot(8);
      // slot 0's vote was broadcast; slot 6's double vote was refused by every node, the restarted one included
      const votes = sim.beacon.chain!.attestations.filter((a) => a.validatorIndex === 0);
      expect(new Set(votes.map((a) => a.data.slot))).toEqual(new Set([0]));
      expect(sim.beacon.chain!.offences).toEqual([]);
      const refused = logs[1]!.lines.filter((l) => l.msg === 'attestation value refused: slashable' && l.fields?.dv === dv0);
      expect(refused.length).toBeGreaterThan(0);
      // and the database the node restarted on still refuses that vote
      const data = sim.beacon.chain!.attestationData(6);
      expect(sim.slashingDb(1)!.checkAttestation(dv0, data.source.epoch, data.target.epoch, attestationDataSigningRoot(sim.network, data)).ok).toBe(false);
    } finally {
      await sim?.stop();
      sim = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it('a validator client submitting a block other than the decided one is refused; the cluster still proposes', async () => {
    sim = await SimulatedCluster.start({
      validators: VALIDATORS,
      validatorClient: (i) => (i === 2 ? { tamperBlock: (block) => void (block.body.graffiti = new Uint8Array(32).fill(9)) } : {}),
    });
    await sim.untilSlot(6);
    const refused = sim.validatorClients[2]!.outcomes.filter((o) => o.kind === 'proposer' && !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.status).toBe(400);
    expect(refused[0]!.message).toMatch(/differs from the one the cluster decided/);
    const c = coverage(sim, 0, 4);
    expect(c.missingBlocks).toEqual([]);
    expect(c.conflictingBlocks).toEqual([]);
    expect(sim.beacon.chain!.offences).toEqual([]);
  }, 30_000);

  it('blinded block proposals are decided, signed and broadcast as blinded blocks', async () => {
    sim = await SimulatedCluster.start({ validators: 4, chain: { blinded: true } });
    await sim.untilSlot(5);
    const c = coverage(sim, 0, 3);
    expect({ missing: c.missingBlocks, conflicting: c.conflictingBlocks }).toEqual({ missing: [], conflicting: [] });
    const blocks = sim.beacon.chain!.blocks.filter((b) => b.slot <= 3);
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.every((b) => b.blinded)).toBe(true);
    expect(sim.beacon.chain!.offences).toEqual([]);
  }, 30_000);

  it("a validator client holding another node's key shares gets an error naming both share indexes", async () => {
    sim = await SimulatedCluster.start({ validators: VALIDATORS, validatorClients: false });
    const share = hexToBytes(sim.cluster.lock.distributed_validators[0]!.public_shares[1]!);
    const response = await fetch(`${sim.nodes[0]!.validatorApi.url}/eth/v1/beacon/states/head/validators`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: ['0x' + Buffer.from(share).toString('hex')] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { message: string };
    expect(body.message).toMatch(/share index 2/);
    expect(body.message).toMatch(/share index 1/);
    // the same wiring mistake seen by a validator client: its duties fail with that message
    const wrong = new ValidatorClientMock({ baseUrl: sim.nodes[0]!.validatorApi.url, network: sim.network, secretKeys: sim.cluster.nodes[1]!.keyShares });
    await wrong.start();
    extra.push(wrong);
    await expect(wrong.submitVoluntaryExit(wrong.publicKeys[0]!, 0)).rejects.toThrow(/share index 2 .*this node holds share index 1/);
  }, 20_000);
});

