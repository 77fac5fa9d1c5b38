/**
 * Cancelling a restore (restore/control.ts): a tree restore stopped between files leaves every
 * file whole (old or new) and resumes as a delta; an image restore stopped between block batches
 * leaves the target as documented (full: untouched beside a durable partial file; delta: a mix)
 * with a journal that the next run resumes from, to an exact, verified result. Progress reports
 * carry phase, bytes and files. Random cancel points never leave a half-written file.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRstError } from '../../restore-runner/errors.js';
import { readJournal } from '../../restore-runner/restore/journal.js';
import type { RestoreProgress } from '../../restore-runner/restore/control.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { createImageSnapshot } from '../../restore-runner/snapshot/create-image.js';
import { createTreeSnapshot } from '../../restore-runner/snapshot/create-tree.js';
import type { Repository } from '../../restore-runner/repository/repository.js';
import { describeTree, smallRepo, tempDir } from './helpers.js';

const FILES = 24;
const MiB = 1024 * 1024;

interface TreeSetup {
  readonly repo: Repository;
  readonly key: KeyObject;
  readonly src: string;
  readonly oldId: string;
  readonly newId: string;
  readonly oldOf: (i: number) => Buffer;
  readonly newOf: (i: number) => Buffer;
}

/** Two snapshots of one tree: every file differs between them (and has a different size, too). */
function treeSetup(d: string): TreeSetup {
  const repo = smallRepo(join(d, 'repo'));
  const key = repo.signingKey();
  const src = join(d, 'src');
  const oldOf = (i: number): Buffer => Buffer.alloc(9000 + i, `old ${i} `);
  const newOf = (i: number): Buffer => Buffer.alloc(12_000 + i * 7, `new ${i} `);
  const fill = (of: (i: number) => Buffer): void => {
    for (let i = 0; i < FILES; i++) {
      mkdirSync(join(src, `d${i % 3}`), { recursive: true });
      writeFileSync(join(src, `d${i % 3}`, `f${i}`), of(i));
    }
  };
  fill(oldOf);
  const oldId = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false }).id;
  fill(newOf);
  const newId = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false }).id;
  return { repo, key, src, oldId, newId, oldOf, newOf };
}

/** Restore with a cancel once `stopAt` files are written (the report after that file). */
async function cancelAfterFiles(s: TreeSetup, target: string, stopAt: number, reports: RestoreProgress[] = []): Promise<unknown> {
  const abort = new AbortController();
  try {
    await restore(s.repo, {
      snapshot: s.newId, target, mode: 'auto', trustedKey: s.repo.trustedKey(), progress: false,
      control: {
        signal: abort.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          reports.push(p);
          if (p.phase === 'write' && (p.filesDone ?? 0) >= stopAt) abort.abort();
        },
      },
    });
    return undefined;
  } catch (err: unknown) {
    return err;
  }
}

/** Each file of the target: 'old', 'new' or 'missing' — anything else (half-written, a leftover temp file) fails. */
function fileStates(s: TreeSetup, target: string): ('old' | 'new' | 'missing')[] {
  const states: ('old' | 'new' | 'missing')[] = [];
  for (let i = 0; i < FILES; i++) {
    const p = join(target, `d${i % 3}`, `f${i}`);
    if (!existsSync(p)) {
      states.push('missing');
      continue;
    }
    const b = readFileSync(p);
    if (b.equals(s.oldOf(i))) states.push('old');
    else if (b.equals(s.newOf(i))) states.push('new');
    else throw new Error(`${p} is neither the old nor the new file (${b.length} bytes)`);
  }
  const leftovers = readdirSync(target, { recursive: true }).map(String).filter((n) => n.includes('kintsugi-tmp'));
  expect(leftovers).toEqual([]);
  return states;
}

describe('cancelling a tree restore', () => {
  it('stops between files: each file whole (old or new), the journal kept; running it again resumes as a delta and verifies', async () => {
    const d = tempDir('cancel-tree');
    const s = treeSetup(d);
    const target = join(d, 'out');
    await restore(s.repo, { snapshot: s.oldId, target, mode: 'auto', trustedKey: s.repo.trustedKey(), progress: false });
    const reports: RestoreProgress[] = [];
    const err = await cancelAfterFiles(s, target, 5, reports);
    expect(isRstError(err, 'RST_ERR_CANCELLED'), String(err)).toBe(true);
    const message = err instanceof Error ? err.message : '';
    expect(message).toContain('every file in it is whole');
    expect(message).toContain('5 of 24 files written');
    expect(message).toContain('run the same restore again');
    const states = fileStates(s, target);
    expect(states.filter((x) => x === 'new')).toHaveLength(5);
    expect(states.filter((x) => x === 'old')).toHaveLength(FILES - 5);
    expect(existsSync(join(target, '.kintsugi-restore.json'))).toBe(true);
    // Progress: plan, then write with files and bytes counted up to the stop.
    expect(reports[0]?.phase).toBe('plan');
    const last = reports.at(-1);
    expect(last).toMatchObject({ phase: 'write', filesDone: 5, filesTotal: FILES });
    expect(last?.bytesTotal).toBe(Array.from({ length: FILES }, (_, i) => s.newOf(i).length).reduce((a, b) => a + b, 0));

    const done: RestoreProgress[] = [];
    const again = await restore(s.repo, { snapshot: s.newId, target, mode: 'auto', trustedKey: s.repo.trustedKey(), progress: false, control: { onProgress: (p) => done.push(p) } });
    expect(again.mode).toBe('delta');
    expect(again.reason).toContain('resuming');
    expect(again.filesWritten).toBe(FILES - 5);
    expect(again.verifiedAfterWrite).toBe(true);
    expect(describeTree(target)).toEqual(describeTree(s.src));
    expect(existsSync(join(target, '.kintsugi-restore.json'))).toBe(false);
    expect(done.at(-1)).toMatchObject({ phase: 'done', filesDone: FILES - 5, filesTotal: FILES - 5 });
  });

  it('property: wherever a full or delta restore is cancelled, no file is half-written and the next run completes it exactly', async () => {
    const d = tempDir('cancel-prop');
    const s = treeSetup(d);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: FILES }), fc.boolean(), async (stopAt, delta) => {
        const target = join(d, `out-${n++}`);
        if (delta) await restore(s.repo, { snapshot: s.oldId, target, mode: 'auto', trustedKey: s.repo.trustedKey(), progress: false });
        const err = await cancelAfterFiles(s, target, stopAt);
        // Stopping after the last file still stops (before owners, modes and times are set).
        expect(isRstError(err, 'RST_ERR_CANCELLED'), String(err)).toBe(true);
        const states = fileStates(s, target);
        expect(states.filter((x) => x === 'new')).toHaveLength(stopAt);
        expect(states.filter((x) => x !== 'new').every((x) => x === (delta ? 'old' : 'missing'))).toBe(true);
        await restore(s.repo, { snapshot: s.newId, target, mode: 'auto', trustedKey: s.repo.trustedKey(), progress: false });
        expect(describeTree(target)).toEqual(describeTree(s.src));
      }),
      { numRuns: 12 },
    );
  });
});

describe('cancelling an image restore', () => {
  it('full: the target untouched, the partial file and journal durable; running it again resumes at the block it stopped at', async () => {
    const d = tempDir('cancel-img');
    const repo = smallRepo(join(d, 'repo'));
    const img = Buffer.concat([randomBytes(12 * MiB), Buffer.alloc(4 * MiB), randomBytes(16 * MiB)]);
    writeFileSync(join(d, 'src.img'), img);
    const snap = await createImageSnapshot(repo, { source: join(d, 'src.img'), host: 'h', signingKey: repo.signingKey(), progress: false });
    const target = join(d, 'disk.img');
    const abort = new AbortController();
    const reports: RestoreProgress[] = [];
    const err = await restore(repo, {
      snapshot: snap.id, target, mode: 'auto', trustedKey: repo.trustedKey(), progress: false,
      control: { signal: abort.signal, progressIntervalMs: 0, onProgress: (p) => {
        reports.push(p);
        if (p.phase === 'write' && p.bytesDone >= 8 * MiB) abort.abort();
      } },
    }).then(() => undefined, (e: unknown) => e);
    expect(isRstError(err, 'RST_ERR_CANCELLED'), String(err)).toBe(true);
    expect(existsSync(target)).toBe(false);
    const journal = readJournal(`${target}.kintsugi-journal`);
    expect(journal?.mode).toBe('full');
    const at = journal?.nextBlock ?? 0;
    expect(at).toBeGreaterThan(0);
    expect(at * 4096).toBeLessThan(img.length);
    expect(err instanceof Error ? err.message : '').toContain(`resumes at block ${at}`);
    // What the journal says is written is the snapshot's.
    expect(readFileSync(`${target}.kintsugi-partial`).subarray(0, at * 4096).equals(img.subarray(0, at * 4096))).toBe(true);
    expect(reports.map((r) => r.phase)).toContain('write');
    expect(reports.every((r) => r.bytesTotal === img.length || r.phase === 'plan')).toBe(true);

    const again = await restore(repo, { snapshot: snap.id, target, mode: 'auto', trustedKey: repo.trustedKey(), progress: false });
    expect(again).toMatchObject({ mode: 'full', resumedFrom: at, verifiedAfterWrite: true });
    expect(readFileSync(target).equals(img)).toBe(true);
    expect(existsSync(`${target}.kintsugi-journal`)).toBe(false);
  });

  it('delta: a mix of written and old blocks, the journal at the first block not written; running it again resumes and verifies the whole image', async () => {
    const d = tempDir('cancel-delta');
    const repo = smallRepo(join(d, 'repo'));
    const img = randomBytes(32 * MiB);
    writeFileSync(join(d, 'src.img'), img);
    const snap = await createImageSnapshot(repo, { source: join(d, 'src.img'), host: 'h', signingKey: repo.signingKey(), progress: false });
    const target = join(d, 'disk.img');
    const damaged = Buffer.from(img);
    for (let b = 0; b < damaged.length / 4096; b++) damaged[b * 4096] = (damaged[b * 4096] ?? 0) ^ 0xff;
    writeFileSync(target, damaged);
    const abort = new AbortController();
    const err = await restore(repo, {
      snapshot: snap.id, target, mode: 'auto', trustedKey: repo.trustedKey(), progress: false,
      control: { signal: abort.signal, progressIntervalMs: 0, onProgress: (p) => {
        if (p.phase === 'write' && p.bytesDone >= 4 * MiB) abort.abort();
      } },
    }).then(() => undefined, (e: unknown) => e);
    expect(isRstError(err, 'RST_ERR_CANCELLED'), String(err)).toBe(true);
    expect(err instanceof Error ? err.message : '').toContain('a mix');
    const journal = readJournal(`${target}.kintsugi-journal`);
    expect(journal?.mode).toBe('delta');
    const at = journal?.nextBlock ?? 0;
    expect(at).toBeGreaterThan(0);
    const now = readFileSync(target);
    expect(now.subarray(0, at * 4096).equals(img.subarray(0, at * 4096))).toBe(true);
    expect(now.subarray(at * 4096).equals(damaged.subarray(at * 4096))).toBe(true);

    const again = await restore(repo, { snapshot: snap.id, target, mode: 'auto', trustedKey: repo.trustedKey(), progress: false });
    expect(again).toMatchObject({ mode: 'delta', resumedFrom: at, verifiedAfterWrite: true });
    expect(readFileSync(target).equals(img)).toBe(true);
    expect(existsSync(`${target}.kintsugi-journal`)).toBe(false);
  });
});
