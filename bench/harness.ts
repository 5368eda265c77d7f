/**
 * Tiny benchmark harness: runs a function repeatedly and reports the median time per call.
 * Every figure the suite prints is paired with a floor measured in the same run, so the ratio
 * survives a noisy 2-core machine.
 */
import { performance } from 'node:perf_hooks';

export interface Measurement {
  /** median milliseconds per operation */
  medianMs: number;
  p99Ms: number;
  samples: number;
}

export interface MeasureOptions {
  /** minimum total time to spend, ms */
  minTimeMs?: number;
  /** minimum number of samples */
  minSamples?: number;
  /** operations performed by one call of fn (the result is divided by it) */
  opsPerCall?: number;
  warmup?: number;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samplesMs: number[]): Measurement {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { medianMs: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), samples: sorted.length };
}

export function measure(fn: () => unknown, opts: MeasureOptions = {}): Measurement {
  const { minTimeMs = 1000, minSamples = 10, opsPerCall = 1, warmup = 3 } = opts;
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minSamples || performance.now() - start < minTimeMs) {
    const t0 = performance.now();
    fn();
    samples.push((performance.now() - t0) / opsPerCall);
  }
  return summarize(samples);
}

export async function measureAsync(fn: () => Promise<unknown>, opts: MeasureOptions = {}): Promise<Measurement> {
  const { minTimeMs = 1000, minSamples = 10, opsPerCall = 1, warmup = 2 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minSamples || performance.now() - start < minTimeMs) {
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) / opsPerCall);
  }
  return summarize(samples);
}

export interface BenchRow {
  name: string;
  /** the figure, in `unit` */
  value: number;
  /** the floor it is compared with, same unit, measured in the same run */
  floor: number;
  unit: string;
  /** target as text, e.g. "≤ 1.5× floor" */
  target?: string;
  floorName?: string;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  if (n >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

export function printTable(title: string, rows: BenchRow[]): void {
  console.log(`\n## ${title}`);
  const header = ['what', 'figure', 'floor', 'ratio', 'target', 'floor is'];
  const lines = rows.map((r) => [
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    `${fmt(r.floor)} ${r.unit}`,
    `${(r.value / r.floor).toFixed(2)}×`,
    r.target ?? '',
    r.floorName ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(row(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const l of lines) console.log(row(l));
}
