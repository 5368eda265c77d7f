/**
 * The store's hot statements (plain SQL, see hot-statements.ts) read and write exactly what the
 * TypeORM entity API does, on SQLite and on real PostgreSQL: same hydrated types (numbers from
 * bigint columns, booleans, JSON columns, nulls), same order, and the PostgreSQL row lock holds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { PartialEntity, PublicKeySharesEntity, ValidatorEntity } from '../../apps/relayer/src/store/entities.js';
import { RelayerStore } from '../../apps/relayer/src/store/store.js';
import { PG_URL, type PgSchema, type TempDir, pgSchema, tempDir } from './support.js';

const publicKey = '0x' + 'a1'.repeat(48);
const signature = (b: string) => '0x' + b.repeat(96);

describe.each(['sqlite', 'postgres'] as const)('store hot statements on %s', (kind) => {
  let store: RelayerStore;
  let dir: TempDir;
  let schema: PgSchema | undefined;

  beforeAll(async () => {
    dir = await tempDir();
    if (kind === 'postgres') schema = await pgSchema('statements');
    store = await RelayerStore.open(kind === 'postgres' ? { kind, url: PG_URL, schema: schema!.name } : { kind, file: join(dir.path, 'relayer.sqlite') });
  });
  afterAll(async () => {
    await store?.dataSource.destroy();
    await schema?.drop();
    await dir?.remove();
  });

  it('reads a validator and its partials as the entity API does, and writes partials the entity API reads back', async () => {
    const now = 1_700_000_000_123;
    const { row } = await store.transaction((tx) =>
      tx.bindValidator(
        { publicKey, api: 'current', vault: '0x' + '11'.repeat(20), validatorType: '0x02', amountGwei: 40_000_000_000, validatorIndex: 123_456, exitEpoch: 0, threshold: 3, exitSigningRoot: '0x' + '22'.repeat(32), depositSigningRoot: null },
        now,
      ),
    );
    await store.transaction((tx) => tx.updateValidator(row.id, { oraclePublicKeyShards: ['0xab', '0xcd'], readyAt: now + 5 }));
    const partials = [
      { validatorId: row.id, shareIndex: 3, exitSignature: signature('03'), depositSignature: null, verified: false, createdAt: now + 2 },
      { validatorId: row.id, shareIndex: 1, exitSignature: signature('01'), depositSignature: signature('f1'), verified: true, createdAt: now + 1 },
      { validatorId: row.id, shareIndex: 2, exitSignature: signature('02'), depositSignature: signature('f2'), verified: true, createdAt: now + 1 },
    ];
    await store.transaction(async (tx) => {
      for (const p of partials) await tx.insertPartials([p]);
    });

    const viaEntityApi = await store.dataSource.manager.findOne(ValidatorEntity, { where: { publicKey } });
    const viaStatements = await store.transaction((tx) => tx.lockValidator(publicKey));
    expect(viaStatements).toEqual(viaEntityApi);
    expect(viaStatements).toMatchObject({ amountGwei: 40_000_000_000, validatorIndex: 123_456, oraclePublicKeyShards: ['0xab', '0xcd'], readyAt: now + 5, depositSignature: null });
    expect(await store.transaction((tx) => tx.lockValidator('0x' + 'b2'.repeat(48)))).toBeNull();

    const read = await store.transaction((tx) => tx.partials(row.id));
    expect(read).toEqual(await store.dataSource.manager.find(PartialEntity, { where: { validatorId: row.id }, order: { createdAt: 'ASC', shareIndex: 'ASC' } }));
    expect(read.map((p) => p.shareIndex)).toEqual([1, 2, 3]);
    expect(read.find((p) => p.shareIndex === 3)).toEqual(partials[0]);
    expect(typeof read[0]!.verified).toBe('boolean');
  });

  it('pins the first public key share set only, and updates just the given fields', async () => {
    const key = '0x' + 'c3'.repeat(48);
    const first = [{ index: 1, publicKey: '0x' + '01'.repeat(48) }, { index: 2, publicKey: '0x' + '02'.repeat(48) }];
    const other = [{ index: 1, publicKey: '0x' + '09'.repeat(48) }];
    expect(await store.transaction((tx) => tx.pinnedShares(key))).toBeUndefined();
    const pin = (shares: typeof first, createdAt: number) =>
      store.transaction(async (tx) => {
        await tx.pinPublicKeySharesOf([{ publicKey: key, shares, createdAt }]);
        return tx.pinnedShares(key);
      });
    expect(await pin(first, 5)).toEqual(first);
    expect(await pin(other, 6)).toEqual(first);
    expect(await store.transaction((tx) => tx.pinnedShares(key))).toEqual(first);
    expect(await store.dataSource.manager.findOne(PublicKeySharesEntity, { where: { publicKey: key } })).toEqual({ publicKey: key, shares: first, createdAt: 5 });

    const before = (await store.findValidator(publicKey))!;
    const shards = ['0x' + '0e'.repeat(193), '0x' + '0f'.repeat(193)];
    await store.transaction((tx) => tx.updateValidator(before.id, { exitSignature: signature('ee'), oracleEncryptedExitSignatures: shards, readyAt: null, depositSignature: undefined }));
    const after = await store.dataSource.manager.findOne(ValidatorEntity, { where: { publicKey } });
    expect(after).toEqual({ ...before, exitSignature: signature('ee'), oracleEncryptedExitSignatures: shards, readyAt: null });
  });

  it('a second insert for a filled share index fails (primary key) and changes nothing', async () => {
    const row = (await store.findValidator(publicKey))!;
    const duplicate = { validatorId: row.id, shareIndex: 1, exitSignature: signature('09'), depositSignature: null, verified: true, createdAt: 1 };
    await expect(store.transaction((tx) => tx.insertPartials([duplicate]))).rejects.toThrow();
    const again = await store.transaction((tx) => tx.partials(row.id));
    expect(again.find((p) => p.shareIndex === 1)!.exitSignature).toBe(signature('01'));
  });

  it('reads and writes whole batches: rows by key, partials by validator, pins (first set of a key wins)', async () => {
    const other = '0x' + 'd4'.repeat(48);
    const { row: second } = await store.transaction((tx) =>
      tx.bindValidator(
        { publicKey: other, api: 'legacy', vault: null, validatorType: null, amountGwei: null, validatorIndex: 7, exitEpoch: 0, threshold: 2, exitSigningRoot: '0x' + '33'.repeat(32), depositSigningRoot: null },
        10,
      ),
    );
    const first = (await store.findValidator(publicKey))!;
    const rows = await store.transaction((tx) => tx.lockValidators([other, '0x' + 'e5'.repeat(48), publicKey]));
    expect([...rows.keys()].sort()).toEqual([publicKey, other].sort());
    expect(rows.get(other)).toEqual(await store.dataSource.manager.findOne(ValidatorEntity, { where: { publicKey: other } }));

    const batch = [2, 1].map((shareIndex) => ({ validatorId: second.id, shareIndex, exitSignature: signature(`a${shareIndex}`), depositSignature: null, verified: true, createdAt: 20 }));
    await store.transaction((tx) => tx.insertPartials(batch));
    const partials = await store.transaction((tx) => tx.partialsOf([second.id, first.id, 'no-such-validator']));
    expect(partials.get(second.id)!.map((p) => p.shareIndex)).toEqual([1, 2]);
    expect(partials.get(first.id)).toEqual(await store.transaction((tx) => tx.partials(first.id)));
    expect(partials.get('no-such-validator')).toEqual([]);

    const setA = [{ index: 1, publicKey: '0x' + '0a'.repeat(48) }];
    const setB = [{ index: 1, publicKey: '0x' + '0b'.repeat(48) }];
    await store.transaction((tx) => tx.pinPublicKeySharesOf([{ publicKey: other, shares: setA, createdAt: 1 }, { publicKey: other, shares: setB, createdAt: 2 }]));
    const pinned = await store.transaction((tx) => tx.pinnedSharesOf([other, '0x' + 'e5'.repeat(48)]));
    expect([...pinned.entries()]).toEqual([[other, setA]]);
  });

  if (kind === 'postgres') {
    it('locks the row: a second transaction waits until the first ends', async () => {
      const events: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const first = store.transaction(async (tx) => {
        await tx.lockValidator(publicKey);
        events.push('first locked');
        await held;
        events.push('first done');
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = store.transaction(async (tx) => {
        await tx.lockValidator(publicKey);
        events.push('second locked');
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events).toEqual(['first locked']);
      release();
      await Promise.all([first, second]);
      expect(events).toEqual(['first locked', 'first done', 'second locked']);
    });
  }
});
