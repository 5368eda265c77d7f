/**
 * Test fixtures for the relayer: a beacon mock, an oracle set with its private keys, simulated
 * DV clusters that sign what the relayer asks, PostgreSQL schemas / SQLite files per test, and a
 * relayer started from raw settings (so the config parser is exercised too).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositSigningRoot, getNetwork, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import {
  type OracleExitSignatureShares,
  type PendingValidator,
  type PushSignaturesRequest,
  type RelayerClient,
} from '@dvt/stakewise';
import {
  type EciesKeyPair,
  eciesDecrypt,
  generateEciesKeyPair,
  generateSecretKey,
  recoverSignature,
  secretKeyToPublicKey,
  sign,
  splitSecret,
  verify,
} from '@dvt/tbls';
import { BeaconNodeMock } from '@dvt/testing';
import { type RelayerOverrides, type RunningRelayer, startRelayer } from '../../apps/relayer/src/app.js';
import { type RawSettings, parseRelayerConfig } from '../../apps/relayer/src/config.js';
import { silentLogger } from '../../apps/relayer/src/logger.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'relayer-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A PostgreSQL schema of its own for one test file; drop() removes it with everything in it. */
export interface PgSchema {
  name: string;
  drop(): Promise<void>;
}

export async function pgSchema(label: string): Promise<PgSchema> {
  const name = `relayer_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    name,
    async drop() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Oracles with their ECIES private keys, and the protocol config file that names them. */
export interface OracleSet {
  keys: EciesKeyPair[];
  threshold: number;
  document: Record<string, unknown>;
}

export function makeOracles(count: number, threshold: number): OracleSet {
  const keys = Array.from({ length: count }, () => generateEciesKeyPair());
  return {
    keys,
    threshold,
    document: {
      oracles: keys.map((k, i) => ({ public_key: bytesToHex(k.publicKey.subarray(1)), endpoints: [`http://oracle-${i}.invalid`] })),
      exit_signature_recover_threshold: threshold,
      validators_min_oracles: threshold,
      signature_validity_period: 60,
    },
  };
}

/** Decrypts each oracle's shard, checks it against its public key shard, and rebuilds from `subset` (0-based oracle positions). */
export function openOracleShards(oracles: OracleSet, shares: OracleExitSignatureShares, message: Uint8Array, subset: number[]): { shardsVerify: boolean[]; rebuilt: Uint8Array } {
  const decrypted = shares.encrypted_exit_signatures.map((ct, i) => eciesDecrypt(oracles.keys[i]!.privateKey, hexToBytes(ct)));
  const shardsVerify = decrypted.map((sig, i) => verify(hexToBytes(shares.public_keys[i]!), message, sig));
  const rebuilt = recoverSignature(subset.map((i) => ({ index: i + 1, signature: decrypted[i]! })));
  return { shardsVerify, rebuilt };
}

/** A distributed validator whose share keys the test holds: signs what the relayer asks, per share index. */
export class SimulatedValidator {
  readonly secretKey: Uint8Array;
  readonly publicKey: string;
  readonly shares: { index: number; secretKey: Uint8Array; publicKey: string }[];

  constructor(
    readonly threshold: number,
    indexes: number[],
  ) {
    this.secretKey = generateSecretKey();
    this.publicKey = bytesToHex(secretKeyToPublicKey(this.secretKey));
    const split = splitSecret(this.secretKey, threshold, indexes);
    this.shares = split.shares.map((s, i) => ({ index: s.index, secretKey: s.secretKey, publicKey: bytesToHex(split.publicShares[i]!.publicKey) }));
  }

  share(index: number) {
    const share = this.shares.find((s) => s.index === index);
    if (!share) throw new Error(`no share ${index}`);
    return share;
  }

  publicKeyShares() {
    return this.shares.map((s) => ({ share_index: s.index, public_key_share: s.publicKey }));
  }

  exitRoot(network: NetworkConfig, validatorIndex: number): Uint8Array {
    return voluntaryExitSigningData(network, validatorIndex).signingRoot;
  }

  depositRoot(network: NetworkConfig, vault: string, type: '0x01' | '0x02', amount: number): Uint8Array {
    return depositSigningRoot(network, { pubkey: this.publicKey, withdrawalCredentials: vaultWithdrawalCredentials(vault, type), amount });
  }

  /** The current API item this share would push for a validator as GET /validators lists it. */
  item(network: NetworkConfig, v: PendingValidator, index: number, withShares = true) {
    const share = this.share(index);
    return {
      public_key: this.publicKey,
      ...(withShares ? { public_key_shares: this.publicKeyShares() } : {}),
      exit_signature: bytesToHex(sign(share.secretKey, this.exitRoot(network, v.validator_index))),
      deposit_signature: bytesToHex(sign(share.secretKey, this.depositRoot(network, v.vault, v.validator_type, v.amount))),
    };
  }

  legacyItem(network: NetworkConfig, validatorIndex: number, index: number) {
    return { public_key: this.publicKey, exit_signature: bytesToHex(sign(this.share(index).secretKey, this.exitRoot(network, validatorIndex))) };
  }

  /** The full signature the group key gives (what the relayer must rebuild). */
  fullSignature(message: Uint8Array): string {
    return bytesToHex(sign(this.secretKey, message));
  }
}

/** What a current-API sidecar does in one poll: sign every listed validator it holds a share of, push once. */
export async function sidecarRound(client: RelayerClient, network: NetworkConfig, validators: SimulatedValidator[], shareIndex: number): Promise<void> {
  const listed = (await client.validators()).validators;
  const byKey = new Map(validators.map((v) => [v.publicKey, v]));
  const shares: PushSignaturesRequest['shares'] = [];
  for (const v of listed) {
    const mine = byKey.get(v.public_key);
    if (!mine || v.share_indexes_ready.includes(shareIndex)) continue;
    shares.push(mine.item(network, v, shareIndex));
  }
  if (shares.length > 0) await client.pushSignatures({ share_index: shareIndex, shares });
}

export interface RelayerFixture {
  relayer: RunningRelayer;
  network: NetworkConfig;
  beacon: BeaconNodeMock;
  oracles: OracleSet;
  dir: TempDir;
  settings: RawSettings;
  /** stops the relayer (the beacon mock and files stay, so a restart finds them) */
  stop(): Promise<void>;
  /** a new relayer over the same database and files */
  restart(extra?: RawSettings, overrides?: RelayerOverrides): Promise<RunningRelayer>;
  /** everything: relayer, beacon, files */
  close(): Promise<void>;
}

export interface FixtureOptions {
  network?: 'hoodi' | 'mainnet';
  /** a devnet with overrides (the relayer gets the same through its DEVNET_* / DEPOSIT_CONTRACT_ADDRESS settings) */
  networkConfig?: NetworkConfig;
  publicKeys?: string[];
  threshold?: number;
  oracles?: OracleSet;
  /** raw settings added or replaced (a function gets the temp dir, where `files` are) */
  settings?: RawSettings | ((dir: string) => RawSettings);
  /** extra files written into the temp dir before start: name → JSON (strings are written as they are) */
  files?: Record<string, unknown>;
  overrides?: RelayerOverrides;
  beacon?: BeaconNodeMock;
  /** PostgreSQL schema instead of a SQLite file */
  pg?: PgSchema;
}

export async function startFixture(opts: FixtureOptions = {}): Promise<RelayerFixture> {
  const network = opts.networkConfig ?? getNetwork(opts.network ?? 'hoodi');
  const dir = await tempDir();
  const beacon = opts.beacon ?? new BeaconNodeMock({ network });
  await beacon.start();
  const oracles = opts.oracles ?? makeOracles(4, 3);
  const protocolFile = join(dir.path, 'protocol-config.json');
  await writeFile(protocolFile, JSON.stringify(oracles.document));
  for (const [name, content] of Object.entries(opts.files ?? {})) {
    await writeFile(join(dir.path, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  const settings: RawSettings = {
    NETWORK: network.name,
    RELAYER_PORT: '0',
    CONSENSUS_ENDPOINT: beacon.url,
    PROTOCOL_CONFIG_FILE: protocolFile,
    RELAYER_CRYPTO_WORKERS: '0',
    LOG_LEVEL: 'error',
    ...(opts.publicKeys && opts.publicKeys.length > 0 ? { RELAYER_PUBLIC_KEYS: opts.publicKeys.join(',') } : {}),
    ...(opts.threshold !== undefined ? { SIGNATURE_THRESHOLD: String(opts.threshold) } : {}),
    ...(opts.pg ? { DATABASE_URL: PG_URL, DATABASE_SCHEMA: opts.pg.name } : { DATABASE: join(dir.path, 'relayer.sqlite') }),
    ...(typeof opts.settings === 'function' ? opts.settings(dir.path) : opts.settings),
  };
  const start = (extra: RawSettings = {}, overrides: RelayerOverrides = opts.overrides ?? {}) =>
    startRelayer(parseRelayerConfig({ ...settings, ...extra }), { logger: silentLogger, defaultMetrics: false, ...overrides });
  let relayer: RunningRelayer;
  try {
    relayer = await start();
  } catch (err) {
    if (!opts.beacon) await beacon.stop();
    await dir.remove();
    throw err;
  }
  const fixture: RelayerFixture = {
    get relayer() {
      return relayer;
    },
    network,
    beacon,
    oracles,
    dir,
    settings,
    stop: () => relayer.close(),
    async restart(extra, overrides) {
      await relayer.close();
      relayer = await start(extra, overrides);
      return relayer;
    },
    async close() {
      await relayer.close();
      await beacon.stop();
      await dir.remove();
    },
  };
  return fixture;
}
