/**
 * The authenticated message network between the members of one DV cluster: libp2p over TCP,
 * noise encryption authenticated by each member's secp256k1 identity key, yamux multiplexing.
 *
 * Each node keeps one long-lived outbound stream per peer and writes length-prefixed frames
 * (topic + payload) to it; it reads the peers' outbound streams as its inbound ones. The sender
 * of every frame is the noise-authenticated remote peer of the connection, mapped to its
 * cluster index; connections to or from any other peer id are refused by the connection gater.
 */
import './node-compat.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { backoffDelayMs, type ClusterNodeOptions, type ResolvedConfig, type ResolvedPeer, resolveConfig } from './config.js';
import { P2pError } from './errors.js';
import { type DecodedFrame, encodeFrame, encodeTopic, FrameDecoder } from './frame.js';
import { OutboundQueue } from './outbound-queue.js';
import { WarningThrottle } from './warning-throttle.js';

export type ClusterMessageHandler = (fromIndex: number, payload: Uint8Array) => void;
export type PeerEventName = 'peerUp' | 'peerDown';
export type PeerEventListener = (peerIndex: number) => void;

export interface PeerStats {
  index: number;
  peerId: string;
  /** an open libp2p connection exists */
  connected: boolean;
  /** this node's outbound message stream to the peer is open */
  streamOpen: boolean;
  queuedMessages: number;
  queuedBytes: number;
  sentMessages: number;
  receivedMessages: number;
  /** oldest queued frames dropped because the outbound queue was full */
  droppedQueueFull: number;
  /** inbound frames dropped for exceeding maxMessageBytes */
  droppedOversized: number;
  /** inbound frames dropped because they do not parse */
  droppedMalformed: number;
  /** inbound frames for a topic nobody subscribed to */
  droppedUnsubscribed: number;
  /** subscriber callbacks that threw */
  handlerErrors: number;
  /** outbound streams opened (the first one plus every reconnect) */
  streamsOpened: number;
  /** the peer's streams this node currently reads from */
  inboundStreams: number;
  dialFailures: number;
}

export interface ClusterNodeStats {
  selfIndex: number;
  /** inbound or outbound connections refused because the remote peer id is not a member */
  refusedConnections: number;
  peers: PeerStats[];
}

type NodeState = 'created' | 'starting' | 'running' | 'stopped';

/** Per-peer sending state and counters. */
class PeerLink {
  stream: Stream | undefined;
  /** id of the connection `stream` runs on: its closing ends the stream too */
  streamConnectionId: string | undefined;
  opening = false;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  attempt = 0;
  /** a queue-full warning was logged and no stream has been attached since */
  dropWarned = false;
  /** ids of the open libp2p connections to the peer (libp2p's own peer events can repeat) */
  readonly connections = new Set<string>();
  /** the peer's streams this node reads from, oldest first */
  readonly inboundStreams = new Set<Stream>();
  readonly queue: OutboundQueue;
  sentMessages = 0;
  receivedMessages = 0;
  droppedOversized = 0;
  droppedMalformed = 0;
  droppedUnsubscribed = 0;
  handlerErrors = 0;
  streamsOpened = 0;
  dialFailures = 0;

  constructor(
    readonly peer: ResolvedPeer,
    config: ResolvedConfig,
  ) {
    this.queue = new OutboundQueue({ maxMessages: config.maxQueuedMessages, maxBytes: config.maxQueuedBytes });
  }

  get index(): number {
    return this.peer.index;
  }

  clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/**
 * Inbound message streams kept per peer (over all its connections); a newer one closes the
 * oldest. With one partial frame per stream, a peer can hold at most this many times
 * maxMessageBytes of this node's memory.
 */
const MAX_INBOUND_STREAMS_PER_PEER = 4;
/** libp2p's own per-connection cap for the protocol, above the per-peer one so that one applies. */
const MAX_STREAMS_PER_CONNECTION = 8;

export class ClusterNode {
  private readonly config: ResolvedConfig;
  private readonly links = new Map<number, PeerLink>();
  private readonly linksByPeerId = new Map<string, PeerLink>();
  private readonly subscriptions = new Map<string, Set<ClusterMessageHandler>>();
  private readonly listeners: Record<PeerEventName, Set<PeerEventListener>> = { peerUp: new Set(), peerDown: new Set() };
  private readonly topicBytes = new Map<string, Uint8Array>();
  private libp2p: Libp2p | undefined;
  private state: NodeState = 'created';
  private refusedConnections = 0;
  private readonly warnings: WarningThrottle;

  /** Validates the options; throws P2pError (INVALID_CONFIG, INVALID_KEY). Nothing listens until `start`. */
  constructor(options: ClusterNodeOptions) {
    this.config = resolveConfig(options);
    this.warnings = new WarningThrottle(this.config.logger);
    for (const peer of this.config.peers) {
      const link = new PeerLink(peer, this.config);
      this.links.set(peer.index, link);
      this.linksByPeerId.set(peer.peerId.toString(), link);
    }
  }

  get selfIndex(): number {
    return this.config.selfIndex;
  }

  /** This node's libp2p peer id, derived from its identity key. */
  get peerId(): string {
    return this.config.selfPeerId.toString();
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Indexes of the other members, ascending. */
  get peerIndexes(): number[] {
    return [...this.links.keys()];
  }

  /** Listens, accepts members' streams and starts dialing every member. Subscribe before, so nothing early is missed. */
  async start(): Promise<void> {
    if (this.state !== 'created') {
      throw new P2pError('INVALID_STATE', `cluster node ${this.selfIndex} was already started; create a new ClusterNode to start again`);
    }
    this.state = 'starting';
    const { config } = this;
    const isMember = (peerId: PeerId): boolean => this.linksByPeerId.has(peerId.toString());
    const refuse = (peerId: PeerId, direction: 'inbound' | 'outbound'): boolean => {
      if (isMember(peerId)) return false;
      this.refusedConnections++;
      this.warnings.warn('refused', `refused ${direction} connection: peer ${peerId.toString()} is not a member of the cluster`, {
        selfIndex: config.selfIndex,
      });
      return true;
    };
    let node: Libp2p | undefined;
    try {
      node = await createLibp2p({
        start: false,
        privateKey: config.privateKey,
        addresses: { listen: config.listen.map((a) => a.toString()) },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionGater: {
          denyDialPeer: (peerId) => !isMember(peerId),
          denyInboundEncryptedConnection: (peerId) => refuse(peerId, 'inbound'),
          denyOutboundEncryptedConnection: (peerId) => refuse(peerId, 'outbound'),
        },
        connectionManager: {
          dialTimeout: config.dialTimeoutMs,
          // every member may sit behind one address (loopback, NAT): let each reconnect promptly
          inboundConnectionThreshold: Math.max(5, 4 * config.peers.length),
          maxConnections: Math.max(16, 4 * config.peers.length),
        },
      });
      this.libp2p = node;
      node.addEventListener('connection:open', (evt) => this.onConnectionOpen(evt.detail));
      node.addEventListener('connection:close', (evt) => this.onConnectionClose(evt.detail));
      await node.handle(config.protocol, (stream, connection) => this.acceptStream(stream, connection), {
        maxInboundStreams: MAX_STREAMS_PER_CONNECTION,
        maxOutboundStreams: MAX_STREAMS_PER_CONNECTION,
      });
      await node.start();
    } catch (err) {
      this.state = 'stopped';
      await Promise.resolve(node?.stop()).catch(() => undefined);
      const where = config.listen.join(', ');
      throw new P2pError('START_FAILED', `cluster node ${config.selfIndex} could not start libp2p on ${where}: ${(err as Error).message}`, {
        cause: (err as Error).name,
      });
    }
    if (this.state !== 'starting') {
      await node.stop(); // stop() was called while starting
      return;
    }
    this.state = 'running';
    for (const link of this.links.values()) void this.openStream(link);
  }

  /** Closes every connection and timer; queued frames are discarded. Safe to call more than once. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const link of this.links.values()) {
      link.clearRetry();
      link.stream = undefined;
      link.streamConnectionId = undefined;
      link.queue.clear();
      link.connections.clear();
      link.inboundStreams.clear();
    }
    await this.libp2p?.stop();
  }

  /**
   * Sends `payload` on `topic` to one member. Delivered in order per peer; while the peer is
   * unreachable the frame waits in a bounded queue (the oldest frames are dropped when full).
   */
  send(peerIndex: number, topic: string, payload: Uint8Array): void {
    this.assertUsable();
    const link = this.link(peerIndex);
    this.enqueue(link, this.frame(topic, payload));
  }

  /** Sends `payload` on `topic` to every other member. */
  broadcast(topic: string, payload: Uint8Array): void {
    this.assertUsable();
    const frame = this.frame(topic, payload);
    for (const link of this.links.values()) this.enqueue(link, frame);
  }

  /**
   * Calls `handler(fromIndex, payload)` for every frame on `topic`, synchronously on arrival;
   * handlers of one topic share the payload buffer. Returns the unsubscribe function.
   */
  subscribe(topic: string, handler: ClusterMessageHandler): () => void {
    encodeTopic(topic);
    if (typeof handler !== 'function') throw new P2pError('INVALID_CONFIG', `subscribe(${topic}): handler must be a function`);
    let handlers = this.subscriptions.get(topic);
    if (!handlers) this.subscriptions.set(topic, (handlers = new Set()));
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.subscriptions.get(topic) === handlers) this.subscriptions.delete(topic);
    };
  }

  /** `peerUp` fires when the first connection to a member opens, `peerDown` when its last one closes. */
  on(event: PeerEventName, listener: PeerEventListener): () => void {
    const set = this.listeners[event];
    if (!set) throw new P2pError('INVALID_CONFIG', `unknown event ${String(event)}; expected peerUp or peerDown`);
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Indexes of the members with an open connection, ascending. */
  connectedPeers(): number[] {
    return [...this.links.values()].filter((link) => this.isConnected(link)).map((link) => link.index);
  }

  /** The multiaddrs libp2p listens on (with the actual port when 0 was asked), each ending in /p2p/<peer id>. */
  listenAddresses(): string[] {
    return this.libp2p?.getMultiaddrs().map((a) => a.toString()) ?? [];
  }

  stats(): ClusterNodeStats {
    return {
      selfIndex: this.selfIndex,
      refusedConnections: this.refusedConnections,
      peers: [...this.links.values()].map((link) => ({
        index: link.index,
        peerId: link.peer.peerId.toString(),
        connected: this.isConnected(link),
        streamOpen: link.stream !== undefined,
        queuedMessages: link.queue.length,
        queuedBytes: link.queue.byteLength,
        sentMessages: link.sentMessages,
        receivedMessages: link.receivedMessages,
        droppedQueueFull: link.queue.dropped,
        droppedOversized: link.droppedOversized,
        droppedMalformed: link.droppedMalformed,
        droppedUnsubscribed: link.droppedUnsubscribed,
        handlerErrors: link.handlerErrors,
        streamsOpened: link.streamsOpened,
        inboundStreams: link.inboundStreams.size,
        dialFailures: link.dialFailures,
      })),
    };
  }

  // --- sending ---

  private assertUsable(): void {
    if (this.state === 'stopped') throw new P2pError('NOT_RUNNING', `cluster node ${this.selfIndex} has been stopped`);
  }

  private link(peerIndex: number): PeerLink {
    const link = this.links.get(peerIndex);
    if (link) return link;
    const why = peerIndex === this.selfIndex ? 'is this node itself' : `is not a member (members: ${this.peerIndexes.join(', ')})`;
    throw new P2pError('UNKNOWN_PEER', `peer index ${String(peerIndex)} ${why}`, { peerIndex });
  }

  private frame(topic: string, payload: Uint8Array): Uint8Array {
    let topicBytes = this.topicBytes.get(topic);
    if (!topicBytes) {
      topicBytes = encodeTopic(topic);
      if (this.topicBytes.size < 1024) this.topicBytes.set(topic, topicBytes);
    }
    if (!(payload instanceof Uint8Array)) throw new P2pError('INVALID_PAYLOAD', `payload on ${topic} must be a Uint8Array`);
    if (payload.length > this.config.maxMessageBytes) {
      throw new P2pError('MESSAGE_TOO_LARGE', `payload on ${topic} is ${payload.length} bytes, at most ${this.config.maxMessageBytes} allowed`, {
        topic,
        bytes: payload.length,
        maxMessageBytes: this.config.maxMessageBytes,
      });
    }
    return encodeFrame(topicBytes, payload);
  }

  private enqueue(link: PeerLink, frame: Uint8Array): void {
    const stream = link.stream;
    if (stream && link.queue.length === 0 && this.writable(stream)) {
      this.write(link, stream, frame);
      return;
    }
    if (stream && !this.alive(stream)) this.detachStream(link, stream);
    const dropped = link.queue.push(frame);
    if (dropped > 0 && !link.dropWarned) {
      link.dropWarned = true;
      this.warnings.warn(`queue-full:${link.index}`, `outbound queue to peer ${link.index} is full: dropping the oldest frames`, {
        selfIndex: this.selfIndex,
        peerIndex: link.index,
        maxQueuedMessages: link.queue.limits.maxMessages,
        maxQueuedBytes: link.queue.limits.maxBytes,
      });
    }
  }

  private writable(stream: Stream): boolean {
    return this.alive(stream) && !stream.writableNeedsDrain;
  }

  /**
   * Open for writing. Checked besides the 'close' event: a stream can already be closed when
   * `newStream` resolves (the peer shutting down), before any listener is attached.
   */
  private alive(stream: Stream): boolean {
    return stream.status === 'open' && stream.writeStatus === 'writable';
  }

  /** Hands a frame to the stream; on failure puts it back at the front of the queue and drops the stream. */
  private write(link: PeerLink, stream: Stream, frame: Uint8Array): boolean {
    try {
      stream.send(frame);
      link.sentMessages++;
      return true;
    } catch (err) {
      link.queue.unshift(frame);
      this.detachStream(link, stream, err as Error);
      return false;
    }
  }

  private flush(link: PeerLink): void {
    const stream = link.stream;
    if (!stream) return;
    if (!this.alive(stream)) {
      this.detachStream(link, stream);
      return;
    }
    while (link.queue.length > 0 && this.writable(stream)) {
      if (!this.write(link, stream, link.queue.shift()!)) return;
    }
  }

  // --- connection management ---

  private isConnected(link: PeerLink): boolean {
    return link.connections.size > 0;
  }

  private async openStream(link: PeerLink): Promise<void> {
    if (this.state !== 'running' || link.stream || link.opening) return;
    link.clearRetry();
    link.opening = true;
    let stream: Stream;
    let connection: Connection;
    try {
      const target = link.peer.addrs.length > 0 ? link.peer.addrs : link.peer.peerId;
      const signal = AbortSignal.timeout(this.config.dialTimeoutMs);
      connection = await this.libp2p!.dial(target, { signal });
      stream = await connection.newStream(this.config.protocol, { signal });
    } catch (err) {
      link.opening = false;
      if (this.state !== 'running') return;
      link.dialFailures++;
      this.config.logger.debug(`could not open a stream to peer ${link.index}: ${(err as Error).message}`, {
        selfIndex: this.selfIndex,
        peerIndex: link.index,
        attempt: link.attempt,
      });
      this.scheduleRetry(link);
      return;
    }
    link.opening = false;
    if (this.state !== 'running') {
      stream.abort(new Error('cluster node stopped'));
      return;
    }
    if (connection.status !== 'open' || !this.alive(stream)) {
      stream.abort(new Error('connection closed while the stream opened'));
      link.dialFailures++;
      this.scheduleRetry(link);
      return;
    }
    link.stream = stream;
    link.streamConnectionId = connection.id;
    link.attempt = 0;
    link.dropWarned = false;
    link.streamsOpened++;
    stream.addEventListener('close', (evt) => this.detachStream(link, stream, evt.error));
    stream.addEventListener('drain', () => this.flush(link));
    this.flush(link);
  }

  private detachStream(link: PeerLink, stream: Stream, error?: Error): void {
    if (link.stream !== stream) return;
    link.stream = undefined;
    link.streamConnectionId = undefined;
    if (stream.status === 'open') stream.abort(error ?? new Error('stream dropped'));
    this.config.logger.debug(`stream to peer ${link.index} closed${error ? `: ${error.message}` : ''}`, {
      selfIndex: this.selfIndex,
      peerIndex: link.index,
    });
    this.scheduleRetry(link);
  }

  private scheduleRetry(link: PeerLink): void {
    if (this.state !== 'running' || link.stream || link.opening || link.retryTimer !== undefined) return;
    const delay = backoffDelayMs(link.attempt++, this.config.initialDelayMs, this.config.maxDelayMs);
    link.retryTimer = setTimeout(() => {
      link.retryTimer = undefined;
      void this.openStream(link);
    }, delay);
  }

  private onConnectionOpen(connection: Connection): void {
    const link = this.linksByPeerId.get(connection.remotePeer.toString());
    if (!link || link.connections.has(connection.id)) return;
    link.connections.add(connection.id);
    if (link.connections.size > 1) return;
    // the peer is back (it may have dialed us): do not wait for the backoff timer
    if (!link.stream && !link.opening) {
      link.attempt = 0;
      void this.openStream(link);
    }
    this.emit('peerUp', link.index);
  }

  private onConnectionClose(connection: Connection): void {
    const link = this.linksByPeerId.get(connection.remotePeer.toString());
    if (!link) return;
    if (link.stream && link.streamConnectionId === connection.id) this.detachStream(link, link.stream, new Error('connection closed'));
    if (!link.connections.delete(connection.id)) return;
    if (link.connections.size === 0) this.emit('peerDown', link.index);
  }

  private emit(event: PeerEventName, peerIndex: number): void {
    for (const listener of this.listeners[event]) {
      try {
        listener(peerIndex);
      } catch (err) {
        const message = `${event} listener threw: ${(err as Error).message}`;
        this.warnings.warn(`listener:${event}`, message, { selfIndex: this.selfIndex, peerIndex });
      }
    }
  }

  // --- receiving ---

  private acceptStream(stream: Stream, connection: Connection): void {
    const link = this.linksByPeerId.get(connection.remotePeer.toString());
    if (!link || this.state === 'stopped') {
      // the gater keeps non-members out; this guards against a future change of that
      stream.abort(new Error('not a cluster member'));
      return;
    }
    link.inboundStreams.add(stream);
    stream.addEventListener('close', () => link.inboundStreams.delete(stream));
    if (link.inboundStreams.size > MAX_INBOUND_STREAMS_PER_PEER) {
      const oldest = link.inboundStreams.values().next().value!;
      link.inboundStreams.delete(oldest);
      oldest.abort(new Error(`more than ${MAX_INBOUND_STREAMS_PER_PEER} inbound streams from one peer`));
    }
    const decoder = new FrameDecoder(this.config.maxMessageBytes);
    const onFrame = (frame: DecodedFrame): void => this.onFrame(link, frame);
    stream.addEventListener('message', (evt) => {
      try {
        const chunks: Iterable<Uint8Array> = evt.data instanceof Uint8Array ? [evt.data] : evt.data;
        for (const chunk of chunks) decoder.push(chunk, onFrame);
      } catch (err) {
        // only a throwing logger gets here; the decoder's position is then unknown, so start over
        stream.abort(err as Error);
      }
    });
    // the peer only writes on its stream: once it closes its side, close ours
    stream.addEventListener('remoteCloseWrite', () => {
      stream.close().catch(() => undefined);
    });
  }

  private onFrame(link: PeerLink, frame: DecodedFrame): void {
    const { logger } = this.config;
    if (frame.kind === 'oversized') {
      link.droppedOversized++;
      const message = `dropped a ${frame.frameBytes}-byte frame from peer ${link.index}: payload above ${frame.maxMessageBytes} bytes`;
      this.warnings.warn(`oversized:${link.index}`, message, { selfIndex: this.selfIndex, peerIndex: link.index });
      return;
    }
    if (frame.kind === 'malformed') {
      link.droppedMalformed++;
      const message = `dropped a malformed frame from peer ${link.index}: ${frame.reason}`;
      this.warnings.warn(`malformed:${link.index}`, message, { selfIndex: this.selfIndex, peerIndex: link.index });
      return;
    }
    const handlers = this.subscriptions.get(frame.topic);
    if (!handlers || handlers.size === 0) {
      link.droppedUnsubscribed++;
      logger.debug(`dropped a frame on unsubscribed topic ${frame.topic} from peer ${link.index}`, { selfIndex: this.selfIndex });
      return;
    }
    link.receivedMessages++;
    for (const handler of [...handlers]) {
      try {
        handler(link.index, frame.payload);
      } catch (err) {
        link.handlerErrors++;
        const message = `subscriber of ${frame.topic} threw on a frame from peer ${link.index}: ${(err as Error).message}`;
        this.warnings.warn(`handler:${frame.topic}`, message, { selfIndex: this.selfIndex });
      }
    }
  }
}

/** Creates a cluster node and starts it (subscriptions made after this may miss the first frames). */
export async function startClusterNode(options: ClusterNodeOptions, subscriptions: Record<string, ClusterMessageHandler> = {}): Promise<ClusterNode> {
  const node = new ClusterNode(options);
  for (const [topic, handler] of Object.entries(subscriptions)) node.subscribe(topic, handler);
  await node.start();
  return node;
}
