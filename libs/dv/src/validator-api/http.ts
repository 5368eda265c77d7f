import { type IncomingMessage, type ServerResponse } from 'node:http';
import { ValidatorApiError } from './errors.js';

export const SSZ_MEDIA_TYPE = 'application/octet-stream';
export const JSON_MEDIA_TYPE = 'application/json';

/** Headers that belong to one connection and are never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export function forwardableHeaders(headers: IncomingMessage['headers'], drop: readonly string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || drop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Reads the whole body, refusing more than `maxBytes` (BODY_TOO_LARGE) before buffering it. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(new ValidatorApiError('BODY_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(new ValidatorApiError('BODY_TOO_LARGE', `request body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (!failed) reject(new ValidatorApiError('INVALID_REQUEST', `request body could not be read: ${error.message}`));
      failed = true;
    });
  });
}

export function parseJson(body: Buffer, what: string): unknown {
  if (body.length === 0) throw new ValidatorApiError('INVALID_JSON', `${what}: the body is empty, expected JSON`);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    throw new ValidatorApiError('INVALID_JSON', `${what}: the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** True when the body is SSZ (Content-Type application/octet-stream); JSON otherwise. Other types → UNSUPPORTED_MEDIA_TYPE. */
export function bodyIsSsz(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? JSON_MEDIA_TYPE).split(';')[0]!.trim().toLowerCase();
  if (type === SSZ_MEDIA_TYPE) return true;
  if (type === JSON_MEDIA_TYPE || type === '') return false;
  throw new ValidatorApiError('UNSUPPORTED_MEDIA_TYPE', `content type ${type} is not supported: send ${JSON_MEDIA_TYPE} or ${SSZ_MEDIA_TYPE}`);
}

/** True when the client prefers SSZ over JSON in its Accept header (q-values honoured; ties go to JSON). */
export function wantsSsz(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (!accept) return false;
  let ssz = -1;
  let json = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === SSZ_MEDIA_TYPE) ssz = Math.max(ssz, q);
    else if (type === JSON_MEDIA_TYPE || type === '*/*' || type === 'application/*') json = Math.max(json, type === JSON_MEDIA_TYPE ? q : q - 0.001);
  }
  return ssz > 0 && ssz > json;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': JSON_MEDIA_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendSsz(res: ServerResponse, status: number, body: Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': SSZ_MEDIA_TYPE, 'content-length': body.length });
  res.end(body);
}

/** A decimal uint (string or number) that fits a safe integer; INVALID_REQUEST naming `field` otherwise. */
export function parseUint(value: unknown, field: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ValidatorApiError('INVALID_REQUEST', `${field} must be a decimal unsigned integer, got ${JSON.stringify(value) ?? 'nothing'}`, { field });
  }
  return Number(text);
}

export function parseHexBytes(value: unknown, field: string, length: number): Uint8Array {
  if (typeof value !== 'string' || !new RegExp(`^0x[0-9a-fA-F]{${2 * length}}$`).test(value)) {
    throw new ValidatorApiError('INVALID_REQUEST', `${field} must be 0x and ${2 * length} hex digits (${length} bytes)`, { field });
  }
  return new Uint8Array(Buffer.from(value.slice(2), 'hex'));
}
