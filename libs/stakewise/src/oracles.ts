/**
 * Oracle approvals of a validator registration (STAKEWISE.md §3, §4):
 *  - the oracles config (the protocol config's IPFS document + the Keeper's validatorsMinOracles),
 *  - the approval request / answer bodies, as zod schemas shared by the operator and the mock oracles,
 *  - a client that asks every oracle in parallel (replicas in random order, first answer wins),
 *  - combining answers: drop answers whose signature does not recover to their oracle, group by
 *    (ipfs hash, deadline), take the largest group, require the threshold, sort by oracle address.
 */
import { z } from 'zod';
import { DvtError, abbreviate, bytesToHex, hexToBytes } from '@dvt/common';
import { computeAddress, getAddress } from 'ethers';
import { keeperValidatorsTypedData, packOracleSignatures, recoverTypedDataSigner } from './eip712.js';
import { hexBytesSchema, hexDataSchema } from './relayer-api.js';
import { type ValidatorType } from './validators-bytes.js';

export type OracleApprovalErrorCode =
  | 'INVALID_ORACLES_CONFIG'
  | 'INVALID_APPROVAL_REQUEST'
  /** fewer matching, valid approvals than the threshold */
  | 'NOT_ENOUGH_APPROVALS';

export class OracleApprovalError extends DvtError<OracleApprovalErrorCode> {}

// ---- oracles config ----

export interface OracleInfo {
  /** Checksum address of the oracle's signer (derived from its public key). */
  readonly address: string;
  /** The 64-byte raw secp256k1 public key, lowercase 0x hex: ECIES encryption key and signer. */
  readonly publicKey: string;
  /** Approval URLs (replicas); the request is POSTed to the URL as given. */
  readonly endpoints: readonly string[];
}

export interface OraclesConfig {
  /** In the protocol's order: exit signature shard x = i + 1 belongs to oracles[i]. */
  readonly oracles: readonly OracleInfo[];
  readonly exitSignatureRecoverThreshold: number;
  /** Approvals the Keeper needs (validatorsMinOracles). */
  readonly validatorsThreshold: number;
  /** Seconds an approval stays valid: the deadline the operator asks for is now + this. */
  readonly signatureValidityPeriod: number;
  /** Most validators one approval may cover. */
  readonly validatorsApprovalBatchLimit: number;
}

const DEFAULT_SIGNATURE_VALIDITY_PERIOD = 60;
const DEFAULT_VALIDATORS_APPROVAL_BATCH_LIMIT = 100;

const oraclesDocumentSchema = z.object({
  oracles: z
    .array(
      z.object({
        public_key: z.string({ error: 'public_key: expected a hex string' }),
        endpoints: z.array(z.string().url('endpoints: expected URLs')).min(1, 'endpoints: an oracle needs at least one URL'),
      }),
    )
    .min(1, 'no oracles'),
  exit_signature_recover_threshold: z.number().int().min(1),
  validators_threshold: z.number().int().min(1).optional(),
  /** local files only: on chain the Keeper's validatorsMinOracles() decides */
  validators_min_oracles: z.number().int().min(1).optional(),
  signature_validity_period: z.number().int().min(1).optional(),
  validators_approval_batch_limit: z.number().int().min(1).optional(),
});

/**
 * Parses the oracles config document. The approval threshold is `validatorsMinOracles` when given
 * (the Keeper's value), else the document's `validators_min_oracles` / `validators_threshold`.
 */
export function parseOraclesConfig(json: unknown, options: { validatorsMinOracles?: number; source?: string } = {}): OraclesConfig {
  const source = options.source ?? 'oracles config';
  const fail = (message: string): never => {
    throw new OracleApprovalError('INVALID_ORACLES_CONFIG', `${source}: ${message}`);
  };
  const parsed = oraclesDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const doc = parsed.data!;
  const oracles = doc.oracles.map((o, i) => {
    const publicKey = rawPublicKey(o.public_key, `oracles[${i}].public_key`, fail);
    return { address: oracleAddress(publicKey), publicKey, endpoints: o.endpoints.map((e) => e.replace(/\/+$/, '')) };
  });
  if (new Set(oracles.map((o) => o.address)).size !== oracles.length) fail('the same oracle is listed twice');
  const threshold = options.validatorsMinOracles ?? doc.validators_min_oracles ?? doc.validators_threshold;
  if (threshold === undefined) fail('no approval threshold: give validators_min_oracles or read validatorsMinOracles() from the Keeper');
  if (!Number.isSafeInteger(threshold) || threshold! < 1 || threshold! > oracles.length) {
    fail(`approval threshold ${String(threshold)} must be 1..${oracles.length} (the number of oracles)`);
  }
  if (doc.exit_signature_recover_threshold > oracles.length) {
    fail(`exit_signature_recover_threshold ${doc.exit_signature_recover_threshold} > ${oracles.length} oracles`);
  }
  return {
    oracles,
    exitSignatureRecoverThreshold: doc.exit_signature_recover_threshold,
    validatorsThreshold: threshold!,
    signatureValidityPeriod: doc.signature_validity_period ?? DEFAULT_SIGNATURE_VALIDITY_PERIOD,
    validatorsApprovalBatchLimit: doc.validators_approval_batch_limit ?? DEFAULT_VALIDATORS_APPROVAL_BATCH_LIMIT,
  };
}

/** Checksum address of an oracle's secp256k1 public key (64 raw bytes, or 65 / 33 bytes SEC1). */
export function oracleAddress(publicKey: string): string {
  const bytes = hexToBytes(publicKey, 'oracle public key');
  const sec1 = bytes.length === 64 ? bytesToHex(Uint8Array.of(4, ...bytes)) : bytesToHex(bytes);
  return getAddress(computeAddress(sec1));
}

function rawPublicKey(value: string, field: string, fail: (message: string) => never): string {
  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(value, field);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (bytes.length === 65 && bytes[0] === 4) bytes = bytes.subarray(1);
  if (bytes.length !== 64) return fail(`${field}: expected a 64-byte secp256k1 public key, got ${bytes.length} bytes`);
  try {
    oracleAddress(bytesToHex(bytes));
  } catch {
    return fail(`${field}: not a point of secp256k1`);
  }
  return bytesToHex(bytes);
}

// ---- wire format ----

/** What the operator POSTs to every oracle (field names of the StakeWise operator). */
export const approvalRequestSchema = z
  .object({
    validator_index: z.number().int().min(0),
    vault_address: hexBytesSchema(20, 'vault_address'),
    validators_root: hexBytesSchema(32, 'validators_root'),
    public_keys: z.array(hexBytesSchema(48, 'public key')).min(1, 'public_keys: the list is empty'),
    deposit_signatures: z.array(hexBytesSchema(96, 'deposit signature')),
    public_key_shards: z.array(z.array(hexBytesSchema(48, 'public key shard'))),
    exit_signature_shards: z.array(z.array(hexDataSchema('encrypted exit signature shard'))),
    validators_manager_signature: z.string(),
    deadline: z.number().int().min(0),
    /** gwei per validator for 0x02 validators; null (or absent) for 0x01 */
    amounts: z.array(z.number().int().min(1)).nullable().optional(),
  })
  .superRefine((r, ctx) => {
    const n = r.public_keys.length;
    for (const field of ['deposit_signatures', 'public_key_shards', 'exit_signature_shards'] as const) {
      if (r[field].length !== n) ctx.addIssue({ code: 'custom', path: [field], message: `${field}: ${r[field].length} item(s) for ${n} public key(s)` });
    }
    if (r.amounts != null && r.amounts.length !== n) {
      ctx.addIssue({ code: 'custom', path: ['amounts'], message: `amounts: ${r.amounts.length} item(s) for ${n} public key(s)` });
    }
  });

/** An oracle's approval. */
export const approvalResponseSchema = z.object({
  signature: hexBytesSchema(65, 'signature'),
  ipfs_hash: z.string().min(1, 'ipfs_hash: empty'),
  deadline: z.number().int().min(0),
});

export type ApprovalRequest = z.input<typeof approvalRequestSchema>;
export type ParsedApprovalRequest = z.output<typeof approvalRequestSchema>;
export type ApprovalResponse = z.output<typeof approvalResponseSchema>;

/** One validator of an approval request. */
export interface ApprovalValidator {
  readonly publicKey: string;
  readonly depositSignature: string;
  readonly amountGwei: number;
  /** P(x) for x = 1..n, in the oracles' order. */
  readonly publicKeyShards: readonly string[];
  /** ECIES(oracle i, S(i + 1)), in the oracles' order. */
  readonly encryptedExitSignatures: readonly string[];
}

export interface BuildApprovalRequestInput {
  readonly vault: string;
  readonly validatorType: ValidatorType;
  /** Validator index of the first validator; the i-th gets startIndex + i. */
  readonly startIndex: number;
  readonly registryRoot: string;
  readonly deadline: number;
  readonly validatorsManagerSignature: string;
  readonly validators: readonly ApprovalValidator[];
}

/** The request body; shard lists must have one entry per oracle of `config`. */
export function buildApprovalRequest(config: OraclesConfig, input: BuildApprovalRequestInput): ApprovalRequest {
  const n = config.oracles.length;
  input.validators.forEach((v, i) => {
    if (v.publicKeyShards.length !== n || v.encryptedExitSignatures.length !== n) {
      throw new OracleApprovalError(
        'INVALID_APPROVAL_REQUEST',
        `validator ${v.publicKey}: ${v.publicKeyShards.length} public key shard(s) and ${v.encryptedExitSignatures.length} encrypted shard(s) for ${n} oracles`,
        { index: i },
      );
    }
  });
  const request: ApprovalRequest = {
    validator_index: input.startIndex,
    vault_address: input.vault.toLowerCase(),
    validators_root: input.registryRoot,
    public_keys: input.validators.map((v) => v.publicKey),
    deposit_signatures: input.validators.map((v) => v.depositSignature),
    public_key_shards: input.validators.map((v) => [...v.publicKeyShards]),
    exit_signature_shards: input.validators.map((v) => [...v.encryptedExitSignatures]),
    validators_manager_signature: input.validatorsManagerSignature,
    deadline: input.deadline,
    amounts: input.validatorType === '0x02' ? input.validators.map((v) => v.amountGwei) : null,
  };
  const checked = approvalRequestSchema.safeParse(request);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new OracleApprovalError('INVALID_APPROVAL_REQUEST', `approval request: ${issue.path.join('.')}: ${issue.message}`);
  }
  return request;
}

// ---- client ----

export interface OracleApproval {
  /** Checksum address of the oracle that answered. */
  readonly oracle: string;
  readonly signature: string;
  readonly ipfsHash: string;
  readonly deadline: number;
}

export type OracleAnswer =
  | { readonly oracle: string; readonly ok: true; readonly approval: OracleApproval }
  | { readonly oracle: string; readonly ok: false; readonly error: string };

export interface OraclesClientOptions {
  /** Per request; default 10 s (the StakeWise operator's ORACLES_VALIDATORS_TIMEOUT). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly userAgent?: string;
  /** Replica order; default a random shuffle, so one slow replica does not always go first. */
  readonly shuffle?: <T>(items: readonly T[]) => T[];
}

export class OraclesClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly shuffle: <T>(items: readonly T[]) => T[];

  constructor(private readonly options: OraclesClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.shuffle = options.shuffle ?? shuffled;
  }

  /** Asks every oracle at once; never throws: one answer (approval or error) per oracle, in config order. */
  async requestApprovals(config: OraclesConfig, request: ApprovalRequest): Promise<OracleAnswer[]> {
    const body = JSON.stringify(request);
    return Promise.all(
      config.oracles.map(async (oracle): Promise<OracleAnswer> => {
        const errors: string[] = [];
        for (const endpoint of this.shuffle(oracle.endpoints)) {
          try {
            return { oracle: oracle.address, ok: true, approval: { oracle: oracle.address, ...(await this.post(endpoint, body)) } };
          } catch (err) {
            errors.push(`${endpoint}: ${(err as Error).message}`);
          }
        }
        return { oracle: oracle.address, ok: false, error: errors.join('; ') };
      }),
    );
  }

  private async post(endpoint: string, body: string): Promise<Omit<OracleApproval, 'oracle'>> {
    let response: Response;
    try {
      response = await this.fetchImpl(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.options.userAgent ? { 'user-agent': this.options.userAgent } : {}) },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new Error(`no answer within ${this.timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(cause?.code ?? cause?.message ?? (err as Error).message);
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${abbreviate(text, 200)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`answer is not JSON: ${abbreviate(text, 60)}`);
    }
    const parsed = approvalResponseSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`malformed approval at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return { signature: parsed.data.signature, ipfsHash: parsed.data.ipfs_hash, deadline: parsed.data.deadline };
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---- combining ----

/** What the Keeper is asked to check, apart from the oracles' answers. */
export interface KeeperApprovalContext {
  readonly chainId: number;
  readonly keeper: string;
  readonly vault: string;
  readonly registryRoot: string;
  /** The validators blob of registerValidators. */
  readonly validators: string;
}

/** `reason` when the approval's signature is not its oracle's signature of the KeeperValidators message, else null. */
export function checkOracleApproval(context: KeeperApprovalContext, approval: OracleApproval): string | null {
  try {
    const typedData = keeperValidatorsTypedData(context.chainId, context.keeper, {
      validatorsRegistryRoot: context.registryRoot,
      vault: context.vault,
      validators: context.validators,
      exitSignaturesIpfsHash: approval.ipfsHash,
      deadline: approval.deadline,
    });
    const signer = recoverTypedDataSigner(typedData, approval.signature);
    return signer === getAddress(approval.oracle) ? null : `signature recovers to ${signer}, not to the oracle`;
  } catch (err) {
    return `signature does not check: ${(err as Error).message}`;
  }
}

export interface CombinedApproval {
  readonly ipfsHash: string;
  readonly deadline: number;
  /** `threshold` signatures concatenated in ascending oracle-address order: ApprovalParams.signatures. */
  readonly signatures: string;
  /** The oracles whose signatures are used, ascending. */
  readonly oracles: readonly string[];
  /** Answers left out, with why (failed requests, bad signatures, minority groups). */
  readonly ignored: readonly { readonly oracle: string; readonly reason: string }[];
}

/**
 * Combines the oracles' answers. With `context`, an approval whose signature does not recover to its
 * oracle is ignored (one garbage answer must not spoil the batch). Throws NOT_ENOUGH_APPROVALS
 * (details: approvals, threshold, ignored) when the largest (ipfs hash, deadline) group is too small.
 */
export function combineOracleApprovals(answers: readonly OracleAnswer[], threshold: number, context?: KeeperApprovalContext): CombinedApproval {
  if (!Number.isSafeInteger(threshold) || threshold < 1) {
    throw new OracleApprovalError('INVALID_ORACLES_CONFIG', `approval threshold must be a positive integer, got ${String(threshold)}`);
  }
  const ignored: { oracle: string; reason: string }[] = [];
  const groups = new Map<string, OracleApproval[]>();
  const seen = new Set<string>();
  for (const answer of answers) {
    if (!answer.ok) {
      ignored.push({ oracle: answer.oracle, reason: answer.error });
      continue;
    }
    const approval = answer.approval;
    const oracle = getAddress(approval.oracle);
    if (seen.has(oracle)) {
      ignored.push({ oracle, reason: 'second answer of the same oracle' });
      continue;
    }
    const problem = context ? checkOracleApproval(context, approval) : null;
    if (problem !== null) {
      ignored.push({ oracle, reason: problem });
      continue;
    }
    seen.add(oracle);
    const key = JSON.stringify([approval.ipfsHash, approval.deadline]);
    groups.set(key, [...(groups.get(key) ?? []), { ...approval, oracle }]);
  }
  let winner: OracleApproval[] = [];
  for (const group of groups.values()) if (group.length > winner.length) winner = group;
  for (const group of groups.values()) {
    if (group === winner) continue;
    for (const a of group) ignored.push({ oracle: a.oracle, reason: `approved another (ipfs hash, deadline) = (${a.ipfsHash}, ${a.deadline})` });
  }
  if (winner.length < threshold) {
    throw new OracleApprovalError(
      'NOT_ENOUGH_APPROVALS',
      `oracle quorum not reached: ${winner.length} matching approval(s) of ${answers.length} oracle(s), ${threshold} needed` +
        (ignored.length > 0 ? ` (${ignored.map((i) => `${i.oracle}: ${i.reason}`).join('; ')})` : ''),
      { approvals: winner.length, threshold, oracles: answers.length, ignored },
    );
  }
  const chosen = [...winner].sort((a, b) => compareAddresses(a.oracle, b.oracle)).slice(0, threshold);
  return {
    ipfsHash: winner[0]!.ipfsHash,
    deadline: winner[0]!.deadline,
    signatures: packOracleSignatures(chosen.map((a) => ({ oracle: a.oracle, signature: a.signature }))),
    oracles: chosen.map((a) => a.oracle),
    ignored,
  };
}

function compareAddresses(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
