/**
 * Key shares of SSV clusters, from `ValidatorAdded(owner, operatorIds, publicKey, shares)` events
 * saved as a JSON array of `{publicKey, operatorIds, shares}` (snake_case accepted; a later event
 * for the same validator replaces an earlier one, as after a remove + re-add).
 *
 * shares = signature (96) ‖ public key share (48) × n ‖ RSA-encrypted key share (256) × n, in
 * operatorIds order; each encrypted share is PKCS#1 v1.5 of the ASCII hex of the 32-byte secret.
 * The share index of an operator is its operator id.
 */
import { type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { assertPublicSharesRebuild } from '@dvt/cluster';
import { DvtError, bytesToHex, equalBytes, hexToBytes } from '@dvt/common';
import { assertSecretKey, secretKeyToPublicKey } from '@dvt/tbls';
import { type SsvClusterConfig, operatorPath } from '../config.js';
import { SidecarError } from '../errors.js';
import { type ShareSet } from '../share-book.js';
import { loadOperatorKey } from './operator-key.js';
import { Pkcs1DecryptError, rsaPkcs1v15Decrypt } from './rsa-pkcs1.js';

const SIGNATURE_LENGTH = 96;
const PUBLIC_KEY_LENGTH = 48;
const ENCRYPTED_SHARE_LENGTH = 256;

export interface SsvValidatorAdded {
  publicKey: string;
  operatorIds: number[];
  shares: string;
}

export interface SsvSharesData {
  publicKeyShares: Uint8Array[];
  encryptedKeyShares: Uint8Array[];
}

/** SSV clusters of n = 3f + 1 operators sign with 2f + 1. */
export function ssvThreshold(operatorCount: number): number {
  return operatorCount - Math.floor((operatorCount - 1) / 3);
}

function sharesError(message: string, details?: Record<string, unknown>): SidecarError {
  return new SidecarError('SSV_SHARES_INVALID', message, details);
}

/** Splits the `shares` bytes of a ValidatorAdded event (no decryption). */
export function parseSsvShares(shares: Uint8Array, operatorCount: number): SsvSharesData {
  const keysOffset = SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH * operatorCount;
  const expected = keysOffset + ENCRYPTED_SHARE_LENGTH * operatorCount;
  if (shares.length !== expected) {
    throw sharesError(`shares are ${shares.length} bytes, expected ${expected} for ${operatorCount} operators`);
  }
  const publicKeyShares: Uint8Array[] = [];
  const encryptedKeyShares: Uint8Array[] = [];
  for (let i = 0; i < operatorCount; i++) {
    publicKeyShares.push(shares.subarray(SIGNATURE_LENGTH + i * PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH + (i + 1) * PUBLIC_KEY_LENGTH));
    encryptedKeyShares.push(shares.subarray(keysOffset + i * ENCRYPTED_SHARE_LENGTH, keysOffset + (i + 1) * ENCRYPTED_SHARE_LENGTH));
  }
  return { publicKeyShares, encryptedKeyShares };
}

/** Decrypts one operator's key share: the plaintext is the secret as ASCII hex, with or without 0x. */
export function decryptSsvKeyShare(operatorKey: KeyObject, encrypted: Uint8Array): Uint8Array {
  let plaintext: Uint8Array;
  try {
    plaintext = rsaPkcs1v15Decrypt(operatorKey, encrypted);
  } catch (err) {
    if (err instanceof Pkcs1DecryptError) throw sharesError('cannot decrypt the key share with this operator key');
    throw err;
  }
  const text = Buffer.from(plaintext).toString('ascii');
  plaintext.fill(0);
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw sharesError('the decrypted key share is not 32 bytes of hex');
  const secret = hexToBytes(text, 'key share', 32);
  try {
    assertSecretKey(secret, 'key share');
  } catch {
    throw sharesError('the decrypted key share is not a valid BLS secret key');
  }
  return secret;
}

function field(record: Record<string, unknown>, camel: string, snake: string): unknown {
  return record[camel] ?? record[snake];
}

/** Parses the events file content; problems name the event by its position. */
export function parseValidatorAddedEvents(json: unknown, source: string): SsvValidatorAdded[] {
  if (!Array.isArray(json)) throw sharesError(`${source}: expected a JSON array of ValidatorAdded events`);
  return json.map((raw, i) => {
    const record = typeof raw === 'object' && raw !== null ? ((raw as Record<string, unknown>).args ?? raw) : undefined;
    if (typeof record !== 'object' || record === null) throw sharesError(`${source}: event ${i} is not an object`);
    const r = record as Record<string, unknown>;
    const publicKey = field(r, 'publicKey', 'public_key');
    const operatorIds = field(r, 'operatorIds', 'operator_ids');
    const shares = field(r, 'shares', 'shares_data');
    if (typeof publicKey !== 'string' || !/^0x[0-9a-fA-F]{96}$/.test(publicKey)) throw sharesError(`${source}: event ${i}: publicKey must be 48 bytes of 0x hex`);
    if (!Array.isArray(operatorIds) || operatorIds.length === 0 || !operatorIds.every((id) => Number.isSafeInteger(id) && (id as number) > 0)) {
      throw sharesError(`${source}: event ${i}: operatorIds must be positive integers`);
    }
    if (new Set(operatorIds).size !== operatorIds.length) throw sharesError(`${source}: event ${i}: operatorIds repeat`);
    if (typeof shares !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(shares)) throw sharesError(`${source}: event ${i}: shares must be 0x hex`);
    return { publicKey: publicKey.toLowerCase(), operatorIds: operatorIds as number[], shares };
  });
}

/**
 * For each configured operator: decrypts its share of every validator whose event lists it, and
 * checks the share's public key is the event's public share for that operator and that the
 * event's public shares rebuild the validator key. Any failure names the validator.
 */
export async function loadSsvShareSets(config: SsvClusterConfig): Promise<ShareSet[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(config.eventsFile, 'utf8'));
  } catch (err) {
    throw sharesError(`cannot read the SSV events file ${config.eventsFile}: ${(err as Error).message}`);
  }
  const latest = new Map<string, SsvValidatorAdded>();
  for (const event of parseValidatorAddedEvents(json, config.eventsFile)) latest.set(event.publicKey, event);
  const events = [...latest.values()];

  // the public shares of each validator are checked once, whatever the number of operators loaded
  const checked = new Set<string>();
  const sets: ShareSet[] = [];
  for (const operatorId of config.operatorIds) {
    const keyPath = operatorPath(config.operatorKeyFile, operatorId);
    const passwordPath = config.operatorPasswordFile === undefined ? undefined : operatorPath(config.operatorPasswordFile, operatorId);
    const operatorKey = await loadOperatorKey(keyPath, passwordPath);
    const shares = [];
    for (const event of events) {
      const position = event.operatorIds.indexOf(operatorId);
      if (position < 0) continue;
      const what = `validator ${event.publicKey}`;
      try {
        const data = parseSsvShares(hexToBytes(event.shares, 'shares'), event.operatorIds.length);
        if (!checked.has(event.publicKey)) {
          const publicShares = event.operatorIds.map((id, i) => ({ index: id, publicKey: data.publicKeyShares[i]! }));
          assertPublicSharesRebuild(hexToBytes(event.publicKey, 'publicKey', 48), publicShares, ssvThreshold(event.operatorIds.length), what);
          checked.add(event.publicKey);
        }
        const secretShare = decryptSsvKeyShare(operatorKey, data.encryptedKeyShares[position]!);
        const publicShare = secretKeyToPublicKey(secretShare);
        if (!equalBytes(publicShare, data.publicKeyShares[position]!)) {
          throw sharesError(`the decrypted share's public key ${bytesToHex(publicShare)} is not operator ${operatorId}'s public share ${bytesToHex(data.publicKeyShares[position]!)}`);
        }
        shares.push({
          publicKey: event.publicKey,
          shareIndex: operatorId,
          publicShare: bytesToHex(publicShare),
          secretShare,
          publicShares: event.operatorIds.map((id, i) => ({ share_index: id, public_key_share: bytesToHex(data.publicKeyShares[i]!) })),
        });
      } catch (err) {
        if (err instanceof DvtError) {
          throw new SidecarError('KEYS_INVALID', `operator ${operatorId}, ${what}: ${err.message} — refusing to start`, {
            operatorId,
            validator: event.publicKey,
          });
        }
        throw err;
      }
    }
    sets.push({ shareIndex: operatorId, label: `operator ${operatorId}`, shares });
  }
  return sets;
}
