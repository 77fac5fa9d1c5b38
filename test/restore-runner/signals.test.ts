/**
 * `kintsugi restore` on SIGINT / SIGTERM (a real child process): it stops at the next file, says
 * so, exits 130 / 143, and leaves every file whole and the journal in place; running it again
 * finishes the tree exactly.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBin, killed, removeBin, run, start, until } from './bin.js';
import { describeTree, tempDir } from './helpers.js';

let bin: string;
beforeAll(() => {
  bin = buildBin();
});
afterAll(removeBin);

const MiB = 1024 * 1024;

describe('kintsugi restore and signals', () => {
  it('SIGINT, then SIGTERM on the run that resumes: each stops between files (exit 130, 143), every file whole; a third run completes the tree', async () => {
    const d = tempDir('signals');
    const repo = join(d, 'repo');
    run(bin, ['repo', 'init', '--repo', repo]);
    const src = join(d, 'src');
    const names: string[] = [];
    for (let i = 0; i < 200; i++) {
      mkdirSync(join(src, `d${i % 4}`), { recursive: true });
      names.push(join(`d${i % 4}`, `f${i}`));
      writeFileSync(join(src, `d${i % 4}`, `f${i}`), randomBytes(MiB));
    }
    expect(run(bin, ['snapshot', 'create', '--repo', repo, '--source', src, '--kind', 'tree', '--host', 'h']).status).toBe(0);
    const target = join(d, 'out');
    const present = (): string[] => names.filter((n) => existsSync(join(target, n)));

    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const child = start(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', target]);
      let stderr = '';
      child.stderr?.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      const had = present().length;
      await until(() => present().length >= had + 2 + randomInt(10), 'some files to be restored');
      child.kill(signal);
      const end = await killed(child);
      expect(end, stderr).toEqual({ code, signal: null });
      expect(stderr).toContain(`${signal}: stopping the restore`);
      expect(stderr).toContain('RST_ERR_CANCELLED');
      expect(stderr).toContain('run the same restore again');
      // Every file there is whole, none half-written, no temporary file left.
      const there = present();
      expect(there.length).toBeLessThan(names.length);
      for (const n of there) expect(readFileSync(join(target, n)).equals(readFileSync(join(src, n))), n).toBe(true);
      expect(readdirSync(target, { recursive: true }).map(String).filter((n) => n.includes('kintsugi-tmp'))).toEqual([]);
      expect(existsSync(join(target, '.kintsugi-restore.json'))).toBe(true);
    }
    const done = run(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', target, '--json']);
    expect(done.status).toBe(0);
    expect(String((JSON.parse(done.stdout) as { reason: string }).reason)).toContain('resuming');
    expect(describeTree(target)).toEqual(describeTree(src));
  });

  it('documents the exit codes in its help', () => {
    const help = run(bin, ['restore', '--help']);
    expect(help.stdout).toContain('130 / 143 cancelled by SIGINT / SIGTERM');
  });
});
