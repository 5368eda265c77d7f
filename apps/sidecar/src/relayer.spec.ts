import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { HttpRelayer } from './relayer.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const KEY = '0x' + '8a'.repeat(48);
const ITEM = { public_key: KEY, exit_signature: '0x' + 'aa'.repeat(96) };

describe('HttpRelayer', () => {
  let server: Server;
  let url: string;
  let handler: Handler = (_req, _body, res) => res.end('{}');

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => handler(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('GETs and POSTs JSON with the bearer token; /info of a legacy relayer is read as it is', async () => {
    const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
    handler = (req, body, res) => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/exits' ? '{"exits":[]}' : req.url === '/info' ? '{"network":"hoodi"}' : '{}');
    };
    const relayer = new HttpRelayer({ baseUrl: url + '/', timeoutMs: 2000, token: 't0ken' });
    expect(await relayer.info()).toEqual({ network: 'hoodi' });
    expect(await relayer.exits()).toEqual({ exits: [] });
    await relayer.pushExitSignatures({ share_index: 2, shares: [ITEM] });
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ['GET', '/info'],
      ['GET', '/exits'],
      ['POST', '/exit-signature'],
    ]);
    expect(seen.slice(1).every((s) => s.auth === 'Bearer t0ken')).toBe(true);
    expect(JSON.parse(seen[2]!.body)).toEqual({ share_index: 2, shares: [ITEM] });
  });

  it('classifies failures: refused items, HTTP error, garbage, timeout, unreachable', async () => {
    const relayer = new HttpRelayer({ baseUrl: url, timeoutMs: 300 });
    handler = (_req, _body, res) => {
      res.statusCode = 422;
      res.end(JSON.stringify({ error: 'SHARES_REJECTED', message: '1 item refused', rejected: [{ public_key: KEY, share_index: 3, code: 'BAD_SHARE', message: 'does not verify' }] }));
    };
    await expect(relayer.pushExitSignatures({ share_index: 3, shares: [ITEM] })).rejects.toMatchObject({
      code: 'RELAYER_REJECTED',
      message: expect.stringMatching(/HTTP 422/),
      details: expect.objectContaining({ rejected: [expect.objectContaining({ share_index: 3, code: 'BAD_SHARE' })] }),
    });
    handler = (_req, _body, res) => {
      res.statusCode = 500;
      res.end('boom');
    };
    await expect(relayer.info()).rejects.toMatchObject({ code: 'RELAYER_REJECTED', message: expect.stringMatching(/HTTP 500 boom/) });
    handler = (_req, _body, res) => res.end('<html>oops</html>');
    await expect(relayer.exits()).rejects.toMatchObject({ code: 'RELAYER_BAD_RESPONSE' });
    await expect(relayer.info()).rejects.toMatchObject({ code: 'RELAYER_BAD_RESPONSE', message: expect.stringMatching(/not JSON: <html>/) });
    handler = () => undefined; // never answers
    await expect(relayer.info()).rejects.toMatchObject({ code: 'RELAYER_UNAVAILABLE', message: expect.stringMatching(/no answer within 300 ms/) });
    await expect(relayer.validators()).rejects.toMatchObject({ code: 'RELAYER_UNAVAILABLE' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = new HttpRelayer({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1000 });
    await expect(nowhere.info()).rejects.toMatchObject({ code: 'RELAYER_UNAVAILABLE', message: expect.stringMatching(/ECONNREFUSED/) });
    await expect(nowhere.validators()).rejects.toMatchObject({ code: 'RELAYER_UNAVAILABLE', message: expect.stringMatching(/ECONNREFUSED/) });
  });
});
