/**
 * The signed snapshot log on disk (FORMAT.md, "Snapshot log"): read it, prove every entry with
 * the trusted key, and derive which snapshots are live; append entries as a writer. A version 1
 * repository has no log (`null`): there, a snapshot is trusted on its own signature only.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { rstError, type RstError } from '../errors.js';
import { type Id, sha256Hex, shortId } from '../format/v1/ids.js';
import { decodeLog, encodeLogLine, LOG_GENESIS, type LogEntry, logSignedBytes } from '../format/v2/snapshot-log.js';
import { keyIdOf, signBytes, verifyBytes } from '../repository/keys.js';
import type { Repository } from '../repository/repository.js';

export interface LogState {
  /** Added and not forgotten: the only snapshots a reader trusts. */
  readonly live: ReadonlySet<Id>;
  /** Forgotten: a file still present is a leftover of an interrupted `forget`. */
  readonly forgotten: ReadonlySet<Id>;
  readonly seq: number;
  /** SHA-256 of the last line (the log's head), or 64 zeros for an empty log. */
  readonly head: string;
}

export type LogReadResult = { readonly ok: true; readonly state: LogState | null } | { readonly ok: false; readonly error: RstError };

/** Parse and prove the log against `trusted`; every entry must verify, or none is believed. */
export function readSnapshotLog(repo: Repository, trusted: KeyObject): LogReadResult {
  if (repo.config.version === 1) return { ok: true, state: null };
  const fail = (reason: string): LogReadResult => ({ ok: false, error: rstError('RST_ERR_LOG_INVALID', repo.logPath, reason) });
  const r = decodeLog(repo.readLogFile());
  if (!r.ok) return fail(r.reason);
  const trustedId = keyIdOf(trusted);
  const live = new Set<Id>();
  const forgotten = new Set<Id>();
  for (const { signed } of r.lines) {
    const { entry: e, signature } = signed;
    if (signature.keyId !== trustedId) return fail(`entry ${e.seq} is signed by key ${shortId(signature.keyId)}, not by the trusted key ${shortId(trustedId)}`);
    if (!verifyBytes(trusted, logSignedBytes(e), signature.value)) return fail(`entry ${e.seq} has an invalid signature`);
    if (e.repository !== repo.config.id) return fail(`entry ${e.seq} belongs to repository ${e.repository}`);
    if (e.op === 'add') {
      if (live.has(e.snapshot) || forgotten.has(e.snapshot)) return fail(`entry ${e.seq} adds snapshot ${shortId(e.snapshot)} a second time`);
      live.add(e.snapshot);
    } else {
      if (!live.delete(e.snapshot)) return fail(`entry ${e.seq} forgets snapshot ${shortId(e.snapshot)}, which is not live`);
      forgotten.add(e.snapshot);
    }
  }
  const last = r.lines[r.lines.length - 1];
  return { ok: true, state: { live, forgotten, seq: last?.signed.entry.seq ?? 0, head: last?.hash ?? LOG_GENESIS } };
}

type LogOp = { readonly op: LogEntry['op']; readonly snapshot: Id };

/** Signed lines for `ops`, continuing a log whose last entry is `seq` with hash `head`. */
export function signLogLines(repo: Repository, signingKey: KeyObject, from: { readonly seq: number; readonly head: string }, ops: readonly LogOp[], time = new Date()): Buffer {
  const keyId = keyIdOf(createPublicKey(signingKey));
  const lines: Buffer[] = [];
  let { seq, head } = from;
  for (const o of ops) {
    seq++;
    const entry: LogEntry = { seq, prev: head, repository: repo.config.id, op: o.op, snapshot: o.snapshot, time: time.toISOString() };
    const line = encodeLogLine({ entry, signature: { algorithm: 'ed25519', keyId, value: signBytes(signingKey, logSignedBytes(entry)) } });
    lines.push(line);
    head = sha256Hex(line);
  }
  return Buffer.concat(lines);
}

/**
 * Append signed entries (the caller holds the exclusive lock). The current log is proved with
 * the writer's own public key first: a writer never extends a log it cannot trust.
 */
export function appendToLog(repo: Repository, signingKey: KeyObject, ops: readonly LogOp[]): void {
  repo.assertWritable();
  const cur = readSnapshotLog(repo, createPublicKey(signingKey));
  if (!cur.ok) throw cur.error;
  if (cur.state === null) throw rstError('RST_ERR_REPO_READ_ONLY', repo.dir, repo.dir);
  repo.writeLogFile(Buffer.concat([repo.readLogFile(), signLogLines(repo, signingKey, cur.state, ops)]));
}
