/**
 * Redis for the job queue and the transaction intents. Redis is required: an unreachable server
 * fails the start with a message saying how to provide one.
 */
import { Redis } from 'ioredis';
import { OperatorError } from './errors.js';

const CONNECT_TIMEOUT_MS = 3_000;

/** Connection settings of a redis:// URL, usable by ioredis and by BullMQ (workers need maxRetriesPerRequest null). */
export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
  maxRetriesPerRequest: null;
}

export function redisConnectionOptions(url: string): RedisEndpoint {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Connects and pings once; REDIS_UNREACHABLE names the URL and how to fix it. */
export async function connectRedis(url: string): Promise<Redis> {
  const where = redactUrl(url);
  let options: RedisEndpoint;
  try {
    options = redisConnectionOptions(url);
  } catch {
    throw new OperatorError('REDIS_UNREACHABLE', `DVT_REDIS_URL ${where} is not a redis:// URL`);
  }
  const redis = new Redis({ ...options, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, disconnectTimeout: 200, maxRetriesPerRequest: 1, retryStrategy: () => null });
  let socketError: Error | undefined;
  redis.on('error', (err: Error) => (socketError = err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    const reason = socketError?.message ?? (err as Error).message;
    throw new OperatorError(
      'REDIS_UNREACHABLE',
      `Redis at ${where} unreachable (${reason}): the operator's job queue needs Redis: start redis-server or set DVT_REDIS_URL (--redis-url)`,
      { url: where },
    );
  }
  // from now on ride out short outages instead of failing every command
  redis.options.retryStrategy = (times) => Math.min(times * 200, 2_000);
  redis.options.maxRetriesPerRequest = 20;
  return redis;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
