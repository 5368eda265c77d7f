/**
 * `npm run bench`: every suite benchmark, each figure next to its floor measured in this run.
 * Pass area names to run a subset: `npm run bench -- tbls qbft`.
 */
import { runAttesterDutyBench } from './attester-duty.js';
import { runP2pBench } from './p2p.js';
import { runQbftBench } from './qbft.js';
import { runRelayerBench } from './relayer.js';
import { runSidecarBench } from './sidecar.js';
import { runTblsBench } from './tbls.js';

type BenchArea = { name: string; run: () => Promise<void> };

const areas: BenchArea[] = [
  { name: 'tbls', run: runTblsBench },
  { name: 'qbft', run: runQbftBench },
  { name: 'p2p', run: runP2pBench },
  { name: 'relayer', run: async () => void (await runRelayerBench()) },
  { name: 'sidecar', run: runSidecarBench },
  { name: 'attester', run: runAttesterDutyBench },
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const selected = wanted.length ? areas.filter((a) => wanted.includes(a.name)) : areas;
  console.log(`# dvt bench — node ${process.version}, ${new Date().toISOString()}`);
  for (const area of selected) await area.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
