/**
 * Repository locks (FORMAT.md, "Locks"): `locks/exclusive` for writers, `locks/shared-<hex>` for
 * readers. Create your own file, then look at the others and back off on conflict; stale locks
 * of dead processes on this host are removed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errnoOf, rstError } from '../errors.js';
import { field, isObject, parseJson } from '../format/v1/guards.js';

export type LockKind = 'exclusive' | 'shared';

export interface LockHolder {
  readonly file: string;
  readonly host: string;
  readonly pid: number;
  readonly time: string;
  readonly operation: string;
}

export interface Lock {
  readonly kind: LockKind;
  readonly file: string;
  release(): void;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const v = parseJson(readFileSync(file, 'utf8'));
    if (!isObject(v)) return undefined;
    const host = field(v, 'host');
    const pid = field(v, 'pid');
    const time = field(v, 'time');
    const operation = field(v, 'operation');
    if (typeof host !== 'string' || typeof pid !== 'number' || typeof time !== 'string' || typeof operation !== 'string') return undefined;
    return { file, host, pid, time, operation };
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return errnoOf(err) === 'EPERM';
  }
}

/** A lock is stale when it was taken on this host by a process that is gone. */
function isStale(h: LockHolder | undefined): boolean {
  if (h === undefined) return false;
  return h.host === hostname() && h.pid !== process.pid && !processAlive(h.pid);
}

function tryRemove(file: string): void {
  try {
    unlinkSync(file);
  } catch (err: unknown) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}

function describe(h: LockHolder | undefined, file: string): string {
  return h === undefined ? `an unreadable lock (${file})` : `${h.operation} (pid ${h.pid} on ${h.host} since ${h.time})`;
}

export function acquireLock(repoDir: string, kind: LockKind, operation: string): Lock {
  const dir = join(repoDir, 'locks');
  const own = kind === 'exclusive' ? join(dir, 'exclusive') : join(dir, `shared-${randomBytes(8).toString('hex')}`);
  const body = JSON.stringify({ host: hostname(), pid: process.pid, time: new Date().toISOString(), operation });
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(own, 'wx', 0o644);
    } catch (err: unknown) {
      if (errnoOf(err) !== 'EEXIST' || attempt > 0) {
        const h = readHolder(own);
        throw rstError('RST_ERR_LOCKED', repoDir, describe(h, own), own);
      }
      const h = readHolder(own);
      if (isStale(h)) {
        tryRemove(own);
        continue;
      }
      throw rstError('RST_ERR_LOCKED', repoDir, describe(h, own), own);
    }
    writeSync(fd, body);
    closeSync(fd);
    break;
  }
  // Look at the others; an exclusive lock conflicts with any other lock.
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (file === own) continue;
    const conflicts = kind === 'exclusive' || name === 'exclusive';
    if (!conflicts) continue;
    const h = readHolder(file);
    if (isStale(h)) {
      tryRemove(file);
      continue;
    }
    tryRemove(own);
    throw rstError('RST_ERR_LOCKED', repoDir, describe(h, file), file);
  }
  let released = false;
  return {
    kind,
    file: own,
    release(): void {
      if (released) return;
      released = true;
      tryRemove(own);
    },
  };
}

/** Run `fn` under a lock, releasing it afterwards whatever happens. */
export async function withLock<T>(repoDir: string, kind: LockKind, operation: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = acquireLock(repoDir, kind, operation);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** Remove stale locks (dead processes on this host); returns the files removed. */
export function removeStaleLocks(repoDir: string): readonly string[] {
  const dir = join(repoDir, 'locks');
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (isStale(readHolder(file))) {
      tryRemove(file);
      removed.push(file);
    }
  }
  return removed;
}
