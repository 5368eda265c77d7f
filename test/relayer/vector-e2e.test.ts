/**
 * Acceptance: the real Hoodi POST /signatures bodies of four SSV operators (share indexes 263, 280,
 * 281, 282; threshold 3), replayed over HTTP against a relayer that handed the two keys out through
 * /register (vault 0x8ae5…, type 0x02, start index 10, amounts 32 and 34 ETH). The deposit
 * signatures must verify, each oracle's shard must decrypt with its key and verify against its
 * public-key shard, and any 8 of the 11 shards must rebuild the validator's exit signature.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet, encryptKeystoreJsonSync } from 'ethers';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { depositDataRoot, depositSigningRoot, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { type PushSignaturesRequest, RelayerClient, encodeValidators, recoverTypedDataSigner, vaultValidatorsTypedData } from '@dvt/stakewise';
import { verify } from '@dvt/tbls';
import { type RelayerFixture, makeOracles, openOracleShards, startFixture } from './support.js';

const VECTOR: PushSignaturesRequest[] = JSON.parse(readFileSync(join(process.cwd(), 'test/vectors/hoodi-ssv-sidecar-shares-2-validators.json'), 'utf8'));
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const KEYS = VECTOR[0]!.shares.map((s) => s.public_key);
const AMOUNTS = [32_000_000_000, 34_000_000_000];
const EXPECTED_EXIT_SIGNATURE_10 =
  '0xa79edb39ee3a4723c049c9837ae136c658f5a660ce3e272cfdfdb134706c5cd75f6035a33d20045e39d1d66b719db75c00f752179ed5655858fc790213909e81ea42857327e977cc7b21c6921ad7b5b013c770bdf0caf04b44e442a8468b19b9';
const DEPOSIT_ROOT = '0x' + '5a'.repeat(32);

describe('relayer end to end with the Hoodi SSV vector', () => {
  let fx: RelayerFixture;
  let client: RelayerClient;
  const manager = Wallet.createRandom();
  const oracles = makeOracles(11, 8);

  beforeAll(async () => {
    const keystore = encryptKeystoreJsonSync({ address: manager.address, privateKey: manager.privateKey }, 'manager password', { scrypt: { N: 1024 } });
    fx = await startFixture({
      network: 'hoodi',
      publicKeys: KEYS,
      threshold: 3,
      oracles,
      files: { 'manager.json': JSON.parse(keystore), 'manager.txt': 'manager password' },
      settings: (dir) => ({
        VALIDATORS_MANAGER_KEYSTORE_FILE: join(dir, 'manager.json'),
        VALIDATORS_MANAGER_PASSWORD_FILE: join(dir, 'manager.txt'),
        // never called: the execution port is replaced below
        EXECUTION_ENDPOINT: 'http://127.0.0.1:9',
      }),
      overrides: {
        execution: { depositRoot: async () => DEPOSIT_ROOT, validatorsManagerNonce: async () => 0n },
      },
    });
    client = new RelayerClient({ baseUrl: fx.relayer.url });
  }, 30_000);

  afterAll(async () => {
    await fx?.close();
  });

  it('serves /info with the network and the validators manager', async () => {
    expect(await client.info()).toEqual({ network: 'hoodi', validators_manager_address: manager.address });
  });

  it('hands out the configured keys, collects the four sidecars, and serves verified results', async () => {
    const request = { vault: VAULT, validators_start_index: 10, amounts: AMOUNTS, validator_type: '0x02' as const };
    const first = await client.register(request);
    expect(first.validators.map((v) => v.public_key)).toEqual(KEYS);
    expect(first.validators.map((v) => [v.amount, v.deposit_signature, v.exit_signature, v.oracles_exit_signature_shares])).toEqual([
      [AMOUNTS[0], null, null, null],
      [AMOUNTS[1], null, null, null],
    ]);
    expect(first.validators_manager_signature).toBeNull();

    const pending = (await client.validators()).validators;
    expect(pending.map((v) => [v.public_key, v.validator_index, v.amount, v.validator_type, v.vault.toLowerCase(), v.share_indexes_ready, v.is_signatures_ready])).toEqual([
      [KEYS[0], 10, AMOUNTS[0], '0x02', VAULT, [], false],
      [KEYS[1], 11, AMOUNTS[1], '0x02', VAULT, [], false],
    ]);

    for (const body of VECTOR) await client.pushSignatures(body);

    const collected = (await client.validators()).validators;
    expect(collected.map((v) => [v.share_indexes_ready, v.is_signatures_ready])).toEqual([
      [[263, 280, 281, 282], true],
      [[263, 280, 281, 282], true],
    ]);

    const answer = await client.register(request);
    const credentials = vaultWithdrawalCredentials(VAULT, '0x02');
    const deposits = answer.validators.map((v, i) => {
      expect(v.exit_signature).toBeNull();
      const pubkey = hexToBytes(v.public_key);
      const depositRoot = depositSigningRoot(fx.network, { pubkey, withdrawalCredentials: credentials, amount: AMOUNTS[i]! });
      expect(verify(pubkey, depositRoot, hexToBytes(v.deposit_signature!))).toBe(true);

      const exitRoot = voluntaryExitSigningData(fx.network, 10 + i).signingRoot;
      const shards = v.oracles_exit_signature_shares!;
      expect(shards.public_keys).toHaveLength(11);
      expect(shards.encrypted_exit_signatures.every((c) => hexToBytes(c).length === 65 + 16 + 16 + 96)).toBe(true);
      for (const subset of [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [3, 4, 5, 6, 7, 8, 9, 10],
        [10, 8, 6, 4, 2, 0, 1, 3],
      ]) {
        const { shardsVerify, rebuilt } = openOracleShards(oracles, shards, exitRoot, subset);
        expect(shardsVerify).toEqual(Array(11).fill(true));
        expect(verify(pubkey, exitRoot, rebuilt)).toBe(true);
        if (i === 0) expect(bytesToHex(rebuilt)).toBe(EXPECTED_EXIT_SIGNATURE_10);
      }
      // fewer than 8 shards give another point: the oracle threshold is real
      const { rebuilt: short } = openOracleShards(oracles, shards, exitRoot, [0, 1, 2, 3, 4, 5, 6]);
      expect(verify(pubkey, exitRoot, short)).toBe(false);
      return { publicKey: v.public_key, signature: v.deposit_signature!, amountGwei: AMOUNTS[i]!, credentials };
    });
    expect(
      bytesToHex(depositDataRoot({ pubkey: deposits[0]!.publicKey, withdrawalCredentials: credentials, amount: AMOUNTS[0]!, signature: deposits[0]!.signature })),
    ).toBe('0x617b4a3ac2a1bec3fca0ce8beacb1ffc1079b3796dd3b92571b7bf0120bb12a0');

    const validators = encodeValidators(
      deposits.map((d) => ({
        publicKey: d.publicKey,
        signature: d.signature,
        amountGwei: d.amountGwei,
        depositDataRoot: depositDataRoot({ pubkey: d.publicKey, withdrawalCredentials: credentials, amount: d.amountGwei, signature: d.signature }),
      })),
      '0x02',
    );
    const payload = vaultValidatorsTypedData(fx.network.chainId, VAULT, DEPOSIT_ROOT, validators);
    expect(recoverTypedDataSigner(payload, answer.validators_manager_signature!)).toBe(manager.address);
  });

  it('answers a repeated push idempotently and keeps the results', async () => {
    await client.pushSignatures(VECTOR[0]!);
    const again = await client.register({ vault: VAULT, validators_start_index: 10, amounts: AMOUNTS, validator_type: '0x02' });
    expect(again.validators.every((v) => v.deposit_signature !== null && v.oracles_exit_signature_shares !== null)).toBe(true);
  });
});
