/**
 * Deposit-data mode (the seed flow): the cluster's deposit_data.json holds each key's deposit
 * signature, made when the keys were created; the relayer's legacy POST /validators collects the
 * exit signatures from the sidecars and answers the oracle shards. Keys go in file order, skipping
 * those the vault or the beacon chain already knows.
 */
import { readFile } from 'node:fs/promises';
import { bytesToHex } from '@dvt/common';
import { type DepositDataEntry, DepositDataError, type NetworkConfig, parseDepositDataFile, validateDepositData, vaultWithdrawalCredentials } from '@dvt/eth2';
import { type RelayerClient, V1_DEPOSIT_AMOUNT_GWEI, type ValidatorType } from '@dvt/stakewise';
import { OperatorError } from '../errors.js';
import { type BatchRequest, type BatchResult, type BatchValidator, type ValidatorSource } from './batch.js';
import { type ConsensusView } from './beacon-view.js';
import { relayerCall } from './relayer-source.js';

export interface DepositDataSourceOptions {
  readonly relayer: RelayerClient;
  readonly consensus: ConsensusView;
  readonly vault: string;
  readonly validatorType: ValidatorType;
  readonly entries: readonly DepositDataEntry[];
}

/**
 * Reads and checks the file for this vault and validator type (fork version, network name,
 * withdrawal credentials, both roots, every signature): any problem stops the start.
 */
export async function loadDepositData(file: string, network: NetworkConfig, vault: string, validatorType: ValidatorType): Promise<DepositDataEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new OperatorError('DEPOSIT_DATA_INVALID', `deposit data file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (DEPOSIT_DATA_FILE)`);
  }
  try {
    const entries = parseDepositDataFile(text);
    const { problems } = validateDepositData(entries, network, { withdrawalCredentials: vaultWithdrawalCredentials(vault, validatorType) });
    const amountProblems = validatorType === '0x01' ? entries.flatMap((e, index) => (e.amount === V1_DEPOSIT_AMOUNT_GWEI ? [] : [{ index, field: 'amount', message: `0x01 deposits are 32 ETH, got ${e.amount} gwei` }])) : [];
    const all = [...problems, ...amountProblems];
    if (all.length > 0) throw new DepositDataError(all);
    return entries;
  } catch (err) {
    if (err instanceof DepositDataError) {
      throw new OperatorError('DEPOSIT_DATA_INVALID', `deposit data file ${file} (vault ${vault}, ${validatorType}): ${err.message}`, { problems: err.problems });
    }
    throw err;
  }
}

export class DepositDataValidatorSource implements ValidatorSource {
  readonly mode = 'deposit-data';

  constructor(private readonly opts: DepositDataSourceOptions) {}

  async next(request: BatchRequest): Promise<BatchResult> {
    const candidates = this.opts.entries.filter((e) => !request.registered.has(bytesToHex(e.pubkey)));
    if (candidates.length === 0) return { status: 'none', reason: 'every key of the deposit data file is registered' };
    const known = await this.opts.consensus.knownKeys(candidates.map((e) => bytesToHex(e.pubkey)));
    const chosen: DepositDataEntry[] = [];
    let total = 0n;
    for (const entry of candidates) {
      if (chosen.length >= request.limit) break;
      if (known.has(bytesToHex(entry.pubkey))) continue;
      if (total + BigInt(entry.amount) > request.availableGwei) break;
      total += BigInt(entry.amount);
      chosen.push(entry);
    }
    if (chosen.length === 0) {
      const left = candidates.filter((e) => !known.has(bytesToHex(e.pubkey)));
      return { status: 'none', reason: left.length === 0 ? 'every key of the deposit data file is known to the beacon chain' : 'not enough assets for the next deposit of the file' };
    }
    const publicKeys = chosen.map((e) => bytesToHex(e.pubkey));
    const answer = await relayerCall('POST /validators', () => this.opts.relayer.legacyValidators({ public_keys: publicKeys }));
    const byKey = new Map(answer.validators.map((v) => [v.public_key, v]));
    if (answer.validators.length !== publicKeys.length || publicKeys.some((k) => !byKey.has(k))) {
      throw new OperatorError('RELAYER_INVALID_ANSWER', `relayer POST /validators: answered keys ${answer.validators.map((v) => v.public_key).join(', ')} for ${publicKeys.join(', ')}`);
    }
    const waiting = publicKeys.filter((k) => byKey.get(k)!.oracles_exit_signature_shares === null);
    if (!answer.ready || waiting.length > 0) return { status: 'pending', reason: `${waiting.length} of ${publicKeys.length} exit signature(s) not rebuilt yet` };
    const validators: BatchValidator[] = chosen.map((entry) => {
      const shards = byKey.get(bytesToHex(entry.pubkey))!.oracles_exit_signature_shares!;
      return {
        publicKey: bytesToHex(entry.pubkey),
        amountGwei: entry.amount,
        depositSignature: bytesToHex(entry.signature),
        depositDataRoot: bytesToHex(entry.depositDataRoot),
        publicKeyShards: shards.public_keys,
        encryptedExitSignatures: shards.encrypted_exit_signatures,
      };
    });
    return {
      status: 'ready',
      batch: {
        vault: this.opts.vault,
        validatorType: this.opts.validatorType,
        startIndex: request.startIndex,
        registryRoot: request.registryRoot,
        validators,
        validatorsManagerSignature: null,
      },
    };
  }
}
