/**
 * The StakeWise protocol config the relayer needs: the oracles (secp256k1 public keys, in order,
 * and endpoints), the exit-signature recover threshold and the Keeper's validatorsMinOracles.
 * One interface, two sources: a local file, or the Keeper's latest ConfigUpdated(configIpfsHash)
 * event + the IPFS document it names (STAKEWISE.md §3).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { RelayerError } from '../errors.js';
import { type Logger, ThrottledLogger } from '../logger.js';
import { type RelayerMetrics } from '../metrics.js';
import { hexToBytes } from '@dvt/common';
import { assertEciesPublicKey } from '@dvt/tbls';

export interface OracleInfo {
  /** secp256k1 public key as the config gives it, lowercase 0x hex */
  publicKey: string;
  endpoints: string[];
}

export interface ProtocolConfig {
  oracles: OracleInfo[];
  exitSignatureRecoverThreshold: number;
  /** approvals the Keeper needs (validatorsMinOracles); undefined when the file does not say */
  validatorsMinOracles?: number;
  /** sha256 over the threshold and the oracle keys in order: shards made for another set are redone */
  oracleSetId: string;
  /** file path or IPFS hash */
  source: string;
}

const documentSchema = z.object({
  oracles: z
    .array(
      z.object({
        public_key: z.string().regex(/^(0x)?[0-9a-fA-F]+$/, 'expected hex'),
        endpoints: z.array(z.string()).default([]),
      }),
    )
    .min(1, 'no oracles'),
  exit_signature_recover_threshold: z.number().int().min(1),
  /** only in local files: the Keeper's value when read from chain */
  validators_min_oracles: z.number().int().min(1).optional(),
});

/** Parses the oracles config document (the IPFS JSON; extra fields are ignored). */
export function parseProtocolConfig(json: unknown, source: string, validatorsMinOracles?: number): ProtocolConfig {
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RelayerError('PROTOCOL_CONFIG_INVALID', `protocol config ${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const doc = parsed.data;
  const oracles = doc.oracles.map((o, i) => {
    const publicKey = (o.public_key.startsWith('0x') ? o.public_key : `0x${o.public_key}`).toLowerCase();
    try {
      assertEciesPublicKey(hexToBytes(publicKey, `oracles[${i}].public_key`), `oracles[${i}].public_key`);
    } catch (err) {
      throw new RelayerError('PROTOCOL_CONFIG_INVALID', `protocol config ${source}: ${(err as Error).message}`);
    }
    return { publicKey, endpoints: o.endpoints };
  });
  if (new Set(oracles.map((o) => o.publicKey)).size !== oracles.length) {
    throw new RelayerError('PROTOCOL_CONFIG_INVALID', `protocol config ${source}: duplicate oracle public keys`);
  }
  const threshold = doc.exit_signature_recover_threshold;
  if (threshold > oracles.length) {
    throw new RelayerError('PROTOCOL_CONFIG_INVALID', `protocol config ${source}: exit_signature_recover_threshold ${threshold} > ${oracles.length} oracles`);
  }
  const minOracles = validatorsMinOracles ?? doc.validators_min_oracles;
  if (minOracles !== undefined && (minOracles > oracles.length || threshold > minOracles)) {
    throw new RelayerError(
      'PROTOCOL_CONFIG_INVALID',
      `protocol config ${source}: validatorsMinOracles ${minOracles} must lie in [exit threshold ${threshold}, ${oracles.length} oracles]`,
    );
  }
  const oracleSetId =
    '0x' +
    createHash('sha256')
      .update(String(threshold))
      .update(oracles.map((o) => o.publicKey).join(','))
      .digest('hex');
  return { oracles, exitSignatureRecoverThreshold: threshold, validatorsMinOracles: minOracles, oracleSetId, source };
}

export interface ProtocolConfigSource {
  readonly description: string;
  load(): Promise<ProtocolConfig>;
}

export class FileProtocolConfigSource implements ProtocolConfigSource {
  constructor(private readonly file: string) {}

  get description(): string {
    return `file ${this.file}`;
  }

  async load(): Promise<ProtocolConfig> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(this.file, 'utf8'));
    } catch (err) {
      throw new RelayerError('PROTOCOL_CONFIG_INVALID', `protocol config file ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return parseProtocolConfig(json, this.file);
  }
}

/**
 * Holds the current protocol config and refreshes it in the background. A failed refresh keeps
 * the last good config (logged, throttled); until a first load succeeds `current()` throws
 * PROTOCOL_CONFIG_UNAVAILABLE and readiness is down.
 */
export class ProtocolConfigProvider {
  private config?: ProtocolConfig;
  private timer?: NodeJS.Timeout;
  private readonly throttled: ThrottledLogger;
  private lastError?: string;

  constructor(
    private readonly source: ProtocolConfigSource,
    private readonly refreshMs: number | undefined,
    private readonly logger: Logger,
    private readonly metrics?: RelayerMetrics,
  ) {
    this.throttled = new ThrottledLogger(logger);
  }

  /** First load; a PROTOCOL_CONFIG_INVALID file fails the start, an unreachable chain/IPFS only delays readiness. */
  async start(): Promise<void> {
    try {
      await this.refresh();
    } catch (err) {
      if (this.source instanceof FileProtocolConfigSource) throw err;
    }
    if (this.refreshMs !== undefined) {
      this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<ProtocolConfig> {
    try {
      const next = await this.source.load();
      if (this.config?.oracleSetId !== next.oracleSetId) {
        this.logger.info('protocol config loaded', {
          source: next.source,
          oracles: next.oracles.length,
          exitSignatureRecoverThreshold: next.exitSignatureRecoverThreshold,
          validatorsMinOracles: next.validatorsMinOracles,
        });
      }
      this.config = next;
      this.lastError = undefined;
      this.throttled.clear('protocol-config');
      this.metrics?.protocolConfigLoaded.set(1);
      return next;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.throttled.log('warn', 'protocol-config', 'protocol config refresh failed', { source: this.source.description, error: this.lastError });
      throw err;
    }
  }

  get loaded(): boolean {
    return this.config !== undefined;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  current(): ProtocolConfig {
    if (this.config === undefined) {
      throw new RelayerError(
        'PROTOCOL_CONFIG_UNAVAILABLE',
        `protocol config not loaded yet from ${this.source.description}${this.lastError ? `: ${this.lastError}` : ''}`,
      );
    }
    return this.config;
  }

  /** The config if loaded, else undefined (no throw). */
  peek(): ProtocolConfig | undefined {
    return this.config;
  }
}
