import './node-compat.js'; // first: libp2p needs Promise.withResolvers on Node 20
export { P2pError, type P2pErrorCode } from './errors.js';
export {
  ClusterNode,
  startClusterNode,
  type ClusterMessageHandler,
  type ClusterNodeStats,
  type PeerEventListener,
  type PeerEventName,
  type PeerStats,
} from './cluster-node.js';
export {
  DEFAULT_PROTOCOL,
  IDENTITY_KEY_BYTES,
  PEER_PUBLIC_KEY_BYTES,
  backoffDelayMs,
  consoleP2pLogger,
  peerIdFromIdentityPublicKey,
  type ClusterNodeOptions,
  type ClusterPeer,
  type P2pLogger,
  type ReconnectOptions,
} from './config.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  FRAME_LENGTH_BYTES,
  MAX_TOPIC_BYTES,
  FrameDecoder,
  encodeFrame,
  encodeTopic,
  type DecodedFrame,
} from './frame.js';
export { OutboundQueue, type OutboundQueueLimits } from './outbound-queue.js';
export { installPromiseWithResolvers } from './node-compat.js';
