import { describe, expect, it } from '@jest/globals';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { backoffDelayMs, type ClusterNodeOptions, DEFAULT_PROTOCOL, peerIdFromIdentityPublicKey, resolveConfig } from './config.js';
import { P2pError, type P2pErrorCode } from './errors.js';

const keys = [1, 2, 3].map(() => secp256k1.utils.randomSecretKey());
const pub = (k: Uint8Array): Uint8Array => secp256k1.getPublicKey(k, true);

function options(extra: Partial<ClusterNodeOptions> = {}): ClusterNodeOptions {
  return {
    identityKey: keys[0]!,
    selfIndex: 0,
    listen: '/ip4/127.0.0.1/tcp/0',
    peers: [
      { index: 0, publicKey: pub(keys[0]!), addrs: [] },
      { index: 1, publicKey: pub(keys[1]!), addrs: ['/ip4/127.0.0.1/tcp/4001'] },
      { index: 2, publicKey: pub(keys[2]!), addrs: ['/dns4/node2.example/tcp/4002'] },
    ],
    ...extra,
  };
}

function expectCode(fn: () => unknown, code: P2pErrorCode, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(P2pError);
    expect((err as P2pError).code).toBe(code);
    expect((err as P2pError).message).toMatch(message);
    return;
  }
  throw new Error(`expected a P2pError ${code}`);
}

describe('resolveConfig', () => {
  it('derives libp2p peer ids from the identity keys and pins them in the dial addresses', () => {
    const config = resolveConfig(options());
    expect(config.selfPeerId.toString()).toBe(peerIdFromPrivateKey(privateKeyFromRaw(keys[0]!)).toString());
    expect(config.peers.map((p) => p.index)).toEqual([1, 2]);
    const peer1 = peerIdFromPrivateKey(privateKeyFromRaw(keys[1]!)).toString();
    expect(config.peers[0]!.peerId.toString()).toBe(peer1);
    expect(peer1).toMatch(/^16Uiu2/); // secp256k1 peer ids
    expect(config.peers[0]!.addrs.map(String)).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${peer1}`]);
    expect(config.protocol).toBe(DEFAULT_PROTOCOL);
    expect(config.maxMessageBytes).toBe(8 * 1024 * 1024);
  });

  it('accepts a peer list without the own entry and an address that already names the right peer', () => {
    const peer1 = peerIdFromIdentityPublicKey(pub(keys[1]!));
    const config = resolveConfig(options({ peers: [{ index: 1, publicKey: pub(keys[1]!), addrs: [`/ip4/10.0.0.1/tcp/1/p2p/${peer1}`] }] }));
    expect(config.peers).toHaveLength(1);
    expect(config.peers[0]!.addrs.map(String)).toEqual([`/ip4/10.0.0.1/tcp/1/p2p/${peer1}`]);
  });

  it('rejects bad identity keys and public keys', () => {
    expectCode(() => resolveConfig(options({ identityKey: new Uint8Array(32) })), 'INVALID_KEY', /identityKey: not a secp256k1 private key/);
    expectCode(() => resolveConfig(options({ identityKey: new Uint8Array(31).fill(1) })), 'INVALID_KEY', /identityKey/);
    const offCurve = new Uint8Array(33).fill(0xff);
    offCurve[0] = 2;
    expectCode(() => resolveConfig(options({ peers: [{ index: 1, publicKey: offCurve, addrs: [] }] })), 'INVALID_KEY', /peers\[0\]\.publicKey: .* is not a point/);
    expectCode(() => resolveConfig(options({ peers: [{ index: 1, publicKey: secp256k1.getPublicKey(keys[1]!, false), addrs: [] }] })), 'INVALID_KEY', /33-byte compressed/);
    expectCode(() => peerIdFromIdentityPublicKey(new Uint8Array(3)), 'INVALID_KEY', /33-byte/);
  });

  it('rejects an own entry whose key is not the identity key', () => {
    const peers = options().peers.map((p) => (p.index === 0 ? { ...p, publicKey: pub(keys[2]!) } : p));
    expectCode(() => resolveConfig(options({ peers })), 'INVALID_KEY', /entry for selfIndex 0 has a public key that is not the identity key's/);
  });

  it('rejects duplicate indexes, duplicate keys and an empty cluster', () => {
    const [self, one, two] = options().peers;
    expectCode(() => resolveConfig(options({ peers: [self!, one!, { ...two!, index: 1 }] })), 'INVALID_CONFIG', /index 1 appears twice/);
    expectCode(() => resolveConfig(options({ peers: [self!, one!, { ...two!, publicKey: one!.publicKey }] })), 'INVALID_CONFIG', /belongs to another member/);
    expectCode(() => resolveConfig(options({ peers: [{ ...one!, publicKey: self!.publicKey }] })), 'INVALID_CONFIG', /belongs to another member/);
    expectCode(() => resolveConfig(options({ peers: [self!] })), 'INVALID_CONFIG', /at least one member besides this node/);
    expectCode(() => resolveConfig(options({ peers: [{ ...one!, index: -1 }] })), 'INVALID_CONFIG', /peers\[0\]\.index must be a non-negative integer/);
    expectCode(() => resolveConfig(options({ selfIndex: 1.5 })), 'INVALID_CONFIG', /selfIndex/);
  });

  it('rejects addresses that do not parse or that name another peer', () => {
    expectCode(() => resolveConfig(options({ listen: 'tcp/1' })), 'INVALID_CONFIG', /listen\[0\]: "tcp\/1" is not a multiaddr/);
    expectCode(() => resolveConfig(options({ listen: [] })), 'INVALID_CONFIG', /at least one multiaddr/);
    const [, one] = options().peers;
    expectCode(() => resolveConfig(options({ peers: [{ ...one!, addrs: ['/ip4/300.1.1.1/tcp/1'] }] })), 'INVALID_CONFIG', /peers\[0\]\.addrs\[0\]/);
    const stranger = peerIdFromIdentityPublicKey(pub(keys[2]!));
    expectCode(
      () => resolveConfig(options({ peers: [{ ...one!, addrs: [`/ip4/10.0.0.1/tcp/1/p2p/${stranger}`] }] })),
      'INVALID_CONFIG',
      /names peer .* but the member's key gives/,
    );
  });

  it('rejects bad limits, protocol ids and backoff bounds', () => {
    expectCode(() => resolveConfig(options({ maxMessageBytes: 0 })), 'INVALID_CONFIG', /maxMessageBytes must be a positive integer/);
    expectCode(() => resolveConfig(options({ maxQueuedMessages: 2.5 })), 'INVALID_CONFIG', /maxQueuedMessages/);
    expectCode(() => resolveConfig(options({ maxQueuedBytes: -1 })), 'INVALID_CONFIG', /maxQueuedBytes/);
    expectCode(() => resolveConfig(options({ dialTimeoutMs: 0 })), 'INVALID_CONFIG', /dialTimeoutMs/);
    expectCode(() => resolveConfig(options({ protocol: 'dvt' })), 'INVALID_CONFIG', /protocol must be a printable path/);
    expectCode(() => resolveConfig(options({ reconnect: { initialDelayMs: 500, maxDelayMs: 100 } })), 'INVALID_CONFIG', /maxDelayMs \(100\) is below/);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the initial delay up to the cap', () => {
    const middle = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => backoffDelayMs(a, 100, 1000, middle))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('jitters by at most 20 % and never exceeds the cap', () => {
    expect(backoffDelayMs(0, 100, 1000, () => 0)).toBe(80);
    expect(backoffDelayMs(0, 100, 1000, () => 0.999)).toBe(120);
    expect(backoffDelayMs(10, 100, 1000, () => 0.999)).toBe(1000);
  });
});
