/**
 * The signed snapshot log of a version 2 repository (FORMAT.md, "Snapshot log"), pure
 * encode/decode. Each line is one signed entry chained to the line before it by hash, so that a
 * snapshot file deleted or planted is noticed against the log, and the log itself cannot be
 * edited, reordered or cut in the middle without breaking a signature or the chain.
 */
import { canonicalJson } from '../v1/canonical.js';
import { field, int, isObject, obj, parseJson, ShapeError, str } from '../v1/guards.js';
import { isId, type Id, sha256Hex } from '../v1/ids.js';
import type { Signature } from '../v1/snapshot.js';

export const LOG_SIGNATURE_DOMAIN = 'kintsugi-snapshot-log-v1\n';
/** `prev` of the first entry. */
export const LOG_GENESIS = '0'.repeat(64);

export interface LogEntry {
  readonly seq: number;
  readonly prev: string;
  readonly repository: string;
  readonly op: 'add' | 'forget';
  readonly snapshot: Id;
  readonly time: string;
}

export interface SignedLogEntry {
  readonly entry: LogEntry;
  readonly signature: Signature;
}

function entryJson(e: LogEntry): { readonly [k: string]: string | number } {
  return { seq: e.seq, prev: e.prev, repository: e.repository, op: e.op, snapshot: e.snapshot, time: e.time };
}

/** The exact bytes an entry's Ed25519 signature covers. */
export function logSignedBytes(e: LogEntry): Buffer {
  return Buffer.from(LOG_SIGNATURE_DOMAIN + canonicalJson(entryJson(e)), 'utf8');
}

/** One line of the log, with its final `\n`. */
export function encodeLogLine(s: SignedLogEntry): Buffer {
  return Buffer.from(`${canonicalJson({ entry: entryJson(s.entry), signature: { ...s.signature } })}\n`, 'utf8');
}

export interface DecodedLine {
  readonly signed: SignedLogEntry;
  /** SHA-256 of the line's bytes including its `\n`: the next entry's `prev`. */
  readonly hash: string;
}

export type LogDecodeResult = { readonly ok: true; readonly lines: readonly DecodedLine[] } | { readonly ok: false; readonly reason: string };

function decodeLine(text: string): SignedLogEntry {
  const v = parseJson(text);
  if (!isObject(v)) throw new ShapeError('not an object');
  const e = obj(v, 'entry');
  const sig = obj(v, 'signature');
  const op = str(e, 'op');
  if (op !== 'add' && op !== 'forget') throw new ShapeError(`unknown op "${op}"`);
  const snapshot = str(e, 'snapshot');
  if (!isId(snapshot)) throw new ShapeError('"snapshot" must be an ID');
  const prev = str(e, 'prev');
  if (!isId(prev)) throw new ShapeError('"prev" must be 64 hex digits');
  const algorithm = str(sig, 'algorithm');
  if (algorithm !== 'ed25519') throw new ShapeError(`unknown signature algorithm ${algorithm}`);
  if (field(e, 'seq') === undefined) throw new ShapeError('"seq" is missing');
  const entry: LogEntry = { seq: int(e, 'seq', 1), prev, repository: str(e, 'repository'), op, snapshot, time: str(e, 'time') };
  return { entry, signature: { algorithm, keyId: str(sig, 'keyId'), value: str(sig, 'value') } };
}

/**
 * Structure only: every line parses, ends with `\n`, and re-encodes to its own bytes (so that
 * the hash chain is over canonical bytes); `seq` counts from 1 and `prev` chains. Signatures are
 * the caller's (it holds the trusted key).
 */
export function decodeLog(bytes: Uint8Array): LogDecodeResult {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.length > 0 && !text.endsWith('\n')) return { ok: false, reason: 'the last line is cut (no final newline)' };
  const lines: DecodedLine[] = [];
  let prev = LOG_GENESIS;
  const rows = text.length === 0 ? [] : text.slice(0, -1).split('\n');
  for (const [i, row] of rows.entries()) {
    let signed: SignedLogEntry;
    try {
      signed = decodeLine(row);
    } catch (err: unknown) {
      if (err instanceof ShapeError) return { ok: false, reason: `line ${i + 1}: ${err.message}` };
      throw err;
    }
    const raw = Buffer.from(`${row}\n`, 'utf8');
    if (!encodeLogLine(signed).equals(raw)) return { ok: false, reason: `line ${i + 1}: not canonical JSON` };
    if (signed.entry.seq !== i + 1) return { ok: false, reason: `line ${i + 1}: seq ${signed.entry.seq}, expected ${i + 1} (an entry was removed or reordered)` };
    if (signed.entry.prev !== prev) return { ok: false, reason: `line ${i + 1}: prev does not chain to line ${i} (an entry was removed, replaced or reordered)` };
    prev = sha256Hex(raw);
    lines.push({ signed, hash: prev });
  }
  return { ok: true, lines };
}
