export { PartialSignatureDb, type PartialRefusal, type PartialSignatureDbObserver, type PartialSignatureDbOptions } from './partial-signature-db.js';
export {
  PARTIAL_SIGNATURE_TOPIC,
  PartialSignatureExchange,
  type PartialRejection,
  type PartialSignatureExchangeObserver,
  type PartialSignatureExchangeOptions,
  type PartialSignatureMessaging,
} from './partial-signature-exchange.js';
export {
  DEFAULT_PARTIAL_SIGNATURE_WIRE_LIMITS,
  PARTIAL_SIGNATURE_WIRE_VERSION,
  decodePartialSignatureBatch,
  encodePartialSignatureBatch,
  type PartialSignatureWireLimits,
} from './wire.js';
