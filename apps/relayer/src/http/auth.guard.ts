/**
 * Optional bearer-token authentication per client role. Routes are marked @ClientRole('operator')
 * or @ClientRole('sidecar'); a role with a configured token needs `Authorization: Bearer <token>`,
 * a role without one is open (the default, as the Python clients send no token). /info, health,
 * metrics and the API docs are always open.
 */
import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { type Reflector } from '@nestjs/core';
import { RelayerError } from '../errors.js';

export type ClientRoleName = 'operator' | 'sidecar';
const ROLE_KEY = 'relayer:client-role';

export const ClientRole = (role: ClientRoleName) => SetMetadata(ROLE_KEY, role);

export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: Partial<Record<ClientRoleName, string>>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const role = this.reflector.get<ClientRoleName | undefined>(ROLE_KEY, context.getHandler());
    const expected = role === undefined ? undefined : this.tokens[role];
    if (expected === undefined) return true;
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && constantTimeEqual(match[1]!.trim(), expected)) return true;
    throw new RelayerError('UNAUTHORIZED', `this route needs the ${role} bearer token (Authorization: Bearer <token>)`);
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
