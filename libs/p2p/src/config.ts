import { bytesToHex } from '@dvt/common';
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { P2pError } from './errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, encodeTopic } from './frame.js';

export const IDENTITY_KEY_BYTES = 32;
export const PEER_PUBLIC_KEY_BYTES = 33;
export const DEFAULT_PROTOCOL = '/dvt/cluster/1.0.0';

export interface ClusterPeer {
  /** the member's index in the cluster (0-based, as in the cluster lock) */
  index: number;
  /** compressed secp256k1 public key of the member's node identity */
  publicKey: Uint8Array;
  /** multiaddrs it listens on, e.g. `/ip4/10.0.0.2/tcp/3610`; may be empty for a member that only dials in */
  addrs: string[];
}

export interface P2pLogger {
  debug(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

export interface ReconnectOptions {
  /** first retry delay after a failed dial or a lost stream; default 100 ms */
  initialDelayMs?: number;
  /** cap of the exponential backoff; default 5 s */
  maxDelayMs?: number;
}

export interface ClusterNodeOptions {
  /** 32-byte secp256k1 private key: the node identity; the libp2p peer id derives from it */
  identityKey: Uint8Array;
  selfIndex: number;
  /** one or more multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/3610` */
  listen: string | string[];
  /** the other cluster members; an entry for `selfIndex` is allowed and must carry this node's public key */
  peers: ClusterPeer[];
  /** libp2p protocol id of the message stream; default `/dvt/cluster/1.0.0` */
  protocol?: string;
  /** largest payload sent or accepted; default 8 MiB */
  maxMessageBytes?: number;
  /** per-peer outbound queue while the peer is unreachable or slow; default 1024 frames */
  maxQueuedMessages?: number;
  /** per-peer outbound queue bound in bytes; default 64 MiB */
  maxQueuedBytes?: number;
  reconnect?: ReconnectOptions;
  /** timeout of one dial (TCP + noise + yamux + protocol negotiation); default 5 s */
  dialTimeoutMs?: number;
  /** where dropped frames, refused connections and dial failures are reported; default: warnings to the console */
  logger?: P2pLogger;
}

export interface ResolvedPeer {
  index: number;
  publicKey: Uint8Array;
  peerId: PeerId;
  /** dial addresses, each ending in `/p2p/<peer id>` so noise checks whom it reached */
  addrs: Multiaddr[];
}

export interface ResolvedConfig {
  selfIndex: number;
  privateKey: PrivateKey;
  selfPeerId: PeerId;
  listen: Multiaddr[];
  peers: ResolvedPeer[];
  protocol: string;
  maxMessageBytes: number;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  initialDelayMs: number;
  maxDelayMs: number;
  dialTimeoutMs: number;
  logger: P2pLogger;
}

export const consoleP2pLogger: P2pLogger = {
  debug: () => {},
  warn: (message, details) => console.warn(`[p2p] ${message}`, details ?? ''),
};

/** The libp2p peer id (base58 string) of a compressed secp256k1 identity public key. */
export function peerIdFromIdentityPublicKey(publicKey: Uint8Array): string {
  return toPeerId(publicKey, 'publicKey').toString();
}

function toPeerId(publicKey: Uint8Array, field: string): PeerId {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PEER_PUBLIC_KEY_BYTES) {
    throw new P2pError('INVALID_KEY', `${field}: expected a ${PEER_PUBLIC_KEY_BYTES}-byte compressed secp256k1 public key`);
  }
  if (!secp256k1.utils.isValidPublicKey(publicKey, true)) {
    throw new P2pError('INVALID_KEY', `${field}: ${bytesToHex(publicKey)} is not a point on secp256k1`);
  }
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey));
}

function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new P2pError('INVALID_CONFIG', `${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function parseAddr(text: unknown, field: string): Multiaddr {
  if (typeof text !== 'string') throw new P2pError('INVALID_CONFIG', `${field}: expected a multiaddr string`);
  try {
    return multiaddr(text);
  } catch (err) {
    throw new P2pError('INVALID_CONFIG', `${field}: ${JSON.stringify(text)} is not a multiaddr (${(err as Error).message})`);
  }
}

function dialAddr(addr: Multiaddr, peerId: PeerId, field: string): Multiaddr {
  const stated = addr.getComponents().filter((c) => c.name === 'p2p');
  if (stated.length === 0) return addr.encapsulate(`/p2p/${peerId.toString()}`);
  if (stated.length > 1 || stated[0]!.value !== peerId.toString()) {
    throw new P2pError('INVALID_CONFIG', `${field}: names peer ${stated.map((c) => c.value).join(', ')}, but the member's key gives ${peerId.toString()}`);
  }
  return addr;
}

export function resolveConfig(options: ClusterNodeOptions): ResolvedConfig {
  if (options === null || typeof options !== 'object') throw new P2pError('INVALID_CONFIG', 'cluster node options are missing');
  const { identityKey, selfIndex, peers } = options;
  if (!(identityKey instanceof Uint8Array) || identityKey.length !== IDENTITY_KEY_BYTES || !secp256k1.utils.isValidSecretKey(identityKey)) {
    throw new P2pError('INVALID_KEY', `identityKey: not a secp256k1 private key (${IDENTITY_KEY_BYTES} bytes, in [1, n))`);
  }
  if (!Number.isSafeInteger(selfIndex) || selfIndex < 0) {
    throw new P2pError('INVALID_CONFIG', `selfIndex must be a non-negative integer, got ${String(selfIndex)}`);
  }
  const selfPublicKey = secp256k1.getPublicKey(identityKey, true);
  const selfPeerId = toPeerId(selfPublicKey, 'identityKey');

  const listenTexts = typeof options.listen === 'string' ? [options.listen] : options.listen;
  if (!Array.isArray(listenTexts) || listenTexts.length === 0) {
    throw new P2pError('INVALID_CONFIG', 'listen: at least one multiaddr is required');
  }
  const listen = listenTexts.map((text, i) => parseAddr(text, `listen[${i}]`));

  if (!Array.isArray(peers)) throw new P2pError('INVALID_CONFIG', 'peers must be an array');
  const seenIndexes = new Set<number>();
  const seenPeerIds = new Set<string>([selfPeerId.toString()]);
  const resolved: ResolvedPeer[] = [];
  for (const [i, peer] of peers.entries()) {
    const field = `peers[${i}]`;
    if (peer === null || typeof peer !== 'object') throw new P2pError('INVALID_CONFIG', `${field}: expected an object`);
    if (!Number.isSafeInteger(peer.index) || peer.index < 0) {
      throw new P2pError('INVALID_CONFIG', `${field}.index must be a non-negative integer, got ${String(peer.index)}`);
    }
    if (seenIndexes.has(peer.index)) throw new P2pError('INVALID_CONFIG', `${field}: index ${peer.index} appears twice`);
    seenIndexes.add(peer.index);
    const peerId = toPeerId(peer.publicKey, `${field}.publicKey`);
    if (peer.index === selfIndex) {
      if (!peerId.equals(selfPeerId)) {
        throw new P2pError('INVALID_KEY', `${field}: the entry for selfIndex ${selfIndex} has a public key that is not the identity key's`, {
          expected: bytesToHex(selfPublicKey),
          actual: bytesToHex(peer.publicKey),
        });
      }
      continue;
    }
    if (seenPeerIds.has(peerId.toString())) {
      throw new P2pError('INVALID_CONFIG', `${field}: public key ${bytesToHex(peer.publicKey)} belongs to another member too (or to this node)`);
    }
    seenPeerIds.add(peerId.toString());
    if (!Array.isArray(peer.addrs)) throw new P2pError('INVALID_CONFIG', `${field}.addrs must be an array of multiaddrs`);
    const addrs = peer.addrs.map((text, j) => dialAddr(parseAddr(text, `${field}.addrs[${j}]`), peerId, `${field}.addrs[${j}]`));
    resolved.push({ index: peer.index, publicKey: Uint8Array.from(peer.publicKey), peerId, addrs });
  }
  if (resolved.length === 0) throw new P2pError('INVALID_CONFIG', 'peers: the cluster needs at least one member besides this node');
  resolved.sort((a, b) => a.index - b.index);

  const protocol = options.protocol ?? DEFAULT_PROTOCOL;
  if (typeof protocol !== 'string' || !/^\/[\x21-\x7e]+$/.test(protocol)) {
    throw new P2pError('INVALID_CONFIG', `protocol must be a printable path such as ${DEFAULT_PROTOCOL}, got ${JSON.stringify(protocol)}`);
  }
  encodeTopic(protocol); // same length bound as a topic keeps multistream-select happy

  const maxMessageBytes = positiveInteger(options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, 'maxMessageBytes');
  const maxQueuedMessages = positiveInteger(options.maxQueuedMessages, 1024, 'maxQueuedMessages');
  const maxQueuedBytes = positiveInteger(options.maxQueuedBytes, 64 * 1024 * 1024, 'maxQueuedBytes');
  const initialDelayMs = positiveInteger(options.reconnect?.initialDelayMs, 100, 'reconnect.initialDelayMs');
  const maxDelayMs = positiveInteger(options.reconnect?.maxDelayMs, 5_000, 'reconnect.maxDelayMs');
  if (maxDelayMs < initialDelayMs) {
    throw new P2pError('INVALID_CONFIG', `reconnect.maxDelayMs (${maxDelayMs}) is below reconnect.initialDelayMs (${initialDelayMs})`);
  }
  const dialTimeoutMs = positiveInteger(options.dialTimeoutMs, 5_000, 'dialTimeoutMs');

  return {
    selfIndex,
    privateKey: privateKeyFromRaw(identityKey),
    selfPeerId,
    listen,
    peers: resolved,
    protocol,
    maxMessageBytes,
    maxQueuedMessages,
    maxQueuedBytes,
    initialDelayMs,
    maxDelayMs,
    dialTimeoutMs,
    logger: options.logger ?? consoleP2pLogger,
  };
}

/** Delay before reconnect attempt `attempt` (0-based): doubling from the initial delay up to the cap, with ±20 % jitter, never above the cap. */
export function backoffDelayMs(attempt: number, initialDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.min(maxDelayMs, Math.round(base * (0.8 + 0.4 * random())));
}
