/**
 * The relayer against a local chain with the suite's StakeWise test contracts: protocol config from
 * the Keeper's ConfigUpdated event + an IPFS gateway, validators-manager signatures accepted on
 * chain (registerValidators with oracle approvals, fundValidators), and an oracle-set change.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Contract, type ContractTransactionReceipt, type Log, Wallet, ZeroAddress, parseEther } from 'ethers';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositDataRoot, getNetwork, vaultWithdrawalCredentials } from '@dvt/eth2';
import {
  RelayerClient,
  encodeValidators,
  keeperValidatorsTypedData,
  packOracleSignatures,
  recoverTypedDataSigner,
  signTypedData,
  validatorsManagerNonceRoot,
  vaultValidatorsTypedData,
} from '@dvt/stakewise';
import { eciesDecrypt, verify } from '@dvt/tbls';
import { BeaconNodeMock, type LocalChain, MockIpfsGateway, type StakewiseDeployment, deployStakewiseContracts, revertReason, startLocalChain } from '@dvt/testing';
import { type RelayerFixture, SimulatedValidator, sidecarRound, startFixture } from './support.js';

const GAS = 3_000_000;

function oracleDocument(wallets: Wallet[], threshold: number) {
  return {
    oracles: wallets.map((w, i) => ({ public_key: bytesToHex(hexToBytes(w.signingKey.publicKey).subarray(1)), endpoints: [`http://oracle-${i}.invalid`] })),
    exit_signature_recover_threshold: threshold,
    validators_approval_batch_limit: 100,
  };
}

describe('relayer on a local chain', () => {
  let chain: LocalChain;
  let deployment: StakewiseDeployment;
  let network: NetworkConfig;
  let fx: RelayerFixture;
  let client: RelayerClient;
  let vault: Contract;
  const ipfs = new MockIpfsGateway();
  const randomWallet = () => new Wallet(Wallet.createRandom().privateKey);
  const oracles = [1, 2, 3].map(randomWallet);
  const manager = Wallet.createRandom();
  const validators = [new SimulatedValidator(3, [1, 2, 3, 4]), new SimulatedValidator(3, [1, 2, 3, 4])];
  const AMOUNTS = [32_000_000_000, 33_000_000_000];

  beforeAll(async () => {
    await ipfs.start();
    chain = await startLocalChain();
    deployment = await deployStakewiseContracts(chain, {
      oracles: oracles.map((o) => o.address),
      validatorsMinOracles: 2,
      validatorsManager: manager.address,
      configIpfsHash: ipfs.add(oracleDocument(oracles, 2)),
    });
    vault = deployment.vault.contract;
    await (await vault.getFunction('deposit')(chain.wallet(2).address, ZeroAddress, { value: parseEther('100') })).wait();
    network = getNetwork('devnet', { depositContractAddress: deployment.depositContract.address, chainId: chain.chainId });
    const { encryptKeystoreJsonSync } = await import('ethers');
    fx = await startFixture({
      networkConfig: network,
      beacon: new BeaconNodeMock({ network }),
      publicKeys: validators.map((v) => v.publicKey),
      threshold: 3,
      files: {
        'manager.json': encryptKeystoreJsonSync({ address: manager.address, privateKey: manager.privateKey }, 'pw', { scrypt: { N: 1024 } }),
        'manager.txt': 'pw\n',
      },
      settings: (dir) => ({
        NETWORK: 'devnet',
        DEPOSIT_CONTRACT_ADDRESS: deployment.depositContract.address,
        DEVNET_CHAIN_ID: String(chain.chainId),
        PROTOCOL_CONFIG_FILE: undefined,
        KEEPER_ADDRESS: deployment.keeper.address,
        KEEPER_GENESIS_BLOCK: String(deployment.fromBlock),
        EXECUTION_ENDPOINT: chain.rpcUrl,
        IPFS_FETCH_ENDPOINTS: `http://127.0.0.1:9,${ipfs.url}`,
        VALIDATORS_MANAGER_KEYSTORE_FILE: `${dir}/manager.json`,
        VALIDATORS_MANAGER_PASSWORD_FILE: `${dir}/manager.txt`,
      }),
    });
    client = new RelayerClient({ baseUrl: fx.relayer.url });
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
    await chain?.stop();
    await ipfs.stop();
  });

  it('reads the oracle set from the Keeper event and IPFS (past an unreachable gateway)', async () => {
    const config = fx.relayer.protocol.current();
    expect(config.oracles.map((o) => o.publicKey)).toEqual(oracleDocument(oracles, 2).oracles.map((o) => o.public_key));
    expect([config.exitSignatureRecoverThreshold, config.validatorsMinOracles]).toEqual([2, 2]);
    expect(config.source).toMatch(/^ipfs bafk/);
    expect(await client.info()).toEqual({ network: 'devnet', validators_manager_address: manager.address });
  });

  it('registers the validators on chain with the relayer outputs and the oracles approval', async () => {
    const request = { vault: deployment.vault.address, validators_start_index: 0, amounts: AMOUNTS, validator_type: '0x02' as const };
    await client.register(request);
    for (const shareIndex of [3, 1, 4]) await sidecarRound(client, network, validators, shareIndex);
    const answer = await client.register(request);
    const credentials = vaultWithdrawalCredentials(deployment.vault.address, '0x02');
    const blob = encodeValidators(
      answer.validators.map((v, i) => ({
        publicKey: v.public_key,
        signature: v.deposit_signature!,
        amountGwei: AMOUNTS[i]!,
        depositDataRoot: depositDataRoot({ pubkey: v.public_key, withdrawalCredentials: credentials, amount: AMOUNTS[i]!, signature: v.deposit_signature! }),
      })),
      '0x02',
    );
    const root = (await deployment.depositContract.contract.getFunction('get_deposit_root')()) as string;
    const deadline = (await chain.latestTimestamp()) + 600;
    const approval = keeperValidatorsTypedData(chain.chainId, deployment.keeper.address, {
      validatorsRegistryRoot: root,
      vault: deployment.vault.address,
      validators: blob,
      exitSignaturesIpfsHash: 'bafkexits',
      deadline,
    });
    const signatures = packOracleSignatures(oracles.slice(0, 2).map((o) => ({ oracle: o.address, signature: signTypedData(approval, o.privateKey) })));
    const sender = vault.connect(chain.wallet(3)) as Contract;
    const receipt = await (
      await sender.getFunction('registerValidators')(
        { validatorsRegistryRoot: root, deadline, validators: blob, signatures, exitSignaturesIpfsHash: 'bafkexits' },
        answer.validators_manager_signature!,
        { gasLimit: GAS },
      )
    ).wait();
    const events = deployment.depositContract.contract.interface;
    const deposits = (receipt as ContractTransactionReceipt).logs
      .filter((log: Log) => log.address === deployment.depositContract.address)
      .map((log: Log) => events.parseLog(log))
      .filter((parsed) => parsed?.name === 'DepositEvent');
    expect(deposits.map((d) => String(d!.args[0]))).toEqual(validators.map((v) => v.publicKey));
    expect(fx.relayer.protocol.current().validatorsMinOracles).toBe(2);
  });

  it('signs fundValidators with the vault nonce: accepted on chain; withdraw / consolidate recover to the manager', async () => {
    const fund = await client.fund({ vault: deployment.vault.address, public_keys: [validators[0]!.publicKey], amounts: [1_000_000_000] });
    const nonce = (await vault.getFunction('validatorsManagerNonce')()) as bigint;
    const credentials = vaultWithdrawalCredentials(deployment.vault.address, '0x02');
    const zero = bytesToHex(new Uint8Array(96));
    const blob = encodeValidators(
      [
        {
          publicKey: validators[0]!.publicKey,
          signature: zero,
          amountGwei: 1_000_000_000,
          depositDataRoot: depositDataRoot({ pubkey: validators[0]!.publicKey, withdrawalCredentials: credentials, amount: 1_000_000_000, signature: zero }),
        },
      ],
      '0x02',
    );
    const sender = vault.connect(chain.wallet(4)) as Contract;
    // a wrong signature is refused on chain, the relayer's is accepted
    const forged = signTypedData(vaultValidatorsTypedData(chain.chainId, deployment.vault.address, validatorsManagerNonceRoot(nonce), blob), Wallet.createRandom().privateKey);
    const refused = await sender.getFunction('fundValidators').staticCall(blob, forged).catch((e: unknown) => e);
    expect(revertReason(refused, vault.interface)).toMatch(/AccessDenied/);
    await (await sender.getFunction('fundValidators')(blob, fund.validators_manager_signature!, { gasLimit: GAS })).wait();
    expect((await vault.getFunction('validatorsManagerNonce')()) as bigint).toBe(nonce + 1n);

    const next = nonce + 1n;
    const withdraw = await client.withdraw({ vault: deployment.vault.address, public_keys: [validators[1]!.publicKey], amounts: [0] });
    const withdrawBlob = validators[1]!.publicKey + '0'.repeat(16);
    expect(
      recoverTypedDataSigner(vaultValidatorsTypedData(chain.chainId, deployment.vault.address, validatorsManagerNonceRoot(next), withdrawBlob), withdraw.validators_manager_signature!),
    ).toBe(manager.address);
    const consolidate = await client.consolidate({
      vault: deployment.vault.address,
      source_public_keys: [validators[1]!.publicKey],
      target_public_keys: [validators[0]!.publicKey],
    });
    const pair = validators[1]!.publicKey + validators[0]!.publicKey.slice(2);
    expect(
      recoverTypedDataSigner(vaultValidatorsTypedData(chain.chainId, deployment.vault.address, validatorsManagerNonceRoot(next), pair), consolidate.validators_manager_signature!),
    ).toBe(manager.address);
  });

  it('re-shares stored exit signatures to a new oracle set announced by the Keeper', async () => {
    const newOracles = [1, 2, 3, 4].map(randomWallet);
    const keeper = deployment.keeper.contract;
    for (const o of newOracles) await (await keeper.getFunction('addOracle')(o.address)).wait();
    await (await keeper.getFunction('setValidatorsMinOracles')(3)).wait();
    await (await keeper.getFunction('updateConfig')(ipfs.add(oracleDocument(newOracles, 3)))).wait();
    await fx.relayer.protocol.refresh();
    expect(fx.relayer.protocol.current().validatorsMinOracles).toBe(3);
    const answer = await client.register({ vault: deployment.vault.address, validators_start_index: 0, amounts: AMOUNTS, validator_type: '0x02' });
    answer.validators.forEach((served, i) => {
      const shards = served.oracles_exit_signature_shares!;
      expect(shards.public_keys).toHaveLength(4);
      const root = validators[i]!.exitRoot(network, i);
      shards.encrypted_exit_signatures.forEach((ct, j) => {
        const shard = eciesDecrypt(hexToBytes(newOracles[j]!.privateKey), hexToBytes(ct));
        expect(verify(hexToBytes(shards.public_keys[j]!), root, shard)).toBe(true);
      });
    });
  });
});
