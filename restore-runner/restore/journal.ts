/** The restore journal (FORMAT.md, "Restore journal"): where an interrupted restore resumes. */
import { readFileSync, renameSync, unlinkSync, writeFileSync, fsyncSync, openSync, closeSync } from 'node:fs';
import { canonicalJson } from '../format/v1/canonical.js';
import { errnoOf } from '../errors.js';
import { field, isObject, parseJson } from '../format/v1/guards.js';
import { isId, type Id } from '../format/v1/ids.js';

export const JOURNAL_FORMAT = 'kintsugi-restore-journal';
export type JournalMode = 'full' | 'delta' | 'files';

export interface Journal {
  readonly snapshot: Id;
  readonly mode: JournalMode;
  readonly nextBlock: number;
  readonly bytesWritten: number;
}

function isMode(v: unknown): v is JournalMode {
  return v === 'full' || v === 'delta' || v === 'files';
}

/** The journal at `path`, or undefined when there is none (or it is unreadable: start over). */
export function readJournal(path: string | Buffer): Journal | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err: unknown) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = parseJson(text);
    if (!isObject(v) || field(v, 'format') !== JOURNAL_FORMAT || field(v, 'version') !== 1) return undefined;
    const snapshot = field(v, 'snapshot');
    const mode = field(v, 'mode');
    const nextBlock = field(v, 'nextBlock');
    const bytesWritten = field(v, 'bytesWritten');
    if (!isId(snapshot) || !isMode(mode) || typeof nextBlock !== 'number' || typeof bytesWritten !== 'number') return undefined;
    if (!Number.isSafeInteger(nextBlock) || nextBlock < 0 || !Number.isSafeInteger(bytesWritten) || bytesWritten < 0) return undefined;
    return { snapshot, mode, nextBlock, bytesWritten };
  } catch {
    return undefined;
  }
}

export function writeJournal(path: string | Buffer, j: Journal): void {
  const tmp = Buffer.concat([Buffer.from(path), Buffer.from('.tmp')]);
  const body = canonicalJson({ format: JOURNAL_FORMAT, version: 1, snapshot: j.snapshot, mode: j.mode, nextBlock: j.nextBlock, bytesWritten: j.bytesWritten });
  writeFileSync(tmp, `${body}\n`);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function removeJournal(path: string | Buffer): void {
  try {
    unlinkSync(path);
  } catch (err: unknown) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}
