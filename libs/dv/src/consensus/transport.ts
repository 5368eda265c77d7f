/** Receives encoded QBFT envelopes with the cluster index of the (authenticated) sender. */
export type ConsensusMessageHandler = (fromIndex: number, bytes: Uint8Array) => void;

/**
 * What the consensus component sends and receives through: bytes with a sender index. Sending
 * must not throw and never loops back to the sender itself.
 */
export interface ConsensusTransport {
  broadcast(bytes: Uint8Array): void;
  send(peerIndex: number, bytes: Uint8Array): void;
  /** returns the function that ends the subscription */
  subscribe(handler: ConsensusMessageHandler): () => void;
}

/** The p2p topic QBFT messages travel on. */
export const QBFT_TOPIC = '/dvt/qbft/1';

/** The part of a `@dvt/p2p` ClusterNode the adapter needs (structural, so tests can fake it). */
export interface ClusterMessaging {
  send(peerIndex: number, topic: string, payload: Uint8Array): void;
  broadcast(topic: string, payload: Uint8Array): void;
  subscribe(topic: string, handler: (fromIndex: number, payload: Uint8Array) => void): () => void;
}

export interface ClusterTransportOptions {
  /** default QBFT_TOPIC */
  topic?: string;
  /** a send the p2p node refused (stopped, unknown peer, oversized): QBFT treats it as a lost message */
  onSendError?: (error: unknown, peerIndex: number | 'all') => void;
}

/** Consensus over a cluster p2p node: one topic, sender index from the authenticated connection. */
export function clusterConsensusTransport(node: ClusterMessaging, options: ClusterTransportOptions = {}): ConsensusTransport {
  const topic = options.topic ?? QBFT_TOPIC;
  const onSendError = options.onSendError ?? ((error: unknown, to: number | 'all') => console.warn(`[consensus] send to ${to} failed:`, error));
  return {
    broadcast(bytes) {
      try {
        node.broadcast(topic, bytes);
      } catch (error) {
        onSendError(error, 'all');
      }
    },
    send(peerIndex, bytes) {
      try {
        node.send(peerIndex, topic, bytes);
      } catch (error) {
        onSendError(error, peerIndex);
      }
    },
    subscribe: (handler) => node.subscribe(topic, handler),
  };
}
