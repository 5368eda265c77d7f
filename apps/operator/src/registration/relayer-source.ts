/**
 * Relayer mode (current API): POST /register with the next validator index and the amounts; the
 * relayer answers with its next unregistered keys, their deposit signatures, the exit signature
 * re-shared and encrypted to the oracles, and the validators-manager signature once all are ready.
 * A relayer that hands out a plain exit signature instead of oracle shards (the StakeWise relayer
 * does) is served too: the operator re-shares it itself.
 */
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositDataRoot, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { type OraclesConfig, type RegisteredValidator, type RelayerClient, RelayerClientError, type ValidatorType } from '@dvt/stakewise';
import { reshareAndEncryptSignature } from '@dvt/tbls';
import { OperatorError } from '../errors.js';
import { depositAmounts } from './amounts.js';
import { type BatchRequest, type BatchResult, type BatchValidator, type ValidatorSource } from './batch.js';

export interface RelayerSourceOptions {
  readonly relayer: RelayerClient;
  readonly network: NetworkConfig;
  readonly vault: string;
  readonly validatorType: ValidatorType;
  readonly maxValidatorBalanceGwei: bigint;
  readonly oracles: () => Promise<OraclesConfig>;
}

export class RelayerValidatorSource implements ValidatorSource {
  readonly mode = 'relayer';

  constructor(private readonly opts: RelayerSourceOptions) {}

  async next(request: BatchRequest): Promise<BatchResult> {
    const { vault, validatorType } = this.opts;
    const amounts = depositAmounts(request.availableGwei, validatorType, this.opts.maxValidatorBalanceGwei, request.limit);
    if (amounts.length === 0) return { status: 'none', reason: 'not enough assets for a deposit' };
    const answer = await relayerCall('POST /register', () =>
      this.opts.relayer.register({ vault, validators_start_index: request.startIndex, amounts, validator_type: validatorType }),
    );
    if (answer.validators.length === 0) return { status: 'none', reason: 'the relayer has no unregistered validator keys left' };
    if (answer.validators.length > amounts.length) {
      throw invalid(`POST /register returned ${answer.validators.length} validators for ${amounts.length} amounts`);
    }
    const seen = new Set<string>();
    answer.validators.forEach((v, i) => {
      if (v.amount !== amounts[i]) throw invalid(`validator ${v.public_key}: amount ${v.amount} gwei, ${amounts[i]} was asked`);
      if (seen.has(v.public_key)) throw invalid(`validator ${v.public_key} appears twice`);
      seen.add(v.public_key);
      const done = request.registered.get(v.public_key);
      if (done) {
        throw new OperatorError(
          'ALREADY_REGISTERED',
          `the relayer handed out ${v.public_key}, which this vault registered in block ${done.blockNumber} (tx ${done.txHash}); refusing to deposit it again`,
          { publicKey: v.public_key },
        );
      }
    });
    const waiting = answer.validators.filter((v) => v.deposit_signature === null || (v.oracles_exit_signature_shares === null && v.exit_signature === null));
    if (waiting.length > 0) return { status: 'pending', reason: `${waiting.length} of ${answer.validators.length} validator(s) still collecting signatures` };
    const hasShards = answer.validators.every((v) => v.oracles_exit_signature_shares !== null);
    if (hasShards && answer.validators_manager_signature === null) {
      return { status: 'pending', reason: 'the relayer has not signed the batch as validators manager yet' };
    }
    const oracles = hasShards ? undefined : await this.opts.oracles();
    const credentials = vaultWithdrawalCredentials(vault, validatorType);
    const validators: BatchValidator[] = answer.validators.map((v, i) => {
      const shards = v.oracles_exit_signature_shares ?? this.reshare(v, request.startIndex + i, oracles!);
      return {
        publicKey: v.public_key,
        amountGwei: v.amount,
        depositSignature: v.deposit_signature!,
        depositDataRoot: bytesToHex(depositDataRoot({ pubkey: v.public_key, withdrawalCredentials: credentials, amount: v.amount, signature: v.deposit_signature! })),
        publicKeyShards: shards.public_keys,
        encryptedExitSignatures: shards.encrypted_exit_signatures,
      };
    });
    return {
      status: 'ready',
      batch: {
        vault,
        validatorType,
        startIndex: request.startIndex,
        registryRoot: request.registryRoot,
        validators,
        validatorsManagerSignature: answer.validators_manager_signature,
      },
    };
  }

  /** Oracle shards from a plain exit signature (refused unless it verifies). */
  private reshare(v: RegisteredValidator, validatorIndex: number, oracles: OraclesConfig): { public_keys: string[]; encrypted_exit_signatures: string[] } {
    const message = voluntaryExitSigningData(this.opts.network, validatorIndex).signingRoot;
    try {
      const { publicKeyShards, encryptedShards } = reshareAndEncryptSignature({
        publicKey: hexToBytes(v.public_key),
        signature: hexToBytes(v.exit_signature!),
        message,
        threshold: oracles.exitSignatureRecoverThreshold,
        oraclePublicKeys: oracles.oracles.map((o) => hexToBytes(o.publicKey)),
      });
      return { public_keys: publicKeyShards.map(bytesToHex), encrypted_exit_signatures: encryptedShards.map(bytesToHex) };
    } catch (err) {
      throw new OperatorError('INVALID_EXIT_SHARDS', `validator ${v.public_key}: the relayer's exit signature for index ${validatorIndex} cannot be re-shared: ${(err as Error).message}`);
    }
  }
}

function invalid(message: string): OperatorError {
  return new OperatorError('RELAYER_INVALID_ANSWER', `relayer: ${message}`);
}

/** Relayer failures: 4xx and malformed answers are the relayer's fault (not retried); the rest is retried. */
export async function relayerCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RelayerClientError) {
      if (err.code === 'RELAYER_INVALID_RESPONSE' || err.code === 'RELAYER_REJECTED') throw new OperatorError('RELAYER_INVALID_ANSWER', `relayer ${what}: ${err.message}`);
      throw new OperatorError('RELAYER_UNAVAILABLE', `relayer ${what}: ${err.message}`);
    }
    throw err;
  }
}
