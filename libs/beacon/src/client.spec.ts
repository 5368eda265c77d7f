import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { getNetwork } from '@dvt/eth2';
import { BeaconNodeMock } from '@dvt/testing';
import { BeaconClient, BeaconError } from './index.js';

const network = getNetwork('hoodi');
const PUBKEY = '0x' + 'a1'.repeat(48);

describe('beacon client (against the beacon-node mock)', () => {
  const beacon = new BeaconNodeMock({ network });
  let client: BeaconClient;

  beforeAll(async () => {
    await beacon.start();
    client = new BeaconClient({ baseUrl: beacon.url + '/', validatorsChunkSize: 2 });
    beacon.addPlaceholderValidators(3);
    beacon.addValidator({ pubkey: PUBKEY, balance: 33_000_000_000, status: 'active_exiting', exitEpoch: 500 });
  });

  afterAll(() => beacon.stop());

  it('reads genesis, spec, fork and sync status', async () => {
    expect(await client.getGenesis()).toEqual({
      genesisTime: network.genesisTime,
      genesisValidatorsRoot: network.genesisValidatorsRoot,
      genesisForkVersion: network.genesisForkVersion,
    });
    expect((await client.getSpec()).SECONDS_PER_SLOT).toBe('12');
    expect((await client.getFork()).currentVersion).toMatch(/^0x[0-9a-f]{8}$/);
    beacon.setSyncing({ headSlot: 77, isSyncing: true, syncDistance: 5 });
    expect(await client.getSyncing()).toEqual({ headSlot: 77, syncDistance: 5, isSyncing: true, isOptimistic: false, elOffline: false });
    expect(await client.getHealth()).toBe(200);
  });

  it('finds validators by index and public key, in chunks, and says null for a missing one', async () => {
    const found = await client.getValidators([PUBKEY.toUpperCase().replace('0X', '0x'), 0, 2, '0x' + 'b2'.repeat(48)]);
    expect(found.map((v) => v.index)).toEqual([3, 0, 2]);
    expect(found[0]).toMatchObject({ pubkey: PUBKEY, balance: 33_000_000_000, status: 'active_exiting', exitEpoch: 500, withdrawableEpoch: Infinity });
    expect(beacon.requestsTo('/eth/v1/beacon/states/head/validators').filter((r) => r.method === 'POST')).toHaveLength(2);
    expect((await client.getValidator(1))?.index).toBe(1);
    expect(await client.getValidator(99)).toBeNull();
  });

  it('reads pending deposits; a node without the route says BEACON_ROUTE_NOT_FOUND', async () => {
    beacon.addPendingDeposit({ pubkey: PUBKEY, withdrawalCredentials: '0x' + '01'.repeat(32), amount: 1_000_000_000, signature: '0x' + 'cc'.repeat(96), slot: 9 });
    expect(await client.getPendingDeposits()).toEqual([
      { pubkey: PUBKEY, withdrawalCredentials: '0x' + '01'.repeat(32), amount: 1_000_000_000, signature: '0x' + 'cc'.repeat(96), slot: 9 },
    ]);
    const old = new BeaconNodeMock({ network, pendingDepositsRoute: false });
    await old.start();
    try {
      await expect(new BeaconClient({ baseUrl: old.url }).getPendingDeposits()).rejects.toMatchObject({ code: 'BEACON_ROUTE_NOT_FOUND' });
    } finally {
      await old.stop();
    }
  });

  it('turns failures into typed errors naming the URL', async () => {
    beacon.injectFault({ pathPrefix: '/eth/v1/beacon/genesis', status: 500 });
    await expect(client.getGenesis()).rejects.toMatchObject({ code: 'BEACON_HTTP_ERROR', message: expect.stringContaining('/eth/v1/beacon/genesis: HTTP 500') });
    beacon.injectFault({ pathPrefix: '/eth/v1/node/syncing', status: 200, delayMs: 300 });
    await expect(new BeaconClient({ baseUrl: beacon.url, timeoutMs: 50 }).getSyncing()).rejects.toMatchObject({ code: 'BEACON_TIMEOUT' });
    await expect(new BeaconClient({ baseUrl: 'http://127.0.0.1:9' }).getGenesis()).rejects.toMatchObject({ code: 'BEACON_UNREACHABLE' });
  });

  it('refuses answers of the wrong shape', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"genesis_time":"x"}}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const err = await new BeaconClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }).getGenesis().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BeaconError);
      expect((err as BeaconError).code).toBe('BEACON_INVALID_RESPONSE');
      expect((err as BeaconError).message).toMatch(/unexpected answer at data.genesis_time/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
