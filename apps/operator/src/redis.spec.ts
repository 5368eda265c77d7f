import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { connectRedis, redactUrl, redisConnectionOptions } from './redis.js';

describe('Redis connection', () => {
  it('an unreachable Redis fails the start saying how to provide one', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await connectRedis(`redis://:hunter2@127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REDIS_UNREACHABLE' });
    expect((error as Error).message).toMatch(new RegExp(`^Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} unreachable .*start redis-server or set DVT_REDIS_URL`));
    expect((error as Error).message).not.toMatch(/hunter2/);
  });

  it('connects to the local Redis', async () => {
    const redis = await connectRedis('redis://127.0.0.1:6379');
    expect(await redis.ping()).toBe('PONG');
    await redis.quit();
  });

  it('reads host, port, database and credentials from the URL', () => {
    expect(redisConnectionOptions('redis://user:p%40ss@cache:6380/3')).toEqual({ host: 'cache', port: 6380, username: 'user', password: 'p@ss', db: 3, maxRetriesPerRequest: null });
    expect(redactUrl('redis://user:secret@cache:6380/3')).toBe('redis://user:***@cache:6380/3');
  });
});
