/**
 * End to end, deposit-data mode (the seed flow): the cluster's deposit_data.json (0x01, signed by
 * the dealer when the keys were made), the relayer's legacy API (POST /validators, sidecars on
 * GET /exits + POST /exit-signature), four mock oracles, and the operator whose hot wallet is the
 * vault's validators manager. 64 ETH in the vault → the file's first two validators are
 * registered, and the deposit data roots on chain are the file's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { depositDataRoot, parseDepositDataFile } from '@dvt/eth2';
import {
  type ChainFixture,
  type DvtStack,
  type TestOperator,
  clearRedisPrefix,
  operatorSettings,
  startChainFixture,
  startDvtStack,
  startTestOperator,
  uniquePrefix,
  until,
} from './support.js';

describe('end to end, deposit-data mode: deposit_data.json + legacy relayer API + sidecars + oracles + operator', () => {
  let fx: ChainFixture;
  let stack: DvtStack;
  let op: TestOperator | undefined;
  const prefixes: string[] = [];

  beforeAll(async () => {
    fx = await startChainFixture({ managerIsHotWallet: true });
    stack = await startDvtStack(fx, { validatorType: '0x01', validators: 3, api: 'legacy', relayerSignsAsManager: false });
  });
  afterAll(async () => {
    await op?.operator.close();
    await stack?.stop();
    await fx?.stop();
    for (const prefix of prefixes) await clearRedisPrefix(prefix);
  });

  it('refuses to start on a deposit data file with a bad signature, listing the entry', async () => {
    const file = join(fx.dir.path, 'tampered_deposit_data.json');
    const entries = JSON.parse(await readFile(join(stack.clusterDir, 'node0', 'deposit_data.json'), 'utf8')) as { signature: string }[];
    entries[1]!.signature = entries[0]!.signature;
    await writeFile(file, JSON.stringify(entries));
    const prefix = uniquePrefix('e2e-dd-bad');
    prefixes.push(prefix);
    const error = await startTestOperator(await operatorSettings(fx, stack.relayer.url, prefix, { VALIDATOR_TYPE: '0x01', DEPOSIT_DATA_FILE: file })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEPOSIT_DATA_INVALID' });
    expect((error as Error).message).toMatch(/entry 1 (deposit_data_root|signature)/);
  });

  it('funding the vault registers the file’s validators with the file’s deposit data', async () => {
    const file = join(stack.clusterDir, 'node0', 'deposit_data.json');
    const prefix = uniquePrefix('e2e-dd');
    prefixes.push(prefix);
    op = await startTestOperator(await operatorSettings(fx, stack.relayer.url, prefix, { VALIDATOR_TYPE: '0x01', DEPOSIT_DATA_FILE: file, RELAYER_READY_TIMEOUT: '30' }));
    expect(op.operator.config.mode).toBe('deposit-data');
    await fx.fund(64);
    const registered = await until('two ValidatorRegistered events', async () => {
      const events = await fx.events(fx.vault, 'ValidatorRegistered');
      return events.length === 2 ? events : undefined;
    }, 45_000);
    const fileEntries = parseDepositDataFile(await readFile(file, 'utf8'));
    expect(registered.map((e) => String(e[0]))).toEqual(fileEntries.slice(0, 2).map((e) => bytesToHex(e.pubkey)));

    const deposits = await fx.events(fx.depositContract, 'DepositEvent');
    const onChainRoots = deposits.map((d) => {
      const amount = Number(new DataView(hexToBytes(String(d[2])).buffer).getBigUint64(0, true));
      return bytesToHex(depositDataRoot({ pubkey: String(d[0]), withdrawalCredentials: String(d[1]), amount, signature: String(d[3]) }));
    });
    expect(onChainRoots).toEqual(fileEntries.slice(0, 2).map((e) => bytesToHex(e.depositDataRoot)));
    expect(deposits.map((d) => String(d[3]))).toEqual(fileEntries.slice(0, 2).map((e) => bytesToHex(e.signature)));

    // the legacy relayer was asked for exactly those keys; every oracle checked its shard for indexes 0, 1
    for (const oracle of fx.oracles.oracles) {
      expect(oracle.decisions.filter((x) => x.approved)).toEqual([expect.objectContaining({ validatorIndex: 0, publicKeys: registered.map((e) => String(e[0])) })]);
    }
    const { exits } = await fetch(`${stack.relayer.url}/exits`).then((r) => r.json() as Promise<{ exits: { public_key: string; is_exit_signature_ready: boolean }[] }>);
    expect(exits.filter((x) => x.is_exit_signature_ready).map((x) => x.public_key).sort()).toEqual(registered.map((e) => String(e[0])).sort());
    await until('the register job counted', async () => (await op!.operator.metrics.value('dvt_operator_validators_registered_total', { type: '0x01' })) === 2);
  }, 55_000);
});
