/**
 * Self-healing on a real tree and repository: damaged system files and a changed configuration
 * file are found and repaired from the newest verified snapshot, user data is left alone, and the
 * neighbour instance on the same host is not touched.
 */
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireInstance } from '../../../restore-runner/instances/map.js';
import { snapshotInstance } from '../../../restore-runner/schedule/run.js';
import { classify } from '../../../restore-runner/selfheal/rules.js';
import { selfhealApply, selfhealScan } from '../../../restore-runner/selfheal/selfheal.js';
import { describeTree, tempDir } from '../helpers.js';
import { collector, opsHost, type OpsHost } from '../ops-fixture.js';

const MOD = 'lib/modules/4.2.3/kernel/drivers/net/ixgbe.ko';
const EXT4 = 'lib/modules/4.2.3/kernel/fs/ext4/ext4.ko';

/** Same size and mtime, one byte flipped: what bit rot looks like. */
function rot(file: string): void {
  const st = statSync(file);
  const b = readFileSync(file);
  b[100] = (b[100] ?? 0) ^ 0xff;
  writeFileSync(file, b);
  utimesSync(file, st.atime, st.mtime);
}

function damage(root: string, version: string): void {
  rot(join(root, `lib/modules/${version}/kernel/drivers/net/ixgbe.ko`));
  rmSync(join(root, `lib/modules/${version}/kernel/fs/ext4/ext4.ko`));
  writeFileSync(join(root, 'etc/fstab'), 'edited by an admin\n');
  writeFileSync(join(root, 'home/alice/notes.txt'), 'newer notes\n');
  rmSync(join(root, 'var/log/app.log'));
  writeFileSync(join(root, 'lib/extra.ko'), 'not in the snapshot');
}

async function snapshotted(): Promise<{ host: OpsHost; before: ReturnType<typeof describeTree> }> {
  const host = opsHost();
  const { emit } = collector();
  for (const id of ['os-a', 'os-b']) {
    const r = await snapshotInstance(requireInstance(host.map, id), { schedule: { every: '1d' }, emit });
    expect(r.ok).toBe(true);
  }
  return { host, before: describeTree(host.rootA) };
}

describe('self-healing', () => {
  it('classifies paths by the predefined rules, user data first', () => {
    expect([MOD, 'etc/fstab', 'home/alice/.bashrc', 'var/lib/db/x', 'usr/bin/ls', 'boot/grub/grub.cfg', 'boot/vmlinuz', 'data/x', 'opt/app/data/db', 'opt/app/bin/app'].map(classify)).toEqual([
      'system', 'config', 'user-data', 'user-data', 'system', 'config', 'system', 'other', 'user-data', 'system',
    ]);
  });

  it('scan finds missing and corrupt system files and changed configuration, not user data', async () => {
    const { host } = await snapshotted();
    damage(host.rootA, '4.2.3');
    const { events, emit } = collector();
    const r = await selfhealScan(requireInstance(host.map, 'os-a', 'web-03'), { emit });
    expect(r.summary.findings.map((f) => [f.path, f.class, f.problem, f.action])).toEqual([
      ['etc/fstab', 'config', 'changed', 'restore-keep-copy'],
      [MOD, 'system', 'corrupt', 'restore'],
      [EXT4, 'system', 'missing', 'restore'],
    ]);
    expect(r.summary.userData).toBe(2);
    expect(events.map((e) => `${e.op} ${e.status} ${e.code ?? ''} ${e.path ?? ''}`)).toEqual([
      `selfheal.scan started  ${host.rootA}`,
      'selfheal.scan misconfigured W7010 /etc/fstab',
      `selfheal.scan corrupt E1207 /${MOD}`,
      `selfheal.scan missing E2001 /${EXT4}`,
      'selfheal.scan ok  ',
    ]);
    expect(new Set(events.map((e) => e.correlationId)).size).toBe(1);
  });

  it('apply repairs by the rules, keeps the replaced configuration, leaves user data and the neighbour alone', async () => {
    const { host, before } = await snapshotted();
    damage(host.rootA, '4.2.3');
    damage(host.rootB, '3.2.9');
    const neighbour = describeTree(host.rootB);
    const data = tempDir('selfheal-data');
    const { events, emit } = collector();

    const dry = await selfhealApply(requireInstance(host.map, 'os-a'), { emit, dataDir: data, dryRun: true });
    expect(dry.repaired).toEqual([]);
    expect(readFileSync(join(host.rootA, 'etc/fstab'), 'utf8')).toBe('edited by an admin\n');

    const r = await selfhealApply(requireInstance(host.map, 'os-a'), { emit, dataDir: data, correlationId: 'alert-1' });
    expect(r.repaired.map((f) => f.path)).toEqual(['etc/fstab', MOD, EXT4]);
    expect(r.remaining).toEqual([]);
    const after = describeTree(host.rootA);
    for (const p of [MOD, EXT4, 'etc/fstab', 'bin/sh']) expect(after[p]?.content).toBe(before[p]?.content);
    // User data as the user left it; the extra file not deleted.
    expect(readFileSync(join(host.rootA, 'home/alice/notes.txt'), 'utf8')).toBe('newer notes\n');
    expect(existsSync(join(host.rootA, 'var/log/app.log'))).toBe(false);
    expect(existsSync(join(host.rootA, 'lib/extra.ko'))).toBe(true);
    // The admin's edit is kept in the data folder.
    expect(r.keptIn).not.toBeNull();
    expect(readFileSync(join(r.keptIn ?? '', 'etc/fstab'), 'utf8')).toBe('edited by an admin\n');
    // The neighbour instance is exactly as damaged as before.
    expect(describeTree(host.rootB)).toEqual(neighbour);

    const mine = events.filter((e) => e.correlationId === 'alert-1');
    expect(mine.filter((e) => e.op === 'selfheal.apply').map((e) => `${e.status} ${e.path ?? ''}`)).toEqual([
      `started ${host.rootA}`, 'ok /etc/fstab', `ok /${MOD}`, `ok /${EXT4}`, 'ok ',
    ]);
    // A second scan is clean.
    const again = await selfhealScan(requireInstance(host.map, 'os-a'), { emit });
    expect(again.summary.findings).toEqual([]);
  });

  it('uses the newest snapshot that verifies, and says when none does', async () => {
    const { host } = await snapshotted();
    const { events, emit } = collector();
    rmSync(join(host.repo, 'data'), { recursive: true });
    await expect(selfhealScan(requireInstance(host.map, 'os-a'), { emit })).rejects.toThrow(/No snapshot matches a verified snapshot of web-03\/os-a \(none verifies: .*RST_ERR/);
    expect(events.at(-1)).toMatchObject({ op: 'selfheal.scan', status: 'failed', code: 'E7003' });
  });
});
