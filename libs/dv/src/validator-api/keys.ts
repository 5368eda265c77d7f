import { bytesToHex } from '@dvt/common';
import { type DvPubkey, toDvPubkey } from '../core/index.js';
import { ValidatorApiError } from './errors.js';

/** One DV of the cluster: its root key and the public share of share index i+1 at [i]. */
export interface ValidatorApiClusterValidator {
  readonly dv: DvPubkey | string;
  readonly publicShares: readonly Uint8Array[];
}

const PUBKEY_HEX = /^0x[0-9a-fA-F]{96}$/;

/**
 * DV root key ↔ this node's public share, and the check that a key the validator client uses is
 * not the share of another node.
 */
export class ShareKeyMap {
  private readonly myShareByDv = new Map<DvPubkey, { readonly bytes: Uint8Array; readonly hex: string }>();
  /** every public share of every DV, lowercase hex → owner */
  private readonly shares = new Map<string, { readonly dv: DvPubkey; readonly shareIndex: number }>();

  constructor(
    readonly shareIndex: number,
    validators: readonly ValidatorApiClusterValidator[],
  ) {
    if (!Number.isSafeInteger(shareIndex) || shareIndex < 1) {
      throw new ValidatorApiError('INVALID_CONFIG', `share index must be an integer ≥ 1, got ${String(shareIndex)}`);
    }
    validators.forEach((validator, v) => {
      const dv = toDvPubkey(validator.dv, `validators[${v}].dv`);
      if (this.myShareByDv.has(dv)) throw new ValidatorApiError('INVALID_CONFIG', `DV ${dv} appears twice`);
      if (shareIndex > validator.publicShares.length) {
        throw new ValidatorApiError('INVALID_CONFIG', `DV ${dv} has ${validator.publicShares.length} public shares, this node's share index is ${shareIndex}`);
      }
      validator.publicShares.forEach((share, i) => {
        if (!(share instanceof Uint8Array) || share.length !== 48) {
          throw new ValidatorApiError('INVALID_CONFIG', `DV ${dv}: public share ${i + 1} must be 48 bytes`);
        }
        const hex = bytesToHex(share);
        if (this.shares.has(hex) || hex === dv) throw new ValidatorApiError('INVALID_CONFIG', `DV ${dv}: public share ${i + 1} is used twice`);
        this.shares.set(hex, { dv, shareIndex: i + 1 });
        if (i + 1 === shareIndex) this.myShareByDv.set(dv, { bytes: share, hex });
      });
    });
  }

  get dvs(): DvPubkey[] {
    return [...this.myShareByDv.keys()];
  }

  isDv(key: string): boolean {
    return this.myShareByDv.has(key.toLowerCase() as DvPubkey);
  }

  /** This node's public share of `dv`; undefined for a key that is not a cluster DV. */
  myShare(dv: DvPubkey): Uint8Array | undefined {
    return this.myShareByDv.get(dv)?.bytes;
  }

  /** The share to show the VC instead of `key` when it is a cluster DV; any other key unchanged. */
  toShareHex(key: string): string {
    return this.myShareByDv.get(key.toLowerCase() as DvPubkey)?.hex ?? key;
  }

  /**
   * The DV key to show the BN for a key the VC sent: this node's share → its DV; any other string
   * unchanged (indices, unknown keys). Throws WRONG_NODE_KEY for the share of another share index.
   */
  toDvKey(key: string): string {
    if (!PUBKEY_HEX.test(key)) return key;
    const owner = this.shares.get(key.toLowerCase());
    if (owner === undefined) return key;
    if (owner.shareIndex !== this.shareIndex) {
      throw new ValidatorApiError(
        'WRONG_NODE_KEY',
        `key ${key.toLowerCase()} is the share of share index ${owner.shareIndex} of DV ${owner.dv}, but this node holds share index ${this.shareIndex} — the validator client's keys are wired to the wrong node`,
        { key: key.toLowerCase(), dv: owner.dv, keyShareIndex: owner.shareIndex, nodeShareIndex: this.shareIndex },
      );
    }
    return owner.dv;
  }
}
