/**
 * File identity: which file a path holds, across renames and inode reuse.
 *
 * The identity is a fingerprint of the file's first line (SHA-256 of its bytes up to and with the
 * first LF, or of its first 64 KiB when that line is longer), as Vector's `checksum` fingerprint
 * does, and not the inode that Filebeat uses by default:
 * - a rename keeps the bytes, so the renamed file keeps its identity and is read on to its end;
 * - a copytruncate copy starts with the same line, so it *is* the file already read: only what
 *   the copy holds past the checkpoint is read, and nothing is stored twice;
 * - a `.gz` generation decompresses to the same first line: it is read once;
 * - an inode reused by a new file starts with another line: a new identity, read from 0.
 * A file whose first line is not complete yet has no identity yet: it is read once its LF arrives
 * (an incomplete line waits for its LF anyway). Record lines carry a timestamp, so two generations
 * of one log do not start with the same line in practice.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export const FINGERPRINT_LIMIT = 65_536;

/** The fingerprint of bytes that start a file, or null when its first line is not complete. */
export function fingerprintOf(head: Buffer, fileComplete = false): string | null {
  const lf = head.indexOf(0x0a);
  let end: number;
  if (lf !== -1 && lf < FINGERPRINT_LIMIT) end = lf + 1;
  else if (head.length >= FINGERPRINT_LIMIT) end = FINGERPRINT_LIMIT;
  else if (fileComplete && head.length > 0) end = head.length;
  else return null;
  return createHash('sha256').update(head.subarray(0, end)).digest('base64url').slice(0, 32);
}

/** First lines are short: read a little, and more only when the first LF is not in it. */
const FIRST_READ = 4096;

export async function fingerprintFile(handle: FileHandle): Promise<string | null> {
  const small = Buffer.alloc(FIRST_READ);
  const first = await handle.read(small, 0, FIRST_READ, 0);
  if (small.subarray(0, first.bytesRead).indexOf(0x0a) !== -1 || first.bytesRead < FIRST_READ) return fingerprintOf(small.subarray(0, first.bytesRead));
  const head = Buffer.alloc(FINGERPRINT_LIMIT);
  const { bytesRead } = await handle.read(head, 0, FINGERPRINT_LIMIT, 0);
  return fingerprintOf(head.subarray(0, bytesRead));
}
