export { ConsensusError, type ConsensusErrorCode } from './errors.js';
export {
  Consensus,
  type ConsensusMessageOutcome,
  type ConsensusObserver,
  type ConsensusOptions,
  type ConsensusStats,
  type DecidedListener,
  type DecisionInfo,
  type DutyConsensusConfig,
  type ValidityPredicate,
} from './consensus.js';
export { defaultDutyConsensusTiming, type DutyConsensusTiming } from './timing.js';
export {
  QBFT_TOPIC,
  clusterConsensusTransport,
  type ClusterMessaging,
  type ClusterTransportOptions,
  type ConsensusMessageHandler,
  type ConsensusTransport,
} from './transport.js';
export { InMemoryConsensusNetwork } from './in-memory-network.js';
