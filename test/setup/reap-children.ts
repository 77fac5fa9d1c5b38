/**
 * Every child process a test file spawns is killed when that file is done. A test that times out
 * (or fails before its own cleanup) would otherwise leave a `kintsugi serve`, a broker or a slapd
 * running after vitest exits, loading the machine for every later test.
 */
import childProcess, { type ChildProcess } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll } from 'vitest';

const children = new Set<ChildProcess>();

function track<F extends (...args: never[]) => ChildProcess>(original: F): F {
  return ((...args: Parameters<F>) => {
    const child = original(...args);
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  }) as F;
}

childProcess.spawn = track(childProcess.spawn);
childProcess.execFile = track(childProcess.execFile as (...args: never[]) => ChildProcess) as typeof childProcess.execFile;
childProcess.exec = track(childProcess.exec as (...args: never[]) => ChildProcess) as typeof childProcess.exec;
childProcess.fork = track(childProcess.fork);
// Named imports (`import { spawn } from 'node:child_process'`) see the tracked functions too.
syncBuiltinESMExports();

afterAll(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      // A detached child leads its own process group: kill the group (its own children too).
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
  }
  children.clear();
});
