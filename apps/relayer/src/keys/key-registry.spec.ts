import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCluster } from '@dvt/cluster';
import { bytesToHex, bytesToBareHex } from '@dvt/common';
import { getNetwork } from '@dvt/eth2';
import { generateSecretKey, secretKeyToPublicKey, splitSecret } from '@dvt/tbls';
import { RelayerError } from '../errors.js';
import { KeyRegistry, parseKeyDocument } from './key-registry.js';

function validatorWithShares(threshold: number, indexes: number[]) {
  const secret = generateSecretKey();
  const split = splitSecret(secret, threshold, indexes);
  return {
    public_key: bytesToHex(split.publicKey),
    public_key_shares: split.publicShares.map((s) => ({ share_index: s.index, public_key_share: bytesToHex(s.publicKey) })),
  };
}

function errorOf(fn: () => unknown): RelayerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RelayerError);
    return err as RelayerError;
  }
  throw new Error('expected an error');
}

describe('key registry', () => {
  it('reads a cluster lock: keys, public shares at index i + 1, threshold', () => {
    const cluster = createCluster({
      network: getNetwork('hoodi'),
      operators: 4,
      threshold: 3,
      validators: 2,
      withdrawalAddress: '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca',
      validatorType: '0x02',
      feeRecipient: '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca',
    });
    const keys = parseKeyDocument(JSON.parse(JSON.stringify(cluster.lock)), 'cluster-lock.json');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatchObject({ publicKey: cluster.lock.distributed_validators[0]!.distributed_public_key, threshold: 3 });
    expect(keys[0]!.publicShares!.map((s) => s.index)).toEqual([1, 2, 3, 4]);
    const registry = new KeyRegistry(keys, undefined, false);
    expect(registry.publicKeys).toEqual(cluster.lock.distributed_validators.map((dv) => dv.distributed_public_key));
    expect(registry.thresholdOf(keys[1]!.publicKey)).toBe(3);
  });

  it('reads a key-shares file and a deposit_data.json, in configured order, merging repeats', async () => {
    const a = validatorWithShares(2, [5, 9, 11]);
    const b = bytesToHex(secretKeyToPublicKey(generateSecretKey()));
    const dir = await mkdtemp(join(tmpdir(), 'relayer-keys-'));
    try {
      await writeFile(join(dir, 'shares.json'), JSON.stringify({ threshold: 2, validators: [a] }));
      await writeFile(join(dir, 'deposit_data.json'), JSON.stringify([{ pubkey: b.slice(2) }, { pubkey: a.public_key.slice(2) }]));
      const registry = await KeyRegistry.load({ publicKeys: [b], files: [join(dir, 'shares.json'), join(dir, 'deposit_data.json')], defaultThreshold: 3 });
      expect(registry.publicKeys).toEqual([b, a.public_key]);
      expect(registry.get(a.public_key)!.publicShares!.map((s) => s.index)).toEqual([5, 9, 11]);
      expect([registry.thresholdOf(a.public_key), registry.thresholdOf(b)]).toEqual([2, 3]);
      expect(registry.openLegacyKeys).toBe(false);
      await expect(KeyRegistry.load({ publicKeys: [], files: [join(dir, 'missing.json')] })).rejects.toThrow(/key file .*missing.json: cannot read JSON \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses public key shares that do not rebuild their key, naming the key and the file', () => {
    const a = validatorWithShares(3, [1, 2, 3, 4]);
    const b = validatorWithShares(3, [1, 2, 3, 4]);
    const mixed = { ...a, public_key_shares: [...a.public_key_shares.slice(0, 3), b.public_key_shares[3]!] };
    const keys = parseKeyDocument({ threshold: 3, validators: [mixed] }, 'shares.json');
    const err = errorOf(() => new KeyRegistry(keys, undefined, false));
    expect(err.code).toBe('PUBLIC_KEY_SHARES_INVALID');
    expect(err.message).toMatch(new RegExp(`key ${a.public_key} \\(shares.json\\).*share index 4`));
    const notAPoint = { ...a, public_key_shares: a.public_key_shares.map((s, i) => (i === 1 ? { ...s, public_key_share: '0x' + 'ab'.repeat(48) } : s)) };
    const malformed = errorOf(() => new KeyRegistry(parseKeyDocument({ threshold: 3, validators: [notAPoint] }, 'bad.json'), undefined, false));
    expect(malformed.code).toBe('PUBLIC_KEY_SHARES_INVALID');
    expect(malformed.message).toMatch(new RegExp(`key ${a.public_key} \\(bad.json\\).*public key share ${a.public_key_shares[1]!.share_index}`));
    const tooFew = parseKeyDocument({ threshold: 3, validators: [{ ...a, public_key_shares: a.public_key_shares.slice(0, 2) }] }, 'f');
    expect(errorOf(() => new KeyRegistry(tooFew, undefined, false)).message).toMatch(/2 public key share\(s\) for threshold 3/);
  });

  it('needs a threshold for every key, and refuses malformed files', () => {
    const key = bytesToHex(secretKeyToPublicKey(generateSecretKey()));
    const err = errorOf(() => new KeyRegistry([{ publicKey: key, source: 'RELAYER_PUBLIC_KEYS' }], undefined, false));
    expect(err.message).toMatch(/has no threshold: set SIGNATURE_THRESHOLD/);
    expect(errorOf(() => new KeyRegistry([], undefined, true)).message).toMatch(/unconfigured legacy keys needs SIGNATURE_THRESHOLD/);
    expect(errorOf(() => parseKeyDocument({ validators: [{ public_key: '0x12' }] }, 'k.json')).message).toMatch(/key file k.json: .*validators.0.public_key: BLS public key: expected 48 bytes/);
    expect(errorOf(() => parseKeyDocument([{ pubkey: bytesToBareHex(new Uint8Array(10)) }], 'deposit_data.json')).message).toMatch(/not a deposit_data.json/);
    expect(errorOf(() => parseKeyDocument({ distributed_validators: [] }, 'lock.json')).message).toMatch(/key file lock.json: /);
  });
});
