/**
 * Interop with the StakeWise Python sidecar: the POST /signatures bodies this sidecar sends for a
 * 4-operator SSV cluster on Hoodi (same operator ids, vault, type, indexes and amounts as the
 * recorded fixture) have the fixture's shape field for field and are accepted by the suite's
 * relayer, and the recorded partial signatures of the real operators verify against the exact
 * messages this sidecar signs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { hexToBytes } from '@dvt/common';
import { depositSigningRoot, getNetwork, vaultWithdrawalCredentials, voluntaryExitSigningData } from '@dvt/eth2';
import { recoverSignature, verify } from '@dvt/tbls';
import { parseSidecarConfig } from '../../apps/sidecar/src/config.js';
import { loadShareBook } from '../../apps/sidecar/src/app.js';
import { silentLogger } from '../../apps/sidecar/src/logger.js';
import { SidecarMetrics } from '../../apps/sidecar/src/metrics.js';
import { HttpRelayer, type PushSignaturesBody, type RelayerPort } from '../../apps/sidecar/src/relayer.js';
import { Sidecar } from '../../apps/sidecar/src/sidecar.js';
import { RelayerClient } from '@dvt/stakewise';
import { type RelayerFixture, type TempDir, startFixture, tempDir } from '../relayer/support.js';
import { writeSsvCluster } from './ssv-fixtures.js';

const FIXTURE = JSON.parse(
  readFileSync(new URL('../vectors/hoodi-ssv-sidecar-shares-2-validators.json', import.meta.url), 'utf8'),
) as PushSignaturesBody[];
const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
const START_INDEX = 10;
const AMOUNTS = [32_000_000_000, 34_000_000_000];
const OPERATOR_IDS = [263, 280, 281, 282];
const hoodi = getNetwork('hoodi');

/** The JSON "shape" of a value: keys, array lengths, hex lengths, number-ness. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  if (typeof value === 'string') return /^0x[0-9a-f]*$/.test(value) ? `hex${(value.length - 2) / 2}` : 'string';
  return typeof value;
}

describe('interop with the StakeWise sidecar fixture (Hoodi, SSV operators 263/280/281/282)', () => {
  let dir: TempDir;
  let fixture: RelayerFixture;
  const pushes: PushSignaturesBody[] = [];
  let pushFailures = -1;

  beforeAll(async () => {
    dir = await tempDir();
    const ssv = await writeSsvCluster(dir.path, OPERATOR_IDS, 2, 3);
    fixture = await startFixture({ network: 'hoodi', publicKeys: ssv.validators.map((v) => v.publicKey), threshold: 3 });
    const operator = new RelayerClient({ baseUrl: fixture.relayer.url });
    await operator.register({ vault: VAULT, validators_start_index: START_INDEX, amounts: AMOUNTS, validator_type: '0x02' });

    const config = parseSidecarConfig({
      network: 'hoodi',
      relayer: { url: fixture.relayer.url },
      cluster: { type: 'ssv', eventsFile: ssv.eventsFile, operatorIds: OPERATOR_IDS, operatorKeyFile: ssv.operatorKeyFile },
    });
    const http = new HttpRelayer({ baseUrl: config.relayer.url, timeoutMs: config.relayer.timeoutMs });
    const capturing: RelayerPort = {
      info: () => http.info(),
      validators: () => http.validators(),
      pushSignatures: async (body) => {
        pushes.push(body);
        await http.pushSignatures(body);
      },
      exits: () => http.exits(),
      pushExitSignatures: (body) => http.pushExitSignatures(body),
    };
    const book = await loadShareBook(config, hoodi, silentLogger);
    const report = await new Sidecar({ config, network: hoodi, book, relayer: capturing, logger: silentLogger, metrics: new SidecarMetrics() }).pollOnce();
    pushFailures = report.failedPushes;
  });
  afterAll(async () => {
    await fixture?.close();
    await dir?.remove();
  });

  it('the relayer accepts every body and ends with both validators signed', async () => {
    expect(pushFailures).toBe(0);
    const { validators } = await new RelayerClient({ baseUrl: fixture.relayer.url }).validators();
    expect(validators.map((v) => [v.validator_index, v.amount, v.is_signatures_ready])).toEqual([
      [START_INDEX, AMOUNTS[0], true],
      [START_INDEX + 1, AMOUNTS[1], true],
    ]);
  });

  it('sends one body per operator with the fixture shape, field for field and in the same order', () => {
    expect(pushes.map((p) => p.share_index)).toEqual(FIXTURE.map((f) => f.share_index));
    expect(shape(pushes)).toEqual(shape(FIXTURE));
    for (const [i, body] of pushes.entries()) {
      expect(Object.keys(body)).toEqual(Object.keys(FIXTURE[i]!));
      body.shares.forEach((item, v) => {
        const expected = FIXTURE[i]!.shares[v]!;
        expect(Object.keys(item)).toEqual(Object.keys(expected));
        expect(item.public_key_shares.map((s) => Object.keys(s))).toEqual(expected.public_key_shares.map((s) => Object.keys(s)));
        expect(item.public_key_shares.map((s) => s.share_index)).toEqual(expected.public_key_shares.map((s) => s.share_index));
      });
    }
  });

  it('our bodies rebuild verifying exit and deposit signatures from any 3 operators', () => {
    pushes[0]!.shares.forEach((item, v) => {
      const exitRoot = voluntaryExitSigningData(hoodi, START_INDEX + v).signingRoot;
      const depositRoot = depositSigningRoot(hoodi, {
        pubkey: hexToBytes(item.public_key),
        withdrawalCredentials: vaultWithdrawalCredentials(VAULT, '0x02'),
        amount: AMOUNTS[v]!,
      });
      for (const skip of [0, 3]) {
        const bodies = pushes.filter((_, i) => i !== skip);
        const exit = recoverSignature(bodies.map((b) => ({ index: b.share_index, signature: hexToBytes(b.shares[v]!.exit_signature) })));
        const deposit = recoverSignature(bodies.map((b) => ({ index: b.share_index, signature: hexToBytes(b.shares[v]!.deposit_signature) })));
        expect(verify(hexToBytes(item.public_key), exitRoot, exit)).toBe(true);
        expect(verify(hexToBytes(item.public_key), depositRoot, deposit)).toBe(true);
      }
    });
  });

  it('the recorded shares of the real operators verify against the messages this sidecar signs', () => {
    expect(voluntaryExitSigningData(hoodi, 10).signingRoot).toEqual(hexToBytes('0x040e2cbba6b3f94e9471f0d86bf663d296260f895664070fd3e23453abb9d858'));
    for (const body of FIXTURE) {
      body.shares.forEach((item, v) => {
        const own = item.public_key_shares.find((s) => s.share_index === body.share_index)!;
        const exitRoot = voluntaryExitSigningData(hoodi, START_INDEX + v).signingRoot;
        const depositRoot = depositSigningRoot(hoodi, {
          pubkey: hexToBytes(item.public_key),
          withdrawalCredentials: vaultWithdrawalCredentials(VAULT, '0x02'),
          amount: AMOUNTS[v]!,
        });
        expect(verify(hexToBytes(own.public_key_share), exitRoot, hexToBytes(item.exit_signature))).toBe(true);
        expect(verify(hexToBytes(own.public_key_share), depositRoot, hexToBytes(item.deposit_signature))).toBe(true);
      });
    }
  });
});
