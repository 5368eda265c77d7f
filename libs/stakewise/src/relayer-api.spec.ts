import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type IncomingMessage, type ServerResponse, createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  RelayerClient,
  type RelayerClientError,
  formatCreatedAt,
  pushSignaturesRequestSchema,
  registerRequestSchema,
  registerResponseSchema,
} from './index.js';

const KEY = '0x' + 'ab'.repeat(48);
const SIG = '0x' + 'cd'.repeat(96);

describe('relayer API schemas', () => {
  it('normalise hex (missing 0x, upper case) and keep the field names', () => {
    const parsed = pushSignaturesRequestSchema.parse({
      share_index: 3,
      shares: [{ public_key: KEY.slice(2).toUpperCase(), exit_signature: SIG, deposit_signature: SIG, public_key_shares: [{ share_index: 1, public_key_share: KEY }] }],
    });
    expect(parsed.shares[0]!.public_key).toBe(KEY);
    expect(registerRequestSchema.parse({ vault: '0x8AE5C1046158526CF236F74D8FB88FABE2E94ACA', validators_start_index: 0, amounts: [32e9], validator_type: '0x02' }).vault).toBe(
      '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca',
    );
  });

  it('refuse share index 0, bad hex, wrong lengths, empty lists, repeated keys', () => {
    const item = { public_key: KEY, exit_signature: SIG, deposit_signature: SIG };
    const issues = (body: unknown) => {
      const result = pushSignaturesRequestSchema.safeParse(body);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ share_index: 0, shares: [item] })).toEqual(['share_index: share index must be ≥ 1 (0 is the secret itself, never a share)']);
    expect(issues({ share_index: 1, shares: [] })).toEqual(['shares: shares: the list is empty']);
    expect(issues({ share_index: 1, shares: [{ ...item, exit_signature: SIG.slice(0, -2) }] })).toEqual(['shares.0.exit_signature: BLS signature: expected 96 bytes, got 95']);
    expect(issues({ share_index: 1, shares: [{ ...item, public_key: '0xgg' }] })).toEqual(['shares.0.public_key: BLS public key: not hex: 0xgg']);
    expect(issues({ share_index: 1, shares: [item, item] })).toEqual([`shares.1: public key ${KEY} repeats item 0`]);
    expect(registerRequestSchema.safeParse({ vault: '0x12', validators_start_index: -1, amounts: [5], validator_type: '0x00' }).error?.issues.map((i) => i.path.join('.'))).toEqual([
      'vault',
      'validators_start_index',
      'amounts.0',
      'validator_type',
    ]);
  });

  it('accept answers of the Python relayer (hex without 0x) as the same values', () => {
    const answer = registerResponseSchema.parse({
      validators: [{ public_key: KEY.slice(2), amount: 32e9, deposit_signature: SIG.slice(2), exit_signature: null, oracles_exit_signature_shares: null }],
      validators_manager_signature: 'aa'.repeat(65),
    });
    expect(answer.validators[0]!.public_key).toBe(KEY);
    expect(answer.validators_manager_signature).toBe('0x' + 'aa'.repeat(65));
  });

  it('formats created_at like the Python relayer', () => {
    expect(formatCreatedAt(1_700_000_000)).toBe('2023-11-14 22:13:20+0000');
  });
});

describe('relayer client', () => {
  let server: Server;
  let url: string;
  const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
  let reply: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('{}');

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        reply(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the documented routes with the token and parses the answers', async () => {
    const client = new RelayerClient({ baseUrl: url + '/', token: 't0k' });
    reply = (_req, res) => res.end(JSON.stringify({ network: 'hoodi', validators_manager_address: null }));
    expect(await client.info()).toEqual({ network: 'hoodi', validators_manager_address: null });
    reply = (_req, res) => res.end(JSON.stringify({ ready: false, validators: [{ public_key: KEY, oracles_exit_signature_shares: null }] }));
    await client.legacyValidators({ public_keys: [KEY] });
    reply = (_req, res) => res.end('{}');
    await client.pushExitSignatures({ share_index: 2, shares: [{ public_key: KEY, exit_signature: SIG }] });
    expect(seen.slice(-3).map((s) => [s.method, s.url, s.auth])).toEqual([
      ['GET', '/info', 'Bearer t0k'],
      ['POST', '/validators', 'Bearer t0k'],
      ['POST', '/exit-signature', 'Bearer t0k'],
    ]);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ share_index: 2, shares: [{ public_key: KEY, exit_signature: SIG }] });
  });

  it('reports refusals with the refused items, and bad answers and dead relayers as typed errors', async () => {
    const client = new RelayerClient({ baseUrl: url, timeoutMs: 200 });
    const rejected = [{ public_key: KEY, share_index: 2, code: 'INVALID_SHARE', message: 'nope' }];
    reply = (_req, res) => res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'SHARES_REJECTED', message: '1 rejected', rejected, accepted: 0 }));
    const err = (await client.pushSignatures({ share_index: 2, shares: [{ public_key: KEY, exit_signature: SIG, deposit_signature: SIG }] }).catch((e: unknown) => e)) as RelayerClientError;
    expect([err.code, err.status, err.rejected]).toEqual(['RELAYER_REJECTED', 422, rejected]);
    reply = (_req, res) => res.writeHead(500).end('boom');
    await expect(client.info()).rejects.toMatchObject({ code: 'RELAYER_HTTP_ERROR', status: 500 });
    reply = (_req, res) => res.end(JSON.stringify({ validators: [{ public_key: 'zz' }] }));
    await expect(client.validators()).rejects.toMatchObject({ code: 'RELAYER_INVALID_RESPONSE' });
    reply = (_req, res) => setTimeout(() => res.end('{}'), 500);
    await expect(client.info()).rejects.toMatchObject({ code: 'RELAYER_TIMEOUT' });
    await expect(new RelayerClient({ baseUrl: 'http://127.0.0.1:9' }).info()).rejects.toMatchObject({ code: 'RELAYER_UNREACHABLE' });
  });
});
