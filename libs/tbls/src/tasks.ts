/**
 * The CPU-bound operations a `TblsExecutor` runs, by name: the same functions run inline and in
 * the worker threads (worker.ts), so both executors give identical results and errors.
 */
import { type SignatureSetBytes, verifyBatchFrom, verifyEachFrom } from './bls.js';
import { type ReshareAndEncryptArgs, type ReshareAndEncryptResult, reshareAndEncryptSignature } from './oracle-shards.js';
import { type RecoverVerifiedArgs, type RecoverVerifiedResult, recoverVerifiedSignature } from './threshold.js';

/** A slice of a caller's list: `offset` keeps error messages naming the caller's index. */
export interface SignatureSetSlice {
  items: readonly SignatureSetBytes[];
  offset: number;
}

export interface TblsTasks {
  verifyBatch(args: SignatureSetSlice): boolean;
  verifyEach(args: SignatureSetSlice): boolean[];
  recoverVerifiedSignature(args: RecoverVerifiedArgs): RecoverVerifiedResult;
  reshareAndEncrypt(args: ReshareAndEncryptArgs): ReshareAndEncryptResult;
}
export type TblsTaskName = keyof TblsTasks;

export const tblsTasks: TblsTasks = {
  verifyBatch: ({ items, offset }) => verifyBatchFrom(items, offset),
  verifyEach: ({ items, offset }) => verifyEachFrom(items, offset),
  recoverVerifiedSignature: (args) => recoverVerifiedSignature(args),
  reshareAndEncrypt: (args) => reshareAndEncryptSignature(args),
};

export function isTblsTaskName(name: unknown): name is TblsTaskName {
  return typeof name === 'string' && Object.hasOwn(tblsTasks, name);
}

/** Wire form of an error thrown by a task: TblsErrors keep code and details across the thread boundary. */
export interface SerializedTaskError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
}

/** Worker → pool messages; the pool → worker message is `TaskRequest`. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: SerializedTaskError };

export interface TaskRequest {
  id: number;
  task: TblsTaskName;
  args: unknown;
}
