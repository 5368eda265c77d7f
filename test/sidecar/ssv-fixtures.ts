/** Builds SSV-style test clusters: operator RSA keys, ValidatorAdded events, key files on disk. */
import { type KeyObject, constants, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToBareHex, bytesToHex, concatBytes } from '@dvt/common';
import { generateSecretKey, splitSecret } from '@dvt/tbls';

export interface SsvTestCluster {
  operatorIds: number[];
  validators: { publicKey: string; secretKey: Uint8Array }[];
  eventsFile: string;
  /** {operator_id} template of PEM operator keys */
  operatorKeyFile: string;
}

export async function writeSsvCluster(dir: string, operatorIds: number[], validatorCount: number, threshold: number): Promise<SsvTestCluster> {
  const rsa: { publicKey: KeyObject; privateKey: KeyObject }[] = operatorIds.map(() => generateKeyPairSync('rsa', { modulusLength: 2048 }));
  for (const [i, id] of operatorIds.entries()) {
    await writeFile(join(dir, `operator-${id}.pem`), rsa[i]!.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  }
  const validators = [];
  const events = [];
  for (let v = 0; v < validatorCount; v++) {
    const secretKey = generateSecretKey();
    const split = splitSecret(secretKey, threshold, operatorIds);
    const encrypted = split.shares.map((s, i) =>
      publicEncrypt({ key: rsa[i]!.publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('0x' + bytesToBareHex(s.secretKey))),
    );
    const shares = concatBytes(randomBytes(96), ...split.publicShares.map((p) => p.publicKey), ...encrypted);
    validators.push({ publicKey: bytesToHex(split.publicKey), secretKey });
    events.push({ publicKey: bytesToHex(split.publicKey), operatorIds, shares: bytesToHex(shares) });
  }
  const eventsFile = join(dir, 'validator-added.json');
  await writeFile(eventsFile, JSON.stringify(events));
  return { operatorIds, validators, eventsFile, operatorKeyFile: join(dir, 'operator-{operator_id}.pem') };
}
