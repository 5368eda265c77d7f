import { bytesToBareHex, bytesToHex, equalBytes, hexToBytes } from '@dvt/common';
import { verify } from '@dvt/tbls';
import { MIN_DEPOSIT_AMOUNT } from '@lodestar/params';
import { DepositDataError, type DepositDataProblem } from './errors.js';
import { type BytesInput, toBytes } from './input.js';
import { type NetworkConfig } from './networks.js';
import { depositDataRoot, depositMessageRoot, depositSigningRoot } from './signing.js';

/** The `deposit_cli_version` written by buildDepositData unless told otherwise. */
export const DEPOSIT_CLI_VERSION = '2.7.0';

/** One entry of the staking deposit CLI's deposit_data.json, with byte fields decoded. */
export interface DepositDataEntry {
  readonly pubkey: Uint8Array;
  readonly withdrawalCredentials: Uint8Array;
  /** Gwei. */
  readonly amount: number;
  readonly signature: Uint8Array;
  readonly depositMessageRoot: Uint8Array;
  readonly depositDataRoot: Uint8Array;
  readonly forkVersion: Uint8Array;
  readonly networkName: string;
  readonly depositCliVersion: string;
}

/** JSON key → [entry property, byte length] for the byte fields, in the CLI's key order. */
const BYTE_FIELDS = [
  ['pubkey', 'pubkey', 48],
  ['withdrawal_credentials', 'withdrawalCredentials', 32],
  ['signature', 'signature', 96],
  ['deposit_message_root', 'depositMessageRoot', 32],
  ['deposit_data_root', 'depositDataRoot', 32],
  ['fork_version', 'forkVersion', 4],
] as const;

/**
 * Parses deposit_data.json (its text, or the already-parsed JSON value). Byte fields are hex,
 * with or without 0x. Every problem of every entry is collected into one DepositDataError.
 */
export function parseDepositDataFile(input: unknown): DepositDataEntry[] {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (err) {
      throw new DepositDataError([{ index: -1, field: 'file', message: `not JSON: ${(err as Error).message}` }]);
    }
  }
  if (!Array.isArray(json)) {
    throw new DepositDataError([{ index: -1, field: 'file', message: `expected a JSON array of deposits, got ${describe(json)}` }]);
  }
  if (json.length === 0) throw new DepositDataError([{ index: -1, field: 'file', message: 'no deposits in the file' }]);

  const problems: DepositDataProblem[] = [];
  const entries = json.map((raw, index) => parseEntry(raw, index, problems));
  if (problems.length > 0) throw new DepositDataError(problems);
  return entries as DepositDataEntry[];
}

function parseEntry(raw: unknown, index: number, problems: DepositDataProblem[]): DepositDataEntry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ index, field: 'entry', message: `expected an object, got ${describe(raw)}` });
    return undefined;
  }
  const record = raw as Record<string, unknown>;
  const before = problems.length;
  const bytes: Record<string, Uint8Array> = {};
  for (const [key, property, length] of BYTE_FIELDS) {
    const value = record[key];
    if (typeof value !== 'string') {
      problems.push({ index, field: key, message: value === undefined ? 'missing' : `expected a hex string, got ${describe(value)}` });
      continue;
    }
    try {
      bytes[property] = hexToBytes(value, key, length);
    } catch (err) {
      problems.push({ index, field: key, message: stripField((err as Error).message, key) });
    }
  }
  const amount = record['amount'];
  if (amount === undefined) problems.push({ index, field: 'amount', message: 'missing' });
  else if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    problems.push({ index, field: 'amount', message: `expected a positive integer of gwei, got ${JSON.stringify(amount)}` });
  }
  for (const key of ['network_name', 'deposit_cli_version']) {
    const value = record[key];
    if (typeof value !== 'string' || value === '') {
      problems.push({ index, field: key, message: value === undefined ? 'missing' : `expected a non-empty string, got ${describe(value)}` });
    }
  }
  if (problems.length > before) return undefined;
  return {
    pubkey: bytes['pubkey']!,
    withdrawalCredentials: bytes['withdrawalCredentials']!,
    amount: amount as number,
    signature: bytes['signature']!,
    depositMessageRoot: bytes['depositMessageRoot']!,
    depositDataRoot: bytes['depositDataRoot']!,
    forkVersion: bytes['forkVersion']!,
    networkName: record['network_name'] as string,
    depositCliVersion: record['deposit_cli_version'] as string,
  };
}

export interface ValidateDepositDataOptions {
  /** When given, every entry must carry exactly these withdrawal credentials. */
  readonly withdrawalCredentials?: BytesInput;
  /** Check each signature against its pubkey (BLS verify, ~2 ms each). Default true. */
  readonly verifySignatures?: boolean;
}

export interface DepositDataValidation {
  readonly valid: boolean;
  readonly problems: readonly DepositDataProblem[];
}

/**
 * Checks deposit entries for `network`: fork version and network name, withdrawal credentials
 * (when expected ones are given), amount ≥ 1 ETH, both roots recomputed, no repeated pubkey,
 * and the deposit signature. Reports every problem found, with its entry index.
 */
export function validateDepositData(
  entries: readonly DepositDataEntry[],
  network: NetworkConfig,
  options: ValidateDepositDataOptions = {},
): DepositDataValidation {
  const problems: DepositDataProblem[] = [];
  const expectedCredentials =
    options.withdrawalCredentials === undefined ? undefined : toBytes(options.withdrawalCredentials, 'withdrawalCredentials', 32);
  const genesisForkVersion = hexToBytes(network.genesisForkVersion);
  const firstIndexOfPubkey = new Map<string, number>();

  entries.forEach((entry, index) => {
    const add = (field: string, message: string): void => void problems.push({ index, field, message });
    if (!equalBytes(entry.forkVersion, genesisForkVersion)) {
      add('fork_version', `${bytesToBareHex(entry.forkVersion)} is not ${network.name}'s genesis fork version ${network.genesisForkVersion.slice(2)}`);
    }
    if (entry.networkName !== network.depositNetworkName) {
      add('network_name', `${JSON.stringify(entry.networkName)} is not ${JSON.stringify(network.depositNetworkName)}`);
    }
    if (expectedCredentials !== undefined && !equalBytes(entry.withdrawalCredentials, expectedCredentials)) {
      add('withdrawal_credentials', `${bytesToHex(entry.withdrawalCredentials)} differs from the expected ${bytesToHex(expectedCredentials)}`);
    }
    if (entry.amount < MIN_DEPOSIT_AMOUNT) add('amount', `${entry.amount} gwei is below the 1 ETH minimum deposit`);

    const pubkeyHex = bytesToHex(entry.pubkey);
    const first = firstIndexOfPubkey.get(pubkeyHex);
    if (first !== undefined) add('pubkey', `same validator as entry ${first}`);
    else firstIndexOfPubkey.set(pubkeyHex, index);

    const messageRoot = depositMessageRoot(entry);
    if (!equalBytes(messageRoot, entry.depositMessageRoot)) {
      add('deposit_message_root', `recomputed ${bytesToBareHex(messageRoot)}, file has ${bytesToBareHex(entry.depositMessageRoot)}`);
    }
    const dataRoot = depositDataRoot(entry);
    if (!equalBytes(dataRoot, entry.depositDataRoot)) {
      add('deposit_data_root', `recomputed ${bytesToBareHex(dataRoot)}, file has ${bytesToBareHex(entry.depositDataRoot)}`);
    }
    if (options.verifySignatures !== false) {
      const problem = depositSignatureProblem(network, entry);
      if (problem !== undefined) add('signature', problem);
    }
  });
  return { valid: problems.length === 0, problems };
}

/** validateDepositData that throws DepositDataError listing every problem. */
export function assertValidDepositData(
  entries: readonly DepositDataEntry[],
  network: NetworkConfig,
  options?: ValidateDepositDataOptions,
): void {
  const { problems } = validateDepositData(entries, network, options);
  if (problems.length > 0) throw new DepositDataError(problems);
}

function depositSignatureProblem(network: NetworkConfig, entry: DepositDataEntry): string | undefined {
  try {
    const ok = verify(entry.pubkey, depositSigningRoot(network, entry), entry.signature);
    return ok ? undefined : `does not verify for pubkey ${bytesToHex(entry.pubkey)} on ${network.name}`;
  } catch (err) {
    return `cannot be checked: ${(err as Error).message}`;
  }
}

export interface BuildDepositDataInput {
  readonly pubkey: BytesInput;
  readonly withdrawalCredentials: BytesInput;
  /** Gwei. */
  readonly amount: number;
  readonly signature: BytesInput;
}

export interface BuildDepositDataOptions {
  /** Refuse a signature that does not verify (default true): a bad one loses the deposit. */
  readonly verifySignature?: boolean;
  readonly depositCliVersion?: string;
}

/** A deposit-data entry for `network` with both roots computed. */
export function buildDepositData(
  network: NetworkConfig,
  input: BuildDepositDataInput,
  options: BuildDepositDataOptions = {},
): DepositDataEntry {
  const message = {
    pubkey: toBytes(input.pubkey, 'pubkey', 48),
    withdrawalCredentials: toBytes(input.withdrawalCredentials, 'withdrawalCredentials', 32),
    amount: input.amount,
    signature: toBytes(input.signature, 'signature', 96),
  };
  const entry: DepositDataEntry = {
    ...message,
    depositMessageRoot: depositMessageRoot(message),
    depositDataRoot: depositDataRoot(message),
    forkVersion: hexToBytes(network.genesisForkVersion),
    networkName: network.depositNetworkName,
    depositCliVersion: options.depositCliVersion ?? DEPOSIT_CLI_VERSION,
  };
  if (options.verifySignature !== false) {
    const problem = depositSignatureProblem(network, entry);
    if (problem !== undefined) throw new DepositDataError([{ index: 0, field: 'signature', message: problem }]);
  }
  return entry;
}

/**
 * deposit_data.json exactly as the staking deposit CLI writes it (Python `json.dump` defaults:
 * one line, ", " and ": " separators, byte fields as hex without 0x, no trailing newline).
 */
export function serializeDepositDataFile(entries: readonly DepositDataEntry[]): string {
  const objects = entries.map((e) => {
    const fields: [string, string][] = [
      ['pubkey', JSON.stringify(bytesToBareHex(e.pubkey))],
      ['withdrawal_credentials', JSON.stringify(bytesToBareHex(e.withdrawalCredentials))],
      ['amount', String(e.amount)],
      ['signature', JSON.stringify(bytesToBareHex(e.signature))],
      ['deposit_message_root', JSON.stringify(bytesToBareHex(e.depositMessageRoot))],
      ['deposit_data_root', JSON.stringify(bytesToBareHex(e.depositDataRoot))],
      ['fork_version', JSON.stringify(bytesToBareHex(e.forkVersion))],
      ['network_name', pythonJsonString(e.networkName)],
      ['deposit_cli_version', pythonJsonString(e.depositCliVersion)],
    ];
    return `{${fields.map(([k, v]) => `"${k}": ${v}`).join(', ')}}`;
  });
  return `[${objects.join(', ')}]`;
}

/** Python's json.dumps escapes every non-ASCII character (ensure_ascii=True). */
function pythonJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `string ${JSON.stringify(value.slice(0, 20))}` : typeof value;
}

/** hexToBytes messages start with "<field>: "; the problem already names the field. */
function stripField(message: string, field: string): string {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}
