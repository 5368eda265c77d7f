import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Wallet, keccak256, parseEther, toUtf8Bytes } from 'ethers';
import { deployStakewiseContracts } from './deploy.js';
import { LocalChainError } from './errors.js';
import { type LocalChain, type LocalChainOptions, startLocalChain } from './local-chain.js';

/** One JSON-RPC call on a fresh, non-keep-alive connection (a pooled socket would outlive the test). */
function rpc(url: string, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] });
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result: unknown }).result));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const keys = [1, 2].map((i) => keccak256(toUtf8Bytes(`local-chain-spec-${i}`)));
let chain: LocalChain;

beforeAll(async () => {
  chain = await startLocalChain({ accounts: keys, balanceEth: 50, chainId: 31337 });
});

afterAll(async () => {
  await chain?.stop();
});

describe('startLocalChain', () => {
  it('serves JSON-RPC on 127.0.0.1 with the chain id and the funded accounts asked for', async () => {
    expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(chain.chainId).toBe(31337);
    expect(await rpc(chain.rpcUrl, 'eth_chainId')).toBe('0x7a69');
    expect(chain.accounts).toEqual(keys.map((key) => ({ address: new Wallet(key).address, privateKey: key })));
    for (const account of chain.accounts) {
      expect(await chain.provider.getBalance(account.address)).toBe(parseEther('50'));
    }
    expect(chain.wallet(1).address).toBe(chain.accounts[1]!.address);
    expect(() => chain.wallet(2)).toThrow(LocalChainError);
  });

  it('moves the clock forward', async () => {
    const before = await chain.latestTimestamp();
    await chain.increaseTime(3600);
    expect(await chain.latestTimestamp()).toBeGreaterThanOrEqual(before + 3600);
    await expect(chain.increaseTime(-1)).rejects.toThrow(/whole seconds/);
  });

  it('reports a port that is already taken', async () => {
    const port = Number(new URL(chain.rpcUrl).port);
    await expect(startLocalChain({ port, accounts: 1 })).rejects.toMatchObject({ code: 'CHAIN_START_FAILED' });
  });

  it.each<[string, LocalChainOptions, RegExp]>([
    ['a negative port', { port: -1 }, /port/],
    ['a port above 65535', { port: 70000 }, /port/],
    ['chain id 0', { chainId: 0 }, /chainId/],
    ['a negative block time', { blockTime: -1 }, /blockTime/],
    ['a zero balance', { balanceEth: 0 }, /balanceEth/],
    ['zero accounts', { accounts: 0 }, /accounts/],
    ['an empty key list', { accounts: [] }, /empty/],
    ['a short private key', { accounts: ['0x1234'] }, /accounts\[0\]/],
    ['the zero private key', { accounts: [`0x${'00'.repeat(32)}`] }, /accounts\[0\]/],
    ['a key at the curve order', { accounts: ['0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'] }, /accounts\[0\]/],
    ['duplicate keys', { accounts: [keys[0]!, keys[0]!.toUpperCase().replace('0X', '0x')] }, /duplicate/],
  ])('rejects %s before starting anything', async (_name, options, message) => {
    const start = startLocalChain(options);
    await expect(start).rejects.toBeInstanceOf(LocalChainError);
    await expect(start).rejects.toMatchObject({ code: 'INVALID_CHAIN_OPTIONS', message: expect.stringMatching(message) });
  });
});

describe('deployStakewiseContracts option checks', () => {
  const oracle = new Wallet(keys[0]!).address;
  it.each<[string, Parameters<typeof deployStakewiseContracts>[1], RegExp]>([
    ['no oracles', { oracles: [], validatorsMinOracles: 1, validatorsManager: oracle }, /1\.\.30 oracles/],
    ['a malformed oracle', { oracles: ['0x12'], validatorsMinOracles: 1, validatorsManager: oracle }, /oracles\[0\]/],
    ['duplicate oracles', { oracles: [oracle, oracle.toLowerCase()], validatorsMinOracles: 1, validatorsManager: oracle }, /distinct/],
    ['a zero threshold', { oracles: [oracle], validatorsMinOracles: 0, validatorsManager: oracle }, /validatorsMinOracles/],
    ['a threshold above the oracle count', { oracles: [oracle], validatorsMinOracles: 2, validatorsManager: oracle }, /validatorsMinOracles/],
    ['a malformed manager', { oracles: [oracle], validatorsMinOracles: 1, validatorsManager: 'manager' }, /validatorsManager/],
    ['a malformed admin', { oracles: [oracle], validatorsMinOracles: 1, validatorsManager: oracle, admin: '0x' }, /admin/],
    ['an empty config hash', { oracles: [oracle], validatorsMinOracles: 1, validatorsManager: oracle, configIpfsHash: '' }, /configIpfsHash/],
  ])('rejects %s', async (_name, options, message) => {
    await expect(deployStakewiseContracts(chain, options)).rejects.toMatchObject({
      code: 'INVALID_DEPLOY_OPTIONS',
      message: expect.stringMatching(message),
    });
  });

  it('reports a deployment the chain refuses', async () => {
    const broke = new Wallet(keccak256(toUtf8Bytes('unfunded')), chain.provider);
    await expect(
      deployStakewiseContracts(chain, { oracles: [oracle], validatorsMinOracles: 1, validatorsManager: oracle, deployer: broke }),
    ).rejects.toMatchObject({ code: 'DEPLOYMENT_FAILED', message: expect.stringMatching(/DepositContract/) });
  });
});

describe('block time', () => {
  it('mines on a timer when blockTime is set', async () => {
    const timed = await startLocalChain({ accounts: 1, blockTime: 1 });
    try {
      const start = await timed.provider.getBlockNumber();
      const tx = await timed.wallet(0).sendTransaction({ to: timed.accounts[0]!.address, value: 1n });
      const receipt = await tx.wait();
      expect(receipt!.blockNumber).toBeGreaterThan(start);
    } finally {
      await timed.stop();
    }
  });
});

describe('stop', () => {
  it('closes the server and can be called twice', async () => {
    const other = await startLocalChain({ accounts: 1 });
    await other.stop();
    await other.stop();
    await expect(rpc(other.rpcUrl, 'eth_chainId')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
