import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Wallet, keccak256, toUtf8Bytes } from 'ethers';
import {
  type ApprovalRequest,
  type KeeperApprovalContext,
  type OracleAnswer,
  OraclesClient,
  type OraclesConfig,
  buildApprovalRequest,
  checkOracleApproval,
  combineOracleApprovals,
  oracleAddress,
  parseOraclesConfig,
} from './oracles.js';
import { keeperValidatorsTypedData, signTypedData } from './eip712.js';

const wallets = [0, 1, 2, 3].map((i) => new Wallet(keccak256(toUtf8Bytes(`oracles-spec-${i}`))));
const rawKey = (w: Wallet) => `0x${w.signingKey.publicKey.slice(4)}`;
const KEEPER = '0x00000000000000000000000000000000000000ee';
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const ROOT = `0x${'11'.repeat(32)}`;
const VALIDATORS = `0x${'22'.repeat(176)}`;
const context: KeeperApprovalContext = { chainId: 1337, keeper: KEEPER, vault: VAULT, registryRoot: ROOT, validators: VALIDATORS };

function document(extra: Record<string, unknown> = {}) {
  return {
    oracles: wallets.map((w, i) => ({ public_key: rawKey(w), endpoints: [`http://oracle-${i}.test/`] })),
    exit_signature_recover_threshold: 3,
    signature_validity_period: 60,
    ...extra,
  };
}

function approve(w: Wallet, ipfsHash = 'bafk-same', deadline = 1_000, ctx = context): OracleAnswer {
  const signature = signTypedData(
    keeperValidatorsTypedData(ctx.chainId, ctx.keeper, { validatorsRegistryRoot: ctx.registryRoot, vault: ctx.vault, validators: ctx.validators, exitSignaturesIpfsHash: ipfsHash, deadline }),
    w.privateKey,
  );
  return { oracle: w.address, ok: true, approval: { oracle: w.address, signature, ipfsHash, deadline } };
}

describe('parseOraclesConfig', () => {
  it('derives each oracle address from its public key and takes the Keeper threshold over the file', () => {
    const config = parseOraclesConfig(document({ validators_min_oracles: 2 }), { validatorsMinOracles: 3 });
    expect(config.oracles.map((o) => o.address)).toEqual(wallets.map((w) => w.address));
    expect(config.oracles[0]!.endpoints).toEqual(['http://oracle-0.test']);
    expect(config).toMatchObject({ validatorsThreshold: 3, exitSignatureRecoverThreshold: 3, signatureValidityPeriod: 60, validatorsApprovalBatchLimit: 100 });
    expect(oracleAddress(`0x04${rawKey(wallets[1]!).slice(2)}`)).toBe(wallets[1]!.address);
  });

  it('rejects bad documents, naming the problem', () => {
    const bad = (json: unknown, options = {}) => () => parseOraclesConfig(json, { source: 'test.json', ...options });
    expect(bad(document())).toThrow(/test\.json: no approval threshold/);
    expect(bad(document(), { validatorsMinOracles: 5 })).toThrow(/approval threshold 5 must be 1\.\.4/);
    expect(bad({ ...document(), oracles: [] }, { validatorsMinOracles: 1 })).toThrow(/oracles: no oracles/);
    expect(bad(document({ exit_signature_recover_threshold: 5 }), { validatorsMinOracles: 3 })).toThrow(/exit_signature_recover_threshold 5 > 4 oracles/);
    const duplicate = document();
    duplicate.oracles[1] = duplicate.oracles[0]!;
    expect(bad(duplicate, { validatorsMinOracles: 3 })).toThrow(/listed twice/);
    const short = document();
    short.oracles[2]!.public_key = '0x1234';
    expect(bad(short, { validatorsMinOracles: 3 })).toThrow(/oracles\[2\]\.public_key: expected a 64-byte secp256k1 public key/);
    const offCurve = document();
    offCurve.oracles[2]!.public_key = `0x${'01'.repeat(64)}`;
    expect(bad(offCurve, { validatorsMinOracles: 3 })).toThrow(/not a point of secp256k1/);
    expect(bad(document({ oracles: [{ public_key: rawKey(wallets[0]!), endpoints: [] }] }), { validatorsMinOracles: 1 })).toThrow(/at least one URL/);
    expect(bad('nope')).toThrow(expect.objectContaining({ code: 'INVALID_ORACLES_CONFIG' }));
  });
});

describe('buildApprovalRequest', () => {
  const config = parseOraclesConfig(document(), { validatorsMinOracles: 3 });
  const validator = (shards = 4) => ({
    publicKey: `0x${'aa'.repeat(48)}`,
    depositSignature: `0x${'bb'.repeat(96)}`,
    amountGwei: 40_000_000_000,
    publicKeyShards: Array.from({ length: shards }, () => `0x${'cc'.repeat(48)}`),
    encryptedExitSignatures: Array.from({ length: shards }, () => `0x${'dd'.repeat(193)}`),
  });
  const input = { vault: VAULT, startIndex: 7, registryRoot: ROOT, deadline: 99, validatorsManagerSignature: `0x${'ee'.repeat(65)}` };

  it('writes the StakeWise field names, amounts only for 0x02', () => {
    const v2 = buildApprovalRequest(config, { ...input, validatorType: '0x02', validators: [validator()] });
    expect(Object.keys(v2).sort()).toEqual(
      ['amounts', 'deadline', 'deposit_signatures', 'exit_signature_shards', 'public_key_shards', 'public_keys', 'validator_index', 'validators_manager_signature', 'validators_root', 'vault_address'].sort(),
    );
    expect(v2).toMatchObject({ validator_index: 7, amounts: [40_000_000_000], deadline: 99 });
    expect(buildApprovalRequest(config, { ...input, validatorType: '0x01', validators: [validator()] }).amounts).toBeNull();
  });

  it('refuses shard lists that do not match the oracle set', () => {
    expect(() => buildApprovalRequest(config, { ...input, validatorType: '0x02', validators: [validator(3)] })).toThrow(/3 public key shard\(s\) and 3 encrypted shard\(s\) for 4 oracles/);
  });
});

describe('combineOracleApprovals', () => {
  it('takes the largest (ipfs hash, deadline) group and packs threshold signatures in ascending oracle order', () => {
    const answers = [approve(wallets[0]!), approve(wallets[1]!), approve(wallets[2]!, 'bafk-other'), approve(wallets[3]!)];
    const combined = combineOracleApprovals(answers, 2, context);
    const group = [wallets[0]!, wallets[1]!, wallets[3]!].map((w) => w.address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(combined.oracles).toEqual(group.slice(0, 2));
    expect(combined.ipfsHash).toBe('bafk-same');
    expect(combined.signatures.length).toBe(2 + 2 * 65 * 2);
    const first = answers.find((a) => a.oracle === group[0]) as Extract<OracleAnswer, { ok: true }>;
    expect(combined.signatures.slice(2, 132)).toBe(first.approval.signature.slice(2));
    expect(combined.ignored).toEqual([{ oracle: wallets[2]!.address, reason: expect.stringMatching(/approved another/) }]);
  });

  it('ignores failed requests and signatures that are not the oracle’s', () => {
    const forged = approve(wallets[3]!) as Extract<OracleAnswer, { ok: true }>;
    const byOther = { ...forged, approval: { ...forged.approval, signature: (approve(wallets[0]!) as Extract<OracleAnswer, { ok: true }>).approval.signature } };
    const wrongMessage = approve(wallets[2]!, 'bafk-same', 1_000, { ...context, registryRoot: `0x${'33'.repeat(32)}` });
    const answers: OracleAnswer[] = [approve(wallets[0]!), approve(wallets[1]!), wrongMessage, byOther, { oracle: wallets[2]!.address, ok: false, error: 'HTTP 500' }];
    expect(() => combineOracleApprovals(answers, 3, context)).toThrow(
      expect.objectContaining({ code: 'NOT_ENOUGH_APPROVALS', message: expect.stringMatching(/oracle quorum not reached: 2 matching approval\(s\) of 5 oracle\(s\), 3 needed/) }),
    );
    expect(checkOracleApproval(context, byOther.approval)).toMatch(/recovers to 0x/);
    expect(checkOracleApproval(context, { ...forged.approval, signature: '0x1234' })).toMatch(/does not check/);
    expect(combineOracleApprovals(answers, 2, context).oracles).toHaveLength(2);
  });

  it('needs a positive threshold', () => {
    expect(() => combineOracleApprovals([], 0)).toThrow(/positive integer/);
    expect(() => combineOracleApprovals([], 1)).toThrow(/0 matching approval/);
  });
});

describe('OraclesClient', () => {
  let server: Server;
  let base: string;
  let closedPort: number;
  const seen: { path: string; body: ApprovalRequest }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        seen.push({ path, body: JSON.parse(Buffer.concat(chunks).toString()) as ApprovalRequest });
        if (path === '/ok') return void res.writeHead(200).end(JSON.stringify({ signature: `0x${'ab'.repeat(65)}`, ipfs_hash: 'bafk', deadline: 5 }));
        if (path === '/garbage') return void res.writeHead(200).end('{"signature": 12}');
        if (path === '/slow') return void setTimeout(() => res.writeHead(200).end('{}'), 400);
        res.writeHead(400).end('{"error":"no"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('asks every oracle at once, falls back to the next replica, and reports each failure', async () => {
    const config: OraclesConfig = {
      oracles: [
        { address: wallets[0]!.address, publicKey: rawKey(wallets[0]!), endpoints: [`${base}/refuse`, `${base}/ok`] },
        { address: wallets[1]!.address, publicKey: rawKey(wallets[1]!), endpoints: [`${base}/garbage`] },
        { address: wallets[2]!.address, publicKey: rawKey(wallets[2]!), endpoints: [`${base}/slow`] },
        { address: wallets[3]!.address, publicKey: rawKey(wallets[3]!), endpoints: [`http://127.0.0.1:${closedPort}/closed`] },
      ],
      exitSignatureRecoverThreshold: 3,
      validatorsThreshold: 3,
      signatureValidityPeriod: 60,
      validatorsApprovalBatchLimit: 100,
    };
    const client = new OraclesClient({ timeoutMs: 200, shuffle: (items) => [...items] });
    const request = { validator_index: 1 } as unknown as ApprovalRequest;
    const answers = await client.requestApprovals(config, request);
    expect(answers[0]).toEqual({ oracle: wallets[0]!.address, ok: true, approval: { oracle: wallets[0]!.address, signature: `0x${'ab'.repeat(65)}`, ipfsHash: 'bafk', deadline: 5 } });
    expect(answers[1]).toMatchObject({ ok: false, error: expect.stringMatching(/malformed approval at signature/) });
    expect(answers[2]).toMatchObject({ ok: false, error: expect.stringMatching(/no answer within 200 ms/) });
    expect(answers[3]).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(seen.filter((s) => s.path === '/refuse')).toHaveLength(1);
    expect(seen.every((s) => s.body.validator_index === 1)).toBe(true);
  });
});
