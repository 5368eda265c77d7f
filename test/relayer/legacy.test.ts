/**
 * The legacy DVT API (POST /validators, GET /exits, POST /exit-signature): indexes predicted from
 * the beacon node and its pending deposits; partials verified on arrival when the key shares are
 * configured, otherwise checked by the rebuild (a bad one is dropped once t good ones rebuild).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@dvt/common';
import { depositSigningRoot, getNetwork, vaultWithdrawalCredentials } from '@dvt/eth2';
import { type ExitItem, RelayerClient, RelayerClientError } from '@dvt/stakewise';
import { sign } from '@dvt/tbls';
import { BeaconNodeMock } from '@dvt/testing';
import { join } from 'node:path';
import { type RelayerFixture, SimulatedValidator, openOracleShards, startFixture } from './support.js';

const network = getNetwork('hoodi');
const CREDENTIALS = bytesToHex(vaultWithdrawalCredentials('0x5555555555555555555555555555555555555555', '0x01'));

function deposit(v: SimulatedValidator, valid = true) {
  const root = depositSigningRoot(network, { pubkey: v.publicKey, withdrawalCredentials: CREDENTIALS, amount: 32_000_000_000 });
  const signature = valid ? v.fullSignature(root) : bytesToHex(sign(v.share(1).secretKey, root));
  return { pubkey: v.publicKey, withdrawalCredentials: CREDENTIALS, amount: 32_000_000_000, signature };
}

describe('legacy API', () => {
  let fx: RelayerFixture;
  let client: RelayerClient;
  const beacon = new BeaconNodeMock({ network });
  const [v0, v1, v2, existing, queuedA, queuedB] = Array.from({ length: 6 }, () => new SimulatedValidator(3, [1, 2, 3, 4]));
  const requested = () => [v0!, v1!, v2!, existing!].map((v) => v.publicKey);
  const exitsByKey = async () => new Map<string, ExitItem>((await client.exits()).exits.map((e) => [e.public_key, e]));

  beforeAll(async () => {
    beacon.addPlaceholderValidators(40);
    beacon.addValidator({ pubkey: existing!.publicKey }); // index 40
    beacon.addPendingDeposit(deposit(queuedA!)); // new key: index 41
    beacon.addPendingDeposit(deposit(existing!)); // top-up: no new index
    beacon.addPendingDeposit(deposit(queuedB!, false)); // bad signature: never becomes a validator
    beacon.addPendingDeposit(deposit(v1!)); // one of ours, already queued: index 42
    fx = await startFixture({
      network: 'hoodi',
      beacon,
      threshold: 3,
      files: {
        'keys.json': {
          threshold: 3,
          validators: [
            { public_key: v0!.publicKey, public_key_shares: v0!.publicKeyShares() },
            { public_key: v1!.publicKey, public_key_shares: v1!.publicKeyShares() },
            { public_key: v2!.publicKey },
            { public_key: existing!.publicKey },
          ],
        },
      },
      settings: (dir) => ({ RELAYER_KEYS_FILES: join(dir, 'keys.json') }),
    });
    client = new RelayerClient({ baseUrl: fx.relayer.url });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('predicts each index from the registry and the pending deposits queue', async () => {
    const answer = await client.legacyValidators({ public_keys: requested() });
    expect(answer).toEqual({ ready: false, validators: requested().map((public_key) => ({ public_key, oracles_exit_signature_shares: null })) });
    const exits = await exitsByKey();
    expect(requested().map((k) => exits.get(k)!.validator_index)).toEqual([43, 42, 44, 40]);
    expect(requested().map((k) => exits.get(k)!.is_exit_signature_ready)).toEqual([false, false, false, false]);
    expect(exits.get(v0!.publicKey)!.created_at_string).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0000$/);
  });

  it('refuses keys this relayer is not configured for, storing nothing', async () => {
    const err = (await client.legacyValidators({ public_keys: [v0!.publicKey, queuedA!.publicKey] }).catch((e: unknown) => e)) as RelayerClientError;
    expect(err).toBeInstanceOf(RelayerClientError);
    expect(err.status).toBe(404);
    expect(err.body).toEqual({ error: 'KEY_NOT_CONFIGURED', message: `public key(s) not configured in this relayer: ${queuedA!.publicKey}` });
    expect((await client.exits()).exits).toHaveLength(4);
  });

  it('verifies partials on arrival when the key shares are configured', async () => {
    const bad = { public_key: v1!.publicKey, exit_signature: bytesToHex(sign(v1!.share(1).secretKey, v1!.exitRoot(network, 43))) };
    const err = (await client
      .pushExitSignatures({ share_index: 1, shares: [v0!.legacyItem(network, 43, 1), bad] })
      .catch((e: unknown) => e)) as RelayerClientError;
    expect(err.status).toBe(422);
    expect(err.rejected).toEqual([expect.objectContaining({ public_key: v1!.publicKey, share_index: 1, code: 'INVALID_SHARE' })]);
    expect(err.body?.accepted).toBe(1);
    const exits = await exitsByKey();
    expect([exits.get(v0!.publicKey)!.share_indexes_ready, exits.get(v1!.publicKey)!.share_indexes_ready]).toEqual([[1], []]);
  });

  it('without key shares: stores unchecked partials, refuses a second one for a filled index, and drops a bad one once t good ones rebuild', async () => {
    const index = 44;
    const wrong = { public_key: v2!.publicKey, exit_signature: bytesToHex(sign(v2!.share(2).secretKey, v2!.exitRoot(network, index))) };
    await client.pushExitSignatures({ share_index: 1, shares: [wrong] });
    const again = (await client.pushExitSignatures({ share_index: 1, shares: [v2!.legacyItem(network, index, 1)] }).catch((e: unknown) => e)) as RelayerClientError;
    expect(again.status).toBe(409);
    expect(again.rejected).toEqual([expect.objectContaining({ public_key: v2!.publicKey, share_index: 1, code: 'SHARE_INDEX_FILLED' })]);
    expect(again.rejected[0]!.message).toContain(`public key ${v2!.publicKey}, share index 1`);

    await client.pushExitSignatures({ share_index: 2, shares: [v2!.legacyItem(network, index, 2)] });
    await client.pushExitSignatures({ share_index: 3, shares: [v2!.legacyItem(network, index, 3)] });
    let exit = (await exitsByKey()).get(v2!.publicKey)!;
    expect([exit.share_indexes_ready, exit.is_exit_signature_ready]).toEqual([[1, 2, 3], false]);

    await client.pushExitSignatures({ share_index: 4, shares: [v2!.legacyItem(network, index, 4)] });
    exit = (await exitsByKey()).get(v2!.publicKey)!;
    expect([exit.share_indexes_ready, exit.is_exit_signature_ready]).toEqual([[2, 3, 4], true]);
    // the freed index takes the honest share
    await client.pushExitSignatures({ share_index: 1, shares: [v2!.legacyItem(network, index, 1)] });
    expect((await exitsByKey()).get(v2!.publicKey)!.share_indexes_ready).toEqual([1, 2, 3, 4]);
  });

  it('serves encrypted oracle shards of the group exit signatures once every validator is collected', async () => {
    const indexes = new Map([
      [v0!.publicKey, 43],
      [v1!.publicKey, 42],
      [existing!.publicKey, 40],
    ]);
    for (const shareIndex of [2, 3, 4]) {
      await client.pushExitSignatures({ share_index: shareIndex, shares: [v0!, v1!, existing!].map((v) => v.legacyItem(network, indexes.get(v.publicKey)!, shareIndex)) });
    }
    const answer = await client.legacyValidators({ public_keys: requested() });
    expect(answer.ready).toBe(true);
    const expectedIndex = [43, 42, 44, 40];
    answer.validators.forEach((served, i) => {
      const v = [v0!, v1!, v2!, existing!][i]!;
      const root = v.exitRoot(network, expectedIndex[i]!);
      const { shardsVerify, rebuilt } = openOracleShards(fx.oracles, served.oracles_exit_signature_shares!, root, [1, 2, 3]);
      expect(shardsVerify.every(Boolean)).toBe(true);
      expect(bytesToHex(rebuilt)).toBe(v.fullSignature(root));
    });
  });

  it('re-binds keys whose predicted index moved, dropping their partials, and keeps the others', async () => {
    beacon.addPlaceholderValidators(1); // the queue now starts one index later
    const answer = await client.legacyValidators({ public_keys: requested() });
    expect(answer.ready).toBe(false);
    expect(answer.validators.map((v) => v.oracles_exit_signature_shares === null)).toEqual([true, true, true, false]);
    const exits = await exitsByKey();
    expect(requested().map((k) => [exits.get(k)!.validator_index, exits.get(k)!.share_indexes_ready.length])).toEqual([
      [44, 0],
      [43, 0],
      [45, 0],
      [40, 3],
    ]);
  });
});
