import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { getNetwork } from '@dvt/eth2';
import { runCli } from '../../apps/cli/src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'slashing-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HOODI_ROOT = getNetwork('hoodi').genesisValidatorsRoot.toLowerCase();
const DV = '0x' + 'a1'.repeat(48);
const DV2 = '0x' + 'b2'.repeat(48);

async function dvt(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t + '\n'), stderr: (t) => (stderr += t + '\n') });
  return { code, stdout: stdout.trim(), stderr: stderr.trim() };
}

const interchange = {
  metadata: { interchange_format_version: '5', genesis_validators_root: HOODI_ROOT },
  data: [
    {
      pubkey: DV,
      signed_blocks: [{ slot: '81', signing_root: '0x' + '01'.repeat(32) }],
      signed_attestations: [{ source_epoch: '2', target_epoch: '3', signing_root: '0x' + '02'.repeat(32) }, { source_epoch: '3', target_epoch: '4' }],
    },
    { pubkey: DV2, signed_blocks: [{ slot: '7' }], signed_attestations: [] },
  ],
};

describe('dvt node slashing-protection', () => {
  it('imports, exports, re-imports into a fresh database and exports the same data', async () => {
    const source = join(dir, 'in.json');
    writeFileSync(source, JSON.stringify(interchange));
    const imp = await dvt('node', 'slashing-protection', 'import', '--db', join(dir, 'a.sqlite'), '--file', source, '--network', 'hoodi');
    expect(imp).toMatchObject({ code: 0, stdout: 'imported 2 validator(s): 2 new block(s), 2 new attestation(s)' });
    const out1 = join(dir, 'out1.json');
    expect((await dvt('node', 'slashing-protection', 'export', '--db', join(dir, 'a.sqlite'), '--file', out1, '--network', 'hoodi')).code).toBe(0);
    expect((await dvt('node', 'slashing-protection', 'import', '--db', join(dir, 'b.sqlite'), '--file', out1, '--network', 'hoodi')).code).toBe(0);
    const out2 = join(dir, 'out2.json');
    expect((await dvt('node', 'slashing-protection', 'export', '--db', join(dir, 'b.sqlite'), '--file', out2, '--network', 'hoodi')).code).toBe(0);
    const exported = JSON.parse(readFileSync(out2, 'utf8'));
    expect(exported).toEqual(JSON.parse(readFileSync(out1, 'utf8')));
    expect(exported.data).toHaveLength(2);
    expect(exported.data.find((d: { pubkey: string }) => d.pubkey === DV)).toEqual(interchange.data[0]);
    const only = join(dir, 'only.json');
    await dvt('node', 'slashing-protection', 'export', '--db', join(dir, 'b.sqlite'), '--file', only, '--network', 'hoodi', '--pubkey', DV2);
    expect(JSON.parse(readFileSync(only, 'utf8')).data).toEqual([interchange.data[1]]);
  });

  it('refuses a wrong genesis root and a malformed file with exit code 2, changing nothing', async () => {
    const db = join(dir, 'c.sqlite');
    const wrongRoot = join(dir, 'wrong-root.json');
    writeFileSync(wrongRoot, JSON.stringify({ ...interchange, metadata: { ...interchange.metadata, genesis_validators_root: '0x' + '00'.repeat(32) } }));
    const r1 = await dvt('node', 'slashing-protection', 'import', '--db', db, '--file', wrongRoot, '--network', 'hoodi');
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('INVALID_GENESIS_VALIDATORS_ROOT');
    expect(r1.stderr).toContain('0x' + '00'.repeat(32));
    expect(r1.stderr).toContain(HOODI_ROOT);
    const malformed = join(dir, 'malformed.json');
    const broken = structuredClone(interchange) as { data: { signed_attestations: Record<string, unknown>[] }[] };
    broken.data[0]!.signed_attestations[1]!['target_epoch'] = '-4';
    writeFileSync(malformed, JSON.stringify(broken));
    const r2 = await dvt('node', 'slashing-protection', 'import', '--db', db, '--file', malformed, '--network', 'hoodi');
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('data[0].signed_attestations[1].target_epoch');
    const out = join(dir, 'c-out.json');
    expect((await dvt('node', 'slashing-protection', 'export', '--db', db, '--file', out, '--network', 'hoodi')).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).data).toEqual([]);
  });
});
