import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BeaconClient } from '@dvt/beacon';
import { bytesToHex } from '@dvt/common';
import { depositSigningRoot, getNetwork } from '@dvt/eth2';
import { generateSecretKey, secretKeyToPublicKey, sign } from '@dvt/tbls';
import { BeaconNodeMock } from '@dvt/testing';
import { BeaconChainView } from './chain-view.js';

const network = getNetwork('mainnet');
const CREDENTIALS = '0x01' + '00'.repeat(11) + '77'.repeat(20);

function newKey(validSignature = true) {
  const secret = generateSecretKey();
  const pubkey = bytesToHex(secretKeyToPublicKey(secret));
  const root = depositSigningRoot(network, { pubkey, withdrawalCredentials: CREDENTIALS, amount: 32_000_000_000 });
  const signature = bytesToHex(validSignature ? sign(secret, root) : sign(generateSecretKey(), root));
  return { pubkey, deposit: { pubkey, withdrawalCredentials: CREDENTIALS, amount: 32_000_000_000, signature } };
}

describe('beacon chain view', () => {
  let beacon: BeaconNodeMock;
  let view: BeaconChainView;

  beforeEach(async () => {
    beacon = new BeaconNodeMock({ network });
    await beacon.start();
    view = new BeaconChainView(new BeaconClient({ baseUrl: beacon.url }), network);
  });

  afterEach(async () => {
    await beacon.stop();
  });

  it('counts validators with few requests, and again from its last count', async () => {
    expect(await view.validatorCount()).toBe(0);
    beacon.addPlaceholderValidators(1000);
    beacon.requests.length = 0;
    expect(await view.validatorCount()).toBe(1000);
    expect(beacon.requests.length).toBeLessThan(30);
    beacon.addPlaceholderValidators(3);
    beacon.requests.length = 0;
    expect(await view.validatorCount()).toBe(1003);
    expect(beacon.requests.length).toBeLessThan(10);
  });

  it('predicts indexes: registry first, then the queue in order (valid new keys only), then the requested keys', async () => {
    beacon.addPlaceholderValidators(10);
    const known = newKey();
    beacon.addValidator({ pubkey: known.pubkey }); // index 10
    const [a, bad, ours, fresh1, fresh2] = [newKey(), newKey(false), newKey(), newKey(), newKey()];
    beacon.addPendingDeposit(a!.deposit); // 11
    beacon.addPendingDeposit(known.deposit); // top-up
    beacon.addPendingDeposit(bad!.deposit); // refused by the state transition
    beacon.addPendingDeposit(a!.deposit); // second deposit for a: no new index
    beacon.addPendingDeposit(ours!.deposit); // 12
    const indexes = await view.predictIndexes([fresh1!.pubkey, ours!.pubkey, known.pubkey, fresh2!.pubkey]);
    expect([...indexes.entries()]).toEqual([
      [fresh1!.pubkey, 13],
      [ours!.pubkey, 12],
      [known.pubkey, 10],
      [fresh2!.pubkey, 14],
    ]);
  });

  it('tells which keys are registered (validators and pending deposits), without the queue on a node before Electra', async () => {
    const [v, pending, free] = [newKey(), newKey(), newKey()];
    beacon.addValidator({ pubkey: v!.pubkey });
    beacon.addPendingDeposit(pending!.deposit);
    expect([...(await view.registeredKeys([v!.pubkey, pending!.pubkey, free!.pubkey]))].sort()).toEqual([v!.pubkey, pending!.pubkey].sort());

    const old = new BeaconNodeMock({ network, pendingDepositsRoute: false, postValidatorsRoute: false });
    await old.start();
    try {
      old.addValidator({ pubkey: v!.pubkey });
      const oldView = new BeaconChainView(new BeaconClient({ baseUrl: old.url }), network);
      expect([...(await oldView.registeredKeys([v!.pubkey, free!.pubkey]))]).toEqual([v!.pubkey]);
      expect(old.requestsTo('/eth/v1/beacon/states/head/validators').map((r) => r.method)).toEqual(['POST', 'GET']);
    } finally {
      await old.stop();
    }
  });

  it('reports an unreachable beacon node as BEACON_UNAVAILABLE', async () => {
    beacon.injectFault({ pathPrefix: '/eth/v1/beacon/states/head/validators', status: 503, times: 5 });
    await expect(view.registeredKeys([newKey().pubkey])).rejects.toMatchObject({ code: 'BEACON_UNAVAILABLE' });
  });
});
