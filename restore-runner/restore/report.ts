/** What a restore did (or, with --dry-run, would do). */
import type { Id } from '../format/v1/ids.js';

export type RestoreMode = 'full' | 'delta' | 'files';

export interface RestoreReport {
  readonly snapshot: Id;
  readonly kind: 'tree' | 'image';
  readonly target: string;
  readonly mode: RestoreMode;
  /** Why this mode was taken (for --mode auto) or that it was asked for. */
  readonly reason: string;
  readonly dryRun: boolean;
  /** Bytes the snapshot holds (non-hole bytes for images, file bytes for trees). */
  readonly bytesTotal: number;
  /** Bytes written into the target (or that would be, with --dry-run). */
  readonly bytesWritten: number;
  readonly blocksWritten: number;
  readonly blocksTotal: number;
  readonly filesWritten: number;
  readonly filesUnchanged: number;
  readonly entriesRemoved: number;
  /** Where an interrupted restore was resumed from (block number), if it was. */
  readonly resumedFrom: number | null;
  /** Packs whose hashes were proven before writing. */
  readonly packsVerified: number;
  /** What was written was read back and matched the snapshot. */
  readonly verifiedAfterWrite: boolean;
  /** What was left out, and why (special files that need root, for instance). */
  readonly notes?: readonly string[];
}

export interface RestoreHooks {
  /**
   * Called when the snapshot fails verification before anything is written. The job runner
   * uses this to roll back to an older verified snapshot where policy allows (not done here).
   */
  readonly onRefused?: (snapshot: Id, error: Error) => void;
}
