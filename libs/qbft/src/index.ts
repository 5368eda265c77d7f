export { QbftError, type QbftErrorCode } from './errors.js';
export {
  QbftMessageType,
  qbftMessageTypeName,
  QBFT_HASH_BYTES,
  QBFT_SIGNATURE_BYTES,
  ZERO_HASH,
  type QbftDuty,
  type QbftMessage,
  type SignedQbftMessage,
  type QbftEnvelope,
} from './types.js';
export {
  QBFT_ENVELOPE_VERSION,
  QBFT_MESSAGE_BYTES,
  DEFAULT_QBFT_LIMITS,
  decodeQbftEnvelope,
  encodeQbftEnvelope,
  encodeQbftMessage,
  qbftEnvelopeOverhead,
  qbftValueHash,
  type QbftLimits,
} from './codec.js';
export {
  Secp256k1Signer,
  secp256k1Verifier,
  assertSecp256k1PublicKey,
  generateSecp256k1IdentityKey,
  qbftMessageDigest,
  signQbftMessage,
  type QbftSigner,
  type QbftVerifier,
} from './signing.js';
export {
  QbftRoundClock,
  QBFT_MAX_ROUNDS,
  increasingRoundDuration,
  qbftFaultTolerance,
  qbftLeader,
  qbftQuorum,
  slotStartMs,
  type QbftRoundDuration,
  type QbftTiming,
} from './timing.js';
export {
  QbftInstance,
  rawBytesCodec,
  type QbftClock,
  type QbftDecision,
  type QbftDropReason,
  type QbftInstanceOptions,
  type QbftObserver,
  type QbftReceiveResult,
  type QbftRoundChangeReason,
  type QbftStatus,
  type QbftTimer,
  type QbftTransport,
  type QbftValueCodec,
} from './instance.js';
export { InMemoryQbftNetwork, type QbftReceiver } from './in-memory-network.js';
