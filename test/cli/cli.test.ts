import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { runCli } from '../../apps/cli/src/index.js';

const HOODI_VALIDATOR = '0x88d1a2399c931bf49e75e5e48d843c6b740d270e6deb6588c1d4dfec7dc123c79b0e0cd0dd8c40ab3594c75a0627d912';
const HOODI_EXIT_ROOT = '0x040e2cbba6b3f94e9471f0d86bf663d296260f895664070fd3e23453abb9d858';
const HOODI_EXIT_SIGNATURE =
  '0xa79edb39ee3a4723c049c9837ae136c658f5a660ce3e272cfdfdb134706c5cd75f6035a33d20045e39d1d66b719db75c00f752179ed5655858fc790213909e81ea42857327e977cc7b21c6921ad7b5b013c770bdf0caf04b44e442a8468b19b9';

interface VectorBody {
  share_index: number;
  shares: { public_key: string; public_key_shares: { share_index: number; public_key_share: string }[]; exit_signature: string }[];
}
const bodies = JSON.parse(
  readFileSync(new URL('../vectors/hoodi-ssv-sidecar-shares-2-validators.json', import.meta.url), 'utf8'),
) as VectorBody[];

/** `--share i:sig` of every operator's exit share of the Hoodi validator with index 10. */
const exitShares = new Map(
  bodies.map((b) => [b.share_index, b.shares.find((s) => s.public_key === HOODI_VALIDATOR)!.exit_signature]),
);
const publicKeyShares = bodies[0]!.shares.find((s) => s.public_key === HOODI_VALIDATOR)!.public_key_shares;

async function dvt(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t + '\n'), stderr: (t) => (stderr += t + '\n') });
  return { code, stdout: stdout.trim(), stderr: stderr.trim() };
}

function shareArgs(indexes: number[], corrupt?: { index: number; signature: string }): string[] {
  return indexes.flatMap((i) => ['--share', `${i}:${corrupt?.index === i ? corrupt.signature : exitShares.get(i)!}`]);
}

describe('dvt exit-message', () => {
  it('prints the Hoodi exit of validator 10 with its EIP-7044 domain and signing root', async () => {
    const r = await dvt('exit-message', '--network', 'hoodi', '--validator-index', '10');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.message).toEqual({ epoch: '0', validator_index: '10' });
    expect(out.domain).toBe('0x0400000072bbc3705de0766b1ea9cfd60f0a5cc5f2dca3b942b222e8320b035b');
    expect(out.signing_root).toBe(HOODI_EXIT_ROOT);
  });

  it('uses the Capella epoch and domain on mainnet', async () => {
    const r = await dvt('exit-message', '--network', 'mainnet', '--validator-index', '1');
    expect(JSON.parse(r.stdout).message.epoch).toBe('194048');
    expect(JSON.parse(r.stdout).domain).toBe('0x04000000bba4da96354c9f25476cf1bc69bf583a7f9e0af049305b62de676640');
  });

  it('rejects an unknown network and a bad index with exit code 2', async () => {
    const unknown = await dvt('exit-message', '--network', 'nowhere', '--validator-index', '10');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/nowhere/);
    expect(unknown.stderr).toMatch(/hoodi/);
    const bad = await dvt('exit-message', '--network', 'hoodi', '--validator-index', '-3');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--validator-index/);
    const missing = await dvt('exit-message', '--network', 'hoodi');
    expect(missing.code).toBe(2);
  });
});

describe('dvt combine-signatures', () => {
  const base = ['combine-signatures', '--public-key', HOODI_VALIDATOR, '--signing-root', HOODI_EXIT_ROOT];

  it('rebuilds the known exit signature from any 3 of the 4 shares and from all 4', async () => {
    for (const subset of [[263, 280, 281], [263, 280, 282], [263, 281, 282], [280, 281, 282], [263, 280, 281, 282]]) {
      const r = await dvt(...base, ...shareArgs(subset));
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(HOODI_EXIT_SIGNATURE);
      expect(r.stderr).toBe('');
    }
  });

  it('finds and names a bad share, then prints the signature rebuilt from the rest', async () => {
    const wrong = { index: 281, signature: exitShares.get(280)! };
    const r = await dvt(...base, ...shareArgs([263, 280, 281, 282], wrong));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(HOODI_EXIT_SIGNATURE);
    expect(r.stderr).toMatch(/share\(s\) 281 left out/);
  });

  it('checks each share against its public key share when they are given', async () => {
    const wrong = { index: 263, signature: exitShares.get(282)! };
    const keys = publicKeyShares.flatMap((p) => ['--public-key-share', `${p.share_index}:${p.public_key_share}`]);
    const r = await dvt(...base, ...shareArgs([263, 280, 281, 282], wrong), ...keys);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(HOODI_EXIT_SIGNATURE);
    expect(r.stderr).toMatch(/share\(s\) 263 left out/);
  });

  it('fails with exit code 1 when no subset verifies', async () => {
    const r = await dvt(...base, '--threshold', '3', ...shareArgs([263, 280, 281], { index: 280, signature: exitShares.get(263)! }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no subset/);
    expect(r.stdout).toBe('');
  });

  it('rejects malformed input with exit code 2 naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [[...base, '--share', '0:' + exitShares.get(263)!], /share index 0/],
      [[...base, '--share', '263:0x1234'], /expected 96 bytes/],
      [[...base, '--share', '263:nothex'], /not hex/],
      [[...base, '--share', 'x' + exitShares.get(263)!], /<share index>:<hex>/],
      [['combine-signatures', '--public-key', '0x12', '--signing-root', HOODI_EXIT_ROOT, ...shareArgs([263])], /--public-key/],
      [[...base, '--threshold', '3', ...shareArgs([263, 280])], /fewer than the threshold 3/],
      [[...base, ...shareArgs([263, 263])], /duplicate|DUPLICATE/i],
      [[...base, '--share', `263:0x${'c0'}${'00'.repeat(95)}`, ...shareArgs([280, 281])], /infinity|INFINITY/i],
    ];
    for (const [argv, pattern] of cases) {
      const r = await dvt(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(pattern);
    }
  });
});
