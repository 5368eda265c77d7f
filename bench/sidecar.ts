/**
 * Sidecar benchmark.
 *
 * 1. Signing throughput: one poll of a sidecar holding one node's shares of 1,000 validators that
 *    all need an exit and a deposit share (parse the relayer answer, build both signing roots, sign
 *    twice, build the POST body). Floor: two raw blst signatures per validator (key already
 *    deserialised), measured in the same run. Target ≤ 1.3×.
 * 2. Memory: a child process loads one node's shares of 10,000 validators through the real Obol
 *    loader (lock verification + 10,000 EIP-2335 keystores, written with the fast PBKDF2 parameters
 *    so the bench does not spend minutes in the KDF), then polls once with all 10,000 pending.
 *    Figure: resident memory after that poll (and the peak); floor: the same child holding no
 *    shares (runtime + modules). Target < 300 MB.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import blst from '@chainsafe/blst';
import { createCluster, writeClusterFolders } from '@dvt/cluster';
import { getNetwork } from '@dvt/eth2';
import { parseSidecarConfig } from '../apps/sidecar/src/config.js';
import { shareSetsFromCluster } from '../apps/sidecar/src/keys/in-memory.js';
import { silentLogger } from '../apps/sidecar/src/logger.js';
import { SidecarMetrics } from '../apps/sidecar/src/metrics.js';
import { type RelayerPort } from '../apps/sidecar/src/relayer.js';
import { ShareBook } from '../apps/sidecar/src/share-book.js';
import { Sidecar } from '../apps/sidecar/src/sidecar.js';
import { type BenchRow, measure, measureAsync, printTable } from './harness.js';

const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const SIGNING_VALIDATORS = 1_000;
const MEMORY_VALIDATORS = 10_000;
const MEMORY_TARGET_MB = 300;

export interface ChildMemoryReport {
  validators: number;
  rssMb: number;
  peakRssMb: number;
  heapUsedMb: number;
  loadSeconds: number;
  pollSeconds: number;
}

/** A relayer that lists every validator of the cluster as needing all shares. */
export function relayerListing(publicKeys: readonly string[]): RelayerPort {
  const validators = publicKeys.map((public_key, i) => ({
    public_key,
    vault: VAULT,
    amount: 32_000_000_000,
    validator_type: '0x02',
    validator_index: 1_000 + i,
    share_indexes_ready: [],
    is_signatures_ready: false,
  }));
  return {
    info: async () => ({ network: 'hoodi', validators_manager_address: null }),
    validators: async () => ({ validators }),
    pushSignatures: async () => undefined,
    exits: async () => ({ exits: [] }),
    pushExitSignatures: async () => undefined,
  };
}

export function benchSidecarConfig() {
  return parseSidecarConfig({
    network: 'hoodi',
    relayer: { url: 'http://relayer.bench' },
    maxSharesPerPush: 10_000,
    cluster: { type: 'obol', lockFile: 'unused', keysDir: 'unused', nodeIndexes: [0] },
  });
}

async function measureSigning(): Promise<BenchRow> {
  const hoodi = getNetwork('hoodi');
  const cluster = createCluster({
    network: hoodi,
    operators: 4,
    validators: SIGNING_VALIDATORS,
    withdrawalAddress: VAULT,
    validatorType: '0x02',
    feeRecipient: VAULT,
  });
  const book = new ShareBook(shareSetsFromCluster(cluster, [0]));
  const relayer = relayerListing(cluster.lock.distributed_validators.map((d) => d.distributed_public_key));
  const config = benchSidecarConfig();
  // a fresh sidecar per poll: nothing cached, every validator signed
  const poll = measureAsync(
    async () => {
      const sidecar = new Sidecar({ config, network: hoodi, book, relayer, logger: silentLogger, metrics: new SidecarMetrics() });
      await sidecar.pollOnce();
    },
    { minSamples: 5, minTimeMs: 3_000, warmup: 1, opsPerCall: SIGNING_VALIDATORS },
  );
  const figure = await poll;
  const shares = cluster.nodes[0]!.keyShares.map((k) => blst.SecretKey.fromBytes(k));
  const exitRoot = randomBytes(32);
  const depositRoot = randomBytes(32);
  const floor = measure(
    () => {
      for (const key of shares) {
        key.sign(exitRoot).toBytes();
        key.sign(depositRoot).toBytes();
      }
    },
    { minSamples: 5, minTimeMs: 3_000, warmup: 1, opsPerCall: SIGNING_VALIDATORS },
  );
  return {
    name: `sidecar poll, exit + deposit share per validator (${SIGNING_VALIDATORS} validators)`,
    value: figure.medianMs,
    floor: floor.medianMs,
    unit: 'ms/validator',
    target: '≤ 1.3× floor',
    floorName: '2 × raw blst sign (key pre-parsed)',
  };
}

async function runChild(args: string[]): Promise<ChildMemoryReport> {
  const child = fileURLToPath(new URL('./sidecar-memory-child.js', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', child, ...args], { maxBuffer: 1 << 20, timeout: 600_000 });
  const last = stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as ChildMemoryReport;
}

async function measureMemory(): Promise<{ row: BenchRow; loaded: ChildMemoryReport; idle: ChildMemoryReport }> {
  const hoodi = getNetwork('hoodi');
  const root = await mkdtemp(join(tmpdir(), 'dvt-sidecar-bench-'));
  try {
    const cluster = createCluster({
      network: hoodi,
      operators: 4,
      validators: MEMORY_VALIDATORS,
      withdrawalAddress: VAULT,
      validatorType: '0x02',
      feeRecipient: VAULT,
    });
    const [nodeDir] = await writeClusterFolders(cluster, root, { kdf: 'pbkdf2', fastKdfForTests: true, nodeIndexes: [0] });
    const idle = await runChild(['--idle']);
    const loaded = await runChild([nodeDir!]);
    return {
      idle,
      loaded,
      row: {
        name: `sidecar RSS holding ${MEMORY_VALIDATORS} validators' shares, after a poll signing all (peak ${loaded.peakRssMb.toFixed(0)} MB)`,
        value: loaded.rssMb,
        floor: idle.rssMb,
        unit: 'MB',
        target: `< ${MEMORY_TARGET_MB} MB`,
        floorName: 'same process without shares',
      },
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function runSidecarBench(): Promise<void> {
  const signing = await measureSigning();
  const memory = await measureMemory();
  printTable('sidecar', [signing, memory.row]);
  console.log(
    `memory child: load (lock verification + ${memory.loaded.validators} keystores, fast PBKDF2) ${memory.loaded.loadSeconds.toFixed(1)} s, ` +
      `one poll signing all ${memory.loaded.pollSeconds.toFixed(1)} s, heap ${memory.loaded.heapUsedMb.toFixed(0)} MB; ` +
      `RSS ${memory.loaded.rssMb < MEMORY_TARGET_MB ? 'within' : 'ABOVE'} the ${MEMORY_TARGET_MB} MB target`,
  );
}
