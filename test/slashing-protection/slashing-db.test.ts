import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { SlashingGuard } from '@dvt/dv';
import { SlashingProtectionDb, SlashingProtectionError } from '@dvt/slashing-protection';

const GVR = '0x' + '11'.repeat(32);
const DV = '0x' + 'a1'.repeat(48);
const DV2 = '0x' + 'b2'.repeat(48);
const root = (n: number) => new Uint8Array(32).fill(n);
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slashing-'));
  dirs.push(dir);
  return join(dir, 'slashing.sqlite');
}

async function reason(p: Promise<void>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlashingProtectionError);
  return (err as SlashingProtectionError).message;
}

describe('SlashingProtectionDb', () => {
  it('names every refusal reason', async () => {
    const db = SlashingProtectionDb.open({ genesisValidatorsRoot: GVR });
    const guard: SlashingGuard = db;
    expect(guard.checkBlock).toBeDefined();
    await db.recordAttestation(DV, 10, 20, root(1));
    await db.recordBlock(DV, 100, root(1));
    expect(await reason(db.recordAttestation(DV, 10, 20, root(2)))).toMatch(/double vote/);
    expect(await reason(db.recordAttestation(DV, 11, 19, root(2)))).toMatch(/surrounded by the signed \(10, 20\)/);
    expect(await reason(db.recordAttestation(DV, 9, 21, root(2)))).toMatch(/surrounds the signed \(10, 20\)/);
    expect(await reason(db.recordAttestation(DV, 5, 3, root(2)))).toMatch(/source epoch 5 is greater than target/);
    expect(await reason(db.recordAttestation(DV, 9, 9, root(2)))).toMatch(/source epoch 9 is below the low watermark/);
    expect(await reason(db.recordAttestation(DV, 10, 15, root(2)))).toMatch(/target epoch 15 is at or below the low watermark/);
    expect(await reason(db.recordBlock(DV, 100, root(2)))).toMatch(/double proposal/);
    expect(await reason(db.recordBlock(DV, 99, root(2)))).toMatch(/slot 99 is at or below the low watermark/);
    expect(db.checkAttestation(DV, 10, 20, root(2))).toEqual({ ok: false, reason: expect.stringMatching(/double vote/) });
    // the same signing root may be signed again; other DVs are independent
    await db.recordAttestation(DV, 10, 20, root(1));
    await db.recordBlock(DV, 100, root(1));
    await db.recordAttestation(DV2, 10, 20, root(2));
    expect(db.checkAttestation(DV, 20, 21, root(3))).toEqual({ ok: true });
    db.close();
  });

  it('keeps enforcing the history after close and reopen of the file', async () => {
    const file = tempFile();
    const first = SlashingProtectionDb.open({ file, genesisValidatorsRoot: GVR });
    await first.recordAttestation(DV, 3, 4, root(1));
    await first.recordBlock(DV, 40, root(1));
    first.close();
    const reopened = SlashingProtectionDb.open({ file, genesisValidatorsRoot: GVR });
    expect(await reason(reopened.recordAttestation(DV, 3, 4, root(9)))).toMatch(/double vote/);
    expect(await reason(reopened.recordBlock(DV, 40, root(9)))).toMatch(/double proposal/);
    await reopened.recordAttestation(DV, 4, 5, root(2));
    reopened.close();
    expect(() => SlashingProtectionDb.open({ file, genesisValidatorsRoot: '0x' + '22'.repeat(32) })).toThrow(
      /genesis validators root 0x1111.* 0x2222/,
    );
  });

  it('lets only one of two racing records for the same DV and target pass, also across connections', async () => {
    const file = tempFile();
    const a = SlashingProtectionDb.open({ file, genesisValidatorsRoot: GVR });
    const b = SlashingProtectionDb.open({ file, genesisValidatorsRoot: GVR });
    const outcomes = await Promise.allSettled([
      a.recordAttestation(DV, 1, 2, root(1)),
      b.recordAttestation(DV, 1, 2, root(2)),
      a.recordAttestation(DV, 1, 2, root(3)),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const blocks = await Promise.allSettled([a.recordBlock(DV, 7, root(1)), b.recordBlock(DV, 7, root(2))]);
    expect(blocks.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    a.close();
    b.close();
  });

  it('records a batch of DVs in one transaction with per-DV verdicts', async () => {
    const db = SlashingProtectionDb.open({ genesisValidatorsRoot: GVR });
    await db.recordAttestation(DV2, 5, 6, root(1));
    const pubkeys = Array.from({ length: 1000 }, (_, i) => '0x' + i.toString(16).padStart(96, '0'));
    const verdicts = await db.recordAttestations([
      ...pubkeys.map((pubkey) => ({ pubkey, sourceEpoch: 5, targetEpoch: 6, signingRoot: root(1) })),
      { pubkey: DV2, sourceEpoch: 5, targetEpoch: 6, signingRoot: root(2) },
      { pubkey: DV, sourceEpoch: 5, targetEpoch: 6, signingRoot: root(1) },
      { pubkey: DV, sourceEpoch: 5, targetEpoch: 6, signingRoot: root(3) },
    ]);
    expect(verdicts.filter((v) => v.ok)).toHaveLength(1001);
    expect(verdicts[1000]).toEqual({ pubkey: DV2, ok: false, reason: expect.stringMatching(/double vote/) });
    expect(verdicts[1002]).toEqual({ pubkey: DV, ok: false, reason: expect.stringMatching(/double vote/) });
    expect(db.checkAttestation(pubkeys[999]!, 5, 6, root(4)).ok).toBe(false);
    db.close();
  });

  it('rejects malformed interchanges naming the field, and changes nothing', () => {
    const db = SlashingProtectionDb.open({ genesisValidatorsRoot: GVR });
    const good = {
      metadata: { interchange_format_version: '5', genesis_validators_root: GVR },
      data: [{ pubkey: DV, signed_blocks: [{ slot: '5' }], signed_attestations: [] }],
    };
    type Doc = { metadata: Record<string, string>; data: Record<string, unknown>[] & { signed_blocks: Record<string, unknown>[] }[] };
    const bad = (mutate: (doc: Doc) => void) => {
      const doc = structuredClone(good) as unknown as Doc;
      mutate(doc);
      return doc;
    };
    expect(() => db.importInterchange('{')).toThrow(/not JSON/);
    expect(() => db.importInterchange(bad((d) => (d.metadata.interchange_format_version = '4')))).toThrow(
      /metadata.interchange_format_version/,
    );
    expect(() => db.importInterchange(bad((d) => (d.data[0].signed_blocks[0].slot = 5)))).toThrow(/data\[0\].signed_blocks\[0\].slot/);
    expect(() => db.importInterchange(bad((d) => (d.data[0].pubkey = '0x12')))).toThrow(/data\[0\].pubkey/);
    expect(() =>
      db.importInterchange(bad((d) => d.data.push({ pubkey: DV2, signed_blocks: [], signed_attestations: [{ source_epoch: '1' }] }))),
    ).toThrow(/data\[1\].signed_attestations\[0\].target_epoch/);
    expect(() => db.importInterchange(bad((d) => (d.metadata.genesis_validators_root = '0x' + '33'.repeat(32))))).toThrow(
      /0x3333.*does not match.*0x1111/,
    );
    expect(db.exportInterchange().data).toEqual([]);
    db.importInterchange(good);
    expect(db.exportInterchange()).toEqual(good);
    db.close();
  });
});
