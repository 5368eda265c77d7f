/**
 * The StakeWise DVT relayer HTTP API (STAKEWISE.md §1), both generations, as zod schemas shared by
 * the relayer (request validation, OpenAPI) and its clients (answer validation), plus a typed
 * fetch-based `RelayerClient`.
 *
 * Request schemas are what the relayer accepts: hex with or without 0x in any case (the Python
 * clients send both), normalised to lowercase 0x; share indexes ≥ 1; non-empty lists. Answer
 * schemas are what clients accept from any relayer (ours or the Python one): the same hex leniency.
 */
import { z } from 'zod';
import { DvtError, abbreviate } from '@dvt/common';

// ---- primitives ----

const MAX_BATCH = 10_000;

/** Hex of exactly `bytes` bytes; accepts a missing 0x and upper case, yields lowercase 0x. */
export function hexBytesSchema(bytes: number, what: string) {
  return z
    .string({ error: `expected ${what} as a hex string` })
    .transform((value, ctx) => {
      const body = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value;
      if (!/^[0-9a-fA-F]*$/.test(body)) {
        ctx.addIssue({ code: 'custom', message: `${what}: not hex: ${abbreviate(value)}` });
        return z.NEVER;
      }
      if (body.length !== bytes * 2) {
        ctx.addIssue({ code: 'custom', message: `${what}: expected ${bytes} bytes, got ${body.length / 2}` });
        return z.NEVER;
      }
      return `0x${body.toLowerCase()}`;
    });
}

/** Hex of any non-zero length (encrypted shards, ECDSA signatures), normalised to lowercase 0x. */
export function hexDataSchema(what: string) {
  return z.string({ error: `expected ${what} as a hex string` }).transform((value, ctx) => {
    const body = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value;
    if (body.length === 0 || body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
      ctx.addIssue({ code: 'custom', message: `${what}: not an even-length non-empty hex string: ${abbreviate(value)}` });
      return z.NEVER;
    }
    return `0x${body.toLowerCase()}`;
  });
}

export const publicKeySchema = hexBytesSchema(48, 'BLS public key');
export const signatureSchema = hexBytesSchema(96, 'BLS signature');
/** An execution address (any case, with or without 0x), normalised to lowercase 0x. */
export const addressSchema = hexBytesSchema(20, 'address');
export const shareIndexSchema = z
  .number({ error: 'share index: expected an integer' })
  .int('share index: expected an integer')
  .min(1, 'share index must be ≥ 1 (0 is the secret itself, never a share)')
  .max(Number.MAX_SAFE_INTEGER);
export const validatorIndexSchema = z.number({ error: 'validator index: expected an integer' }).int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Gwei amount of a deposit: at least 1 ETH, at most 2048 ETH (EIP-7251 maximum effective balance). */
export const depositAmountSchema = z
  .number({ error: 'amount: expected gwei as an integer' })
  .int('amount: expected whole gwei')
  .min(1_000_000_000, 'amount: at least 1 ETH (1000000000 gwei)')
  .max(2_048_000_000_000, 'amount: at most 2048 ETH (2048000000000 gwei)');
/** Gwei amount of a withdrawal request: 0 means a full exit (EIP-7002). */
export const withdrawalAmountSchema = z.number({ error: 'amount: expected gwei as an integer' }).int().min(0).max(Number.MAX_SAFE_INTEGER);
export const validatorTypeSchema = z.enum(['0x01', '0x02'], { error: 'validator_type: expected "0x01" or "0x02"' });

function nonEmptyList<T extends z.ZodType>(item: T, what: string) {
  return z.array(item, { error: `${what}: expected a list` }).min(1, `${what}: the list is empty`).max(MAX_BATCH, `${what}: more than ${MAX_BATCH} items`);
}

function noDuplicates<T>(values: T[], ctx: z.RefinementCtx, path: (string | number)[], what: string, key: (v: T) => string): void {
  const seen = new Map<string, number>();
  values.forEach((value, i) => {
    const k = key(value);
    const first = seen.get(k);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [...path, i], message: `${what} ${k} repeats item ${first}` });
    else seen.set(k, i);
  });
}

// ---- current API (operator v4 / sidecar v2) ----

export const infoResponseSchema = z.object({
  network: z.string(),
  validators_manager_address: z.string().nullable(),
});

export const registerRequestSchema = z.object({
  vault: addressSchema,
  validators_start_index: validatorIndexSchema,
  amounts: nonEmptyList(depositAmountSchema, 'amounts'),
  validator_type: validatorTypeSchema,
});

export const oracleExitSignatureSharesSchema = z.object({
  public_keys: z.array(publicKeySchema),
  encrypted_exit_signatures: z.array(hexDataSchema('encrypted exit signature')),
});

export const registeredValidatorSchema = z.object({
  public_key: publicKeySchema,
  amount: z.number().int(),
  deposit_signature: signatureSchema.nullable(),
  /** always null from our relayer: the plaintext exit signature is never handed out */
  exit_signature: signatureSchema.nullable(),
  oracles_exit_signature_shares: oracleExitSignatureSharesSchema.nullable(),
});

export const registerResponseSchema = z.object({
  validators: z.array(registeredValidatorSchema),
  validators_manager_signature: hexDataSchema('validators manager signature').nullable(),
});

export const fundRequestSchema = z
  .object({ vault: addressSchema, public_keys: nonEmptyList(publicKeySchema, 'public_keys'), amounts: nonEmptyList(depositAmountSchema, 'amounts') })
  .superRefine((r, ctx) => {
    if (r.public_keys.length !== r.amounts.length) {
      ctx.addIssue({ code: 'custom', path: ['amounts'], message: `amounts: ${r.amounts.length} amount(s) for ${r.public_keys.length} public key(s)` });
    }
    noDuplicates(r.public_keys, ctx, ['public_keys'], 'public key', (k) => k);
  });

export const withdrawRequestSchema = z
  .object({ vault: addressSchema, public_keys: nonEmptyList(publicKeySchema, 'public_keys'), amounts: nonEmptyList(withdrawalAmountSchema, 'amounts') })
  .superRefine((r, ctx) => {
    if (r.public_keys.length !== r.amounts.length) {
      ctx.addIssue({ code: 'custom', path: ['amounts'], message: `amounts: ${r.amounts.length} amount(s) for ${r.public_keys.length} public key(s)` });
    }
  });

export const consolidateRequestSchema = z
  .object({
    vault: addressSchema,
    source_public_keys: nonEmptyList(publicKeySchema, 'source_public_keys'),
    target_public_keys: nonEmptyList(publicKeySchema, 'target_public_keys'),
  })
  .superRefine((r, ctx) => {
    if (r.source_public_keys.length !== r.target_public_keys.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['target_public_keys'],
        message: `target_public_keys: ${r.target_public_keys.length} key(s) for ${r.source_public_keys.length} source key(s)`,
      });
    }
  });

export const validatorsManagerSignatureResponseSchema = z.object({
  validators_manager_signature: hexDataSchema('validators manager signature').nullable(),
});

export const pendingValidatorSchema = z.object({
  public_key: publicKeySchema,
  vault: z.string(),
  amount: z.number().int(),
  validator_type: validatorTypeSchema,
  validator_index: validatorIndexSchema,
  share_indexes_ready: z.array(z.number().int()),
  is_signatures_ready: z.boolean(),
  created_at_timestamp: z.number().int(),
  created_at_string: z.string(),
});

export const validatorsResponseSchema = z.object({ validators: z.array(pendingValidatorSchema) });

export const publicKeyShareSchema = z.object({ share_index: shareIndexSchema, public_key_share: publicKeySchema });

export const signatureShareItemSchema = z
  .object({
    public_key: publicKeySchema,
    /** every share's public key (sidecar v2 ≥ "send pubkey shares"); older sidecars omit it */
    public_key_shares: z.array(publicKeyShareSchema).max(1024).optional(),
    exit_signature: signatureSchema,
    deposit_signature: signatureSchema,
  })
  .superRefine((item, ctx) => noDuplicates(item.public_key_shares ?? [], ctx, ['public_key_shares'], 'share index', (s) => String(s.share_index)));

export const pushSignaturesRequestSchema = z
  .object({ share_index: shareIndexSchema, shares: nonEmptyList(signatureShareItemSchema, 'shares') })
  .superRefine((r, ctx) => noDuplicates(r.shares, ctx, ['shares'], 'public key', (s) => s.public_key));

// ---- legacy DVT API (sidecar v1, operator with a deposit-data file) ----

export const legacyValidatorsRequestSchema = z
  .object({ public_keys: nonEmptyList(publicKeySchema, 'public_keys') })
  .superRefine((r, ctx) => noDuplicates(r.public_keys, ctx, ['public_keys'], 'public key', (k) => k));

export const legacyValidatorsResponseSchema = z.object({
  ready: z.boolean(),
  validators: z.array(z.object({ public_key: publicKeySchema, oracles_exit_signature_shares: oracleExitSignatureSharesSchema.nullable() })),
});

export const exitItemSchema = z.object({
  public_key: publicKeySchema,
  validator_index: validatorIndexSchema,
  is_exit_signature_ready: z.boolean(),
  created_at_timestamp: z.number().int(),
  created_at_string: z.string(),
  share_indexes_ready: z.array(z.number().int()),
});

export const exitsResponseSchema = z.object({ exits: z.array(exitItemSchema) });

export const exitSignatureShareItemSchema = z.object({ public_key: publicKeySchema, exit_signature: signatureSchema });

export const pushExitSignaturesRequestSchema = z
  .object({ share_index: shareIndexSchema, shares: nonEmptyList(exitSignatureShareItemSchema, 'shares') })
  .superRefine((r, ctx) => noDuplicates(r.shares, ctx, ['shares'], 'public key', (s) => s.public_key));

// ---- errors ----

/** One rejected item of a partly accepted POST /signatures or /exit-signature. */
export const rejectedShareSchema = z.object({
  public_key: z.string(),
  share_index: z.number().int(),
  code: z.string(),
  message: z.string(),
});

/** Body of every 4xx/5xx answer of our relayer. */
export const errorResponseSchema = z.object({
  error: z.string(),
  message: z.string(),
  /** POST /signatures, /exit-signature: the items refused (the others were stored) */
  rejected: z.array(rejectedShareSchema).optional(),
  accepted: z.number().int().optional(),
});

// ---- types ----

export type InfoResponse = z.output<typeof infoResponseSchema>;
export type RegisterRequest = z.input<typeof registerRequestSchema>;
export type ParsedRegisterRequest = z.output<typeof registerRequestSchema>;
export type OracleExitSignatureShares = z.output<typeof oracleExitSignatureSharesSchema>;
export type RegisteredValidator = z.output<typeof registeredValidatorSchema>;
export type RegisterResponse = z.output<typeof registerResponseSchema>;
export type FundRequest = z.input<typeof fundRequestSchema>;
export type ParsedFundRequest = z.output<typeof fundRequestSchema>;
export type WithdrawRequest = z.input<typeof withdrawRequestSchema>;
export type ParsedWithdrawRequest = z.output<typeof withdrawRequestSchema>;
export type ConsolidateRequest = z.input<typeof consolidateRequestSchema>;
export type ParsedConsolidateRequest = z.output<typeof consolidateRequestSchema>;
export type ValidatorsManagerSignatureResponse = z.output<typeof validatorsManagerSignatureResponseSchema>;
export type PendingValidator = z.output<typeof pendingValidatorSchema>;
export type ValidatorsResponse = z.output<typeof validatorsResponseSchema>;
export type PublicKeyShareItem = z.output<typeof publicKeyShareSchema>;
export type SignatureShareItem = z.output<typeof signatureShareItemSchema>;
export type PushSignaturesRequest = z.input<typeof pushSignaturesRequestSchema>;
export type ParsedPushSignaturesRequest = z.output<typeof pushSignaturesRequestSchema>;
export type LegacyValidatorsRequest = z.input<typeof legacyValidatorsRequestSchema>;
export type ParsedLegacyValidatorsRequest = z.output<typeof legacyValidatorsRequestSchema>;
export type LegacyValidatorsResponse = z.output<typeof legacyValidatorsResponseSchema>;
export type ExitItem = z.output<typeof exitItemSchema>;
export type ExitsResponse = z.output<typeof exitsResponseSchema>;
export type PushExitSignaturesRequest = z.input<typeof pushExitSignaturesRequestSchema>;
export type ParsedPushExitSignaturesRequest = z.output<typeof pushExitSignaturesRequestSchema>;
export type RejectedShare = z.output<typeof rejectedShareSchema>;
export type ErrorResponse = z.output<typeof errorResponseSchema>;

/** Routes of both generations; `/validators` is GET in the current API and POST in the legacy one. */
export const RELAYER_ROUTES = {
  info: { method: 'GET', path: '/info' },
  register: { method: 'POST', path: '/register' },
  fund: { method: 'POST', path: '/fund' },
  withdraw: { method: 'POST', path: '/withdraw' },
  consolidate: { method: 'POST', path: '/consolidate' },
  validators: { method: 'GET', path: '/validators' },
  signatures: { method: 'POST', path: '/signatures' },
  legacyValidators: { method: 'POST', path: '/validators' },
  exits: { method: 'GET', path: '/exits' },
  exitSignature: { method: 'POST', path: '/exit-signature' },
} as const;

/** `created_at_string` as the Python relayer writes it: `%Y-%m-%d %H:%M:%S%z` in UTC. */
export function formatCreatedAt(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '+0000');
}

// ---- client ----

export type RelayerClientErrorCode =
  | 'RELAYER_UNREACHABLE'
  | 'RELAYER_TIMEOUT'
  /** 4xx: the relayer refused the request (or some of its items: see `rejected`) */
  | 'RELAYER_REJECTED'
  /** 5xx or another unexpected status */
  | 'RELAYER_HTTP_ERROR'
  | 'RELAYER_INVALID_RESPONSE';

export class RelayerClientError extends DvtError<RelayerClientErrorCode> {
  constructor(
    code: RelayerClientErrorCode,
    message: string,
    readonly status?: number,
    /** the relayer's error body, when it sent one in our format */
    readonly body?: ErrorResponse,
    details?: Record<string, unknown>,
  ) {
    super(code, message, { ...details, status });
  }

  /** Items the relayer refused in a partly accepted push (empty for other errors). */
  get rejected(): RejectedShare[] {
    return this.body?.rejected ?? [];
  }
}

export interface RelayerClientOptions {
  /** e.g. http://127.0.0.1:8000 */
  baseUrl: string;
  /** per request; default 10 s (the Python clients' default) */
  timeoutMs?: number;
  /** sent as `Authorization: Bearer <token>` when the relayer has authentication on */
  token?: string;
  userAgent?: string;
  fetch?: typeof fetch;
}

/** A client of both API generations. Bodies are validated before sending and answers after receiving. */
export class RelayerClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: RelayerClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  info(): Promise<InfoResponse> {
    return this.call('GET', '/info', undefined, infoResponseSchema);
  }

  register(request: RegisterRequest): Promise<RegisterResponse> {
    return this.call('POST', '/register', registerRequestSchema.parse(request), registerResponseSchema);
  }

  fund(request: FundRequest): Promise<ValidatorsManagerSignatureResponse> {
    return this.call('POST', '/fund', fundRequestSchema.parse(request), validatorsManagerSignatureResponseSchema);
  }

  withdraw(request: WithdrawRequest): Promise<ValidatorsManagerSignatureResponse> {
    return this.call('POST', '/withdraw', withdrawRequestSchema.parse(request), validatorsManagerSignatureResponseSchema);
  }

  consolidate(request: ConsolidateRequest): Promise<ValidatorsManagerSignatureResponse> {
    return this.call('POST', '/consolidate', consolidateRequestSchema.parse(request), validatorsManagerSignatureResponseSchema);
  }

  /** GET /validators (current API): the validators sidecars should sign. */
  validators(): Promise<ValidatorsResponse> {
    return this.call('GET', '/validators', undefined, validatorsResponseSchema);
  }

  /** POST /signatures; a partly refused push throws RELAYER_REJECTED with `rejected` listing the refused items. */
  async pushSignatures(request: PushSignaturesRequest): Promise<void> {
    await this.call('POST', '/signatures', pushSignaturesRequestSchema.parse(request), z.unknown());
  }

  /** POST /validators (legacy API). */
  legacyValidators(request: LegacyValidatorsRequest): Promise<LegacyValidatorsResponse> {
    return this.call('POST', '/validators', legacyValidatorsRequestSchema.parse(request), legacyValidatorsResponseSchema);
  }

  /** GET /exits (legacy API). */
  exits(): Promise<ExitsResponse> {
    return this.call('GET', '/exits', undefined, exitsResponseSchema);
  }

  /** POST /exit-signature (legacy API). */
  async pushExitSignatures(request: PushExitSignaturesRequest): Promise<void> {
    await this.call('POST', '/exit-signature', pushExitSignaturesRequestSchema.parse(request), z.unknown());
  }

  private async call<T extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: T): Promise<z.output<T>> {
    const url = this.baseUrl + path;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.token !== undefined) headers.authorization = `Bearer ${this.opts.token}`;
    if (this.opts.userAgent !== undefined) headers['user-agent'] = this.opts.userAgent;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new RelayerClientError('RELAYER_TIMEOUT', `${method} ${url}: no answer within ${this.timeoutMs} ms`, undefined, undefined, { url });
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new RelayerClientError('RELAYER_UNREACHABLE', `${method} ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, undefined, undefined, {
        url,
      });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const parsedError = errorResponseSchema.safeParse(json);
      const errorBody = parsedError.success ? parsedError.data : undefined;
      const reason = errorBody ? `${errorBody.error}: ${errorBody.message}` : abbreviate(text, 300);
      const code = response.status >= 400 && response.status < 500 ? 'RELAYER_REJECTED' : 'RELAYER_HTTP_ERROR';
      throw new RelayerClientError(code, `${method} ${url}: HTTP ${response.status}: ${reason}`, response.status, errorBody, { url });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RelayerClientError(
        'RELAYER_INVALID_RESPONSE',
        `${method} ${url}: unexpected answer at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
        response.status,
        undefined,
        { url },
      );
    }
    return parsed.data;
  }
}
