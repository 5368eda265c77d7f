/** Helpers for this lib's own specs (not exported from the lib entry). */
import { createServer, type Server } from 'node:net';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { ClusterNodeOptions, ClusterPeer, P2pLogger } from './config.js';

/** Ports that were free a moment ago on 127.0.0.1 (bound together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export interface TestMember {
  index: number;
  identityKey: Uint8Array;
  publicKey: Uint8Array;
  port: number;
  addr: string;
}

export async function testMembers(count: number): Promise<TestMember[]> {
  const ports = await freePorts(count);
  return ports.map((port, index) => {
    const identityKey = secp256k1.utils.randomSecretKey();
    return { index, identityKey, publicKey: secp256k1.getPublicKey(identityKey, true), port, addr: `/ip4/127.0.0.1/tcp/${port}` };
  });
}

export function peerList(members: TestMember[]): ClusterPeer[] {
  return members.map((m) => ({ index: m.index, publicKey: m.publicKey, addrs: [m.addr] }));
}

/** Options for member `self` of `members`, with fast reconnects and a recording logger. */
export function memberOptions(members: TestMember[], self: number, extra: Partial<ClusterNodeOptions> = {}): ClusterNodeOptions {
  const me = members[self]!;
  return {
    identityKey: me.identityKey,
    selfIndex: me.index,
    listen: me.addr,
    peers: peerList(members),
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    logger: new RecordingLogger(),
    ...extra,
  };
}

export class RecordingLogger implements P2pLogger {
  readonly warnings: string[] = [];
  debug(): void {}
  warn(message: string): void {
    this.warnings.push(message);
  }
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every member connected, with this node's outbound stream to it open. */
export function meshReady(nodes: { stats(): { peers: { connected: boolean; streamOpen: boolean }[] } }[]): boolean {
  return nodes.every((n) => n.stats().peers.every((p) => p.connected && p.streamOpen));
}
