/**
 * Sign a snapshot payload and write it last (FORMAT.md, "Read and write ordering", steps 3–5):
 * the document to its pending name, then the log entry that makes it live, then the rename.
 */
import type { KeyObject } from 'node:crypto';
import type { Id } from '../format/v1/ids.js';
import { signedBytes, type SnapshotPayload } from '../format/v1/snapshot.js';
import { keyIdOf, signBytes } from '../repository/keys.js';
import type { Repository } from '../repository/repository.js';
import { createPublicKey } from 'node:crypto';
import { appendToLog } from './log.js';

export function commitSnapshot(repo: Repository, payload: SnapshotPayload, signingKey: KeyObject): Id {
  repo.assertWritable();
  const keyId = keyIdOf(createPublicKey(signingKey));
  const id = repo.stageSnapshot({ payload, signature: { algorithm: 'ed25519', keyId, value: signBytes(signingKey, signedBytes(payload)) } });
  appendToLog(repo, signingKey, [{ op: 'add', snapshot: id }]);
  repo.publishSnapshot(id);
  return id;
}

/** `forget`: the log entries first, then the files (a crash between leaves forgotten leftovers). */
export function forgetSnapshots(repo: Repository, ids: readonly Id[], signingKey: KeyObject): void {
  if (ids.length === 0) return;
  appendToLog(repo, signingKey, ids.map((snapshot) => ({ op: 'forget' as const, snapshot })));
  for (const id of ids) repo.removeSnapshot(id);
}
