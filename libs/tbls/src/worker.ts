/**
 * Entry of the tbls worker threads (executor.ts). Runs one task at a time; loading the module
 * graph initialises blst and herumi before `ready` is posted.
 */
import { parentPort } from 'node:worker_threads';
import { TblsError } from './errors.js';
import { type SerializedTaskError, type TaskRequest, type WorkerMessage, isTblsTaskName, tblsTasks } from './tasks.js';

function serializeError(err: unknown): SerializedTaskError {
  if (err instanceof TblsError) return { name: err.name, message: err.message, code: err.code, ...(err.details ? { details: err.details } : {}) };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

function run(request: TaskRequest): unknown {
  if (!isTblsTaskName(request.task)) throw new TblsError('INVALID_ARGUMENT', `unknown tbls task ${String(request.task)}`);
  const task = tblsTasks[request.task] as (args: unknown) => unknown;
  return task(request.args);
}

if (parentPort === null) throw new Error('@dvt/tbls worker.js is a worker_threads entry, not a program');
const port = parentPort;

port.on('message', (request: TaskRequest) => {
  let reply: WorkerMessage;
  try {
    reply = { type: 'result', id: request.id, result: run(request) };
  } catch (err) {
    reply = { type: 'error', id: request.id, error: serializeError(err) };
  }
  try {
    port.postMessage(reply);
  } catch (err) {
    // Details that cannot be cloned: send the error without them.
    const error = reply.type === 'error' ? { ...reply.error, details: undefined } : serializeError(err);
    port.postMessage({ type: 'error', id: request.id, error } satisfies WorkerMessage);
  }
});
port.postMessage({ type: 'ready' } satisfies WorkerMessage);
