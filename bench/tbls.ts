/**
 * @dvt/tbls benchmark: each suite operation beside the raw library primitive doing the same work,
 * measured in the same run. Floors: native blst for sign / verify / batch verify / re-share,
 * herumi (bls-eth-wasm) Lagrange interpolation on already-loaded points for recover, raw
 * `eciesjs.encrypt` (the library primitive) and the curve (libsecp256k1, else noble) + node:crypto
 * primitives for ECIES, and the inline executor for the worker pool.
 */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  createInlineTblsExecutor,
  createTblsWorkerPool,
  eciesEncrypt,
  generateEciesKeyPair,
  generateSecretKey,
  recoverSignature,
  reshareAndEncryptSignature,
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
import { libsecp256k1 } from '@dvt/common';
import { encrypt as eciesjsEncrypt } from 'eciesjs';
import { type BenchRow, measure, measureAsync, printTable } from './harness.js';

const BATCH = 64;
const ORACLES = 11;
const ORACLE_THRESHOLD = 8;
const POOL_THREADS = 2;
/** batches submitted at once to the pool in the throughput rows */
const POOL_BATCHES = 8;

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

  // recover from t shares: indexes 100, 107, … take herumi (non-integer Lagrange coefficients); {1,2,3}
  // (a 4-operator cluster's partials) takes the small-coefficient blst fast path. Floor: herumi's interpolation primitive.
  const recoverCases: { t: number; indexes: number[]; label: string }[] = [
    ...[3, 5, 7].map((t) => ({ t, indexes: Array.from({ length: t }, (_, i) => 100 + 7 * i), label: `recover signature t=${t}` })),
    { t: 3, indexes: [1, 2, 3], label: 'recover signature t=3 {1,2,3} fast path (λ = 3,−3,1)' },
    { t: 3, indexes: [2, 3, 4], label: 'recover signature t=3 {2,3,4} fast path (λ = 6,−8,3)' },
  ];
  for (const { t, indexes, label } of recoverCases) {
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
        label,
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

  // re-share to the oracles. Floor 1 = the per-shard construction's primitives (what reshareSignature
  // did before); floor 2 = the primitives of the forward-difference construction it now uses for 11/8.
  const rawPk = blst.PublicKey.fromBytes(publicKey, true);
  const rawSig = blst.Signature.fromBytes(signature, true);
  const reshareArgs = { publicKey, signature, message, threshold: ORACLE_THRESHOLD, count: ORACLES };
  const perShardOffsets = Array.from({ length: ORACLES }, () => blst.SecretKey.fromBytes(generateSecretKey()));
  const differenceKeys = Array.from({ length: ORACLE_THRESHOLD - 1 }, () => blst.SecretKey.fromBytes(generateSecretKey()));
  const reshareMs = measure(() => reshareSignature(reshareArgs)).medianMs;
  const reshareByDifferencesPrimitives = (): void => {
    blst.verify(message, rawPk, rawSig);
    const sigs = [rawSig, ...differenceKeys.map((k) => k.sign(message))];
    const pks = [rawPk, ...differenceKeys.map((k) => k.toPublicKey())];
    for (let x = 1; x <= ORACLES; x++) {
      for (let j = 0; j < sigs.length - 1; j++) {
        sigs[j] = blst.aggregateSignatures([sigs[j]!, sigs[j + 1]!]);
        pks[j] = blst.aggregatePublicKeys([pks[j]!, pks[j + 1]!]);
      }
      pks[0]!.toBytes();
      sigs[0]!.toBytes();
    }
  };
  rows.push(
    row(
      `re-share to ${ORACLES} oracles, t=${ORACLE_THRESHOLD}`,
      reshareMs,
      measure(() => {
        blst.verify(message, rawPk, rawSig);
        for (const offset of perShardOffsets) {
          blst.aggregatePublicKeys([rawPk, offset.toPublicKey()]).toBytes();
          blst.aggregateSignatures([rawSig, offset.sign(message)]).toBytes();
        }
      }).medianMs,
      `blst verify + ${ORACLES}×(sign + sk→pk + 2 adds) [per-shard construction]`,
      '≤ 1.3×',
    ),
  );
  rows.push(
    row(
      `re-share to ${ORACLES} oracles, t=${ORACLE_THRESHOLD} (vs own primitives)`,
      reshareMs,
      measure(reshareByDifferencesPrimitives).medianMs,
      `blst verify + ${ORACLE_THRESHOLD - 1}×(sign + sk→pk) + ${ORACLES * (ORACLE_THRESHOLD - 1)}×2 adds`,
      '≤ 1.1×',
    ),
  );

  // ECIES of a 96-byte signature shard to an oracle key in use (cached, with its table)
  const oracle = generateEciesKeyPair();
  const rawOracleKey = oracle.publicKey.subarray(1);
  const eciesMs = measure(() => eciesEncrypt(rawOracleKey, signature), { minSamples: 100 }).medianMs;
  rows.push(
    row(
      'ECIES encrypt 96 bytes',
      eciesMs,
      measure(() => eciesjsEncrypt(oracle.publicKey, signature)).medianMs,
      'eciesjs 0.5 encrypt (the library primitive)',
      '≤ 1× (relayer: ≥ 100 validators/s)',
    ),
  );
  // The same work on the primitives ecies.ts runs on: libsecp256k1 where it loads, else noble with tables.
  const native = libsecp256k1();
  const generator = secp256k1.Point.fromAffine(secp256k1.Point.BASE.toAffine()).precompute(8);
  const receiverPoint = secp256k1.Point.fromBytes(oracle.publicKey).precompute(8);
  /** one ephemeral key, then per receiver: shared point, HKDF, AES-256-GCM (what eciesEncryptEach does) */
  const eciesPrimitives = (receivers: number): void => {
    const secret = secp256k1.utils.randomSecretKey();
    const k = secp256k1.Point.Fn.fromBytes(secret);
    const ephemeral = native ? native.publicKeyCreate(secret, false) : generator.multiply(k).toBytes(false);
    for (let i = 0; i < receivers; i++) {
      const shared = native ? native.publicKeyTweakMul(oracle.publicKey, secret, false) : receiverPoint.multiply(k).toBytes(false);
      const key = new Uint8Array(hkdfSync('sha256', Buffer.concat([ephemeral, shared]), new Uint8Array(0), new Uint8Array(0), 32));
      const cipher = createCipheriv('aes-256-gcm', key, randomBytes(16), { authTagLength: 16 });
      Buffer.concat([ephemeral, cipher.update(signature), cipher.final(), cipher.getAuthTag()]);
    }
  };
  const curve = native ? 'libsecp256k1' : 'noble 2 (w=8 tables)';
  rows.push(
    row(
      `ECIES encrypt 96 bytes (vs ${native ? 'libsecp256k1' : 'noble'} + node primitives)`,
      eciesMs,
      measure(() => eciesPrimitives(1), { minSamples: 100 }).medianMs,
      `${curve} k·G + k·R + node HKDF + AES-256-GCM`,
      '≤ 1.2×',
    ),
  );

  // The relayer's per-validator oracle step, and the worker pool.
  const oracleKeys = Array.from({ length: ORACLES }, () => generateEciesKeyPair().publicKey.subarray(1));
  const oracleStep = { publicKey, signature, message, threshold: ORACLE_THRESHOLD, oraclePublicKeys: oracleKeys };
  for (let i = 0; i < 20; i++) reshareAndEncryptSignature(oracleStep); // oracle keys reach their tables
  rows.push(
    row(
      `oracle step per validator (re-share + ${ORACLES} ECIES)`,
      measure(() => reshareAndEncryptSignature(oracleStep)).medianMs,
      measure(() => {
        reshareByDifferencesPrimitives();
        eciesPrimitives(ORACLES);
      }).medianMs,
      `the re-share floor above + 1 k·G + ${ORACLES} × (k·R + HKDF + AES)`,
      '≤ 1.1×; 1 core ≥ 50 validators/s',
    ),
  );

  const notes: string[] = [];
  const pool = await createTblsWorkerPool({ size: POOL_THREADS, fallbackToInline: false });
  const inline = createInlineTblsExecutor();
  try {
    const poolBatches = async (executor: typeof pool) => Promise.all(Array.from({ length: POOL_BATCHES }, () => executor.verifyBatch(items)));
    const poolSteps = async (executor: typeof pool) => Promise.all(Array.from({ length: POOL_BATCHES }, () => executor.reshareAndEncrypt(oracleStep)));
    // Each thread keeps its own key cache: enough rounds for every thread's oracle keys to reach their tables.
    for (let i = 0; i < 6; i++) await poolSteps(pool);
    const opts = { opsPerCall: POOL_BATCHES * BATCH, minSamples: 5, minTimeMs: 3000 };
    rows.push(
      row(
        `worker pool (${POOL_THREADS} threads) batch verify throughput (per sig)`,
        (await measureAsync(() => poolBatches(pool), opts)).medianMs,
        (await measureAsync(() => poolBatches(inline), opts)).medianMs,
        `inline executor, ${POOL_BATCHES} concurrent batches of ${BATCH}`,
        `≤ ${(1 / POOL_THREADS + 0.1).toFixed(2)}× on ${POOL_THREADS} idle cores`,
      ),
    );
    const stepOpts = { opsPerCall: POOL_BATCHES, minSamples: 5, minTimeMs: 3000 };
    const poolStepMs = (await measureAsync(() => poolSteps(pool), stepOpts)).medianMs;
    const inlineStepMs = (await measureAsync(() => poolSteps(inline), stepOpts)).medianMs;
    rows.push(
      row(
        `worker pool (${POOL_THREADS} threads) oracle step throughput (per validator)`,
        poolStepMs,
        inlineStepMs,
        `inline executor, ${POOL_BATCHES} concurrent validators`,
        `≤ ${(1 / POOL_THREADS + 0.1).toFixed(2)}×; ≥ 100 validators/s`,
      ),
    );
    notes.push(`oracle step throughput: ${(1000 / inlineStepMs).toFixed(0)} validators/s inline, ${(1000 / poolStepMs).toFixed(0)} on the ${POOL_THREADS}-thread pool`);
  } finally {
    await pool.close();
    await inline.close();
  }

  printTable('tbls (median ms per operation)', rows);
  for (const note of notes) console.log(note);
}
