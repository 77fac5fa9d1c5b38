/** Compiles the engine's standalone CLI (restore-runner/bin.ts) once, for tests that need a child process. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
// One build per test worker: workers run in parallel.
const OUT = join(ROOT, 'node_modules', '.cache', `kintsugi-rst-test-${process.pid}`);

/** Remove this worker's build (call from afterAll). */
export function removeBin(): void {
  rmSync(OUT, { recursive: true, force: true });
}

export function buildBin(): string {
  mkdirSync(OUT, { recursive: true });
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, ['--ignoreConfig', '--outDir', OUT, '--rootDir', ROOT, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--types', 'node', '--strict', join(ROOT, 'restore-runner', 'bin.ts'), join(ROOT, 'restore-runner', 'parallel', 'worker.ts')], { cwd: ROOT, stdio: 'pipe' });
  writeFileSync(join(OUT, 'package.json'), '{"type":"module"}\n');
  const bin = join(OUT, 'restore-runner', 'bin.js');
  if (!existsSync(bin)) throw new Error(`build produced no ${bin}`);
  return bin;
}

export function run(bin: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (err: unknown) {
    const field = (k: string): unknown => (typeof err === 'object' && err !== null && k in err ? Reflect.get(err, k) : undefined);
    const status = field('status');
    return { status: typeof status === 'number' ? status : null, stdout: String(field('stdout') ?? ''), stderr: String(field('stderr') ?? '') };
  }
}

export function start(bin: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function until(cond: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function killed(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) res({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => res({ code, signal }));
  });
}
