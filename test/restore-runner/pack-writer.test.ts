/** PackWriter: every blob it takes reads back as it went in, whatever its size against the pack's. */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOB_DATA } from '../../restore-runner/format/v1/pack.js';
import { BlobReader } from '../../restore-runner/repository/blob-reader.js';
import { PackWriter } from '../../restore-runner/repository/pack-writer.js';
import { smallRepo, tempDir } from './helpers.js';

function packFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  walk(join(dir, 'data'));
  return out;
}

describe('pack writer', () => {
  it('stores small, incompressible and larger-than-a-pack blobs, each once, and reads every one back', () => {
    const dir = tempDir('packs');
    const repo = smallRepo(join(dir, 'repo'));
    const { index } = repo.loadIndex();
    const writer = new PackWriter(repo, index);
    const blobs: Buffer[] = [];
    for (let i = 0; i < 40; i++) blobs.push(Buffer.alloc(3000 + i, `compressible ${i} `));
    for (let i = 0; i < 20; i++) blobs.push(randomBytes(5000 + i));
    // Larger than the 64 KiB pack size and than the room kept past it.
    blobs.push(randomBytes(2 * 1024 * 1024 + 17));
    for (let i = 0; i < 20; i++) blobs.push(Buffer.alloc(9000, `after the big one ${i} `));
    const ids = blobs.map((b) => writer.addPlain(BLOB_DATA, b));
    // The same bytes again are not stored twice.
    expect(writer.addPlain(BLOB_DATA, blobs[3] ?? Buffer.alloc(0))).toBe(ids[3]);
    const stats = writer.finish();
    expect(stats.blobsAdded).toBe(blobs.length);
    expect(stats.packsWritten).toBeGreaterThan(2);
    expect(packFiles(join(dir, 'repo')).filter((f) => statSync(f).size > 2 * 1024 * 1024)).toHaveLength(1);

    const reader = new BlobReader(repo, repo.loadIndex().index);
    for (const [i, id] of ids.entries()) expect(reader.read(id, `blob ${i}`).equals(blobs[i] ?? Buffer.alloc(1))).toBe(true);
    reader.close();
  });
});
