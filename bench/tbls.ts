/**
 * @dvt/tbls benchmark: each suite operation beside the raw library primitive doing the same work,
 * measured in the same run. Floors: native blst for sign / verify / batch verify / re-share,
 * herumi (bls-eth-wasm) Lagrange interpolation on already-loaded points for recover, and the
 * secp256k1 + HKDF + AES-GCM primitives for ECIES (the installed eciesjs cannot load, see ecies.ts).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import {
  eciesEncrypt,
  generateEciesKeyPair,
  generateSecretKey,
  recoverSignature,
  reshareSignature,
  secretKeyToPublicKey,
  sign,
  splitSecret,
  verify,
  verifyBatch,
} from '@dvt/tbls';
import blst from '@chainsafe/blst';
import herumi from 'bls-eth-wasm';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type BenchRow, measure, printTable } from './harness.js';

const BATCH = 64;
const ORACLES = 11;
const ORACLE_THRESHOLD = 8;

function row(name: string, value: number, floor: number, floorName: string, target?: string): BenchRow {
  return { name, value, floor, unit: 'ms', floorName, ...(target ? { target } : {}) };
}

export async function runTblsBench(): Promise<void> {
  const rows: BenchRow[] = [];
  const message = randomBytes(32);
  const secret = generateSecretKey();
  const publicKey = secretKeyToPublicKey(secret);
  const signature = sign(secret, message);
  const rawSecret = blst.SecretKey.fromBytes(secret);

  // sign
  rows.push(
    row(
      'sign',
      measure(() => sign(secret, message)).medianMs,
      measure(() => rawSecret.sign(message).toBytes()).medianMs,
      'blst SecretKey.sign + toBytes',
      '≤ 1.2×',
    ),
  );

  // verify (from bytes: both sides decode and subgroup-check the key and the signature)
  rows.push(
    row(
      'verify',
      measure(() => verify(publicKey, message, signature)).medianMs,
      measure(() => blst.verify(message, blst.PublicKey.fromBytes(publicKey, true), blst.Signature.fromBytes(signature, true))).medianMs,
      'blst fromBytes(validate) ×2 + verify',
      '≤ 1.1×',
    ),
  );

  // batch verify, per signature
  const items = Array.from({ length: BATCH }, () => {
    const sk = generateSecretKey();
    const msg = randomBytes(32);
    return { publicKey: secretKeyToPublicKey(sk), message: msg, signature: sign(sk, msg) };
  });
  rows.push(
    row(
      `batch verify (${BATCH} sigs, per sig)`,
      measure(() => verifyBatch(items), { opsPerCall: BATCH, minSamples: 5 }).medianMs,
      measure(
        () =>
          blst.verifyMultipleAggregateSignatures(
            items.map((it) => ({ msg: it.message, pk: blst.PublicKey.fromBytes(it.publicKey, true), sig: blst.Signature.fromBytes(it.signature, true) })),
          ),
        { opsPerCall: BATCH, minSamples: 5 },
      ).medianMs,
      'blst verifyMultipleAggregateSignatures',
      '≤ 1.1×',
    ),
  );

  // recover from t shares
  for (const t of [3, 5, 7]) {
    const indexes = Array.from({ length: t }, (_, i) => 100 + 7 * i);
    const { shares } = splitSecret(secret, t, indexes);
    const partials = shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));
    const loaded = partials.map((p) => {
      const h = new herumi.Signature();
      h.deserialize(p.signature);
      return h;
    });
    const ids = indexes.map((i) => {
      const id = new herumi.Id();
      id.setInt(i);
      return id;
    });
    rows.push(
      row(
        `recover signature t=${t}`,
        measure(() => recoverSignature(partials)).medianMs,
        measure(() => {
          const out = new herumi.Signature();
          out.recover(loaded, ids);
          return out.serialize();
        }).medianMs,
        'herumi Signature.recover on loaded points',
        '≤ 1.5× (includes decoding + subgroup checks)',
      ),
    );
  }

  // re-share to the oracles: floor = verify + per shard (sign, key derivation, two point additions)
  const offsets = Array.from({ length: ORACLES }, () => blst.SecretKey.fromBytes(generateSecretKey()));
  const rawPk = blst.PublicKey.fromBytes(publicKey, true);
  const rawSig = blst.Signature.fromBytes(signature, true);
  rows.push(
    row(
      `re-share to ${ORACLES} oracles, t=${ORACLE_THRESHOLD}`,
      measure(() => reshareSignature({ publicKey, signature, message, threshold: ORACLE_THRESHOLD, count: ORACLES })).medianMs,
      measure(() => {
        blst.verify(message, rawPk, rawSig);
        for (const offset of offsets) {
          blst.aggregatePublicKeys([rawPk, offset.toPublicKey()]).toBytes();
          blst.aggregateSignatures([rawSig, offset.sign(message)]).toBytes();
        }
      }).medianMs,
      `blst verify + ${ORACLES}×(sign + sk→pk + 2 adds)`,
      '≤ 1.3×',
    ),
  );

  // ECIES of a 96-byte signature shard
  const oracle = generateEciesKeyPair();
  const rawOracleKey = oracle.publicKey.subarray(1);
  rows.push(
    row(
      'ECIES encrypt 96 bytes',
      measure(() => eciesEncrypt(rawOracleKey, signature)).medianMs,
      measure(() => {
        const eph = secp256k1.utils.randomSecretKey();
        const ephPk = secp256k1.getPublicKey(eph, false);
        const shared = secp256k1.getSharedSecret(eph, oracle.publicKey, false);
        const key = hkdf(sha256, Buffer.concat([ephPk, shared]), undefined, undefined, 32);
        const cipher = createCipheriv('aes-256-gcm', key, randomBytes(16));
        return Buffer.concat([cipher.update(signature), cipher.final(), cipher.getAuthTag()]);
      }).medianMs,
      'secp256k1 keygen + ECDH + HKDF + AES-GCM',
      '≤ 1.2×',
    ),
  );

  printTable('tbls (median ms per operation)', rows);
}
