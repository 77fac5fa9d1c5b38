import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kintsugi-reaper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test child reaper (test/setup/reap-children.ts)', () => {
  it('kills the child of a test that timed out, once its file is done', async () => {
    const pidFile = join(dir, 'pid');
    const vitest = join(root, 'node_modules/vitest/vitest.mjs');
    // The fixture's test times out: vitest exits 1, and its child must not outlive the run.
    const run = promisify(execFile)(process.execPath, [vitest, 'run', '--config', 'test/fixtures/reaper/vitest.config.ts'], {
      cwd: root,
      env: { ...process.env, REAPER_PID_FILE: pidFile },
    });
    await expect(run).rejects.toMatchObject({ code: 1 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  }, 120_000);
});
