/** `restore`: open and prove the snapshot, then the image or tree path (restore/image.ts, restore/tree.ts). */
import type { KeyObject } from 'node:crypto';
import { isRstError, rstError } from '../errors.js';
import { shortId } from '../format/v1/ids.js';
import type { LocalChunks } from '../repository/blob-reader.js';
import type { Repository } from '../repository/repository.js';
import type { SnapshotFilter } from '../snapshot/load.js';
import { withLock } from '../repository/lock.js';
import type { RestoreControl } from './control.js';
import { restoreImage } from './image.js';
import { openSnapshotForRead } from './prepare.js';
import type { RestoreHooks, RestoreReport } from './report.js';
import { restoreTree } from './tree.js';

export interface RestoreOptions {
  readonly snapshot: string;
  readonly target: string;
  readonly mode: 'auto' | 'full' | 'delta' | 'files';
  readonly paths?: readonly string[];
  readonly delete?: boolean;
  readonly dryRun?: boolean;
  readonly trustedKey: KeyObject;
  readonly filter?: SnapshotFilter;
  readonly progress?: boolean;
  readonly hooks?: RestoreHooks;
  /** Chunks kept locally (the prefetch cache); tree snapshots only. */
  readonly local?: LocalChunks;
  /** Progress reports and cancellation (restore/control.ts). */
  readonly control?: RestoreControl;
}

export async function restore(repo: Repository, opts: RestoreOptions): Promise<RestoreReport> {
  return withLock(repo.dir, 'shared', 'restore', async () => {
    let snapshotId = opts.snapshot;
    // Planning starts before the snapshot's kind (and so its control point) is known: reading and verifying it is part of it.
    opts.control?.onProgress?.({ phase: 'plan', bytesDone: 0, bytesTotal: 0 });
    try {
      const ctx = openSnapshotForRead(repo, opts.snapshot, opts.trustedKey, opts.filter ?? {}, opts.local);
      snapshotId = ctx.record.id;
      try {
        const c = ctx;
        const p = c.record.payload;
        const progress = opts.progress ?? true;
        if (p.kind === 'image') {
          // Image blocks are read from packs in runs, not through the reader: no local chunks.
          if (opts.local !== undefined) throw rstError('RST_ERR_KIND_MISMATCH', shortId(c.record.id), 'image', 'the prefetch cache applies to tree snapshots');
          if (opts.mode === 'files' || (opts.paths?.length ?? 0) > 0) throw rstError('RST_ERR_KIND_MISMATCH', shortId(c.record.id), 'image', '--mode files and --path apply to tree snapshots');
          if (opts.delete === true) throw rstError('RST_ERR_KIND_MISMATCH', shortId(c.record.id), 'image', '--delete applies to tree snapshots');
          return await restoreImage(c, { target: opts.target, mode: opts.mode, dryRun: opts.dryRun ?? false, progress, ...(opts.control !== undefined ? { control: opts.control } : {}) });
        }
        return await restoreTree(c, {
          target: opts.target,
          mode: opts.mode,
          paths: opts.paths ?? [],
          delete: opts.delete ?? false,
          dryRun: opts.dryRun ?? false,
          progress,
          ...(opts.control !== undefined ? { control: opts.control } : {}),
        });
      } finally {
        ctx.reader.close();
      }
    } catch (err: unknown) {
      if (isRstError(err) && REFUSALS.has(err.code)) opts.hooks?.onRefused?.(snapshotId, err);
      throw err;
    }
  });
}

/** Failures that mean "this snapshot cannot be trusted": the runner may roll back to an older one. */
const REFUSALS = new Set([
  'RST_ERR_VERIFY_FAILED', 'RST_ERR_SIGNATURE_INVALID', 'RST_ERR_UNTRUSTED_KEY', 'RST_ERR_SNAPSHOT_ID_MISMATCH',
  'RST_ERR_SNAPSHOT_MALFORMED', 'RST_ERR_SNAPSHOT_FOREIGN', 'RST_ERR_BLOB_MISSING', 'RST_ERR_BLOB_CORRUPT',
  'RST_ERR_PACK_CORRUPT', 'RST_ERR_MANIFEST_MALFORMED',
]);
