export {
  BroadcastError,
  Broadcaster,
  signedBlockSsz,
  type BroadcastErrorCode,
  type BroadcastFailureReason,
  type BroadcasterObserver,
  type BroadcasterOptions,
} from './broadcaster.js';
