/** Sign a snapshot payload and write it last (FORMAT.md, "Read and write ordering", step 3). */
import type { KeyObject } from 'node:crypto';
import type { Id } from '../format/v1/ids.js';
import { signedBytes, type SnapshotPayload } from '../format/v1/snapshot.js';
import { keyIdOf, signBytes } from '../repository/keys.js';
import type { Repository } from '../repository/repository.js';
import { createPublicKey } from 'node:crypto';

export function commitSnapshot(repo: Repository, payload: SnapshotPayload, signingKey: KeyObject): Id {
  const keyId = keyIdOf(createPublicKey(signingKey));
  return repo.saveSnapshot({ payload, signature: { algorithm: 'ed25519', keyId, value: signBytes(signingKey, signedBytes(payload)) } });
}
