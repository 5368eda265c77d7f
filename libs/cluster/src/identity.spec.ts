import { describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@dvt/common';
import {
  encodeEnr,
  formatIdentityKeyFile,
  generateIdentityKey,
  identityPublicKey,
  parseEnr,
  parseIdentityKeyFile,
  signDigest,
  verifyDigestSignature,
} from './identity.js';
import { ClusterError } from './errors.js';

// An operator ENR from Charon's published test data (cluster/testdata/cluster_lock_v1_10_0.json).
const CHARON_ENR =
  'enr:-HW4QNHE5aL5CrfBtTF9Hi2VrssawbiC4xuTUzuk0Mu3wRQSL2mA-XQtlmSQ7brloyZAZKKagpag6KJHOa124gXyklOAgmlkgnY0iXNlY3AyNTZrMaECdAJRmH_MYH0n6WfA_wtyIp3jHSHnNAivFMYGZJlY9Hk';

describe('identity keys and ENRs', () => {
  it('round-trips an ENR and recovers the public key', () => {
    const key = generateIdentityKey();
    const enr = parseEnr(encodeEnr(key, 3n));
    expect(enr.seq).toBe(3n);
    expect(bytesToHex(enr.publicKey)).toBe(bytesToHex(identityPublicKey(key)));
  });

  it('parses an ENR written by Charon', () => {
    const enr = parseEnr(CHARON_ENR);
    expect(bytesToHex(enr.publicKey)).toBe('0x02740251987fcc607d27e967c0ff0b72229de31d21e73408af14c606649958f479');
  });

  it('rejects a tampered ENR, a bad prefix and non-RLP', () => {
    const enr = encodeEnr(generateIdentityKey());
    const body = Buffer.from(enr.slice(4), 'base64url');
    body[body.length - 1]! ^= 1; // flip a bit of the public key
    expect(() => parseEnr('enr:' + body.toString('base64url'))).toThrow(/signature does not verify|RLP|secp256k1/);
    expect(() => parseEnr('node:abc')).toThrow(/must start with "enr:"/);
    expect(() => parseEnr('enr:AAAA')).toThrow(ClusterError);
  });

  it('signs and verifies digests, and rejects another key or digest', () => {
    const key = generateIdentityKey();
    const digest = new Uint8Array(32).fill(9);
    const signature = signDigest(key, digest);
    expect(signature.length).toBe(65);
    expect(verifyDigestSignature(identityPublicKey(key), digest, signature)).toBe(true);
    expect(verifyDigestSignature(identityPublicKey(generateIdentityKey()), digest, signature)).toBe(false);
    expect(verifyDigestSignature(identityPublicKey(key), new Uint8Array(32), signature)).toBe(false);
    const badV = signature.slice();
    badV[64] = badV[64]! ^ 1;
    expect(verifyDigestSignature(identityPublicKey(key), digest, badV)).toBe(false);
  });

  it('reads and writes identity key files, rejecting junk', () => {
    const key = generateIdentityKey();
    expect(parseIdentityKeyFile(formatIdentityKeyFile(key) + '\n')).toEqual(key);
    expect(() => parseIdentityKeyFile('zz')).toThrow(/64 hex digits/);
    expect(() => parseIdentityKeyFile('00'.repeat(32))).toThrow(/not a secp256k1 private key/);
  });
});
