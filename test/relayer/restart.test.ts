/**
 * Restart during collection, on SQLite and on PostgreSQL: stop the relayer with some partials
 * stored (one validator with its t-th share stored but not rebuilt, as after a crash), start a new
 * one on the same database, finish: the results are the group's signatures, and once complete they
 * survive a further restart unchanged.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { type RegisterResponse, RelayerClient } from '@dvt/stakewise';
import { parseRelayerConfig } from '../../apps/relayer/src/config.js';
import { RelayerStore } from '../../apps/relayer/src/store/store.js';
import { type PgSchema, type RelayerFixture, SimulatedValidator, openOracleShards, pgSchema, sidecarRound, startFixture } from './support.js';

const VAULT = '0x4444444444444444444444444444444444444444';
const AMOUNTS = [32_000_000_000, 40_000_000_000];

describe.each([['sqlite'], ['postgres']] as const)('restart during collection (%s)', (database) => {
  let schema: PgSchema | undefined;
  let fx: RelayerFixture | undefined;

  afterAll(async () => {
    await fx?.close();
    await schema?.drop();
  });

  it('keeps partials across a restart, then rebuilds and serves the same results again', async () => {
    schema = database === 'postgres' ? await pgSchema('restart') : undefined;
    const validators = [new SimulatedValidator(3, [1, 2, 3, 4]), new SimulatedValidator(3, [1, 2, 3, 4])];
    fx = await startFixture({ pg: schema, publicKeys: validators.map((v) => v.publicKey), threshold: 3 });
    const request = { vault: VAULT, validators_start_index: 7, amounts: AMOUNTS, validator_type: '0x02' as const };
    let client = new RelayerClient({ baseUrl: fx.relayer.url });
    await client.register(request);
    await sidecarRound(client, fx.network, validators, 4);
    await sidecarRound(client, fx.network, validators, 2);

    // the process dies right after storing validator 0's third share, before its rebuild is written
    const listed = (await client.validators()).validators;
    await fx.stop();
    const store = await RelayerStore.open(parseRelayerConfig(fx.settings).database);
    const row = (await store.findValidator(validators[0]!.publicKey))!;
    const item = validators[0]!.item(fx.network, listed[0]!, 1);
    await store.transaction((tx) =>
      tx.insertPartials([{ validatorId: row.id, shareIndex: 1, exitSignature: item.exit_signature, depositSignature: item.deposit_signature, verified: true, createdAt: Date.now() }]),
    );
    await store.close();

    await fx.restart();
    client = new RelayerClient({ baseUrl: fx.relayer.url });
    const resumed = (await client.validators()).validators;
    expect(resumed.map((v) => [v.public_key, v.validator_index, v.share_indexes_ready, v.is_signatures_ready])).toEqual([
      [validators[0]!.publicKey, 7, [1, 2, 4], true],
      [validators[1]!.publicKey, 8, [2, 4], false],
    ]);

    await sidecarRound(client, fx.network, validators, 1);
    const done: RegisterResponse = await client.register(request);
    done.validators.forEach((served, i) => {
      const v = validators[i]!;
      expect(served.deposit_signature).toBe(v.fullSignature(v.depositRoot(fx!.network, VAULT, '0x02', AMOUNTS[i]!)));
      const exitRoot = v.exitRoot(fx!.network, 7 + i);
      const { shardsVerify, rebuilt } = openOracleShards(fx!.oracles, served.oracles_exit_signature_shares!, exitRoot, [0, 2, 3]);
      expect(shardsVerify.every(Boolean)).toBe(true);
      expect(rebuilt).toEqual(Buffer.from(v.fullSignature(exitRoot).slice(2), 'hex'));
    });
    expect(done.validators_manager_signature).toBeNull(); // no manager key configured

    await fx.restart();
    client = new RelayerClient({ baseUrl: fx.relayer.url });
    expect(await client.register(request)).toEqual(done);
    expect((await client.validators()).validators.every((v) => v.is_signatures_ready)).toBe(true);
  });
});
