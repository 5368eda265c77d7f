import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { depositDataRoot, depositSigningRoot, getNetwork, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { type ApprovalRequest, encodeValidators, keeperValidatorsTypedData, recoverTypedDataSigner } from '@dvt/stakewise';
import { generateSecretKey, reshareAndEncryptSignature, secretKeyToPublicKey, sign } from '@dvt/tbls';
import { type MockOracleSet, mockOracleWallets, oraclePublicKey, startMockOracles } from './mock-oracle.js';

const network = getNetwork('hoodi');
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const KEEPER = '0x00000000000000000000000000000000000000ee';
const ROOT = `0x${'42'.repeat(32)}`;
const wallets = mockOracleWallets(4, 'mock-oracle-spec');

function validator(index: number) {
  const secretKey = generateSecretKey();
  const publicKey = bytesToHex(secretKeyToPublicKey(secretKey));
  const amount = 40_000_000_000;
  const credentials = vaultWithdrawalCredentials(VAULT, '0x02');
  const depositSignature = bytesToHex(sign(secretKey, depositSigningRoot(network, { pubkey: publicKey, withdrawalCredentials: credentials, amount })));
  const exitRoot = voluntaryExitSigningData(network, index).signingRoot;
  const shards = reshareAndEncryptSignature({
    publicKey: hexToBytes(publicKey),
    signature: sign(secretKey, exitRoot),
    message: exitRoot,
    threshold: 3,
    oraclePublicKeys: wallets.map((w) => hexToBytes(oraclePublicKey(w))),
  });
  return { publicKey, amount, depositSignature, publicKeyShards: shards.publicKeyShards.map(bytesToHex), encrypted: shards.encryptedShards.map(bytesToHex), credentials };
}

function request(validators: ReturnType<typeof validator>[], startIndex = 5): ApprovalRequest {
  return {
    validator_index: startIndex,
    vault_address: VAULT,
    validators_root: ROOT,
    public_keys: validators.map((v) => v.publicKey),
    deposit_signatures: validators.map((v) => v.depositSignature),
    public_key_shards: validators.map((v) => v.publicKeyShards),
    exit_signature_shards: validators.map((v) => v.encrypted),
    validators_manager_signature: `0x${'00'.repeat(65)}`,
    deadline: 2_000_000_000,
    amounts: validators.map((v) => v.amount),
  };
}

describe('mock oracles', () => {
  let set: MockOracleSet;
  const post = async (i: number, body: unknown) => {
    const response = await fetch(set.oracles[i]!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    set = await startMockOracles({ wallets, validatorsMinOracles: 3, exitSignatureRecoverThreshold: 3, network, chainId: 560048, keeper: KEEPER });
  });
  afterAll(() => set.stop());

  it('honest oracles check their shard and sign the KeeperValidators approval, all with the same IPFS hash', async () => {
    const vs = [validator(5), validator(6)];
    const body = request(vs);
    const answers = await Promise.all([0, 1].map((i) => post(i, body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers[0]!.json.ipfs_hash).toBe(answers[1]!.json.ipfs_hash);
    expect(String(answers[0]!.json.ipfs_hash)).toMatch(/^bafkrei[a-z2-7]{52}$/);
    const blob = encodeValidators(
      vs.map((v) => ({
        publicKey: v.publicKey,
        signature: v.depositSignature,
        depositDataRoot: depositDataRoot({ pubkey: v.publicKey, withdrawalCredentials: v.credentials, amount: v.amount, signature: v.depositSignature }),
        amountGwei: v.amount,
      })),
      '0x02',
    );
    const typed = keeperValidatorsTypedData(560048, KEEPER, { validatorsRegistryRoot: ROOT, vault: VAULT, validators: blob, exitSignaturesIpfsHash: String(answers[0]!.json.ipfs_hash), deadline: body.deadline });
    expect(recoverTypedDataSigner(typed, String(answers[1]!.json.signature))).toBe(wallets[1]!.address);
    expect(set.configDocument.oracles[2]).toEqual({ public_key: oraclePublicKey(wallets[2]!), endpoints: [set.oracles[2]!.url] });
  });

  it('refuses a shard for another validator index, shards that do not rebuild the key, a bad deposit signature, another oracle’s shard', async () => {
    const v = validator(5);
    expect((await post(0, request([v], 6))).json.error).toMatch(/my exit signature shard does not verify for validator index 6/);
    const other = validator(5);
    expect((await post(0, request([{ ...v, publicKeyShards: [v.publicKeyShards[0]!, ...other.publicKeyShards.slice(1)] }]))).json.error).toMatch(
      /public key shards do not rebuild the validator public key/,
    );
    expect((await post(0, request([{ ...v, depositSignature: other.depositSignature }]))).json.error).toMatch(/the deposit signature does not verify/);
    expect((await post(0, request([{ ...v, encrypted: [v.encrypted[1]!, ...v.encrypted.slice(1)] }]))).json.error).toMatch(/does not decrypt/);
    expect((await post(0, request([{ ...v, encrypted: v.encrypted.slice(1) }]))).json.error).toMatch(/expected 4 shards/);
    expect((await post(0, { public_keys: [] })).status).toBe(400);
    expect(set.oracles[0]!.decisions.filter((d) => !d.approved)).toHaveLength(6);
  });

  it('misbehaves on request: garbage, refusal, a signature over another message, a late answer', async () => {
    const body = request([validator(5)]);
    set.oracles[3]!.behaviour = 'garbage';
    expect((await post(3, body)).json).toEqual({ signature: 'not a signature', ipfs_hash: 42 });
    set.oracles[3]!.behaviour = 'refuse';
    expect((await post(3, body)).status).toBe(400);
    set.oracles[3]!.behaviour = 'wrong-signature';
    const wrong = await post(3, body);
    expect(wrong.json.deadline).toBe(body.deadline);
    set.oracles[3]!.behaviour = 'delay';
    set.oracles[3]!.delayMs = 300;
    const started = Date.now();
    expect((await post(3, body)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    set.oracles[3]!.behaviour = 'honest';
  });
});
