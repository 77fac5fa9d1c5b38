/**
 * Loading snapshots the way FORMAT.md ("Snapshot document") requires: hash = name, shape,
 * key, signature, repository. Nothing is trusted before all of these pass.
 */
import type { KeyObject } from 'node:crypto';
import { errnoOf, messageOf, rstError, RstError } from '../errors.js';
import { type Id, sha256Hex, shortId } from '../format/v1/ids.js';
import { decodeSnapshot, signedBytes, type SnapshotDocument, type SnapshotPayload } from '../format/v1/snapshot.js';
import { keyIdOf, verifyBytes } from '../repository/keys.js';
import type { Repository } from '../repository/repository.js';

export interface SnapshotRecord {
  readonly id: Id;
  readonly doc: SnapshotDocument;
  readonly payload: SnapshotPayload;
}

export type SnapshotLoadResult = { readonly ok: true; readonly record: SnapshotRecord } | { readonly ok: false; readonly error: RstError };

export function tryLoadSnapshot(repo: Repository, id: Id, trusted: KeyObject): SnapshotLoadResult {
  const fail = (error: RstError): SnapshotLoadResult => ({ ok: false, error });
  let bytes: Buffer;
  try {
    bytes = repo.readSnapshotFile(id);
  } catch (err: unknown) {
    if (errnoOf(err) === 'ENOENT') return fail(rstError('RST_ERR_SNAPSHOT_NOT_FOUND', id, repo.dir, repo.dir));
    return fail(rstError('RST_ERR_IO', repo.snapshotPath(id), messageOf(err)));
  }
  const actual = sha256Hex(bytes);
  if (actual !== id) return fail(rstError('RST_ERR_SNAPSHOT_ID_MISMATCH', repo.snapshotPath(id), `hashes to ${shortId(actual)}`));
  const r = decodeSnapshot(bytes);
  if (!r.ok) return fail(rstError('RST_ERR_SNAPSHOT_MALFORMED', shortId(id), r.reason));
  const { doc } = r;
  const trustedId = keyIdOf(trusted);
  if (doc.signature.keyId !== trustedId) return fail(rstError('RST_ERR_UNTRUSTED_KEY', shortId(id), shortId(doc.signature.keyId), shortId(trustedId)));
  if (!verifyBytes(trusted, signedBytes(doc.payload), doc.signature.value)) return fail(rstError('RST_ERR_SIGNATURE_INVALID', shortId(id)));
  if (doc.payload.repository !== repo.config.id) return fail(rstError('RST_ERR_SNAPSHOT_FOREIGN', shortId(id), doc.payload.repository));
  return { ok: true, record: { id, doc, payload: doc.payload } };
}

export function loadSnapshot(repo: Repository, id: Id, trusted: KeyObject): SnapshotRecord {
  const r = tryLoadSnapshot(repo, id, trusted);
  if (!r.ok) throw r.error;
  return r.record;
}

export interface SnapshotFilter {
  readonly host?: string;
  readonly instance?: string;
  readonly kind?: 'tree' | 'image';
  readonly source?: string;
  readonly tags?: readonly string[];
}

export function matches(p: SnapshotPayload, f: SnapshotFilter): boolean {
  if (f.host !== undefined && p.host !== f.host) return false;
  if (f.instance !== undefined && p.instance !== f.instance) return false;
  if (f.kind !== undefined && p.kind !== f.kind) return false;
  if (f.source !== undefined && p.source !== f.source) return false;
  if (f.tags !== undefined && !f.tags.every((t) => p.tags.includes(t))) return false;
  return true;
}

/** All snapshots that verify, oldest first, and the errors of those that do not. */
export function listSnapshots(repo: Repository, trusted: KeyObject): { readonly records: readonly SnapshotRecord[]; readonly errors: readonly RstError[] } {
  const records: SnapshotRecord[] = [];
  const errors: RstError[] = [];
  for (const id of repo.listSnapshotIds()) {
    const r = tryLoadSnapshot(repo, id, trusted);
    if (r.ok) records.push(r.record);
    else errors.push(r.error);
  }
  records.sort((a, b) => a.payload.time.localeCompare(b.payload.time) || a.id.localeCompare(b.id));
  return { records, errors };
}

/** Resolve `latest` (optionally filtered) or a unique ID prefix to a verified snapshot. */
export function resolveSnapshot(repo: Repository, ref: string, trusted: KeyObject, filter: SnapshotFilter = {}): SnapshotRecord {
  if (ref === 'latest') {
    const { records } = listSnapshots(repo, trusted);
    const hits = records.filter((r) => matches(r.payload, filter));
    const last = hits[hits.length - 1];
    if (last === undefined) throw rstError('RST_ERR_SNAPSHOT_NOT_FOUND', 'latest', repo.dir, repo.dir);
    return last;
  }
  const hits = repo.listSnapshotIds().filter((id) => id.startsWith(ref.toLowerCase()));
  if (hits.length > 1) throw rstError('RST_ERR_SNAPSHOT_AMBIGUOUS', ref);
  const id = hits[0];
  if (id === undefined || ref.length < 4) throw rstError('RST_ERR_SNAPSHOT_NOT_FOUND', ref, repo.dir, repo.dir);
  return loadSnapshot(repo, id, trusted);
}
