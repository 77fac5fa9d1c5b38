/**
 * A multi-OS host on disk for the per-instance operations: two tree instances side by side
 * (system files, configuration, user data), a boot configuration outside both roots, one
 * repository, and the instance map that names them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInstanceMap } from '../../restore-runner/instances/load.js';
import { requireInstance, type Instance, type InstanceMap } from '../../restore-runner/instances/map.js';
import type { OpsV2Record } from '../../restore-runner/ops-events/record.js';
import { snapshotInstance, type SnapshotRunResult } from '../../restore-runner/schedule/run.js';
import { smallRepo, tempDir } from './helpers.js';

export interface OpsHost {
  readonly dir: string;
  readonly mapFile: string;
  readonly map: InstanceMap;
  readonly rootA: string;
  readonly rootB: string;
  readonly repo: string;
  readonly bootConfig: string;
}

/** Deterministic pseudo-random bytes (a module's content). */
export function bytes(seed: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function writeTree(root: string, files: Readonly<Record<string, string | Buffer>>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

export function instanceFiles(version: string, seed: number): Record<string, string | Buffer> {
  return {
    [`lib/modules/${version}/kernel/drivers/net/ixgbe.ko`]: bytes(seed, 40_000),
    [`lib/modules/${version}/kernel/fs/ext4/ext4.ko`]: bytes(seed + 1, 30_000),
    'bin/sh': bytes(seed + 2, 9_000),
    'etc/fstab': `/dev/sda1 / ext4 defaults 0 1 # ${version}\n`,
    'etc/hostname': 'web-03\n',
    'home/alice/notes.txt': 'my notes\n',
    'var/log/app.log': 'started\n',
  };
}

export function opsHost(): OpsHost {
  const dir = tempDir('ops');
  const rootA = join(dir, 'os-a');
  const rootB = join(dir, 'os-b');
  writeTree(rootA, instanceFiles('4.2.3', 1));
  writeTree(rootB, instanceFiles('3.2.9', 100));
  const bootConfig = join(dir, 'boot', 'grub', 'grub.cfg');
  writeTree(dir, { 'boot/grub/grub.cfg': 'menuentry "os-a" { linux /os-a/vmlinuz }\nmenuentry "os-b" { linux /os-b/vmlinuz }\n' });
  const repo = join(dir, 'repo');
  smallRepo(repo);
  const mapFile = join(dir, 'instances.yaml');
  writeFileSync(
    mapFile,
    [
      'hosts:',
      '  - host: web-03',
      '    instances:',
      '      - { id: os-a, osLine: "4.2", version: 4.2.3, root: os-a, repository: repo, bootConfig: boot/grub/grub.cfg }',
      '      - { id: os-b, osLine: "3.2", version: 3.2.9, root: os-b, repository: repo, bootConfig: boot/grub/grub.cfg }',
      '',
    ].join('\n'),
  );
  return { dir, mapFile, map: loadInstanceMap(mapFile), rootA, rootB, repo, bootConfig };
}

/** An `emit` that collects the records. */
export function collector(): { readonly events: OpsV2Record[]; readonly emit: (r: OpsV2Record) => void } {
  const events: OpsV2Record[] = [];
  return { events, emit: (r) => void events.push(r) };
}

/** The ops host with its instance os-a snapshotted once (a daily schedule), and what that emitted. */
export async function snapshottedOsA(): Promise<{ host: OpsHost; a: Instance; snap: SnapshotRunResult } & ReturnType<typeof collector>> {
  const host = opsHost();
  const a = requireInstance(host.map, 'os-a');
  const { events, emit } = collector();
  const snap = await snapshotInstance(a, { schedule: { every: '1d' }, emit });
  return { host, a, snap, events, emit };
}
