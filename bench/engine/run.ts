/**
 * `npm run bench:engine` — the snapshot and restore engine against restic and borg, same machine,
 * same input, same run.
 *
 * Input: an ext4 image (`mke2fs -t ext4 -d DIR`) filled from system files (/usr/share, /usr/lib),
 * with free space (zero regions) and repeated data (some files copied twice), and the same
 * directory as a tree. Measured for each tool (wall time and peak RSS of the child process, from
 * /usr/bin/time): full snapshot MB/s; a second snapshot after 1% of the image's 4 KiB blocks were
 * overwritten (time and bytes added to the repository); full restore MB/s; for Kintsugi also a
 * delta restore of a target with 1% damaged blocks (time and bytes written against bytes damaged;
 * restic and borg can only restore whole); repository size; for trees, a second snapshot after
 * 1% of the files changed against the first.
 *
 * Options: --rounds N (every tool N times in turn, best figure of each; default 1), --size-mib N
 * (image size, default 1024), --fill-mib N (system files to copy, default
 * 60% of the size), --dir PATH (work directory, default a new one under /tmp; removed at the end
 * unless --keep). Page caches stay warm for every tool alike (the image is read once before).
 * restic and borg are installed from Debian when missing; if that fails they are reported as
 * skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fill } from './fill.js';

const MiB = 1024 * 1024;
const BLOCK = 4096;
const here = dirname(fileURLToPath(import.meta.url));
const KINTSUGI = resolve(here, '..', '..', 'restore-runner', 'bin.js');
const PATH_ENV = `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin`;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ?? fallback;
}

interface Timed {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly stdout: string;
}

/**
 * Run a command under /usr/bin/time; throws with its stderr when it fails. The dirty pages of what
 * ran before are written out first (`sync`, not timed): otherwise a step pays for the write-back
 * of the one before it (an 800 MiB write took 2.6 s right after a snapshot, 0.23 s after a sync).
 */
function timed(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Timed {
  spawnSync('sync');
  const r = spawnSync('/usr/bin/time', ['-f', 'KTIME %e %M', cmd, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd,
    env: { ...process.env, PATH: PATH_ENV, ...opts.env },
    maxBuffer: 256 * MiB,
  });
  const m = /KTIME ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return { seconds: Number(m[1]), peakRssMiB: Number(m[2]) / 1024, stdout: r.stdout };
}

function duBytes(path: string): number {
  return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
}

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { env: { ...process.env, PATH: PATH_ENV } }).status === 0;
}

function ensureTools(): { restic: boolean; borg: boolean } {
  const missing = ['restic', 'borg', 'mke2fs', '/usr/bin/time'].filter((t) => !(t.startsWith('/') ? existsSync(t) : have(t)));
  if (missing.length > 0) {
    process.stderr.write(`installing from Debian: ${missing.join(', ')}\n`);
    spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq restic borgbackup e2fsprogs time'], { stdio: 'inherit' });
  }
  if (!have('mke2fs') || !existsSync('/usr/bin/time')) throw new Error('mke2fs and /usr/bin/time are needed (Debian packages e2fsprogs and time)');
  return { restic: have('restic'), borg: have('borg') };
}

/** Overwrite `fraction` of the 4 KiB blocks that hold data with random bytes; returns bytes changed. */
function damage(path: string, fraction: number, seedBlocks?: readonly number[]): { bytes: number; blocks: number[] } {
  const size = statSync(path).size;
  const total = Math.floor(size / BLOCK);
  const want = Math.max(1, Math.floor(total * fraction));
  const blocks = seedBlocks !== undefined ? [...seedBlocks] : [];
  const chosen = new Set(blocks);
  while (chosen.size < want) chosen.add(randomInt(total));
  const fd = openSync(path, 'r+');
  for (const b of chosen) writeSync(fd, randomBytes(BLOCK), 0, BLOCK, b * BLOCK);
  closeSync(fd);
  return { bytes: chosen.size * BLOCK, blocks: [...chosen] };
}

function mbps(bytes: number, seconds: number): number {
  return bytes / 1e6 / Math.max(seconds, 1e-3);
}

function jsonField(text: string, key: string): number {
  const v: unknown = JSON.parse(text);
  if (typeof v === 'object' && v !== null && key in v) {
    const x: unknown = Reflect.get(v, key);
    if (typeof x === 'number') return x;
  }
  throw new Error(`no numeric ${key} in ${text.slice(0, 200)}`);
}

interface ToolResult {
  readonly tool: string;
  snapshotSeconds?: number;
  snapshotMBps?: number;
  snapshotRssMiB?: number;
  secondSnapshotSeconds?: number;
  secondSnapshotAddedBytes?: number;
  restoreSeconds?: number;
  restoreMBps?: number;
  restoreRssMiB?: number;
  deltaSeconds?: number;
  deltaBytesWritten?: number;
  repoBytes?: number;
  treeFirstSeconds?: number;
  treeSecondSeconds?: number;
  /** Peak RSS of the larger of the two tree snapshots. */
  treeRssMiB?: number;
  damagedBytes?: number;
  skipped?: string;
}

function main(): void {
  const sizeMiB = Number(arg('size-mib', '1024'));
  const fillMiB = Number(arg('fill-mib', String(Math.floor(sizeMiB * 0.6))));
  const work = arg('dir', '') || mkdtempSync(join(tmpdir(), 'kintsugi-bench-engine-'));
  const keep = process.argv.includes('--keep');
  mkdirSync(work, { recursive: true });
  if (!existsSync(KINTSUGI)) throw new Error(`${KINTSUGI} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const tools = ensureTools();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);

  // ---- input
  const files = join(work, 'files');
  mkdirSync(files, { recursive: true });
  const filled = fill(files, fillMiB * MiB);
  const img = join(work, 'fs.img');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-d', files, img, `${sizeMiB}M`], { env: { ...process.env, PATH: PATH_ENV } });
  const imgBytes = statSync(img).size;
  readFileSync(img); // warm the page cache for every tool alike
  log(`input: ${sizeMiB} MiB ext4 image holding ${(filled.bytes / MiB).toFixed(0)} MiB in ${filled.files} system files; work dir ${work}`);
  const pristine = join(work, 'fs.pristine.img');
  copyFileSync(img, pristine);
  // The 1% change between the first and the second snapshot (the same blocks for every tool).
  const changed = join(work, 'fs.changed.img');
  copyFileSync(img, changed);
  const change = damage(changed, 0.01);

  const round = (n: number): ToolResult[] => {
    const results: ToolResult[] = [];
    const tag = `r${n}`;
    results.push(kintsugiRound(tag));
    results.push(tools.restic ? resticRound(tag) : { tool: 'restic', skipped: 'not installed and could not be installed' });
    results.push(tools.borg ? borgRound(tag) : { tool: 'borg', skipped: 'not installed and could not be installed' });
    return results;
  };

  function kintsugiRound(tag: string): ToolResult {
    const r: ToolResult = { tool: 'kintsugi' };
    const repo = join(work, `k-repo-${tag}`);
    const k = (...a: string[]): Timed => timed(process.execPath, [KINTSUGI, ...a]);
    k('repo', 'init', '--repo', repo);
    copyFileSync(pristine, img);
    const s1 = k('snapshot', 'create', '--repo', repo, '--source', img, '--kind', 'image', '--host', 'bench', '--json');
    r.snapshotSeconds = s1.seconds;
    r.snapshotMBps = mbps(imgBytes, s1.seconds);
    r.snapshotRssMiB = s1.peakRssMiB;
    const before = duBytes(repo);
    copyFileSync(changed, img);
    const s2 = k('snapshot', 'create', '--repo', repo, '--source', img, '--kind', 'image', '--host', 'bench', '--json');
    r.secondSnapshotSeconds = s2.seconds;
    r.secondSnapshotAddedBytes = duBytes(repo) - before;
    r.repoBytes = duBytes(repo);
    const out = join(work, 'k-restore.img');
    const rs = k('restore', '--repo', repo, '--snapshot', 'latest', '--target', out, '--json');
    r.restoreSeconds = rs.seconds;
    r.restoreMBps = mbps(imgBytes, rs.seconds);
    r.restoreRssMiB = rs.peakRssMiB;
    if (!readFileSync(out).equals(readFileSync(changed))) throw new Error('kintsugi full restore differs from the source');
    const dmg = damage(out, 0.01);
    const dl = k('restore', '--repo', repo, '--snapshot', 'latest', '--target', out, '--mode', 'delta', '--json');
    r.deltaSeconds = dl.seconds;
    r.deltaBytesWritten = jsonField(dl.stdout, 'bytesWritten');
    if (!readFileSync(out).equals(readFileSync(changed))) throw new Error('kintsugi delta restore differs from the source');
    r.damagedBytes = dmg.bytes;
    // Trees: first snapshot, then 1% of the files changed.
    const trepo = join(work, `k-tree-repo-${tag}`);
    k('repo', 'init', '--repo', trepo);
    const t1 = k('snapshot', 'create', '--repo', trepo, '--source', files, '--kind', 'tree', '--host', 'bench', '--json');
    touchFiles(files, 0.01);
    const t2 = k('snapshot', 'create', '--repo', trepo, '--source', files, '--kind', 'tree', '--host', 'bench', '--json');
    r.treeFirstSeconds = t1.seconds;
    r.treeSecondSeconds = t2.seconds;
    r.treeRssMiB = Math.max(t1.peakRssMiB, t2.peakRssMiB);
    rmSync(out, { force: true });
    return r;
  }

  function resticRound(tag: string): ToolResult {
    const r: ToolResult = { tool: `restic ${execFileSync('restic', ['version'], { encoding: 'utf8' }).split(' ')[1] ?? ''}` };
    const repo = join(work, `r-repo-${tag}`);
    const env = { RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: repo, RESTIC_CACHE_DIR: join(work, 'r-cache') };
    timed('restic', ['init', '--quiet'], { env });
    copyFileSync(pristine, img);
    const s1 = timed('restic', ['backup', '--quiet', '--host', 'bench', img], { env, cwd: work });
    r.snapshotSeconds = s1.seconds;
    r.snapshotMBps = mbps(imgBytes, s1.seconds);
    r.snapshotRssMiB = s1.peakRssMiB;
    const before = duBytes(repo);
    copyFileSync(changed, img);
    const s2 = timed('restic', ['backup', '--quiet', '--host', 'bench', img], { env, cwd: work });
    r.secondSnapshotSeconds = s2.seconds;
    r.secondSnapshotAddedBytes = duBytes(repo) - before;
    r.repoBytes = duBytes(repo);
    const out = join(work, 'r-restore');
    const rs = timed('restic', ['restore', '--quiet', 'latest', '--target', out], { env });
    r.restoreSeconds = rs.seconds;
    r.restoreMBps = mbps(imgBytes, rs.seconds);
    r.restoreRssMiB = rs.peakRssMiB;
    const trepo = join(work, `r-tree-repo-${tag}`);
    const tenv = { ...env, RESTIC_REPOSITORY: trepo };
    timed('restic', ['init', '--quiet'], { env: tenv });
    const rt1 = timed('restic', ['backup', '--quiet', '--host', 'bench', files], { env: tenv });
    r.treeFirstSeconds = rt1.seconds;
    touchFiles(files, 0.01);
    const rt2 = timed('restic', ['backup', '--quiet', '--host', 'bench', files], { env: tenv });
    r.treeSecondSeconds = rt2.seconds;
    r.treeRssMiB = Math.max(rt1.peakRssMiB, rt2.peakRssMiB);
    rmSync(out, { recursive: true, force: true });
    return r;
  }

  function borgRound(tag: string): ToolResult {
    const r: ToolResult = { tool: execFileSync('borg', ['--version'], { encoding: 'utf8' }).trim() };
    const repo = join(work, `b-repo-${tag}`);
    const env = { BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_BASE_DIR: join(work, 'b-base') };
    timed('borg', ['init', '-e', 'none', repo], { env });
    copyFileSync(pristine, img);
    const s1 = timed('borg', ['create', '--compression', 'zstd,1', `${repo}::one`, 'fs.img'], { env, cwd: work });
    r.snapshotSeconds = s1.seconds;
    r.snapshotMBps = mbps(imgBytes, s1.seconds);
    r.snapshotRssMiB = s1.peakRssMiB;
    const before = duBytes(repo);
    copyFileSync(changed, img);
    const s2 = timed('borg', ['create', '--compression', 'zstd,1', `${repo}::two`, 'fs.img'], { env, cwd: work });
    r.secondSnapshotSeconds = s2.seconds;
    r.secondSnapshotAddedBytes = duBytes(repo) - before;
    r.repoBytes = duBytes(repo);
    const out = join(work, 'b-restore');
    mkdirSync(out, { recursive: true });
    const rs = timed('borg', ['extract', '--sparse', `${repo}::two`], { env, cwd: out });
    r.restoreSeconds = rs.seconds;
    r.restoreMBps = mbps(imgBytes, rs.seconds);
    r.restoreRssMiB = rs.peakRssMiB;
    const trepo = join(work, `b-tree-repo-${tag}`);
    timed('borg', ['init', '-e', 'none', trepo], { env });
    const bt1 = timed('borg', ['create', '--compression', 'zstd,1', `${trepo}::one`, 'files'], { env, cwd: work });
    r.treeFirstSeconds = bt1.seconds;
    touchFiles(files, 0.01);
    const bt2 = timed('borg', ['create', '--compression', 'zstd,1', `${trepo}::two`, 'files'], { env, cwd: work });
    r.treeSecondSeconds = bt2.seconds;
    r.treeRssMiB = Math.max(bt1.peakRssMiB, bt2.peakRssMiB);
    rmSync(out, { recursive: true, force: true });
    return r;
  }

  // Rounds run every tool in turn; each figure is the best of the rounds (a busy moment of a
  // shared machine then hurts no tool more than another).
  const rounds = Math.max(1, Number(arg('rounds', '1')));
  const all: ToolResult[][] = [];
  for (let n = 0; n < rounds; n++) {
    log(`round ${n + 1} of ${rounds}`);
    all.push(round(n));
  }
  const results = (all[0] ?? []).map((_, i) => best(all.map((rs) => rs[i]).filter((r): r is ToolResult => r !== undefined)));


  report(results, { sizeMiB, imgBytes, filled, changedBytes: change.bytes, rounds });
  writeFileSync(join(work, 'results.json'), `${JSON.stringify({ sizeMiB, imgBytes, changedBytes: change.bytes, results }, null, 2)}\n`);
  if (!keep) rmSync(work, { recursive: true, force: true });
}

/** Rewrite `fraction` of the files in a tree (append a line), so their mtime and content change. */
function touchFiles(root: string, fraction: number): void {
  const all: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) all.push(p);
    }
  };
  walk(root);
  const n = Math.max(1, Math.floor(all.length * fraction));
  for (let i = 0; i < n; i++) {
    const p = all[randomInt(all.length)];
    if (p !== undefined) writeFileSync(p, `changed ${i} ${Date.now()}\n`, { flag: 'a' });
  }
}

/** Best of the rounds: highest rates, lowest times and sizes, highest peak memory. */
function best(rs: readonly ToolResult[]): ToolResult {
  const first = rs[0];
  if (first === undefined || first.skipped !== undefined) return first ?? { tool: '?', skipped: 'no round ran' };
  const pick = (get: (r: ToolResult) => number | undefined, f: (...v: number[]) => number): number | undefined => {
    const v = rs.map(get).filter((x): x is number => x !== undefined);
    return v.length === 0 ? undefined : f(...v);
  };
  const out: ToolResult = { tool: first.tool };
  const set = (k: keyof ToolResult & string, v: number | undefined): void => {
    if (v !== undefined) Reflect.set(out, k, v);
  };
  set('snapshotSeconds', pick((r) => r.snapshotSeconds, Math.min));
  set('snapshotMBps', pick((r) => r.snapshotMBps, Math.max));
  set('snapshotRssMiB', pick((r) => r.snapshotRssMiB, Math.max));
  set('secondSnapshotSeconds', pick((r) => r.secondSnapshotSeconds, Math.min));
  set('secondSnapshotAddedBytes', pick((r) => r.secondSnapshotAddedBytes, Math.min));
  set('restoreSeconds', pick((r) => r.restoreSeconds, Math.min));
  set('restoreMBps', pick((r) => r.restoreMBps, Math.max));
  set('restoreRssMiB', pick((r) => r.restoreRssMiB, Math.max));
  set('deltaSeconds', pick((r) => r.deltaSeconds, Math.min));
  set('deltaBytesWritten', pick((r) => r.deltaBytesWritten, Math.max));
  set('repoBytes', pick((r) => r.repoBytes, Math.min));
  set('treeFirstSeconds', pick((r) => r.treeFirstSeconds, Math.min));
  set('treeSecondSeconds', pick((r) => r.treeSecondSeconds, Math.min));
  set('treeRssMiB', pick((r) => r.treeRssMiB, Math.max));
  set('damagedBytes', pick((r) => r.damagedBytes, Math.max));
  return out;
}

function report(results: readonly ToolResult[], input: { sizeMiB: number; imgBytes: number; filled: { bytes: number; files: number }; changedBytes: number; rounds: number }): void {
  const k = results[0];
  const fmt = (v: number | undefined, digits = 1): string => (v === undefined ? '—' : v.toFixed(digits));
  const mb = (v: number | undefined): string => (v === undefined ? '—' : (v / 1e6).toFixed(1));
  const lines = [
    `best of ${input.rounds} round(s); image: ${input.sizeMiB} MiB ext4 with ${(input.filled.bytes / MiB).toFixed(0)} MiB of system files (${input.filled.files} files); 1% change = ${(input.changedBytes / 1e6).toFixed(1)} MB in 4 KiB blocks`,
    '',
    '| tool | snapshot MB/s | peak RSS MiB | 2nd snapshot s (1% changed) | added MB | full restore MB/s | restore RSS MiB | delta restore s | delta bytes written MB | repo MB | tree 1st s | tree 2nd s (1% files) | tree RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.skipped !== undefined) {
      lines.push(`| ${r.tool} | skipped: ${r.skipped} |`);
      continue;
    }
    lines.push(
      `| ${r.tool} | ${fmt(r.snapshotMBps)} | ${fmt(r.snapshotRssMiB, 0)} | ${fmt(r.secondSnapshotSeconds, 2)} | ${mb(r.secondSnapshotAddedBytes)} | ${fmt(r.restoreMBps)} | ${fmt(r.restoreRssMiB, 0)} | ${fmt(r.deltaSeconds, 2)} | ${mb(r.deltaBytesWritten)} | ${mb(r.repoBytes)} | ${fmt(r.treeFirstSeconds, 2)} | ${fmt(r.treeSecondSeconds, 2)} | ${fmt(r.treeRssMiB, 0)} |`,
    );
  }
  if (k !== undefined) {
    const damaged = k.damagedBytes;
    lines.push('', `kintsugi delta restore: wrote ${mb(k.deltaBytesWritten)} MB for ${mb(damaged)} MB damaged (${damaged !== undefined && k.deltaBytesWritten !== undefined ? (k.deltaBytesWritten / damaged).toFixed(2) : '—'}×)`);
    lines.push(`kintsugi tree: second snapshot ${k.treeFirstSeconds !== undefined && k.treeSecondSeconds !== undefined ? (k.treeFirstSeconds / k.treeSecondSeconds).toFixed(1) : '—'}× faster than the first`);
    for (const o of results.slice(1)) {
      if (o.skipped !== undefined) continue;
      const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined && b > 0 ? (a / b).toFixed(2) : '—');
      lines.push(
        `vs ${o.tool}: snapshot ${ratio(k.snapshotMBps, o.snapshotMBps)}× MB/s; 2nd snapshot ${ratio(o.secondSnapshotSeconds, k.secondSnapshotSeconds)}× faster, ` +
          `adds ${ratio(k.secondSnapshotAddedBytes, o.secondSnapshotAddedBytes)}× the bytes; full restore ${ratio(k.restoreMBps, o.restoreMBps)}× MB/s; ` +
          `delta restore ${ratio(o.restoreSeconds, k.deltaSeconds)}× faster than its full restore; peak RSS ${ratio(k.snapshotRssMiB, o.snapshotRssMiB)}×`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
