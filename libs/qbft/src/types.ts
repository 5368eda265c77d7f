/** Wire numbers of the QBFT message types. */
export const QbftMessageType = {
  PrePrepare: 1,
  Prepare: 2,
  Commit: 3,
  RoundChange: 4,
  Decided: 5,
} as const;
export type QbftMessageType = (typeof QbftMessageType)[keyof typeof QbftMessageType];

export function qbftMessageTypeName(type: number): string {
  switch (type) {
    case QbftMessageType.PrePrepare:
      return 'PRE-PREPARE';
    case QbftMessageType.Prepare:
      return 'PREPARE';
    case QbftMessageType.Commit:
      return 'COMMIT';
    case QbftMessageType.RoundChange:
      return 'ROUND-CHANGE';
    case QbftMessageType.Decided:
      return 'DECIDED';
    default:
      return `type ${type}`;
  }
}

/** One consensus instance: a slot and a duty type (1 proposer, 2 attester, … see DV-NODE.md). */
export interface QbftDuty {
  readonly slot: number;
  /** 0..255 on the wire */
  readonly type: number;
}

/**
 * The signed part of every message. Values never appear here, only their 32-byte hashes; the
 * value travels beside the message in the envelope.
 */
export interface QbftMessage {
  readonly type: QbftMessageType;
  readonly duty: QbftDuty;
  /** index of the signing node in the cluster's peer list */
  readonly source: number;
  /** rounds start at 1 */
  readonly round: number;
  /** hash of the proposed / prepared / committed / decided value; all zero in ROUND-CHANGE */
  readonly valueHash: Uint8Array;
  /** ROUND-CHANGE only: highest round this node prepared in, 0 when it prepared nothing */
  readonly preparedRound: number;
  /** ROUND-CHANGE only: hash of the value prepared in `preparedRound`; all zero when none */
  readonly preparedValueHash: Uint8Array;
}

export interface SignedQbftMessage {
  readonly message: QbftMessage;
  /** 64-byte compact secp256k1 signature over `qbftMessageDigest(message)` */
  readonly signature: Uint8Array;
}

/**
 * What travels on the wire: one signed message, the signed messages that justify it (never
 * themselves justified), and the value whose hash the message refers to, when the receiver needs it.
 */
export interface QbftEnvelope {
  readonly signed: SignedQbftMessage;
  readonly justifications: readonly SignedQbftMessage[];
  readonly value?: Uint8Array;
}

export const QBFT_HASH_BYTES = 32;
export const QBFT_SIGNATURE_BYTES = 64;
export const ZERO_HASH: Uint8Array = new Uint8Array(QBFT_HASH_BYTES);
