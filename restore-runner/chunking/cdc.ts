/**
 * Content-defined chunking for trees (FORMAT.md, "Chunking"): a gear rolling hash, no cut before
 * `minSize`, a cut where `h & mask == 0`, a forced cut at `maxSize`. Boundaries depend on content,
 * so an insertion changes only the chunks around it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { sha256 } from '../format/v1/ids.js';
import type { ChunkerParams } from '../format/v1/config.js';

export class Chunker {
  private readonly gear: Uint32Array;
  private readonly mask: number;
  /** Read buffer reused across files (allocating 8 MiB per small file dominated tree snapshots). */
  private buffer: Buffer | undefined;

  constructor(readonly params: ChunkerParams) {
    this.gear = new Uint32Array(256);
    const seed = Buffer.from(params.gearSeed, 'hex');
    for (let i = 0; i < 256; i++) this.gear[i] = sha256(Buffer.concat([seed, Buffer.from([i])])).readUInt32LE(0);
    const bits = Math.max(1, Math.round(Math.log2(params.avgSize)));
    this.mask = bits >= 32 ? 0xffffffff : (1 << bits) - 1;
  }

  /**
   * Length of the next chunk of `data[start, end)`, or -1 when more input is needed to decide.
   * With `eof`, the rest is one chunk when no cut point is found.
   */
  next(data: Uint8Array, start: number, end: number, eof: boolean): number {
    const { minSize, maxSize } = this.params;
    const avail = end - start;
    if (avail <= minSize) return eof ? avail : -1;
    const limit = Math.min(end, start + maxSize);
    const gear = this.gear;
    const mask = this.mask;
    let h = 0;
    for (let i = start + minSize; i < limit; i++) {
      h = ((h << 1) + (gear[data[i] ?? 0] ?? 0)) >>> 0;
      if ((h & mask) === 0) return i + 1 - start;
    }
    if (limit === start + maxSize) return maxSize;
    return eof ? avail : -1;
  }

  /** Split a whole buffer (used for manifests and tests). */
  split(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let start = 0;
    while (start < data.length) {
      const n = this.next(data, start, data.length, true);
      out.push(data.subarray(start, start + n));
      start += n;
    }
    return out;
  }

  /** Stream a file through the chunker; `onChunk` must copy the bytes if it keeps them. */
  chunkFile(path: string | Buffer, onChunk: (chunk: Buffer) => void): number {
    const cap = Math.max(8 * 1024 * 1024, 2 * this.params.maxSize);
    this.buffer ??= Buffer.allocUnsafe(cap);
    const buf = this.buffer;
    const fd = openSync(path, 'r');
    let total = 0;
    try {
      let len = 0;
      let eof = false;
      for (;;) {
        while (!eof && len < cap) {
          const n = readSync(fd, buf, len, cap - len, null);
          if (n === 0) eof = true;
          len += n;
          total += n;
        }
        let start = 0;
        while (start < len) {
          const n = this.next(buf, start, len, eof);
          if (n <= 0) break;
          onChunk(buf.subarray(start, start + n));
          start += n;
        }
        if (start > 0) buf.copy(buf, 0, start, len);
        len -= start;
        if (eof && len === 0) break;
      }
    } finally {
      closeSync(fd);
    }
    return total;
  }
}
