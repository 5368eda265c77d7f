import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createInlineTblsExecutor, generateEciesKeyPair, eciesDecrypt, generateSecretKey, recoverSignature, sign, splitSecret, verify } from '@dvt/tbls';
import { SignatureWork } from './signature-work.js';

describe('signature work', () => {
  const work = new SignatureWork(createInlineTblsExecutor());
  const message = randomBytes(32);
  const secret = generateSecretKey();
  const { shares, publicShares, publicKey } = splitSecret(secret, 3, [2, 4, 6, 8]);
  const partials = shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));

  afterAll(() => work.close());

  it('verifies partials in one batch, and finds the bad and the malformed ones', async () => {
    const checks = partials.map((p, i) => ({ publicKey: publicShares[i]!.publicKey, message, signature: p.signature }));
    expect(await work.verifyPartials(checks)).toEqual([true, true, true, true]);
    const wrong = [...checks];
    wrong[1] = { ...checks[1]!, signature: partials[2]!.signature };
    wrong[3] = { ...checks[3]!, signature: new Uint8Array(96) };
    expect(await work.verifyPartials(wrong)).toEqual([true, false, true, false]);
    expect(await work.verifyPartials([])).toEqual([]);
  });

  it('rebuilds past a bad share, and reports failure without throwing', async () => {
    const bad = [{ index: 2, signature: partials[1]!.signature }, ...partials.slice(1)];
    const outcome = await work.recover(publicKey, message, bad, 3, 100);
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.excludedIndexes).toEqual([2]);
    const failed = await work.recover(publicKey, message, bad.slice(0, 3), 3, 100);
    expect(failed).toMatchObject({ ok: false, code: 'NO_VALID_SUBSET' });
  });

  it('re-shares to the oracles: each decrypts and any t rebuild the signature', async () => {
    const oracles = [1, 2, 3, 4, 5].map(() => generateEciesKeyPair());
    const signature = sign(secret, message);
    const shards = await work.shareToOracles(publicKey, signature, message, oracles.map((o) => o.publicKey), 3);
    const opened = shards.encryptedExitSignatures.map((c, i) => eciesDecrypt(oracles[i]!.privateKey, Buffer.from(c.slice(2), 'hex')));
    opened.forEach((s, i) => expect(verify(Buffer.from(shards.publicKeys[i]!.slice(2), 'hex'), message, s)).toBe(true));
    expect(recoverSignature([1, 3, 5].map((x) => ({ index: x, signature: opened[x - 1]! })))).toEqual(signature);
  });
});
