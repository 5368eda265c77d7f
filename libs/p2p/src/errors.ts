import { DvtError } from '@dvt/common';

export type P2pErrorCode =
  /** options that do not describe a usable cluster node (indexes, addresses, limits) */
  | 'INVALID_CONFIG'
  /** an identity key or peer public key that is not a valid secp256k1 key */
  | 'INVALID_KEY'
  /** a peer index that is not a member of the cluster (or is this node itself) */
  | 'UNKNOWN_PEER'
  | 'INVALID_TOPIC'
  /** a payload that is not a Uint8Array */
  | 'INVALID_PAYLOAD'
  | 'MESSAGE_TOO_LARGE'
  /** the node has been stopped */
  | 'NOT_RUNNING'
  /** `start` called twice: a stopped node is not restarted, a new one is created */
  | 'INVALID_STATE'
  /** libp2p could not start, e.g. the listen port is taken */
  | 'START_FAILED';

/** Every error of the cluster peer network; `code` says what went wrong. */
export class P2pError extends DvtError<P2pErrorCode> {
  constructor(code: P2pErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
