/**
 * The relayer's CPU-bound signature work, on a @dvt/tbls executor (worker threads in the compiled
 * relayer, the event loop under tests): partial-signature verification, threshold rebuild, oracle
 * re-share + ECIES encryption.
 */
import { bytesToHex } from '@dvt/common';
import { type PublicShare, type SignatureSetBytes, type SignatureShare, TblsError, type TblsExecutor, assertSignature } from '@dvt/tbls';

export type RecoverOutcome =
  | { ok: true; signature: Uint8Array; usedIndexes: number[]; excludedIndexes: number[] }
  | { ok: false; code: string; message: string; excludedIndexes: number[] };

export interface OracleShards {
  /** public key shard of oracle i (x = i + 1), 0x hex */
  publicKeys: string[];
  /** ECIES ciphertext of signature shard i to oracle i, 0x hex */
  encryptedExitSignatures: string[];
}

export class SignatureWork {
  constructor(readonly executor: TblsExecutor) {}

  get mode(): string {
    return this.executor.mode === 'inline' ? 'inline' : `${this.executor.threads} worker thread(s)`;
  }

  /**
   * One result per partial: a single batch verification (random linear combination) for the usual
   * all-valid case; when it fails, each partial on its own. Malformed signatures count as invalid.
   */
  async verifyPartials(checks: SignatureSetBytes[]): Promise<boolean[]> {
    if (checks.length === 0) return [];
    let allValid = false;
    try {
      allValid = await this.executor.verifyBatch(checks);
    } catch (err) {
      if (!(err instanceof TblsError)) throw err;
    }
    if (allValid) return checks.map(() => true);
    const wellFormed = checks.map((c) => {
      try {
        assertSignature(c.signature);
        return true;
      } catch {
        return false;
      }
    });
    const candidates = checks.filter((_, i) => wellFormed[i]);
    const verdicts = await this.executor.verifyEach(candidates);
    let next = 0;
    return wellFormed.map((ok) => (ok ? verdicts[next++]! : false));
  }

  /** Rebuild from the shares (the first `threshold` first, then other subsets) and verify under the key. */
  async recover(publicKey: Uint8Array, message: Uint8Array, shares: SignatureShare[], threshold: number, maxSubsets: number, publicShares?: PublicShare[]): Promise<RecoverOutcome> {
    try {
      const result = await this.executor.recoverVerifiedSignature({ publicKey, message, shares, threshold, publicShares, maxSubsets });
      return { ok: true, ...result };
    } catch (err) {
      if (!(err instanceof TblsError)) throw err;
      return { ok: false, code: err.code, message: err.message, excludedIndexes: (err.details?.excludedIndexes as number[] | undefined) ?? [] };
    }
  }

  /** Re-shares a verified exit signature to the oracles (in order) and encrypts shard i to oracle i. */
  async shareToOracles(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array, oraclePublicKeys: Uint8Array[], threshold: number): Promise<OracleShards> {
    const result = await this.executor.reshareAndEncrypt({ publicKey, signature, message, threshold, oraclePublicKeys, alreadyVerified: true });
    return { publicKeys: result.publicKeyShards.map(bytesToHex), encryptedExitSignatures: result.encryptedShards.map(bytesToHex) };
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
