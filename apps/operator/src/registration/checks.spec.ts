import { describe, expect, it } from '@jest/globals';
import { Wallet, keccak256, toUtf8Bytes } from 'ethers';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { depositDataRoot, depositSigningRoot, getNetwork, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { type OraclesConfig, encodeValidators, signTypedData, vaultValidatorsTypedData } from '@dvt/stakewise';
import { generateSecretKey, reshareAndEncryptSignature, secretKeyToPublicKey, sign } from '@dvt/tbls';
import { type BatchValidator, type RegistrationBatch } from './batch.js';
import { checkBatch } from './checks.js';

const network = getNetwork('hoodi');
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const ROOT = `0x${'42'.repeat(32)}`;
const manager = new Wallet(keccak256(toUtf8Bytes('checks-spec-manager')));
const sender = new Wallet(keccak256(toUtf8Bytes('checks-spec-sender')));
const oracleWallets = [0, 1, 2, 3].map((i) => new Wallet(keccak256(toUtf8Bytes(`checks-spec-oracle-${i}`))));
const oracles: OraclesConfig = {
  oracles: oracleWallets.map((w) => ({ address: w.address, publicKey: `0x${w.signingKey.publicKey.slice(4)}`, endpoints: ['http://oracle.test'] })),
  exitSignatureRecoverThreshold: 3,
  validatorsThreshold: 3,
  signatureValidityPeriod: 60,
  validatorsApprovalBatchLimit: 100,
};
const ctx = { network, chainId: network.chainId, oracles, validatorsManager: manager.address, sender: sender.address };

function validator(index: number, opts: { depositKey?: Uint8Array; vault?: string } = {}): BatchValidator & { secretKey: Uint8Array } {
  const secretKey = generateSecretKey();
  const publicKey = bytesToHex(secretKeyToPublicKey(secretKey));
  const amount = 32_000_000_000;
  const credentials = vaultWithdrawalCredentials(opts.vault ?? VAULT, '0x01');
  const signature = bytesToHex(sign(opts.depositKey ?? secretKey, depositSigningRoot(network, { pubkey: publicKey, withdrawalCredentials: credentials, amount })));
  const exitRoot = voluntaryExitSigningData(network, index).signingRoot;
  const shards = reshareAndEncryptSignature({
    publicKey: hexToBytes(publicKey),
    signature: sign(secretKey, exitRoot),
    message: exitRoot,
    threshold: 3,
    oraclePublicKeys: oracles.oracles.map((o) => hexToBytes(o.publicKey)),
  });
  const ownCredentials = vaultWithdrawalCredentials(VAULT, '0x01');
  return {
    secretKey,
    publicKey,
    amountGwei: amount,
    depositSignature: signature,
    depositDataRoot: bytesToHex(depositDataRoot({ pubkey: publicKey, withdrawalCredentials: ownCredentials, amount, signature })),
    publicKeyShards: shards.publicKeyShards.map(bytesToHex),
    encryptedExitSignatures: shards.encryptedShards.map(bytesToHex),
  };
}

function batchOf(validators: BatchValidator[], signer: Wallet | null = manager, root = ROOT): RegistrationBatch {
  const blob = encodeValidators(validators.map((v) => ({ publicKey: v.publicKey, signature: v.depositSignature, depositDataRoot: v.depositDataRoot })), '0x01');
  return {
    vault: VAULT,
    validatorType: '0x01',
    startIndex: 10,
    registryRoot: ROOT,
    validators,
    validatorsManagerSignature: signer === null ? null : signTypedData(vaultValidatorsTypedData(network.chainId, VAULT, root, blob), signer.privateKey),
  };
}

describe('checkBatch', () => {
  const good = [validator(10), validator(11)];

  it('passes a correct batch and returns the registerValidators blob', () => {
    const blob = checkBatch(batchOf(good), ctx);
    expect(blob).toBe(encodeValidators(good.map((v) => ({ publicKey: v.publicKey, signature: v.depositSignature, depositDataRoot: v.depositDataRoot })), '0x01'));
  });

  it('refuses a deposit signature by another key or for another vault, naming the validator', () => {
    const forged = validator(11, { depositKey: generateSecretKey() });
    expect(() => checkBatch(batchOf([good[0]!, forged]), ctx)).toThrow(
      expect.objectContaining({ code: 'INVALID_DEPOSIT_SIGNATURE', message: expect.stringContaining(`deposit signature of ${forged.publicKey} does not verify`) }),
    );
    const elsewhere = validator(10, { vault: '0x0000000000000000000000000000000000000001' });
    expect(() => checkBatch(batchOf([elsewhere]), ctx)).toThrow(expect.objectContaining({ code: 'INVALID_DEPOSIT_SIGNATURE' }));
  });

  it('refuses a wrong deposit data root', () => {
    const wrongRoot = { ...good[0]!, depositDataRoot: `0x${'00'.repeat(32)}` };
    expect(() => checkBatch(batchOf([wrongRoot]), ctx)).toThrow(expect.objectContaining({ code: 'INVALID_DEPOSIT_DATA_ROOT' }));
  });

  it('refuses oracle shards that are missing or belong to another key', () => {
    const missing = { ...good[0]!, publicKeyShards: good[0]!.publicKeyShards.slice(1) };
    expect(() => checkBatch(batchOf([missing]), ctx)).toThrow(/3 public key shard\(s\) and 4 encrypted shard\(s\) for 4 oracles/);
    const foreign = { ...good[0]!, publicKeyShards: good[1]!.publicKeyShards };
    expect(() => checkBatch(batchOf([foreign]), ctx)).toThrow(expect.objectContaining({ code: 'INVALID_EXIT_SHARDS', message: expect.stringMatching(/do not rebuild the validator public key/) }));
  });

  it('refuses a validators-manager signature by another key or over another registry root', () => {
    expect(() => checkBatch(batchOf(good, sender), ctx)).toThrow(
      expect.objectContaining({ code: 'INVALID_MANAGER_SIGNATURE', message: expect.stringContaining(`is by ${sender.address}, not by the vault's validators manager ${manager.address}`) }),
    );
    expect(() => checkBatch(batchOf(good, manager, `0x${'43'.repeat(32)}`), ctx)).toThrow(expect.objectContaining({ code: 'INVALID_MANAGER_SIGNATURE' }));
    expect(() => checkBatch({ ...batchOf(good), validatorsManagerSignature: '0x1234' }, ctx)).toThrow(/validators-manager signature: signature: expected 65 bytes/);
  });

  it('accepts no signature only when the hot wallet sends as the manager', () => {
    expect(() => checkBatch(batchOf(good, null), ctx)).toThrow(/no validators-manager signature, and the hot wallet .* is not the vault's validators manager/);
    expect(checkBatch(batchOf(good, null), { ...ctx, sender: manager.address })).toMatch(/^0x/);
  });
});
