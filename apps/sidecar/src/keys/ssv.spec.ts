import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type KeyObject, constants, createCipheriv, createHash, generateKeyPairSync, pbkdf2Sync, publicEncrypt, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToBareHex, bytesToHex, concatBytes } from '@dvt/common';
import { generateSecretKey, secretKeyToPublicKey, splitSecret } from '@dvt/tbls';
import { loadOperatorKey } from './operator-key.js';
import { loadSsvShareSets, parseSsvShares, ssvThreshold } from './ssv.js';

const OPERATOR_IDS = [263, 280, 281, 282];

/** The layout SSV writes: EIP-2335-like crypto of the PEM private key, plus pubKey = base64(PEM public key). */
function ssvOperatorKeyJson(privateKey: KeyObject, publicKey: KeyObject, password: string) {
  const salt = randomBytes(32);
  const key = pbkdf2Sync(Buffer.from(password), salt, 1024, 32, 'sha256');
  const iv = randomBytes(16);
  const plaintext = Buffer.from(privateKey.export({ format: 'pem', type: 'pkcs1' }) as string);
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), iv);
  const message = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    checksum: { function: 'sha256', params: {}, message: createHash('sha256').update(key.subarray(16, 32)).update(message).digest('hex') },
    cipher: { function: 'aes-128-ctr', params: { iv: iv.toString('hex') }, message: message.toString('hex') },
    kdf: { function: 'pbkdf2', params: { c: 1024, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex') }, message: '' },
    pubKey: Buffer.from(publicKey.export({ format: 'pem', type: 'pkcs1' }) as string).toString('base64'),
  };
}

function validatorAdded(operatorKeys: KeyObject[], operatorIds: number[], hexPrefix: boolean) {
  const secret = generateSecretKey();
  const split = splitSecret(secret, ssvThreshold(operatorIds.length), operatorIds);
  const encrypted = split.shares.map((s, i) =>
    publicEncrypt({ key: operatorKeys[i]!, padding: constants.RSA_PKCS1_PADDING }, Buffer.from((hexPrefix ? '0x' : '') + bytesToBareHex(s.secretKey))),
  );
  const shares = concatBytes(randomBytes(96), ...split.publicShares.map((p) => p.publicKey), ...encrypted);
  return { event: { publicKey: bytesToHex(split.publicKey), operatorIds, shares: bytesToHex(shares) }, split };
}

describe('SSV key shares', () => {
  let dir: string;
  const rsa = OPERATOR_IDS.map(() => generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const v1 = validatorAdded(rsa.map((k) => k.publicKey), OPERATOR_IDS, true);
  const v2 = validatorAdded(rsa.map((k) => k.publicKey), OPERATOR_IDS, false);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dvt-ssv-'));
    for (const [i, id] of OPERATOR_IDS.entries()) {
      await writeFile(join(dir, `operator-${id}.json`), JSON.stringify(ssvOperatorKeyJson(rsa[i]!.privateKey, rsa[i]!.publicKey, `pw${id}`)));
      await writeFile(join(dir, `operator-${id}.txt`), `pw${id}\n`);
      await writeFile(join(dir, `operator-${id}.pem`), rsa[i]!.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    }
    await writeFile(join(dir, 'events.json'), JSON.stringify([v1.event, { args: v2.event }]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('thresholds of SSV cluster sizes', () => {
    expect([4, 7, 10, 13].map(ssvThreshold)).toEqual([3, 5, 7, 9]);
  });

  it('decrypts each operator share (with or without 0x) and checks it against the event', async () => {
    const sets = await loadSsvShareSets({
      type: 'ssv',
      eventsFile: join(dir, 'events.json'),
      operatorIds: [280, 282],
      operatorKeyFile: join(dir, 'operator-{operator_id}.json'),
      operatorPasswordFile: join(dir, 'operator-{operator_id}.txt'),
    });
    expect(sets.map((s) => s.shareIndex)).toEqual([280, 282]);
    for (const set of sets) {
      const position = OPERATOR_IDS.indexOf(set.shareIndex);
      expect(set.shares.map((s) => s.publicKey)).toEqual([v1.event.publicKey, v2.event.publicKey]);
      set.shares.forEach((share, v) => {
        const split = [v1, v2][v]!.split;
        expect(share.secretShare).toEqual(split.shares[position]!.secretKey);
        expect(share.publicShares.map((p) => p.share_index)).toEqual(OPERATOR_IDS);
        expect(share.publicShare).toBe(bytesToHex(secretKeyToPublicKey(share.secretShare)));
      });
    }
  });

  it('reads a plain PEM operator key too', async () => {
    const sets = await loadSsvShareSets({ type: 'ssv', eventsFile: join(dir, 'events.json'), operatorIds: [263], operatorKeyFile: join(dir, 'operator-263.pem') });
    expect(sets[0]!.shares).toHaveLength(2);
  });

  it('refuses the key of another operator, naming the validator', async () => {
    await expect(
      loadSsvShareSets({ type: 'ssv', eventsFile: join(dir, 'events.json'), operatorIds: [263], operatorKeyFile: join(dir, 'operator-280.pem') }),
    ).rejects.toThrow(new RegExp(`operator 263, validator ${v1.event.publicKey}: cannot decrypt the key share`));
  });

  it('refuses public shares that do not rebuild the validator key', async () => {
    const bad = Uint8Array.from(Buffer.from(v1.event.shares.slice(2), 'hex'));
    bad.set(secretKeyToPublicKey(generateSecretKey()), 96 + 48 * 3); // operator 282's public share
    await writeFile(join(dir, 'bad-events.json'), JSON.stringify([{ ...v1.event, shares: bytesToHex(bad) }]));
    await expect(
      loadSsvShareSets({ type: 'ssv', eventsFile: join(dir, 'bad-events.json'), operatorIds: [263], operatorKeyFile: join(dir, 'operator-263.pem') }),
    ).rejects.toThrow(/public shares do not rebuild the distributed public key/);
  });

  it('rejects malformed events and shares of the wrong length', async () => {
    expect(() => parseSsvShares(new Uint8Array(100), 4)).toThrow(/expected 1312 for 4 operators/);
    await writeFile(join(dir, 'junk.json'), JSON.stringify([{ publicKey: '0x12', operatorIds: [1], shares: '0x' }]));
    await expect(
      loadSsvShareSets({ type: 'ssv', eventsFile: join(dir, 'junk.json'), operatorIds: [1], operatorKeyFile: join(dir, 'operator-263.pem') }),
    ).rejects.toThrow(/event 0: publicKey must be 48 bytes/);
  });

  it('operator key files: wrong password, missing password file, pubKey of another key', async () => {
    await expect(loadOperatorKey(join(dir, 'operator-263.json'), join(dir, 'operator-280.txt'))).rejects.toThrow(/wrong password/);
    await expect(loadOperatorKey(join(dir, 'operator-263.json'), undefined)).rejects.toThrow(/give its password file/);
    const mixed = ssvOperatorKeyJson(rsa[0]!.privateKey, rsa[1]!.publicKey, 'pw');
    await writeFile(join(dir, 'mixed.json'), JSON.stringify(mixed));
    await writeFile(join(dir, 'mixed.txt'), 'pw');
    await expect(loadOperatorKey(join(dir, 'mixed.json'), join(dir, 'mixed.txt'))).rejects.toThrow(/pubKey does not match/);
  });
});
