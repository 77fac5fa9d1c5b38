/** Worker thread of the pool (pool.ts): runs one op of ops.ts per message and posts the result. */
import { parentPort } from 'node:worker_threads';
import { isRequest, runOp } from './protocol.js';

parentPort?.on('message', (msg: unknown) => {
  if (!isRequest(msg)) return;
  try {
    const { result, transfer } = runOp(msg.op);
    parentPort?.postMessage({ id: msg.id, ok: true, result }, transfer);
  } catch (err: unknown) {
    parentPort?.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
