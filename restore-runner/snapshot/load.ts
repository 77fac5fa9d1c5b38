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
import { type LogState, readSnapshotLog } from './log.js';

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

/** A snapshot file that the log does not make live: removed by `prune`. */
export interface SnapshotLeftover {
  readonly id: Id;
  readonly why: 'forgotten' | 'unlisted';
}

export interface SnapshotListing {
  readonly records: readonly SnapshotRecord[];
  /** Snapshots that fail to load, live snapshots whose file is gone, files the log does not list, an invalid log. */
  readonly errors: readonly RstError[];
  readonly leftovers: readonly SnapshotLeftover[];
  /** The log's state; null for a version 1 repository (no log). */
  readonly log: LogState | null;
}

/**
 * All snapshots that verify and that the signed log makes live, oldest first, and what is wrong
 * with the others. An invalid log makes every snapshot untrusted (no records).
 */
export function listSnapshots(repo: Repository, trusted: KeyObject): SnapshotListing {
  const records: SnapshotRecord[] = [];
  const errors: RstError[] = [];
  const leftovers: SnapshotLeftover[] = [];
  const logged = readSnapshotLog(repo, trusted);
  if (!logged.ok) return { records, errors: [logged.error], leftovers, log: null };
  const log = logged.state;
  const onDisk = repo.listSnapshotIds();
  const candidates = log === null ? onDisk : [...log.live].sort();
  for (const id of candidates) {
    const r = tryLoadSnapshot(repo, id, trusted);
    if (r.ok) records.push(r.record);
    else errors.push(r.error.code === 'RST_ERR_SNAPSHOT_NOT_FOUND' ? rstError('RST_ERR_SNAPSHOT_DELETED', shortId(id)) : r.error);
  }
  if (log !== null) {
    for (const id of onDisk) {
      if (log.live.has(id)) continue;
      if (log.forgotten.has(id)) leftovers.push({ id, why: 'forgotten' });
      else {
        leftovers.push({ id, why: 'unlisted' });
        const r = tryLoadSnapshot(repo, id, trusted);
        errors.push(r.ok ? rstError('RST_ERR_SNAPSHOT_UNLISTED', shortId(id), 'a file planted in snapshots/') : r.error);
      }
    }
  }
  records.sort((a, b) => a.payload.time.localeCompare(b.payload.time) || a.id.localeCompare(b.id));
  return { records, errors, leftovers, log };
}

/**
 * Load one snapshot (its own checks first, for the most specific error) and, in a version 2
 * repository, require the log to make it live.
 */
function loadLive(repo: Repository, id: Id, trusted: KeyObject, log: LogState | null): SnapshotRecord {
  const r = tryLoadSnapshot(repo, id, trusted);
  if (!r.ok) {
    if (r.error.code === 'RST_ERR_SNAPSHOT_NOT_FOUND' && log?.live.has(id) === true) throw rstError('RST_ERR_SNAPSHOT_DELETED', shortId(id));
    throw r.error;
  }
  if (log !== null && !log.live.has(id)) {
    throw rstError('RST_ERR_SNAPSHOT_UNLISTED', shortId(id), log.forgotten.has(id) ? 'it was forgotten' : 'a file planted in snapshots/');
  }
  return r.record;
}

function provenLog(repo: Repository, trusted: KeyObject): LogState | null {
  const logged = readSnapshotLog(repo, trusted);
  if (!logged.ok) throw logged.error;
  return logged.state;
}

/** One snapshot by full ID, proved like `resolveSnapshot` proves it. */
export function loadSnapshot(repo: Repository, id: Id, trusted: KeyObject): SnapshotRecord {
  return loadLive(repo, id, trusted, provenLog(repo, trusted));
}

/** Resolve `latest` (optionally filtered) or a unique ID prefix to a verified, live snapshot. */
export function resolveSnapshot(repo: Repository, ref: string, trusted: KeyObject, filter: SnapshotFilter = {}): SnapshotRecord {
  if (ref === 'latest') {
    const { records, errors } = listSnapshots(repo, trusted);
    // A deleted newer snapshot would make an older one `latest`: a rollback, so refuse.
    const logError = errors.find((e) => e.code === 'RST_ERR_LOG_INVALID' || e.code === 'RST_ERR_SNAPSHOT_DELETED');
    if (logError !== undefined) throw logError;
    const hits = records.filter((r) => matches(r.payload, filter));
    const last = hits[hits.length - 1];
    if (last === undefined) throw rstError('RST_ERR_SNAPSHOT_NOT_FOUND', 'latest', repo.dir, repo.dir);
    return last;
  }
  const log = provenLog(repo, trusted);
  const known = new Set([...repo.listSnapshotIds(), ...(log?.live ?? [])]);
  const hits = [...known].filter((id) => id.startsWith(ref.toLowerCase()));
  if (hits.length > 1) throw rstError('RST_ERR_SNAPSHOT_AMBIGUOUS', ref);
  const id = hits[0];
  if (id === undefined || ref.length < 4) throw rstError('RST_ERR_SNAPSHOT_NOT_FOUND', ref, repo.dir, repo.dir);
  return loadLive(repo, id, trusted, log);
}
