/**
 * Durable file writes (FORMAT.md, "Read and write ordering"): every file goes to a temporary
 * name, is fsynced, renamed into place, and its directory fsynced, so it is absent or whole.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';

export function fsyncDir(dir: string | Buffer): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function tmpName(tmpDir: string, label: string): string {
  return join(tmpDir, `${label}-${randomBytes(8).toString('hex')}`);
}

/** Write `chunks` to `tmpPath`, fsync, and rename to `finalPath` (creating its directory). */
export function writeAtomic(tmpPath: string, finalPath: string, chunks: readonly Uint8Array[], mode = 0o644): void {
  const fd = openSync(tmpPath, 'wx', mode);
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dir = dirname(finalPath);
  mkdirSync(dir, { recursive: true });
  renameSync(tmpPath, finalPath);
  fsyncDir(dir);
}
