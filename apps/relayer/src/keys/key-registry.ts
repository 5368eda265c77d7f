/**
 * The validator keys this relayer serves, and what it knows of their public key shares.
 *
 * Sources, in the order configured (the order /register hands keys out):
 *  - RELAYER_PUBLIC_KEYS: bare keys;
 *  - key files, recognised by content:
 *      cluster-lock.json (Obol / dv-node): distributed_public_key + public_shares (share index i + 1), threshold;
 *      key-shares JSON: {threshold?, validators: [{public_key, threshold?, public_key_shares?: [{share_index, public_key_share}]}]};
 *      deposit_data.json (staking deposit CLI): the keys only.
 * Public key shares given here are checked to rebuild their key (any t of them) at start, and then
 * let the relayer verify every partial signature of the legacy API on arrival.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { assertPublicSharesRebuild, parseClusterLock } from '@dvt/cluster';
import { hexToBytes } from '@dvt/common';
import { publicKeySchema, publicKeyShareSchema, shareIndexSchema } from '@dvt/stakewise';
import { RelayerError } from '../errors.js';

export interface PublicKeyShareHex {
  index: number;
  /** 0x hex, 48 bytes */
  publicKey: string;
}

export interface KnownKey {
  /** 0x lowercase */
  publicKey: string;
  threshold?: number;
  /** sorted by index; checked to rebuild publicKey */
  publicShares?: PublicKeyShareHex[];
  /** where it was configured */
  source: string;
}

const keySharesFileSchema = z.object({
  threshold: shareIndexSchema.optional(),
  validators: z
    .array(
      z.object({
        public_key: publicKeySchema,
        threshold: shareIndexSchema.optional(),
        public_key_shares: z.array(publicKeyShareSchema).optional(),
      }),
    )
    .min(1),
});

const depositDataFileSchema = z.array(z.object({ pubkey: publicKeySchema })).min(1);

/** Checks a set of public key shares against its validator key (throws with `what` in the message). */
export function checkPublicShares(publicKey: string, shares: PublicKeyShareHex[], threshold: number, what: string): void {
  const indexes = new Set<number>();
  for (const s of shares) {
    if (indexes.has(s.index)) throw new RelayerError('PUBLIC_KEY_SHARES_INVALID', `${what}: share index ${s.index} repeats`);
    indexes.add(s.index);
  }
  if (shares.length < threshold) {
    throw new RelayerError('PUBLIC_KEY_SHARES_INVALID', `${what}: ${shares.length} public key share(s) for threshold ${threshold}`);
  }
  try {
    // decodes and checks each share key once (a malformed one is named by its share index)
    assertPublicSharesRebuild(
      hexToBytes(publicKey),
      shares.map((s) => ({ index: s.index, publicKey: hexToBytes(s.publicKey) })),
      threshold,
      what,
    );
  } catch (err) {
    throw new RelayerError('PUBLIC_KEY_SHARES_INVALID', (err as Error).message);
  }
}

export class KeyRegistry {
  private readonly byKey = new Map<string, KnownKey>();
  /** hand-out order */
  readonly publicKeys: readonly string[];

  constructor(
    keys: KnownKey[],
    readonly defaultThreshold: number | undefined,
    /** legacy POST /validators also takes keys nobody configured */
    readonly openLegacyKeys: boolean,
  ) {
    const order: string[] = [];
    for (const key of keys) {
      const existing = this.byKey.get(key.publicKey);
      if (existing === undefined) {
        this.byKey.set(key.publicKey, key);
        order.push(key.publicKey);
        continue;
      }
      this.byKey.set(key.publicKey, merge(existing, key));
    }
    this.publicKeys = order;
    for (const key of this.byKey.values()) {
      const threshold = key.threshold ?? defaultThreshold;
      if (threshold === undefined) {
        throw new RelayerError(
          'KEYS_CONFIG_INVALID',
          `key ${key.publicKey} (${key.source}) has no threshold: set SIGNATURE_THRESHOLD (--signature-threshold) or give it in the key file`,
        );
      }
      if (key.publicShares) checkPublicShares(key.publicKey, key.publicShares, threshold, `key ${key.publicKey} (${key.source})`);
    }
    if (openLegacyKeys && defaultThreshold === undefined) {
      throw new RelayerError('KEYS_CONFIG_INVALID', 'accepting unconfigured legacy keys needs SIGNATURE_THRESHOLD (--signature-threshold)');
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  get(publicKey: string): KnownKey | undefined {
    return this.byKey.get(publicKey.toLowerCase());
  }

  has(publicKey: string): boolean {
    return this.byKey.has(publicKey.toLowerCase());
  }

  /** The key's cluster threshold; undefined only for an unconfigured key without a default. */
  thresholdOf(publicKey: string): number | undefined {
    return this.get(publicKey)?.threshold ?? this.defaultThreshold;
  }

  static async load(opts: { publicKeys: string[]; files: string[]; defaultThreshold?: number; openLegacyKeys?: boolean }): Promise<KeyRegistry> {
    const keys: KnownKey[] = opts.publicKeys.map((publicKey) => ({ publicKey: publicKey.toLowerCase(), source: 'RELAYER_PUBLIC_KEYS' }));
    for (const file of opts.files) keys.push(...(await loadKeyFile(file)));
    const open = opts.openLegacyKeys ?? keys.length === 0;
    return new KeyRegistry(keys, opts.defaultThreshold, open);
  }
}

function merge(a: KnownKey, b: KnownKey): KnownKey {
  if (a.threshold !== undefined && b.threshold !== undefined && a.threshold !== b.threshold) {
    throw new RelayerError('KEYS_CONFIG_INVALID', `key ${a.publicKey}: threshold ${a.threshold} (${a.source}) vs ${b.threshold} (${b.source})`);
  }
  if (a.publicShares && b.publicShares && JSON.stringify(a.publicShares) !== JSON.stringify(b.publicShares)) {
    throw new RelayerError('KEYS_CONFIG_INVALID', `key ${a.publicKey}: different public key shares in ${a.source} and ${b.source}`);
  }
  return { ...a, threshold: a.threshold ?? b.threshold, publicShares: a.publicShares ?? b.publicShares, source: `${a.source}, ${b.source}` };
}

/** Reads one key file, recognising its kind by content. */
export async function loadKeyFile(file: string): Promise<KnownKey[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new RelayerError('KEYS_CONFIG_INVALID', `key file ${file}: cannot read JSON (${reason})`, { file });
  }
  return parseKeyDocument(json, file);
}

export function parseKeyDocument(json: unknown, source: string): KnownKey[] {
  const fail = (reason: string) => new RelayerError('KEYS_CONFIG_INVALID', `key file ${source}: ${reason}`, { file: source });
  const firstIssue = (error: z.ZodError) => {
    const issue = error.issues[0]!;
    return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
  };
  if (typeof json === 'object' && json !== null && 'distributed_validators' in json) {
    let lock;
    try {
      lock = parseClusterLock(json, source);
    } catch (err) {
      throw fail((err as Error).message);
    }
    const threshold = lock.cluster_definition.threshold;
    return lock.distributed_validators.map((dv) => ({
      publicKey: dv.distributed_public_key.toLowerCase(),
      threshold,
      publicShares: dv.public_shares.map((share, i) => ({ index: i + 1, publicKey: share.toLowerCase() })),
      source,
    }));
  }
  if (Array.isArray(json)) {
    const parsed = depositDataFileSchema.safeParse(json);
    if (!parsed.success) throw fail(`not a deposit_data.json: ${firstIssue(parsed.error)}`);
    return parsed.data.map((entry) => ({ publicKey: entry.pubkey, source }));
  }
  const parsed = keySharesFileSchema.safeParse(json);
  if (!parsed.success) throw fail(`not a cluster lock, key-shares file or deposit_data.json: ${firstIssue(parsed.error)}`);
  return parsed.data.validators.map((v) => ({
    publicKey: v.public_key,
    threshold: v.threshold ?? parsed.data.threshold,
    publicShares: v.public_key_shares
      ?.map((s) => ({ index: s.share_index, publicKey: s.public_key_share }))
      .sort((a, b) => a.index - b.index),
    source,
  }));
}
