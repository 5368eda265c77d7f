import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@dvt/common';
import * as tbls from './index.js';
import {
  type SignatureSetBytes,
  type TblsError,
  type TblsExecutor,
  createInlineTblsExecutor,
  createTblsWorkerPool,
  eciesDecrypt,
  generateEciesKeyPair,
  generateSecretKey,
  recoverSignature,
  secretKeyToPublicKey,
  sign,
  splitSecret,
  verifyPartial,
} from './index.js';

type TblsModule = typeof tbls;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

async function expectTblsRejection(lib: TblsModule, promise: Promise<unknown>, code: string, message?: RegExp): Promise<TblsError> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(lib.TblsError);
  expect((err as TblsError).code).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err as TblsError;
}

const message = new Uint8Array(32).fill(0x5e);
const items: SignatureSetBytes[] = Array.from({ length: 40 }, (_, i) => {
  const sk = generateSecretKey();
  const msg = new Uint8Array(32).fill(i);
  return { publicKey: secretKeyToPublicKey(sk), message: msg, signature: sign(sk, msg) };
});
const infinitySignature = Uint8Array.of(0xc0, ...new Uint8Array(95));
const secret = generateSecretKey();
const publicKey = secretKeyToPublicKey(secret);
const signature = sign(secret, message);
const split = splitSecret(secret, 3, [1, 2, 3, 4]);
const partials = split.shares.map((s) => ({ index: s.index, signature: sign(s.secretKey, message) }));
const oracles = Array.from({ length: 11 }, () => generateEciesKeyPair());

/** The behaviour every executor must share; `lib` is the module instance the executor came from (its TblsError class). */
function executorContract(getExecutor: () => TblsExecutor, getLib: () => TblsModule): void {
  it('batch-verifies: true for valid sets, false with one wrong signature, and the empty list', async () => {
    const executor = getExecutor();
    expect(await executor.verifyBatch(items)).toBe(true);
    expect(await executor.verifyBatch([])).toBe(true);
    const wrong = items.map((it, i) => (i === 37 ? { ...it, signature: items[36]!.signature } : it));
    expect(await executor.verifyBatch(wrong)).toBe(false);
  });

  it('names the first malformed item of the caller’s list, wherever the list was cut', async () => {
    const executor = getExecutor();
    const lateOnly = items.map((it, i) => (i === 30 ? { ...it, signature: infinitySignature } : it));
    await expectTblsRejection(getLib(), executor.verifyBatch(lateOnly), 'INFINITY_POINT', /items\[30\]\.signature/);
    await expectTblsRejection(getLib(), executor.verifyEach(lateOnly), 'INFINITY_POINT', /items\[30\]\.signature/);
    const twoBad = lateOnly.map((it, i) => (i === 3 ? { ...it, publicKey: new Uint8Array(48) } : it));
    await expectTblsRejection(getLib(), executor.verifyBatch(twoBad), 'INVALID_PUBLIC_KEY', /items\[3\]\.publicKey/);
  });

  it('verifies each item separately, in order', async () => {
    const wrong = new Set([0, 17, 39]);
    const mixed = items.map((it, i) => (wrong.has(i) ? { ...it, message: new Uint8Array(32).fill(0xff) } : it));
    expect(await getExecutor().verifyEach(mixed)).toEqual(items.map((_, i) => !wrong.has(i)));
  });

  it('recovers a verified signature, and reports failures with the TblsError code and details', async () => {
    const executor = getExecutor();
    const result = await executor.recoverVerifiedSignature({ publicKey, message, shares: partials, threshold: 3 });
    expect(bytesToHex(result.signature)).toBe(bytesToHex(signature));
    expect(result.usedIndexes).toEqual([1, 2, 3]);
    const err = await expectTblsRejection(
      getLib(),
      executor.recoverVerifiedSignature({ publicKey, message, shares: partials.slice(0, 2), threshold: 3 }),
      'NOT_ENOUGH_SHARES',
    );
    expect(err.details).toEqual({ given: 2, threshold: 3 });
  });

  it('passes other errors through with their name and message', async () => {
    const err = await rejection(getExecutor().recoverVerifiedSignature(null as unknown as tbls.RecoverVerifiedArgs));
    expect(err.name).toBe('TypeError');
    expect(err).not.toBeInstanceOf(getLib().TblsError);
  });

  it('re-shares and encrypts to each oracle: every shard decrypts, verifies, and any 8 rebuild the signature', async () => {
    const { publicKeyShards, encryptedShards } = await getExecutor().reshareAndEncrypt({
      publicKey,
      signature,
      message,
      threshold: 8,
      oraclePublicKeys: oracles.map((o) => o.publicKey.subarray(1)),
    });
    expect(encryptedShards).toHaveLength(11);
    const shards = encryptedShards.map((ciphertext, i) => {
      const shard = eciesDecrypt(oracles[i]!.privateKey, ciphertext);
      expect(verifyPartial(publicKeyShards[i]!, message, shard)).toBe(true);
      return { index: i + 1, signature: shard };
    });
    expect(bytesToHex(recoverSignature(shards.slice(3)))).toBe(bytesToHex(signature));
    await expectTblsRejection(
      getLib(),
      getExecutor().reshareAndEncrypt({ publicKey, signature, message, threshold: 8, oraclePublicKeys: [oracles[0]!.publicKey, new Uint8Array(64)] }),
      'ECIES_INVALID_KEY',
      /oraclePublicKeys\[1\]/,
    );
  });
}

describe('createInlineTblsExecutor', () => {
  let executor: TblsExecutor;
  beforeAll(() => {
    executor = createInlineTblsExecutor();
  });
  it('runs on the calling thread', () => {
    expect(executor.mode).toBe('inline');
    expect(executor.threads).toBe(0);
    expect(executor.fallbackReason).toBeUndefined();
  });
  executorContract(() => executor, () => tbls);

  it('rejects every call after close with EXECUTOR_CLOSED', async () => {
    const closing = createInlineTblsExecutor();
    await closing.close();
    await expectTblsRejection(tbls, closing.verifyBatch(items), 'EXECUTOR_CLOSED');
  });
});

describe('createTblsWorkerPool without a usable worker entry', () => {
  it('falls back to inline from TypeScript sources (jest), or throws WORKER_FAILED when asked to', async () => {
    const executor = await createTblsWorkerPool({ size: 2 });
    expect(executor.mode).toBe('inline');
    expect(executor.fallbackReason).toMatch(/TypeScript sources/);
    expect(await executor.verifyBatch(items.slice(0, 2))).toBe(true);
    await executor.close();
    await expectTblsRejection(tbls, createTblsWorkerPool({ fallbackToInline: false }), 'WORKER_FAILED', /compiled worker\.js/);
  });

  it('rejects a bad size or chunk option with INVALID_ARGUMENT', async () => {
    for (const size of [0, 1.5, 65, Number.NaN]) await expectTblsRejection(tbls, createTblsWorkerPool({ size }), 'INVALID_ARGUMENT', /size/);
    await expectTblsRejection(tbls, createTblsWorkerPool({ minItemsPerChunk: 0 }), 'INVALID_ARGUMENT', /minItemsPerChunk/);
  });
});

describe('createTblsWorkerPool machinery (scripted workers)', () => {
  // Plain-JS workers speaking the pool protocol let jest exercise start-up failures, crashes and respawns.
  let dir: string;
  const script = (name: string, body: string): URL => {
    const file = join(dir, name);
    writeFileSync(file, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
    return pathToFileURL(file);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tbls-pool-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('falls back to inline when the entry is missing or a thread fails to load', async () => {
    const missing = await createTblsWorkerPool({ size: 1, workerUrl: pathToFileURL(join(dir, 'absent.js')) });
    expect(missing.mode).toBe('inline');
    expect(missing.fallbackReason).toMatch(/not found/);
    const throwing = script('throws.mjs', `throw new Error('backend failed to load');`);
    const failed = await createTblsWorkerPool({ size: 2, workerUrl: throwing });
    expect(failed.mode).toBe('inline');
    expect(failed.fallbackReason).toMatch(/failed to start: backend failed to load/);
    await expectTblsRejection(tbls, createTblsWorkerPool({ size: 1, workerUrl: throwing, fallbackToInline: false }), 'WORKER_FAILED', /backend failed/);
    const silent = script('silent.mjs', '');
    const slow = await createTblsWorkerPool({ size: 1, workerUrl: silent, startTimeoutMs: 200 });
    expect(slow.fallbackReason).toMatch(/exited with code 0 before it started|did not start within 200 ms/);
  });

  it('fails the job of a crashed thread with WORKER_FAILED, replaces the thread, and keeps serving', async () => {
    const flaky = script(
      'flaky.mjs',
      `parentPort.on('message', ({ id, task, args }) => {
         if (task === 'recoverVerifiedSignature') process.exit(7);
         if (task === 'reshareAndEncrypt') return parentPort.postMessage({ type: 'error', id, error: { name: 'TblsError', message: 'scripted', code: 'THRESHOLD_OUT_OF_RANGE', details: { threshold: 0 } } });
         parentPort.postMessage({ type: 'result', id, result: task === 'verifyEach' ? args.items.map((_, i) => args.offset + i) : args.items.length });
       });
       parentPort.postMessage({ type: 'ready' });`,
    );
    const pool = await createTblsWorkerPool({ size: 2, workerUrl: flaky, minItemsPerChunk: 4 });
    expect(pool.mode).toBe('worker-threads');
    expect(pool.threads).toBe(2);
    // 10 items over 2 threads: two slices whose offsets restore the caller's order.
    expect(await pool.verifyEach(items.slice(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const err = await expectTblsRejection(tbls, pool.reshareAndEncrypt({} as tbls.ReshareAndEncryptArgs), 'THRESHOLD_OUT_OF_RANGE', /scripted/);
    expect(err.details).toEqual({ threshold: 0 });
    await expectTblsRejection(tbls, pool.recoverVerifiedSignature({} as tbls.RecoverVerifiedArgs), 'WORKER_FAILED', /exited with code 7 while running recoverVerifiedSignature/);
    const results = await Promise.all(Array.from({ length: 6 }, () => pool.verifyEach(items.slice(0, 3))));
    expect(results).toEqual(Array.from({ length: 6 }, () => [0, 1, 2]));
    await expectTblsRejection(tbls, pool.verifyBatch([{ publicKey, message, signature, extra: () => 1 } as SignatureSetBytes]), 'INVALID_ARGUMENT', /cannot be sent/);
    const inFlight = pool.verifyEach(items.slice(0, 2));
    const closed = pool.close();
    await expectTblsRejection(tbls, pool.verifyBatch(items), 'EXECUTOR_CLOSED');
    expect(await inFlight).toEqual([0, 1]);
    await closed;
  });

  it('runs queued rebuilds and re-shares ahead of queued verification slices, each kind in arrival order', async () => {
    const recorder = script(
      'recorder.mjs',
      `const seen = [];
       parentPort.on('message', ({ id, task, args }) => {
         seen.push(task === 'verifyEach' ? 'verify:' + args.items.length : task);
         // the first job holds the only thread long enough for the rest to queue behind it
         setTimeout(() => parentPort.postMessage({ type: 'result', id, result: task === 'verifyEach' ? seen : [] }), seen.length === 1 ? 200 : 0);
       });
       parentPort.postMessage({ type: 'ready' });`,
    );
    const pool = await createTblsWorkerPool({ size: 1, workerUrl: recorder });
    const first = pool.verifyEach(items.slice(0, 1));
    const queued = [
      pool.verifyEach(items.slice(0, 2)),
      pool.recoverVerifiedSignature({} as tbls.RecoverVerifiedArgs),
      pool.verifyEach(items.slice(0, 3)),
      pool.reshareAndEncrypt({} as tbls.ReshareAndEncryptArgs),
    ];
    await first;
    await Promise.all(queued);
    const order = (await pool.verifyEach(items.slice(0, 4))) as unknown as string[];
    expect(order).toEqual(['verify:1', 'recoverVerifiedSignature', 'reshareAndEncrypt', 'verify:2', 'verify:3', 'verify:4']);
    await pool.close();
  });

  it('fails queued work with WORKER_FAILED once no thread is left', async () => {
    const dying = script(
      'dying.mjs',
      `parentPort.on('message', () => process.exit(3));
       parentPort.postMessage({ type: 'ready' });`,
    );
    const pool = await createTblsWorkerPool({ size: 1, workerUrl: dying });
    await expectTblsRejection(tbls, pool.verifyBatch(items), 'WORKER_FAILED', /exited with code 3/);
    // The replacement thread also dies on its first task; the pool keeps replacing threads that had started.
    await expectTblsRejection(tbls, pool.verifyBatch(items), 'WORKER_FAILED', /exited with code 3/);
    await pool.close();
  });
});

// The real worker threads need the compiled output (jest cannot load .ts in a worker):
// `npm run build` (dist/) or TBLS_DIST_DIR=<outDir of tsc -p tsconfig.build.json>.
const distDir = process.env.TBLS_DIST_DIR ?? join(process.cwd(), 'dist');
const distEntry = join(distDir, 'libs/tbls/src/index.js');
const distLib = existsSync(distEntry) ? ((await import(pathToFileURL(distEntry).href)) as TblsModule) : undefined;
const skipReason =
  distLib === undefined
    ? `${distEntry} not found: build first (npm run build, or tsc -p tsconfig.build.json --outDir X, tsc-alias, then TBLS_DIST_DIR=X)`
    : typeof distLib.createTblsWorkerPool !== 'function'
      ? `${distEntry} is an older build without createTblsWorkerPool: rebuild`
      : undefined;
if (skipReason !== undefined) console.warn(`[tbls] skipping the compiled worker-pool tests: ${skipReason}`);

(skipReason === undefined ? describe : describe.skip)('createTblsWorkerPool on the compiled build (real worker threads)', () => {
  let pool: TblsExecutor;
  beforeAll(async () => {
    pool = await distLib!.createTblsWorkerPool({ size: 2, fallbackToInline: false });
  });
  afterAll(() => pool?.close());

  it('runs on two worker threads', () => {
    expect(pool.mode).toBe('worker-threads');
    expect(pool.threads).toBe(2);
  });
  executorContract(() => pool, () => distLib!);

  it('serves concurrent calls, finishes submitted work on close, then rejects calls', async () => {
    const batches = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.verifyEach(items.slice(i, i + 3))));
    expect(batches.flat().every(Boolean)).toBe(true);
    const inFlight = pool.verifyBatch(items);
    await pool.close();
    expect(await inFlight).toBe(true);
    await expectTblsRejection(distLib!, pool.verifyBatch(items), 'EXECUTOR_CLOSED');
  });
});
