/**
 * A real block device: a loop device (`losetup -f --show`, root only) over an ext4 image is
 * snapshotted as an image, damaged through the device, repaired with a delta restore through the
 * device, then overwritten with a full restore: the device's bytes equal the snapshot each time
 * and `e2fsck -fn` finds it clean. Where the sandbox gives no loop device the test says why it
 * was skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Repository } from '../../restore-runner/repository/repository.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { createImageSnapshot } from '../../restore-runner/snapshot/create-image.js';
import { fill } from '../../bench/engine/fill.js';
import { tempDir } from './helpers.js';

const SBIN_PATH = { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` };
const attached: string[] = [];

afterEach(() => {
  for (const dev of attached.splice(0)) spawnSync('losetup', ['-d', dev], { env: SBIN_PATH });
});

/** Attach `image` to a free loop device, or say why that is not possible here. */
function attach(image: string): { readonly dev: string } | { readonly skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'not running as root (losetup needs root)' };
  const r = spawnSync('losetup', ['-f', '--show', image], { encoding: 'utf8', env: SBIN_PATH });
  if (r.error !== undefined) return { skip: `losetup not runnable: ${r.error.message}` };
  if (r.status !== 0) return { skip: `losetup -f --show failed: ${r.stderr.trim()}` };
  const dev = r.stdout.trim();
  attached.push(dev);
  return { dev };
}

function readDevice(dev: string, size: number): Buffer {
  const buf = Buffer.alloc(size);
  const fd = openSync(dev, 'r');
  try {
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

describe('a real block device (loop device)', () => {
  it('is snapshotted, delta-repaired and fully restored through the device', async (ctx) => {
    const d = tempDir('blockdev');
    const files = join(d, 'files');
    mkdirSync(files);
    fill(files, 6 * 1024 * 1024, false);
    const img = join(d, 'fs.img');
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-d', files, img, '24M'], { env: SBIN_PATH });
    const a = attach(img);
    if ('skip' in a) {
      console.warn(`skipped: ${a.skip}`);
      ctx.skip();
      return;
    }
    const original = readFileSync(img);
    const repo = Repository.init(join(d, 'repo'));
    const key = repo.signingKey();
    const snap = await createImageSnapshot(repo, { source: a.dev, host: 'h', signingKey: key, progress: false });
    expect(snap.payload.image?.size).toBe(original.length);
    expect(snap.payload.summary.holes).toBeGreaterThan(0);

    // Damage 40 blocks through the device.
    const blocks = original.length / 4096;
    const damaged = new Set<number>();
    while (damaged.size < 40) damaged.add(randomInt(blocks));
    const fd = openSync(a.dev, 'r+');
    for (const b of damaged) writeSync(fd, randomBytes(4096), 0, 4096, b * 4096);
    closeSync(fd);
    expect(readDevice(a.dev, original.length).equals(original)).toBe(false);

    const delta = await restore(repo, { snapshot: snap.id, target: a.dev, mode: 'auto', trustedKey: repo.trustedKey(), progress: false });
    expect(delta.mode).toBe('delta');
    expect(delta.bytesWritten).toBe(damaged.size * 4096);
    expect(readDevice(a.dev, original.length).equals(original)).toBe(true);

    // A full restore writes every block (holes as zeros: a device is not sparse).
    const zap = openSync(a.dev, 'r+');
    writeSync(zap, Buffer.alloc(1024 * 1024, 0xa5), 0, 1024 * 1024, 0);
    closeSync(zap);
    const full = await restore(repo, { snapshot: snap.id, target: a.dev, mode: 'full', trustedKey: repo.trustedKey(), progress: false });
    expect(full.mode).toBe('full');
    expect(readDevice(a.dev, original.length).equals(original)).toBe(true);
    const fsck = spawnSync('e2fsck', ['-fn', a.dev], { encoding: 'utf8', env: SBIN_PATH });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
  });
});
