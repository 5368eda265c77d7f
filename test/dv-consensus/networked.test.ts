/**
 * Four consensus nodes as separate processes on loopback libp2p (TCP + noise + yamux) decide one
 * attester duty per slot. One node (the round-1 leader of an upcoming duty) is killed: the other
 * three keep deciding. It is restarted with the same identity and port: it rejoins and decides
 * again. Every decision of every node is checked for agreement.
 *
 * The children run the compiled build (`npm run build`); DVT_BUILD_DIR points elsewhere (default `dist`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const BUILD_DIR = resolve(process.env.DVT_BUILD_DIR ?? 'dist');
const NODE_SCRIPT = resolve(BUILD_DIR, 'apps/dv-node/src/consensus-node.js');
const N = 4;
const SLOT_MS = 1000;
const ATTESTER = 2;
const leaderOfRound1 = (slot: number): number => (slot + ATTESTER + 1) % N;

interface Decision {
  node: number;
  slot: number;
  round: number;
  valueHash: string;
  proposer: number;
}

interface Member {
  index: number;
  config: string;
  child?: ChildProcess;
  ready: boolean;
  /** stdout lines that were not JSON, and stderr, for the failure message */
  noise: string[];
}

const hex = (bytes: Uint8Array): string => '0x' + Buffer.from(bytes).toString('hex');

async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => done());
      });
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
  }
}

describe('consensus across 4 processes on loopback libp2p', () => {
  const members: Member[] = [];
  const decisions: Decision[] = [];
  let genesisTimeMs = 0;

  const currentSlot = (): number => Math.floor((Date.now() - genesisTimeMs) / SLOT_MS);
  const decided = (node: number, slot: number): Decision | undefined => decisions.find((d) => d.node === node && d.slot === slot);

  async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) {
        const tails = members.map((m) => `node ${m.index}: ${m.noise.slice(-5).join(' | ')}`).join('\n');
        const seen = decisions.map((d) => `${d.node}@${d.slot}r${d.round}`).join(' ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\ndecisions: ${seen}\n${tails}`);
      }
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  function launch(member: Member): void {
    member.ready = false;
    const child = spawn(process.execPath, [NODE_SCRIPT, member.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    member.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        member.noise.push(line.slice(0, 200));
        return;
      }
      if (event.event === 'ready') member.ready = true;
      if (event.event === 'decided') decisions.push(event as unknown as Decision);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => member.noise.push(`stderr: ${line.slice(0, 200)}`));
  }

  async function kill(member: Member): Promise<void> {
    const child = member.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }

  /** For every slot, all nodes that decided it decided the same value. */
  function expectAgreement(): void {
    const bySlot = new Map<number, Set<string>>();
    for (const d of decisions) {
      const set = bySlot.get(d.slot) ?? new Set<string>();
      set.add(d.valueHash);
      bySlot.set(d.slot, set);
    }
    for (const [slot, hashes] of bySlot) expect({ slot, values: hashes.size }).toEqual({ slot, values: 1 });
  }

  beforeAll(async () => {
    if (!existsSync(NODE_SCRIPT)) {
      throw new Error(`${NODE_SCRIPT} is missing: run \`npm run build\` first (or set DVT_BUILD_DIR to a build folder)`);
    }
    const ports = await freePorts(N);
    const keys = Array.from({ length: N }, () => secp256k1.utils.randomSecretKey());
    const peers = keys.map((key, index) => ({
      index,
      publicKey: hex(secp256k1.getPublicKey(key, true)),
      addrs: [`/ip4/127.0.0.1/tcp/${ports[index]}`],
    }));
    genesisTimeMs = Date.now() + 1000;
    for (const [index, key] of keys.entries()) {
      const config = {
        index,
        identityKey: hex(key),
        listen: `/ip4/127.0.0.1/tcp/${ports[index]}`,
        peers,
        genesisTimeMs,
        slotDurationMs: SLOT_MS,
        dutyType: ATTESTER,
        dvCount: 8,
        roundDurationMs: [250, 125],
        reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
      };
      members.push({ index, config: JSON.stringify(config), ready: false, noise: [] });
    }
    members.forEach(launch);
    await waitFor('all nodes ready', () => members.every((m) => m.ready), 20_000);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(members.map(kill));
  });

  it('decides every slot while all are up, while the round-1 leader is down, and again after it restarts', async () => {
    // 1. all four up: three slots decided by every node
    const allDecided = (slot: number): boolean => members.every((m) => decided(m.index, slot));
    const fullSlots = (): number[] => [...new Set(decisions.map((d) => d.slot))].filter(allDecided);
    await waitFor('three slots decided by all four nodes', () => fullSlots().length >= 3, 15_000);
    expectAgreement();

    // 2. kill the round-1 leader of a slot that has not started yet
    const killedSlot = currentSlot() + 2;
    const victim = members[leaderOfRound1(killedSlot)]!;
    await kill(victim);
    const survivors = members.filter((m) => m !== victim).map((m) => m.index);
    const survivorsDecided = (slot: number): boolean => survivors.every((i) => decided(i, slot));
    await waitFor(`slots ${killedSlot}..${killedSlot + 2} decided by the three survivors`, () => [0, 1, 2].every((k) => survivorsDecided(killedSlot + k)), 10_000);
    const withoutLeader = survivors.map((i) => decided(i, killedSlot)!);
    for (const d of withoutLeader) {
      expect(d.round).toBeGreaterThanOrEqual(2);
      expect(d.proposer).not.toBe(victim.index);
    }
    expect(decisions.some((d) => d.node === victim.index && d.slot >= killedSlot)).toBe(false);
    expectAgreement();

    // 3. restart it with the same identity and port: it rejoins and decides with the others
    const restartSlot = currentSlot();
    launch(victim);
    await waitFor('the restarted node to be ready', () => victim.ready, 20_000);
    const rejoined = (): number[] =>
      decisions.filter((d) => d.node === victim.index && d.slot > restartSlot && survivors.every((i) => decided(i, d.slot))).map((d) => d.slot);
    await waitFor('two slots decided by the restarted node and the others', () => rejoined().length >= 2, 20_000);
    expectAgreement();
  }, 70_000);
});
