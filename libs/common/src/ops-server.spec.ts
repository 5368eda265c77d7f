import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type OpsServer, startOpsServer } from './ops-server.js';

describe('operations server', () => {
  let server: OpsServer;
  let ready = false;
  let failMetrics = false;

  beforeAll(async () => {
    server = await startOpsServer(
      '127.0.0.1',
      0,
      { '/ready': () => ({ status: ready ? 200 : 503, body: { ready } }) },
      { contentType: 'text/plain; version=0.0.4', metrics: async () => (failMetrics ? Promise.reject(new Error('registry broke')) : 'up 1\n') },
    );
  });
  afterAll(async () => server?.close());

  it('answers each JSON route per request, with its status code', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    let response = await fetch(`${server.url}/ready?verbose=1`);
    expect([response.status, await response.json()]).toEqual([503, { ready: false }]);
    ready = true;
    response = await fetch(`${server.url}/ready`);
    expect([response.status, await response.json()]).toEqual([200, { ready: true }]);
  });

  it('serves /metrics in the registry content type, and a registry error as 500', async () => {
    let response = await fetch(`${server.url}/metrics`);
    expect([response.status, response.headers.get('content-type'), await response.text()]).toEqual([200, 'text/plain; version=0.0.4', 'up 1\n']);
    failMetrics = true;
    response = await fetch(`${server.url}/metrics`);
    expect([response.status, await response.json()]).toEqual([500, { error: 'registry broke' }]);
  });

  it('refuses other methods and unknown paths (inherited object keys included)', async () => {
    let response = await fetch(`${server.url}/ready`, { method: 'POST' });
    expect([response.status, await response.json()]).toEqual([405, { error: 'only GET' }]);
    for (const path of ['/nope', '/constructor', '/toString']) {
      response = await fetch(`${server.url}${path}`);
      expect([response.status, await response.json()]).toEqual([404, { error: `no route ${path}` }]);
    }
  });
});
