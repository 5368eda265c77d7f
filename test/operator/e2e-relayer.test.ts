/**
 * End to end, relayer mode: a 4-node trusted-dealer cluster (threshold 3) for the vault, the
 * suite's relayer (SQLite, beacon mock, the validators manager's key), three of the four sidecars
 * signing, four mock oracles and the operator on real Redis. Funding the vault with 100 ETH (max
 * validator balance 40 ETH) makes the operator register two 0x02 validators of 40 ETH: the vault
 * emits V2ValidatorRegistered, the deposit contract DepositEvent, every deposit verifies for the
 * validator's key, and the roots hashed on chain are the roots the operator sent.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { depositDataRoot, depositSigningRoot } from '@dvt/eth2';
import { decodeValidators } from '@dvt/stakewise';
import { verify } from '@dvt/tbls';
import { type ChainFixture, type DvtStack, type TestOperator, clearRedisPrefix, operatorSettings, startChainFixture, startDvtStack, startTestOperator, uniquePrefix, until } from './support.js';

const GWEI_40_ETH = 40_000_000_000;

describe('end to end, relayer mode: relayer + sidecars + mock oracles + operator', () => {
  let fx: ChainFixture;
  let stack: DvtStack;
  let op: TestOperator;
  const prefix = uniquePrefix('e2e-relayer');

  beforeAll(async () => {
    fx = await startChainFixture();
    stack = await startDvtStack(fx, { validatorType: '0x02', validators: 3, api: 'current', relayerSignsAsManager: true, sidecarNodes: [0, 1, 3] });
    op = await startTestOperator(
      await operatorSettings(fx, stack.relayer.url, prefix, { VALIDATOR_TYPE: '0x02', MAX_VALIDATOR_BALANCE_GWEI: String(GWEI_40_ETH), RELAYER_READY_TIMEOUT: '30' }),
    );
  });
  afterAll(async () => {
    await op?.operator.close();
    await stack?.stop();
    await fx?.stop();
    await clearRedisPrefix(prefix);
  });

  it('funding the vault registers the cluster’s validators through relayer, sidecars and oracles', async () => {
    await fx.fund(100);
    const registered = await until('two V2ValidatorRegistered events', async () => {
      const events = await fx.events(fx.vault, 'V2ValidatorRegistered');
      return events.length === 2 ? events : undefined;
    }, 45_000);
    const keys = stack.cluster.lock.distributed_validators.map((d) => d.distributed_public_key);
    expect(registered.map((e) => [String(e[0]), BigInt(e[1] as bigint)])).toEqual([
      [keys[0], 40n * 10n ** 18n],
      [keys[1], 40n * 10n ** 18n],
    ]);

    const deposits = await fx.events(fx.depositContract, 'DepositEvent');
    expect(deposits.map((d) => String(d[0]))).toEqual(keys.slice(0, 2));
    const credentials = `0x02${'00'.repeat(11)}${fx.deployment.vault.address.slice(2).toLowerCase()}`;
    const topic = fx.vault.interface.getEvent('V2ValidatorRegistered')!.topicHash;
    const [log] = await fx.chain.provider.getLogs({ address: fx.deployment.vault.address, topics: [topic], fromBlock: fx.deployment.fromBlock });
    const tx = (await fx.chain.provider.getTransaction(log!.transactionHash))!;
    expect(tx.from).toBe(fx.hotWallet.address);
    const sent = decodeValidators(String(fx.vault.interface.parseTransaction({ data: tx.data })!.args[0][2]), '0x02').validators;
    deposits.forEach((d, i) => {
      const pubkey = String(d[0]);
      const amount = Number(new DataView(hexToBytes(String(d[2])).buffer).getBigUint64(0, true));
      expect(String(d[1])).toBe(credentials);
      expect(amount).toBe(GWEI_40_ETH);
      // the beacon chain would accept it: the rebuilt deposit signature verifies for the validator key
      expect(verify(hexToBytes(pubkey), depositSigningRoot(fx.network, { pubkey, withdrawalCredentials: credentials, amount }), hexToBytes(String(d[3])))).toBe(true);
      expect(bytesToHex(depositDataRoot({ pubkey, withdrawalCredentials: credentials, amount, signature: String(d[3]) }))).toBe(sent[i]!.depositDataRoot);
    });

    // every oracle decrypted its shard, checked it for validator indexes 0 and 1, and approved
    for (const oracle of fx.oracles.oracles) {
      const approvals = oracle.decisions.filter((x) => x.approved);
      expect(approvals).toHaveLength(1);
      expect(approvals[0]).toMatchObject({ validatorIndex: 0, publicKeys: keys.slice(0, 2) });
    }
    await until('the register job counted', async () => (await op.operator.metrics.value('dvt_operator_validators_registered_total', { type: '0x02' })) === 2);
    expect(await fx.chain.provider.getBalance(fx.deployment.vault.address)).toBe(20n * 10n ** 18n);
  }, 55_000);
});
