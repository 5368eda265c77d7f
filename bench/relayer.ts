/**
 * Relayer benchmark: the pipeline "4 shares in → verified signatures → 11 encrypted oracle shards
 * (threshold 8) → persisted", per validator, with the current API (each share carries an exit and a
 * deposit partial, so both signatures are rebuilt). Four sidecars push concurrently, one request
 * each per round; a round ends when every validator is rebuilt, re-shared and stored.
 *
 * Floor: the crypto primitives of one validator on one thread — batch verification of the 8
 * partials, two threshold rebuilds (3 of 4, verified), and the oracle re-share + 11 ECIES
 * encryptions — sampled right before every round, so floor and figure see the same machine load.
 * The pipeline runs BLS work on a worker pool (one thread per core, when compiled), so it can beat
 * the single-thread floor; the database, JSON and HTTP are not in the floor.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositSigningRoot, getNetwork, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { RelayerClient } from '@dvt/stakewise';
import {
  generateEciesKeyPair,
  generateSecretKey,
  recoverVerifiedSignature,
  reshareAndEncryptSignature,
  sign,
  splitSecret,
  verifyBatch,
} from '@dvt/tbls';
import { startRelayer } from '../apps/relayer/src/app.js';
import { type ChainView } from '../apps/relayer/src/beacon/chain-view.js';
import { type RawSettings, parseRelayerConfig } from '../apps/relayer/src/config.js';
import { silentLogger } from '../apps/relayer/src/logger.js';
import { type BenchRow, fmt, measure, printTable, summarize } from './harness.js';

const SHARES = [1, 2, 3, 4];
const CLUSTER_THRESHOLD = 3;
const ORACLES = 11;
const ORACLE_THRESHOLD = 8;
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const AMOUNT = 32_000_000_000;

interface Key {
  publicKey: string;
  publicKeyBytes: Uint8Array;
  shares: { index: number; secretKey: Uint8Array; publicKey: Uint8Array }[];
}

function makeKey(): Key {
  const split = splitSecret(generateSecretKey(), CLUSTER_THRESHOLD, SHARES);
  return {
    publicKey: bytesToHex(split.publicKey),
    publicKeyBytes: split.publicKey,
    shares: split.shares.map((s, i) => ({ index: s.index, secretKey: s.secretKey, publicKey: split.publicShares[i]!.publicKey })),
  };
}

/** The four sidecars' push bodies for `keys` bound from `startIndex`. */
function pushBodies(network: NetworkConfig, keys: Key[], startIndex: number) {
  const credentials = vaultWithdrawalCredentials(VAULT, '0x01');
  return SHARES.map((shareIndex) => ({
    share_index: shareIndex,
    shares: keys.map((key, i) => {
      const share = key.shares.find((s) => s.index === shareIndex)!;
      const exitRoot = voluntaryExitSigningData(network, startIndex + i).signingRoot;
      const depositRoot = depositSigningRoot(network, { pubkey: key.publicKey, withdrawalCredentials: credentials, amount: AMOUNT });
      return {
        public_key: key.publicKey,
        public_key_shares: key.shares.map((s) => ({ share_index: s.index, public_key_share: bytesToHex(s.publicKey) })),
        exit_signature: bytesToHex(sign(share.secretKey, exitRoot)),
        deposit_signature: bytesToHex(sign(share.secretKey, depositRoot)),
      };
    }),
  }));
}

interface Floor {
  /** each primitive's median, ms */
  parts: Record<string, number>;
  /** one validator's primitives, all of them once */
  perValidator: () => void;
}

/** The crypto primitives of one validator, single thread. */
function buildFloor(network: NetworkConfig, oraclePublicKeys: Uint8Array[]): Floor {
  const key = makeKey();
  const exitRoot = voluntaryExitSigningData(network, 1).signingRoot;
  const depositRoot = depositSigningRoot(network, { pubkey: key.publicKey, withdrawalCredentials: vaultWithdrawalCredentials(VAULT, '0x01'), amount: AMOUNT });
  const partials = (message: Uint8Array) => key.shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));
  const exitPartials = partials(exitRoot);
  const depositPartials = partials(depositRoot);
  const sets = [
    ...exitPartials.map((p, i) => ({ publicKey: key.shares[i]!.publicKey, message: exitRoot, signature: p.signature })),
    ...depositPartials.map((p, i) => ({ publicKey: key.shares[i]!.publicKey, message: depositRoot, signature: p.signature })),
  ];
  const publicShares = key.shares.map((s) => ({ index: s.index, publicKey: s.publicKey }));
  const rebuild = (message: Uint8Array, shares: { index: number; signature: Uint8Array }[]) =>
    recoverVerifiedSignature({ publicKey: key.publicKeyBytes, message, shares, threshold: CLUSTER_THRESHOLD, publicShares });
  const exitSignature = rebuild(exitRoot, exitPartials).signature;
  const reshare = () =>
    reshareAndEncryptSignature({
      publicKey: key.publicKeyBytes,
      signature: exitSignature,
      message: exitRoot,
      threshold: ORACLE_THRESHOLD,
      oraclePublicKeys,
      alreadyVerified: true,
    });
  // past the ECIES receiver-table threshold (tbls builds an oracle key's table after 16 uses), as in a running relayer
  for (let i = 0; i < 24; i++) reshare();
  const parts = {
    'batch verify 8 partials': measure(() => verifyBatch(sets), { minTimeMs: 600 }).medianMs,
    'rebuild + verify exit (3 of 4)': measure(() => rebuild(exitRoot, exitPartials), { minTimeMs: 400 }).medianMs,
    'rebuild + verify deposit (3 of 4)': measure(() => rebuild(depositRoot, depositPartials), { minTimeMs: 400 }).medianMs,
    [`re-share ${ORACLES} (t=${ORACLE_THRESHOLD}) + ECIES`]: measure(reshare, { minTimeMs: 600 }).medianMs,
  };
  const perValidator = () => {
    verifyBatch(sets);
    rebuild(exitRoot, exitPartials);
    rebuild(depositRoot, depositPartials);
    reshare();
  };
  return { parts, perValidator };
}

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

export interface RelayerBenchOptions {
  /** validators per round (default 100) */
  validators?: number;
  /** measured rounds (default 5, after one warm-up round) */
  rounds?: number;
  /** worker threads for BLS work (default: one per core) */
  workers?: number;
  /** also run on PostgreSQL when reachable at this URL (default postgres://postgres@127.0.0.1:5432/test; '' to skip) */
  postgresUrl?: string;
  /** print the table (default true) */
  print?: boolean;
}

export interface RelayerBenchResult {
  rows: BenchRow[];
  /** median floor, ms per validator */
  floorMs: number;
  /** each primitive's median at start, ms */
  parts: Record<string, number>;
  /** where the relayer ran its BLS work */
  mode: string;
}

/** One database: rounds of 4 concurrent sidecar pushes; median ms per validator (core calls, then HTTP). */
async function runPipeline(
  database: RawSettings,
  network: NetworkConfig,
  oracleDocument: unknown,
  opts: Required<Pick<RelayerBenchOptions, 'validators' | 'rounds' | 'workers'>>,
  floor: Floor,
): Promise<{ coreMs: number; httpMs: number; floorMs: number; mode: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'relayer-bench-'));
  const perRound = opts.validators;
  const totalRounds = (opts.rounds + 1) * 2; // core and HTTP, each with a warm-up round
  const keys = Array.from({ length: perRound * totalRounds }, makeKey);
  const used = new Set<string>();
  const chain: ChainView = {
    registeredKeys: async (publicKeys) => new Set(publicKeys.filter((k) => used.has(k))),
    predictIndexes: async (publicKeys) => new Map(publicKeys.map((k, i) => [k, i])),
  };
  try {
    await writeFile(join(dir, 'oracles.json'), JSON.stringify(oracleDocument));
    const settings: RawSettings = {
      NETWORK: network.name,
      RELAYER_PORT: '0',
      CONSENSUS_ENDPOINT: 'http://127.0.0.1:9',
      PROTOCOL_CONFIG_FILE: join(dir, 'oracles.json'),
      RELAYER_PUBLIC_KEYS: keys.map((k) => k.publicKey),
      SIGNATURE_THRESHOLD: String(CLUSTER_THRESHOLD),
      RELAYER_CRYPTO_WORKERS: String(opts.workers),
      LOG_LEVEL: 'error',
      DATABASE: join(dir, 'relayer.sqlite'),
      ...database,
    };
    const relayer = await startRelayer(parseRelayerConfig(settings), { logger: silentLogger, chain, defaultMetrics: false });
    const client = new RelayerClient({ baseUrl: relayer.url, timeoutMs: 600_000 });
    const samples = { core: [] as number[], http: [] as number[], floor: [] as number[] };
    try {
      let round = 0;
      for (const via of ['core', 'http'] as const) {
        for (let r = 0; r <= opts.rounds; r++, round++) {
          const startIndex = round * perRound;
          const request = { vault: VAULT, validators_start_index: startIndex, amounts: Array(perRound).fill(AMOUNT), validator_type: '0x01' as const };
          const registered = await relayer.core.register(request);
          const roundKeys = registered.validators.map((v) => keys.find((k) => k.publicKey === v.public_key)!);
          const bodies = pushBodies(network, roundKeys, startIndex);
          // the floor, sampled right before each round so both see the same machine load
          if (r > 0) samples.floor.push(measure(floor.perValidator, { minTimeMs: 300, minSamples: 5, warmup: 1 }).medianMs);
          const t0 = performance.now();
          if (via === 'core') await Promise.all(bodies.map((body) => relayer.core.pushSignatures(body as never)));
          else await Promise.all(bodies.map((body) => client.pushSignatures(body)));
          const elapsed = performance.now() - t0;
          const done = await relayer.core.register(request);
          if (!done.validators.every((v) => v.deposit_signature !== null && v.oracles_exit_signature_shares?.public_keys.length === ORACLES)) {
            throw new Error('bench round ended with validators not ready');
          }
          if (hexToBytes(done.validators[0]!.oracles_exit_signature_shares!.encrypted_exit_signatures[0]!).length !== 193) throw new Error('unexpected shard size');
          for (const k of roundKeys) used.add(k.publicKey);
          if (r > 0) samples[via].push(elapsed / perRound);
        }
      }
      return {
        coreMs: summarize(samples.core).medianMs,
        httpMs: summarize(samples.http).medianMs,
        floorMs: summarize(samples.floor).medianMs,
        mode: relayer.cryptoMode,
      };
    } finally {
      await relayer.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runRelayerBench(options: RelayerBenchOptions = {}): Promise<RelayerBenchResult> {
  const opts = {
    validators: options.validators ?? 100,
    rounds: options.rounds ?? 5,
    workers: options.workers ?? availableParallelism(),
  };
  const postgresUrl = options.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/test';
  const network = getNetwork('hoodi');
  const oracleKeys = Array.from({ length: ORACLES }, () => generateEciesKeyPair());
  const oracleDocument = {
    oracles: oracleKeys.map((k) => ({ public_key: bytesToHex(k.publicKey.subarray(1)), endpoints: [] })),
    exit_signature_recover_threshold: ORACLE_THRESHOLD,
  };

  const floor = buildFloor(network, oracleKeys.map((k) => k.publicKey));
  const rows: BenchRow[] = [];
  const floors: number[] = [];
  const add = (name: string, perValidatorMs: number, floorMs: number) => {
    rows.push({ name: `${name}, per validator`, value: perValidatorMs, floor: floorMs, unit: 'ms', target: '≤ 1.5×', floorName: 'crypto primitives of 1 validator, 1 thread' });
    rows.push({
      name: `${name}, throughput`,
      value: 1000 / perValidatorMs,
      floor: 1000 / floorMs,
      unit: 'validators/s',
      target: '≥ 100 validators/s',
      floorName: '1 / floor',
    });
  };

  const sqlite = await runPipeline({}, network, oracleDocument, opts, floor);
  floors.push(sqlite.floorMs);
  add('SQLite, core', sqlite.coreMs, sqlite.floorMs);
  add('SQLite, HTTP', sqlite.httpMs, sqlite.floorMs);
  const mode = sqlite.mode;
  if (postgresUrl !== '' && (await postgresReachable(postgresUrl))) {
    const schema = `relayer_bench_${process.pid}`;
    try {
      const postgres = await runPipeline({ DATABASE_URL: postgresUrl, DATABASE_SCHEMA: schema }, network, oracleDocument, opts, floor);
      floors.push(postgres.floorMs);
      add('PostgreSQL, core', postgres.coreMs, postgres.floorMs);
      add('PostgreSQL, HTTP', postgres.httpMs, postgres.floorMs);
    } finally {
      await dropSchema(postgresUrl, schema);
    }
  }
  const floorMs = summarize(floors).medianMs;
  if (options.print ?? true) {
    printTable(
      `relayer: 4 shares in → verified exit + deposit signatures → ${ORACLES} encrypted oracle shards (t=${ORACLE_THRESHOLD}) → stored; ` +
        `${opts.validators} validators × ${opts.rounds} rounds, BLS work: ${mode}`,
      rows,
    );
    console.log(`floor parts (ms, at start): ${Object.entries(floor.parts).map(([k, v]) => `${k} ${fmt(v)}`).join('; ')}`);
  }
  return { rows, floorMs, parts: floor.parts, mode };
}
