/**
 * A seeded generator of realistic recovery logs: RLOG 3.2 sessions (mount, hundreds of module
 * checks, a few failures with details and hex-dump continuations, restores, errors, summary, end,
 * reboot; form A and form B timestamps) and OPS 4.2 lines (v1 and v2, restores with correlation ids,
 * checks, the odd unknown field). The same seed gives the same bytes.
 */
import { rng } from '../rng.js';


const SUBSYSTEMS = ['drivers/net', 'drivers/scsi', 'drivers/md', 'drivers/nvme/host', 'fs/ext4', 'fs/xfs', 'net/ipv6', 'drivers/gpu/drm', 'crypto', 'sound/pci'];

export interface Fleet {
  readonly hosts: readonly string[];
  readonly modules: readonly string[];
}

export function fleet(random: () => number, hostCount = 2000, moduleCount = 1500): Fleet {
  const hosts = Array.from({ length: hostCount }, (_, i) => `${['db', 'web', 'cache', 'batch'][i % 4]}-${String(i).padStart(4, '0')}`);
  const modules = Array.from({ length: moduleCount }, (_, i) => {
    const sub = SUBSYSTEMS[Math.floor(random() * SUBSYSTEMS.length)] ?? 'misc';
    return `kernel/${sub}/mod${i.toString(36)}.ko${random() < 0.1 ? '.xz' : ''}`;
  });
  return { hosts, modules };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function hex(random: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Appends RLOG lines to `out` until it holds `lines` lines. */
export function rlogLines(seed: number, lines: number): string[] {
  const random = rng(seed);
  const { hosts, modules } = fleet(random);
  const out: string[] = [];
  let t = Date.UTC(2026, 2, 1, 0, 0, 0);
  while (out.length < lines) {
    const host = pick(random, hosts);
    const minor = Math.floor(random() * 8);
    const version = `3.2.${minor}`;
    const formB = minor >= 5;
    const stamp = (): string => {
      t += Math.floor(random() * 400);
      const d = new Date(t);
      const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
      const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
      return formB ? `[${base}T${time}.${String(d.getUTCMilliseconds()).padStart(3, '0')}Z]` : `[${base} ${time}]`;
    };
    const fallback = random() < 0.05 ? ' {fallback}' : '';
    const session = hex(random, 6);
    const snap = `snap-202602${pad(1 + Math.floor(random() * 28))}-0200`;
    out.push(`${stamp()} SESSION START version=${version} host=${host} session=${session} trigger=${pick(random, ['auto', 'manual', 'keycombo'])} reason="${pick(random, ['kernel module missing', 'boot loop', 'checksum alarm'])}"`);
    out.push(`${stamp()}${fallback} SNAPSHOT MOUNT ${snap} image=/mnt/backup/${host}.img OK`);
    const checks = 50 + Math.floor(random() * 400);
    let missing = 0;
    let corrupt = 0;
    let restored = 0;
    for (let i = 0; i < checks && out.length < lines; i++) {
      const path = `/lib/modules/${version}/${pick(random, modules)}`;
      const r = random();
      if (r < 0.96) out.push(`${stamp()}${fallback} CHECK ${path} OK`);
      else if (r < 0.98) {
        missing++;
        out.push(`${stamp()}${fallback} CHECK ${path} ... MISSING (code=E2001)`);
      } else {
        corrupt++;
        out.push(`${stamp()}${fallback} CHECK ${path} CORRUPT (code=E1207 "checksum mismatch" expected=sha1:${hex(random, 12)} actual=sha1:${hex(random, 12)})`);
        if (random() < 0.5) out.push(`  | 0000: ${hex(random, 2)} ${hex(random, 2)} ${hex(random, 2)} ${hex(random, 2)} 02 01 01 00`);
        if (random() < 0.7) {
          restored++;
          out.push(`${stamp()}${fallback} RESTORE ${path} <- ${snap} OK (bytes=${Math.floor(random() * 900_000)} elapsed=0.0${Math.floor(random() * 90)}s)`);
        }
      }
    }
    if (random() < 0.2) out.push(`${stamp()} ERROR E3004 cannot restore /etc/fstab: not present in snapshot`);
    if (random() < 0.2) out.push(`${stamp()} WARN W2001 snapshot older than 7 days`);
    if (random() < 0.1) out.push(`${stamp()} DRIVER_LOAD megaraid_sas version=07.714`);
    out.push(`${stamp()} SUMMARY checked=${checks} ok=${checks - missing - corrupt} missing=${missing} corrupt=${corrupt} restored=${restored} failed=${corrupt - restored}`);
    out.push(`${stamp()} SESSION END status=${missing + corrupt === 0 ? 'ok' : 'partial'} duration=${(random() * 30).toFixed(1)}s`);
    out.push(`${stamp()} REBOOT in 5s`);
  }
  out.length = lines;
  return out;
}

export function opsLines(seed: number, lines: number): string[] {
  const random = rng(seed);
  const { hosts, modules } = fleet(random);
  const out: string[] = [];
  let t = Date.UTC(2026, 2, 1, 0, 0, 0);
  let ulid = 0;
  while (out.length < lines) {
    const host = pick(random, hosts);
    const v2 = random() < 0.6;
    const version = v2 ? `4.2.${3 + Math.floor(random() * 3)}` : `4.2.${Math.floor(random() * 3)}`;
    const cid = `${hex(random, 8)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 12)}`;
    const instance = pick(random, ['default', 'os-a', 'os-b']);
    const steps = 5 + Math.floor(random() * 60);
    let parent: string | null = null;
    for (let i = 0; i < steps && out.length < lines; i++) {
      t += Math.floor(random() * 300);
      const path = `/lib/modules/${version}/${pick(random, modules)}`;
      const op = i === 0 ? 'restore.start' : i === steps - 1 ? 'restore.end' : pick(random, ['check.file', 'check.file', 'check.file', 'restore.block', 'restore.file', 'integrity.verify']);
      const status = op === 'restore.start' ? 'started' : random() < 0.95 ? 'ok' : pick(random, ['missing', 'corrupt', 'failed']);
      if (v2) {
        const id = `01JPB${String(ulid++).padStart(21, '0')}`;
        const rec: Record<string, unknown> = { schema: 2, time: t, event_id: id, parent_id: parent, host: { name: host }, os: { version, instance }, op, status, code: status === 'ok' || status === 'started' ? 'S0000' : 'E1207', correlation_id: cid };
        if (op.startsWith('check') || op === 'restore.file') rec['file'] = { path, bytes: Math.floor(random() * 500_000) };
        if (op === 'restore.start') rec['restore'] = { mode: 'incremental', snapshot: 'snap-20260313-0200', target: '/dev/sdb2' };
        if (op !== 'restore.start') rec['duration_ms'] = Math.floor(random() * 100);
        if (status !== 'ok' && status !== 'started') rec['message'] = 'checksum mismatch';
        out.push(JSON.stringify(rec));
        if (i === 0) parent = id;
      } else {
        const rec: Record<string, unknown> = { ts: new Date(t).toISOString(), host, instance, ver: version, op, status, code: status === 'ok' || status === 'started' ? 0 : 1207, cid };
        if (op.startsWith('check') || op === 'restore.file') rec['path'] = path;
        if (op === 'restore.file') rec['bytes'] = Math.floor(random() * 500_000);
        if (status !== 'ok' && status !== 'started') rec['msg'] = 'checksum mismatch';
        out.push(JSON.stringify(rec));
      }
    }
  }
  out.length = lines;
  return out;
}
