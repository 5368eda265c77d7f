/** Request-body validation with the shared zod schemas; a bad body is a 400 naming each bad field (and the item's public key). */
import { type PipeTransform } from '@nestjs/common';
import { type z } from 'zod';
import { RelayerError } from '../errors.js';

export class ZodBodyPipe<T extends z.ZodType> implements PipeTransform<unknown, z.output<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.output<T> {
    if (value === undefined || value === null || typeof value !== 'object') {
      throw new RelayerError('INVALID_REQUEST', 'request body: expected a JSON object');
    }
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.slice(0, 10).map((issue) => describeIssue(issue, value));
    const more = parsed.error.issues.length > 10 ? `; and ${parsed.error.issues.length - 10} more` : '';
    throw new RelayerError('INVALID_REQUEST', `invalid request body: ${problems.join('; ')}${more}`, { issues: parsed.error.issues.length });
  }
}

/** `shares[1].exit_signature: <message> (public key 0x…, share index 3)` */
function describeIssue(issue: z.core.$ZodIssue, body: unknown): string {
  const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') || '(body)';
  const root = body as { share_index?: unknown; shares?: { public_key?: unknown }[] };
  const context: string[] = [];
  if (issue.path[0] === 'shares' && typeof issue.path[1] === 'number') {
    const key = root.shares?.[issue.path[1]]?.public_key;
    if (typeof key === 'string') context.push(`public key ${key}`);
  }
  if (issue.path[0] === 'shares' && root.share_index !== undefined) context.push(`share index ${String(root.share_index)}`);
  const message = issue.code === 'invalid_type' && issue.message.includes('undefined') ? 'is required' : issue.message;
  return `${path}: ${message}${context.length ? ` (${context.join(', ')})` : ''}`;
}
