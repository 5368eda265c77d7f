/**
 * StakeWise oracles for tests: HTTP servers that answer the operator's approval request the way a
 * real oracle does, on a smaller scale. An honest oracle
 *   1. decrypts its own exit-signature shard (ECIES, its secp256k1 key) and verifies it against its
 *      public-key shard for VoluntaryExit{capella epoch, validator_index + i},
 *   2. checks the public-key shards rebuild the validator public key (two disjoint-ish t-subsets),
 *   3. verifies every deposit signature for the vault's withdrawal credentials,
 *   4. optionally checks on chain that the registry root is current and the validators-manager
 *      signature comes from the vault's validators manager,
 * and only then signs the KeeperValidators EIP-712 approval with its wallet. Misbehaviours for
 * fault tests: answer garbage, sign the wrong message, refuse, or answer late.
 */
import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Provider, Wallet, getAddress, keccak256, toUtf8Bytes } from 'ethers';
import { bytesToHex, hexToBytes } from '@dvt/common';
import { type NetworkConfig, depositDataRoot, depositSigningRoot, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import {
  type ParsedApprovalRequest,
  type ValidatorType,
  V1_DEPOSIT_AMOUNT_GWEI,
  approvalRequestSchema,
  depositContract,
  encodeValidators,
  ethVaultContract,
  keeperValidatorsTypedData,
  recoverTypedDataSigner,
  signTypedData,
  vaultValidatorsTypedData,
} from '@dvt/stakewise';
import { eciesDecrypt, recoverPublicKey, verify } from '@dvt/tbls';

export type MockOracleBehaviour =
  /** checks everything, then approves */
  | 'honest'
  /** answers 200 with a body that is not an approval */
  | 'garbage'
  /** answers a well-formed approval signed over another message (a wrong deadline) */
  | 'wrong-signature'
  /** answers 400 without checking */
  | 'refuse'
  /** waits `delayMs`, then behaves honestly */
  | 'delay';

export interface MockOracleOptions {
  /** secp256k1 key: the oracle's ECDSA signer and its ECIES decryption key. */
  readonly privateKey: string;
  /** 0-based position in the protocol config: its shard is x = position + 1. */
  readonly position: number;
  /** How many oracles the config lists (length of every shard list). */
  readonly oracleCount: number;
  readonly exitSignatureRecoverThreshold: number;
  /** Exit and deposit signing domains. */
  readonly network: NetworkConfig;
  readonly chainId: number;
  readonly keeper: string;
  readonly behaviour?: MockOracleBehaviour;
  readonly delayMs?: number;
  /** When given, the registry root and the validators-manager signature are checked on chain. */
  readonly chain?: { readonly provider: Provider; readonly depositContract: string };
}

export interface MockOracleDecision {
  readonly approved: boolean;
  /** why it refused, when it did */
  readonly reason?: string;
  readonly validatorIndex?: number;
  readonly publicKeys?: readonly string[];
}

/** Deterministic oracle keys for tests (`seed` makes several sets distinct). */
export function mockOracleWallets(count: number, seed = 'dvt-mock-oracle'): Wallet[] {
  return Array.from({ length: count }, (_, i) => new Wallet(keccak256(toUtf8Bytes(`${seed}-${i}`))));
}

/** The 64-byte raw public key of a wallet, as the protocol config lists oracles. */
export function oraclePublicKey(wallet: Wallet): string {
  return `0x${wallet.signingKey.publicKey.slice(4)}`;
}

export class MockOracle {
  behaviour: MockOracleBehaviour;
  delayMs: number;
  /** every decision, in order */
  readonly decisions: MockOracleDecision[] = [];
  /** requests received (counted on arrival, before any delay) */
  received = 0;
  /** awaited on each request before it is handled (tests act "while the oracle thinks") */
  beforeAnswer?: () => Promise<void>;
  private readonly wallet: Wallet;
  private server?: Server;

  constructor(private readonly options: MockOracleOptions) {
    this.wallet = new Wallet(options.privateKey);
    this.behaviour = options.behaviour ?? 'honest';
    this.delayMs = options.delayMs ?? 0;
    if (!Number.isInteger(options.position) || options.position < 0 || options.position >= options.oracleCount) {
      throw new Error(`MockOracle: position ${options.position} outside 0..${options.oracleCount - 1}`);
    }
  }

  get address(): string {
    return this.wallet.address;
  }

  get publicKey(): string {
    return oraclePublicKey(this.wallet);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('MockOracle: not started');
    return `http://127.0.0.1:${address.port}/approve`;
  }

  get approvals(): number {
    return this.decisions.filter((d) => d.approved).length;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return send(405, { error: 'POST an approval request' });
    this.received++;
    let json: unknown;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(400, { error: 'body is not JSON' });
    }
    const behaviour = this.behaviour;
    if (behaviour === 'refuse') {
      this.decisions.push({ approved: false, reason: 'refusing (behaviour)' });
      return send(400, { error: 'refused' });
    }
    if (behaviour === 'garbage') {
      this.decisions.push({ approved: false, reason: 'garbage (behaviour)' });
      return send(200, { signature: 'not a signature', ipfs_hash: 42 });
    }
    if (behaviour === 'delay') await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.beforeAnswer) await this.beforeAnswer();
    const parsed = approvalRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const reason = `invalid request at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
      this.decisions.push({ approved: false, reason });
      return send(400, { error: reason });
    }
    const request = parsed.data;
    try {
      const validators = await this.check(request);
      const ipfsHash = exitSignaturesCid(request);
      const deadline = behaviour === 'wrong-signature' ? request.deadline + 1 : request.deadline;
      const typedData = keeperValidatorsTypedData(this.options.chainId, this.options.keeper, {
        validatorsRegistryRoot: request.validators_root,
        vault: request.vault_address,
        validators,
        exitSignaturesIpfsHash: ipfsHash,
        deadline,
      });
      const signature = signTypedData(typedData, this.wallet.privateKey);
      this.decisions.push({ approved: true, validatorIndex: request.validator_index, publicKeys: request.public_keys });
      send(200, { signature, ipfs_hash: ipfsHash, deadline: request.deadline });
    } catch (err) {
      const reason = (err as Error).message;
      this.decisions.push({ approved: false, reason, validatorIndex: request.validator_index, publicKeys: request.public_keys });
      send(400, { error: reason });
    }
  }

  /** Every check of an honest oracle; returns the validators blob it approves. */
  private async check(request: ParsedApprovalRequest): Promise<string> {
    const { network, position, oracleCount, exitSignatureRecoverThreshold: t } = this.options;
    const type: ValidatorType = request.amounts == null ? '0x01' : '0x02';
    const credentials = vaultWithdrawalCredentials(request.vault_address, type);
    const deposits = request.public_keys.map((publicKey, i) => {
      const validatorIndex = request.validator_index + i;
      const pubkey = hexToBytes(publicKey);
      const publicShards = request.public_key_shards[i]!;
      const encrypted = request.exit_signature_shards[i]!;
      if (publicShards.length !== oracleCount || encrypted.length !== oracleCount) {
        throw new Error(`validator ${publicKey}: expected ${oracleCount} shards, got ${publicShards.length} public and ${encrypted.length} encrypted`);
      }
      let shard: Uint8Array;
      try {
        shard = eciesDecrypt(hexToBytes(this.wallet.privateKey), hexToBytes(encrypted[position]!));
      } catch (err) {
        throw new Error(`validator ${publicKey}: my exit signature shard does not decrypt: ${(err as Error).message}`);
      }
      const exitRoot = voluntaryExitSigningData(network, validatorIndex).signingRoot;
      if (!safeVerify(hexToBytes(publicShards[position]!), exitRoot, shard)) {
        throw new Error(`validator ${publicKey}: my exit signature shard does not verify for validator index ${validatorIndex}`);
      }
      const shares = publicShards.map((key, x) => ({ index: x + 1, publicKey: hexToBytes(key) }));
      for (const subset of [shares.slice(0, t), shares.slice(-t)]) {
        if (bytesToHex(recoverPublicKey(subset, t)) !== publicKey) {
          throw new Error(`validator ${publicKey}: the public key shards do not rebuild the validator public key`);
        }
      }
      const amount = request.amounts?.[i] ?? V1_DEPOSIT_AMOUNT_GWEI;
      const signature = hexToBytes(request.deposit_signatures[i]!);
      if (!safeVerify(pubkey, depositSigningRoot(network, { pubkey, withdrawalCredentials: credentials, amount }), signature)) {
        throw new Error(`validator ${publicKey}: the deposit signature does not verify`);
      }
      return {
        publicKey,
        signature: request.deposit_signatures[i]!,
        depositDataRoot: depositDataRoot({ pubkey, withdrawalCredentials: credentials, amount, signature }),
        amountGwei: amount,
      };
    });
    const validators = encodeValidators(deposits, type);
    if (this.options.chain) await this.checkChain(request, validators);
    return validators;
  }

  private async checkChain(request: ParsedApprovalRequest, validators: string): Promise<void> {
    const { provider, depositContract: depositAddress } = this.options.chain!;
    const root = ((await depositContract(depositAddress, provider).getFunction('get_deposit_root')()) as string).toLowerCase();
    if (root !== request.validators_root) throw new Error(`validators_root ${request.validators_root} is not the current registry root ${root}`);
    const manager = getAddress((await ethVaultContract(request.vault_address, provider).getFunction('validatorsManager')()) as string);
    const typedData = vaultValidatorsTypedData(this.options.chainId, request.vault_address, request.validators_root, validators);
    let signer: string;
    try {
      signer = recoverTypedDataSigner(typedData, request.validators_manager_signature);
    } catch (err) {
      throw new Error(`validators_manager_signature: ${(err as Error).message}`);
    }
    if (signer !== manager) throw new Error(`validators_manager_signature is by ${signer}, not by the vault's validators manager ${manager}`);
  }
}

function safeVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(publicKey, message, signature);
  } catch {
    return false;
  }
}

/**
 * What a real oracle uploads to IPFS is the same for every oracle (the request's encrypted shards),
 * so honest oracles agree on the hash: a CIDv1 (raw, sha2-256) of that document.
 */
export function exitSignaturesCid(request: ParsedApprovalRequest): string {
  const document = JSON.stringify({
    vault: request.vault_address,
    validator_index: request.validator_index,
    public_keys: request.public_keys,
    exit_signature_shards: request.exit_signature_shards,
  });
  const digest = createHash('sha256').update(document).digest();
  return `b${base32(Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), digest]))}`;
}

function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

export interface MockOracleSetOptions {
  /** One wallet per oracle, in protocol order (see mockOracleWallets). */
  readonly wallets: readonly Wallet[];
  readonly validatorsMinOracles: number;
  readonly exitSignatureRecoverThreshold: number;
  readonly network: NetworkConfig;
  readonly chainId: number;
  readonly keeper: string;
  readonly chain?: MockOracleOptions['chain'];
  /** seconds (default 60) */
  readonly signatureValidityPeriod?: number;
}

export interface MockOracleSet {
  readonly oracles: readonly MockOracle[];
  /** The protocol config document naming these oracles (the IPFS JSON + validators_min_oracles). */
  readonly configDocument: {
    oracles: { public_key: string; endpoints: string[] }[];
    exit_signature_recover_threshold: number;
    validators_min_oracles: number;
    signature_validity_period: number;
  };
  stop(): Promise<void>;
}

/** Starts one mock oracle per wallet on 127.0.0.1. */
export async function startMockOracles(options: MockOracleSetOptions): Promise<MockOracleSet> {
  const oracles = options.wallets.map(
    (wallet, position) =>
      new MockOracle({
        privateKey: wallet.privateKey,
        position,
        oracleCount: options.wallets.length,
        exitSignatureRecoverThreshold: options.exitSignatureRecoverThreshold,
        network: options.network,
        chainId: options.chainId,
        keeper: options.keeper,
        chain: options.chain,
      }),
  );
  try {
    for (const oracle of oracles) await oracle.start();
  } catch (err) {
    await Promise.all(oracles.map((o) => o.stop()));
    throw err;
  }
  return {
    oracles,
    configDocument: {
      oracles: oracles.map((o) => ({ public_key: o.publicKey, endpoints: [o.url] })),
      exit_signature_recover_threshold: options.exitSignatureRecoverThreshold,
      validators_min_oracles: options.validatorsMinOracles,
      signature_validity_period: options.signatureValidityPeriod ?? 60,
    },
    stop: async () => {
      await Promise.all(oracles.map((o) => o.stop()));
    },
  };
}
