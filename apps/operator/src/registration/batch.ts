/** A registration batch, whichever source it came from, and the interface of the sources. */
import { type ValidatorType } from '@dvt/stakewise';
import { type VaultRegistration } from '../chain/vault-reader.js';

export interface BatchValidator {
  /** lowercase 0x hex, 48 bytes */
  readonly publicKey: string;
  readonly amountGwei: number;
  readonly depositSignature: string;
  readonly depositDataRoot: string;
  /** P(x), x = 1..n, in the oracles' order */
  readonly publicKeyShards: readonly string[];
  /** ECIES(oracle i, S(i + 1)), in the oracles' order */
  readonly encryptedExitSignatures: readonly string[];
}

export interface RegistrationBatch {
  readonly vault: string;
  readonly validatorType: ValidatorType;
  /** validator index of the first validator (the exit signatures are bound to it) */
  readonly startIndex: number;
  /** the deposit root the validators-manager signature covers */
  readonly registryRoot: string;
  readonly validators: readonly BatchValidator[];
  /** EIP-712 VaultValidators signature; null when the source has none (the hot wallet then signs, if it is the manager) */
  readonly validatorsManagerSignature: string | null;
}

export interface BatchRequest {
  readonly startIndex: number;
  readonly registryRoot: string;
  /** gwei the vault can stake */
  readonly availableGwei: bigint;
  /** most validators in one batch */
  readonly limit: number;
  /** validators the vault registered already */
  readonly registered: ReadonlyMap<string, VaultRegistration>;
}

export type BatchResult =
  | { readonly status: 'ready'; readonly batch: RegistrationBatch }
  /** the relayer is still collecting signatures: poll again */
  | { readonly status: 'pending'; readonly reason: string }
  /** nothing to register (no keys left, not enough assets for any deposit) */
  | { readonly status: 'none'; readonly reason: string };

export interface ValidatorSource {
  readonly mode: 'relayer' | 'deposit-data';
  next(request: BatchRequest): Promise<BatchResult>;
}
