/**
 * Child process of the sidecar memory benchmark: loads one node folder through the sidecar's
 * real loader, polls once with every validator pending, then prints its memory as one JSON line.
 * `--idle` loads the same modules and holds no shares (the floor).
 */
import { getNetwork } from '@dvt/eth2';
import { loadShareBook } from '../apps/sidecar/src/app.js';
import { parseSidecarConfig } from '../apps/sidecar/src/config.js';
import { silentLogger } from '../apps/sidecar/src/logger.js';
import { SidecarMetrics } from '../apps/sidecar/src/metrics.js';
import { ShareBook } from '../apps/sidecar/src/share-book.js';
import { Sidecar } from '../apps/sidecar/src/sidecar.js';
import { relayerListing } from './sidecar.js';

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const target = process.argv[2];
  const network = getNetwork('hoodi');
  const started = performance.now();
  let book: ShareBook;
  if (target === undefined || target === '--idle') {
    book = new ShareBook([]);
  } else {
    const config = parseSidecarConfig({
      network: 'hoodi',
      relayer: { url: 'http://relayer.bench' },
      cluster: { type: 'obol', lockFile: `${target}/cluster-lock.json`, keysDir: `${target}/validator_keys`, nodeIndexes: [0] },
    });
    book = await loadShareBook(config, network, silentLogger);
  }
  const loaded = performance.now();
  const publicKeys = book.validatorKeys();
  const config = parseSidecarConfig({
    network: 'hoodi',
    relayer: { url: 'http://relayer.bench' },
    maxSharesPerPush: 10_000,
    cluster: { type: 'obol', lockFile: 'unused', keysDir: 'unused', nodeIndexes: [0] },
  });
  const sidecar = new Sidecar({ config, network, book, relayer: relayerListing(publicKeys), logger: silentLogger, metrics: new SidecarMetrics() });
  await sidecar.pollOnce();
  const polled = performance.now();
  gc?.();
  const usage = process.memoryUsage();
  console.log(
    JSON.stringify({
      validators: book.validatorCount(),
      rssMb: usage.rss / MB,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      heapUsedMb: usage.heapUsed / MB,
      loadSeconds: (loaded - started) / 1000,
      pollSeconds: (polled - loaded) / 1000,
    }),
  );
  // keep the sidecar (and its cache) alive until measured
  sidecar.stop();
}

await main();
