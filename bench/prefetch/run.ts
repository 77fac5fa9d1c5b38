/**
 * `npm run bench:prefetch` — restore latency of an instance's hot files with a cold and a warm
 * prefetch cache, against restic restoring the same files from its own repository, same machine,
 * same run. The tree: `--files` system files of 1 MiB (incompressible), of which `--hot` are the
 * hot ones; each round removes the hot files from the instance and restores them (files mode).
 *
 * "Cold" means the prefetch cache is empty (packs are read, proven by hash, decompressed); the
 * OS page cache is warm for every tool (the data was just written), so the figures compare the
 * work each tool does, not disk latency. Figures go into bench/README.md (section prefetch).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReadmeSection } from '../readme-section.js';
import { validateInstanceMap } from '../../restore-runner/instances/load.js';
import { requireInstance } from '../../restore-runner/instances/map.js';
import { prefetchInstance } from '../../restore-runner/prefetch/prefetch.js';
import { Repository } from '../../restore-runner/repository/repository.js';
import { ChunkCache } from '../../restore-runner/prefetch/cache.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { snapshotInstance } from '../../restore-runner/schedule/run.js';
import { rng } from '../rng.js';

const MiB = 1024 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const ENGINE = resolve(here, '..', '..', 'restore-runner', 'bin.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * MiB });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return ms;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

async function main(): Promise<void> {
  const files = arg('files', 96);
  const hot = Math.min(files, arg('hot', 8));
  const rounds = arg('rounds', 5);
  const work = mkdtempSync(join(tmpdir(), 'kintsugi-bench-prefetch-'));
  try {
    const root = join(work, 'os-a');
    const rand = rng(42);
    const hotPaths: string[] = [];
    for (let i = 0; i < files; i++) {
      const rel = `lib/modules/4.2.3/kernel/drivers/m${String(i).padStart(3, '0')}.ko`;
      mkdirSync(join(root, dirname(rel)), { recursive: true });
      const b = Buffer.alloc(MiB);
      for (let k = 0; k < b.length; k += 4) b.writeUInt32LE(Math.floor(rand() * 2 ** 32), k);
      writeFileSync(join(root, rel), b);
      // Spread the hot files over the tree, so that their chunks sit in many packs.
      if (i % Math.floor(files / hot) === 0 && hotPaths.length < hot) hotPaths.push(rel);
    }
    writeFileSync(join(work, 'grub.cfg'), 'menuentry os-a {}\n');
    Repository.init(join(work, 'repo'));
    const map = validateInstanceMap({ hosts: [{ host: 'bench', instances: [{ id: 'os-a', osLine: '4.2', version: '4.2.3', root: 'os-a', repository: 'repo', bootConfig: 'grub.cfg' }] }] }, join(work, 'map.yaml'));
    const inst = requireInstance(map, 'os-a');
    const snap = await snapshotInstance(inst, { schedule: { every: '1d', verifyAfter: 'structure' }, emit: () => undefined });
    if (!snap.ok) throw new Error(snap.error);
    const data = join(work, 'data');
    const t0 = performance.now();
    const pre = await prefetchInstance(inst, hotPaths, { dataDir: data, emit: () => undefined });
    const prefetchMs = performance.now() - t0;

    const removeHot = (): void => {
      for (const p of hotPaths) rmSync(join(root, p), { force: true });
    };
    const restoreArgs = ['restore', '--repo', join(work, 'repo'), '--snapshot', snap.snapshot, '--target', root, '--mode', 'files', ...hotPaths.flatMap((p) => ['--path', p])];
    // In process: the restore's own work, without a process start.
    const repo = Repository.open(join(work, 'repo'));
    const cache = ChunkCache.open(data, repo.config.id);
    const inProcess = async (local: boolean): Promise<number> => {
      removeHot();
      const t = performance.now();
      await restore(repo, { snapshot: snap.snapshot, target: root, mode: 'files', paths: hotPaths, trustedKey: repo.trustedKey(), progress: false, ...(local ? { local: cache } : {}) });
      return performance.now() - t;
    };
    const coldIn: number[] = [];
    const warmIn: number[] = [];
    for (let r = 0; r < rounds; r++) {
      coldIn.push(await inProcess(false));
      warmIn.push(await inProcess(true));
    }
    const cold: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < rounds; r++) {
      removeHot();
      cold.push(run(process.execPath, [ENGINE, ...restoreArgs]));
      removeHot();
      warm.push(run(process.execPath, [ENGINE, ...restoreArgs, '--prefetch-data', data]));
    }
    // The same engine without the restore work: what a process start costs here.
    const startMs = median(Array.from({ length: 3 }, () => run(process.execPath, [ENGINE, '--help'])));

    let restic: { version: string; ms: number } | string;
    if (have('restic')) {
      const env = { RESTIC_REPOSITORY: join(work, 'restic'), RESTIC_PASSWORD: 'bench' };
      run('restic', ['init', '--quiet'], env);
      run('restic', ['backup', '--quiet', '--host', 'bench', root], env);
      const version = spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.split(' ')[1] ?? '';
      const rs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const target = join(work, `restic-out-${r}`);
        rs.push(run('restic', ['restore', '--quiet', 'latest', '--target', target, ...hotPaths.flatMap((p) => ['--include', join(root, p)])], env));
        rmSync(target, { recursive: true, force: true });
      }
      restic = { version, ms: median(rs) };
    } else restic = 'not installed';

    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    const c = median(cold);
    const w = median(warm);
    const ci = median(coldIn);
    const wi = median(warmIn);
    const lines = [
      '## Prefetch: restore latency, cold and warm cache (`npm run bench:prefetch`)',
      '',
      `Restore of ${hot} hot files (1 MiB each, incompressible) out of ${files} in the instance, files mode, median of ${rounds} rounds: in process (the \`restore\` call alone), and as a separate process each (\`node dist/restore-runner/bin.js restore\`, like restic); ratios against the cold row of the same kind.`,
      `Measured ${new Date().toISOString().slice(0, 16)}Z, load average ${load} (2 cores shared by other work: compare ratios, not absolutes).`,
      '',
      '| restore of the hot files | ms (median) | vs cold |',
      '|---|---:|---:|',
      `| Kintsugi in process, cold prefetch cache | ${ci.toFixed(1)} | 1.00 |`,
      `| Kintsugi in process, warm prefetch cache | ${wi.toFixed(1)} | ${(wi / ci).toFixed(2)} |`,
      `| Kintsugi, cold prefetch cache (reads and proves packs) | ${c.toFixed(0)} | 1.00 |`,
      `| Kintsugi, warm prefetch cache (reads no pack) | ${w.toFixed(0)} | ${(w / c).toFixed(2)} |`,
      `| restic ${typeof restic === 'string' ? '' : restic.version} \`restore --include\` | ${typeof restic === 'string' ? restic : restic.ms.toFixed(0)} | ${typeof restic === 'string' ? '' : (restic.ms / c).toFixed(2)} |`,
      `| (process start of the engine alone) | ${startMs.toFixed(0)} | |`,
      '',
      `Warming the cache (\`prefetch\`, in process): ${prefetchMs.toFixed(0)} ms for ${pre.chunks} chunks, ${(pre.bytesLoaded / MiB).toFixed(1)} MiB. Cold runs: ${cold.map((x) => x.toFixed(0)).join(', ')} ms; warm: ${warm.map((x) => x.toFixed(0)).join(', ')} ms.`,
    ];
    for (const l of lines) console.log(l);
    writeReadmeSection('prefetch', lines);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
