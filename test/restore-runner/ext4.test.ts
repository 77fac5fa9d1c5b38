/**
 * A real filesystem: an ext4 image made with `mke2fs -t ext4 -d DIR` from system files is
 * snapshotted, damaged (random blocks overwritten), and repaired with --mode delta: the image is
 * byte-identical to the snapshot, `e2fsck -fn` finds it clean, and the bytes written equal the
 * bytes of the damaged blocks.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, randomBytes, randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Repository } from '../../restore-runner/repository/repository.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { createImageSnapshot } from '../../restore-runner/snapshot/create-image.js';
import { tempDir } from './helpers.js';
import { fill } from '../../bench/engine/fill.js';

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool} || test -x /sbin/${tool}`]).status === 0;
}

beforeAll(() => {
  if (!have('mke2fs') || !have('e2fsck')) {
    execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq e2fsprogs'], { stdio: 'ignore' });
  }
}, 300_000);

describe('ext4 image repaired by a delta restore', () => {
  it('is byte-identical and clean after repair, writing only the damaged blocks', async () => {
    const d = tempDir('ext4');
    const files = join(d, 'files');
    mkdirSync(files);
    expect(fill(files, 24 * 1024 * 1024, false).bytes).toBeGreaterThan(8 * 1024 * 1024);
    const img = join(d, 'fs.img');
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-d', files, img, '64M'], { env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` } });
    const original = readFileSync(img);
    const repo = Repository.init(join(d, 'repo'));
    const key = repo.signingKey();
    const snap = await createImageSnapshot(repo, { source: img, host: 'h', signingKey: key, progress: false });
    expect(snap.payload.summary.holes).toBeGreaterThan(0);

    // Overwrite random blocks (metadata and data alike) with random bytes.
    const blocks = original.length / 4096;
    const damagedBlocks = new Set<number>();
    while (damagedBlocks.size < 300) damagedBlocks.add(randomInt(blocks));
    const fd = openSync(img, 'r+');
    for (const b of damagedBlocks) writeSync(fd, randomBytes(4096), 0, 4096, b * 4096);
    closeSync(fd);
    expect(readFileSync(img).equals(original)).toBe(false);

    const report = await restore(repo, { snapshot: snap.id, target: img, mode: 'auto', trustedKey: createPublicKey(key), progress: false });
    expect(report.mode).toBe('delta');
    expect(readFileSync(img).equals(original)).toBe(true);
    const damagedBytes = damagedBlocks.size * 4096;
    expect(report.bytesWritten).toBe(damagedBytes);
    expect(report.bytesWritten).toBeLessThanOrEqual(2 * damagedBytes);
    const fsck = spawnSync('e2fsck', ['-fn', img], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` } });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
  });
});
