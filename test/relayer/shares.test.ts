/**
 * Current API share handling over HTTP: bad shares are refused one by one (the rest of the push is
 * stored), malformed requests are refused whole, and a changed binding drops earlier shares.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type PendingValidator, RelayerClient, RelayerClientError } from '@dvt/stakewise';
import { sign, verify } from '@dvt/tbls';
import { type RelayerFixture, SimulatedValidator, openOracleShards, startFixture } from './support.js';

const VAULT = '0x1111111111111111111111111111111111111111';
const OTHER_VAULT = '0x2222222222222222222222222222222222222222';
const ETH32 = 32_000_000_000;

async function rawPost(url: string, body: unknown): Promise<{ status: number; json: { error: string; message: string; rejected?: unknown[]; accepted?: number } }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as never };
}

describe('current API shares', () => {
  let fx: RelayerFixture;
  let client: RelayerClient;
  const cluster = [0, 1, 2, 3].map(() => new SimulatedValidator(3, [1, 2, 3, 4]));
  const [v0, v1, v2, v3] = cluster as [SimulatedValidator, SimulatedValidator, SimulatedValidator, SimulatedValidator];
  const register = (amounts = [ETH32, ETH32, ETH32], start = 100, vault = VAULT, type: '0x01' | '0x02' = '0x01') =>
    client.register({ vault, validators_start_index: start, amounts, validator_type: type });
  const listed = async (): Promise<Map<string, PendingValidator>> => new Map((await client.validators()).validators.map((v) => [v.public_key, v]));
  const push = async (index: number, validators: SimulatedValidator[]) => {
    const byKey = await listed();
    return client.pushSignatures({ share_index: index, shares: validators.map((v) => v.item(fx.network, byKey.get(v.publicKey)!, index)) });
  };

  beforeAll(async () => {
    fx = await startFixture({ network: 'mainnet', publicKeys: cluster.map((v) => v.publicKey), threshold: 3 });
    client = new RelayerClient({ baseUrl: fx.relayer.url });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('refuses a share that does not verify, alone, naming its public key and share index; stores the others', async () => {
    const answer = await register();
    expect(answer.validators.map((v) => v.public_key)).toEqual([v0.publicKey, v1.publicKey, v2.publicKey]);
    const byKey = await listed();
    const bad = v1.item(fx.network, byKey.get(v1.publicKey)!, 1);
    bad.exit_signature = bytesToHex(sign(v1.share(2).secretKey, v1.exitRoot(fx.network, 101))); // share 2's signature under index 1
    const { status, json } = await rawPost(`${fx.relayer.url}/signatures`, {
      share_index: 1,
      shares: [v0.item(fx.network, byKey.get(v0.publicKey)!, 1), bad, v2.item(fx.network, byKey.get(v2.publicKey)!, 1)],
    });
    expect(status).toBe(422);
    expect(json.error).toBe('SHARES_REJECTED');
    expect(json.accepted).toBe(2);
    expect(json.rejected).toEqual([
      {
        public_key: v1.publicKey,
        share_index: 1,
        code: 'INVALID_SHARE',
        message: expect.stringMatching(new RegExp(`public key ${v1.publicKey}, share index 1: exit signature does not verify against public key share ${v1.share(1).publicKey}`)),
      },
    ]);
    const after = await listed();
    expect([v0, v1, v2].map((v) => after.get(v.publicKey)!.share_indexes_ready)).toEqual([[1], [], [1]]);
  });

  it('a refused share never blocks the rebuild: the others complete with t good shares', async () => {
    await push(2, [v0, v1, v2]);
    await push(3, [v0, v1, v2]);
    let state = await listed();
    expect([v0, v1, v2].map((v) => state.get(v.publicKey)!.is_signatures_ready)).toEqual([true, false, true]);
    await push(4, [v1]);
    state = await listed();
    expect(state.get(v1.publicKey)!.share_indexes_ready).toEqual([2, 3, 4]);
    expect(state.get(v1.publicKey)!.is_signatures_ready).toBe(true);

    const answer = await register();
    answer.validators.forEach((served, i) => {
      const v = [v0, v1, v2][i]!;
      expect(served.deposit_signature).toBe(v.fullSignature(v.depositRoot(fx.network, VAULT, '0x01', ETH32)));
      const exitRoot = v.exitRoot(fx.network, 100 + i);
      const { shardsVerify, rebuilt } = openOracleShards(fx.oracles, served.oracles_exit_signature_shares!, exitRoot, [3, 1, 0]);
      expect(shardsVerify).toEqual([true, true, true, true]);
      expect(bytesToHex(rebuilt)).toBe(v.fullSignature(exitRoot));
    });
    const rebuilds = await fx.relayer.metrics.rebuilds.get();
    expect(rebuilds.values.filter((m) => m.labels.result === 'ok').reduce((n, m) => n + m.value, 0)).toBe(6);
  });

  it('refuses a different share for a filled index and keeps the stored one', async () => {
    const byKey = await listed();
    const item = v0.item(fx.network, byKey.get(v0.publicKey)!, 1);
    item.deposit_signature = bytesToHex(sign(v0.share(1).secretKey, hexToBytes('0x' + '77'.repeat(32))));
    const { status, json } = await rawPost(`${fx.relayer.url}/signatures`, { share_index: 1, shares: [item] });
    expect(status).toBe(422);
    expect(json.rejected).toEqual([expect.objectContaining({ public_key: v0.publicKey, share_index: 1, code: 'INVALID_SHARE' })]);
    expect((await listed()).get(v0.publicKey)!.share_indexes_ready).toEqual([1, 2, 3]);
  });

  it('refuses malformed requests whole, naming the field, and stores nothing', async () => {
    const byKey = await listed();
    const good = v3.item(fx.network, { ...byKey.get(v0.publicKey)!, public_key: v3.publicKey }, 1);
    const url = `${fx.relayer.url}/signatures`;
    const cases: [unknown, RegExp][] = [
      [{ share_index: 0, shares: [good] }, /share_index: share index must be ≥ 1/],
      [{ share_index: -3, shares: [good] }, /share_index: share index must be ≥ 1/],
      [{ share_index: 1.5, shares: [good] }, /share_index: share index: expected an integer/],
      [{ share_index: 1, shares: [] }, /shares: shares: the list is empty/],
      [{ share_index: 1 }, /shares: is required|shares: shares: expected a list/],
      [{ share_index: 1, shares: [{ ...good, exit_signature: '0xzz' + good.exit_signature.slice(4) }] }, new RegExp(`shares\\[0\\]\\.exit_signature: BLS signature: not hex: .*\\(public key ${v3.publicKey}, share index 1\\)`)],
      [{ share_index: 1, shares: [{ ...good, deposit_signature: good.deposit_signature.slice(0, 100) }] }, /shares\[0\]\.deposit_signature: BLS signature: expected 96 bytes, got 49/],
      [{ share_index: 1, shares: [{ ...good, public_key: '0x1234' }] }, /shares\[0\]\.public_key: BLS public key: expected 48 bytes, got 2/],
      [{ share_index: 1, shares: [good, good] }, /shares\[1\]: public key .* repeats item 0/],
      ['{"share_index": 1, "shares": [', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const { status, json } = await rawPost(url, body);
      expect({ status, error: json.error }).toEqual({ status: 400, error: 'INVALID_REQUEST' });
      expect(json.message).toMatch(message);
    }
    const register400 = await rawPost(`${fx.relayer.url}/register`, { vault: VAULT, validators_start_index: 1, amounts: [], validator_type: '0x01' });
    expect(register400.status).toBe(400);
    expect(register400.json.message).toMatch(/amounts: amounts: the list is empty/);
    const badType = await rawPost(`${fx.relayer.url}/register`, { vault: VAULT, validators_start_index: 1, amounts: [ETH32], validator_type: '0x03' });
    expect(badType.json.message).toMatch(/validator_type/);
    expect((await listed()).get(v0.publicKey)!.share_indexes_ready).toEqual([1, 2, 3]);
  });

  it('refuses shares for keys it never handed out (404) and for share indexes outside the cluster', async () => {
    const byKey = await listed();
    const unknown = v3.item(fx.network, { ...byKey.get(v0.publicKey)!, public_key: v3.publicKey }, 1);
    const { status, json } = await rawPost(`${fx.relayer.url}/signatures`, { share_index: 1, shares: [unknown] });
    expect(status).toBe(404);
    expect(json.rejected).toEqual([expect.objectContaining({ public_key: v3.publicKey, share_index: 1, code: 'UNKNOWN_VALIDATOR' })]);

    const outsider = new SimulatedValidator(3, [1, 2, 3, 4, 9]);
    const item = { ...v0.item(fx.network, byKey.get(v0.publicKey)!, 1), public_key_shares: outsider.publicKeyShares() };
    const inconsistent = await rawPost(`${fx.relayer.url}/signatures`, { share_index: 9, shares: [item] });
    expect(inconsistent.status).toBe(422);
    expect(inconsistent.json.rejected).toEqual([expect.objectContaining({ share_index: 9, code: 'SHARE_INDEX_NOT_IN_CLUSTER' })]);
  });

  it('refuses public key shares that contradict the ones recorded for the key', async () => {
    const byKey = await listed();
    const item = v1.item(fx.network, byKey.get(v1.publicKey)!, 1);
    const forged = item.public_key_shares!.map((s) => (s.share_index === 1 ? { ...s, public_key_share: v2.share(1).publicKey } : s));
    const { status, json } = await rawPost(`${fx.relayer.url}/signatures`, { share_index: 1, shares: [{ ...item, public_key_shares: forged }] });
    expect(status).toBe(409);
    expect(json.rejected).toEqual([expect.objectContaining({ public_key: v1.publicKey, code: 'PUBLIC_KEY_SHARES_MISMATCH' })]);
  });

  it('drops collected shares when the vault, amount, type or index of a validator changes', async () => {
    for (const [change, args] of [
      ['amount', [[33_000_000_000, ETH32, ETH32], 100, VAULT, '0x02']],
      ['vault', [[33_000_000_000, ETH32, ETH32], 100, OTHER_VAULT, '0x02']],
      ['type', [[ETH32, ETH32, ETH32], 100, OTHER_VAULT, '0x01']],
      ['index', [[ETH32, ETH32, ETH32], 200, OTHER_VAULT, '0x01']],
    ] as const) {
      await push(1, [v2]).catch(() => undefined);
      expect((await listed()).get(v2.publicKey)!.share_indexes_ready.length).toBeGreaterThan(0);
      const answer = await register([...args[0]], args[1], args[2], args[3]);
      const served = answer.validators.find((v) => v.public_key === v2.publicKey)!;
      expect({ change, deposit: served.deposit_signature, shards: served.oracles_exit_signature_shares }).toEqual({ change, deposit: null, shards: null });
      const now = (await listed()).get(v2.publicKey)!;
      expect({ change, ready: now.share_indexes_ready }).toEqual({ change, ready: [] });
    }
    // a share signed for the old binding no longer verifies
    const stale = v2.item(fx.network, { public_key: v2.publicKey, vault: VAULT, amount: ETH32, validator_type: '0x01', validator_index: 102 } as PendingValidator, 1);
    const err = await client.pushSignatures({ share_index: 1, shares: [stale] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayerClientError);
    expect((err as RelayerClientError).rejected).toEqual([expect.objectContaining({ code: 'INVALID_SHARE' })]);
    // and the new binding completes with fresh shares
    await push(1, [v2]);
    await push(2, [v2]);
    await push(4, [v2]);
    const done = (await listed()).get(v2.publicKey)!;
    expect(done.validator_index).toBe(202);
    expect(done.is_signatures_ready).toBe(true);
    const answer = await register([ETH32, ETH32, ETH32], 200, OTHER_VAULT, '0x01');
    const served = answer.validators.find((v) => v.public_key === v2.publicKey)!;
    expect(verify(hexToBytes(v2.publicKey), v2.depositRoot(fx.network, OTHER_VAULT, '0x01', ETH32), hexToBytes(served.deposit_signature!))).toBe(true);
  });
});
