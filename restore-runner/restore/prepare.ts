/**
 * Everything a restore proves before it writes a byte: the snapshot's name, signature and
 * repository (snapshot/load.ts), the manifest or block map (hashed on read), that every blob it
 * needs is indexed, and that every pack holding them hashes to its name and is whole.
 */
import type { KeyObject } from 'node:crypto';
import { messageOf, rstError, RstError } from '../errors.js';
import { type Id, shortId } from '../format/v1/ids.js';
import { BlobReader, type LocalChunks } from '../repository/blob-reader.js';
import type { MasterIndex } from '../repository/master-index.js';
import type { Repository } from '../repository/repository.js';
import type { Pool } from '../parallel/pool.js';
import { hashFile } from '../parallel/ops.js';
import { resolveSnapshot, type SnapshotFilter, type SnapshotRecord } from '../snapshot/load.js';

export interface RestoreContext {
  readonly repo: Repository;
  readonly record: SnapshotRecord;
  readonly index: MasterIndex;
  readonly reader: BlobReader;
}

export function openSnapshotForRead(repo: Repository, ref: string, trusted: KeyObject, filter: SnapshotFilter = {}, local?: LocalChunks): RestoreContext {
  const record = resolveSnapshot(repo, ref, trusted, filter);
  const { index } = repo.loadIndex();
  return { repo, record, index, reader: new BlobReader(repo, index, local) };
}

/** Why a pack whose file hashed to `got` is not the indexed pack, or undefined when it is. */
function packProblem(packId: Id, got: { readonly hex: string; readonly size: number }, expectedSize: number | undefined): string | undefined {
  if (expectedSize !== undefined && got.size !== expectedSize) return `size ${got.size}, index says ${expectedSize} (truncated or extended)`;
  if (got.hex !== packId) return 'content does not hash to its name';
  return undefined;
}

/** Hash a pack file; returns a reason when it does not hash to its name, or cannot be read. */
export function checkPackHash(repo: Repository, packId: Id, expectedSize: number | undefined): string | undefined {
  try {
    return packProblem(packId, hashFile(repo.packPath(packId)), expectedSize);
  } catch (err: unknown) {
    return `cannot read: ${messageOf(err)}`;
  }
}

/** The packs holding `ids`; a blob in no index is added to `problems`. */
function packsOf(ctx: RestoreContext, ids: Iterable<Id>, problems: RstError[]): Set<Id> {
  const packs = new Set<Id>();
  for (const id of ids) {
    // A chunk served locally is proven against its id when read; its pack is not needed.
    if (ctx.reader.holdsLocally(id)) continue;
    const loc = ctx.index.get(id);
    if (loc === undefined) problems.push(rstError('RST_ERR_BLOB_MISSING', shortId(id), `snapshot ${shortId(ctx.record.id)}`));
    else packs.add(loc.packId);
  }
  return packs;
}

/**
 * Prove that every blob in `ids` is indexed and sits in a pack that hashes to its name.
 * Throws RST_ERR_VERIFY_FAILED listing every problem; returns the number of packs checked.
 */
export function preverifyBlobs(ctx: RestoreContext, ids: Iterable<Id>): number {
  const problems: RstError[] = [];
  const packs = packsOf(ctx, ids, problems);
  for (const packId of packs) {
    const reason = checkPackHash(ctx.repo, packId, ctx.index.packSize(packId));
    if (reason !== undefined) problems.push(rstError('RST_ERR_PACK_CORRUPT', shortId(packId), reason));
  }
  if (problems.length > 0) throw new VerifyFailed(shortId(ctx.record.id), problems);
  return packs.size;
}

/** `preverifyBlobs` with the packs hashed on the pool's workers, in parallel. */
export async function preverifyBlobsParallel(ctx: RestoreContext, ids: Iterable<Id>, pool: Pool): Promise<number> {
  const problems: RstError[] = [];
  const packs = packsOf(ctx, ids, problems);
  const checks = [...packs].map(async (packId) => {
    let reason: string | undefined;
    try {
      reason = packProblem(packId, await pool.hashFile(ctx.repo.packPath(packId)), ctx.index.packSize(packId));
    } catch (err: unknown) {
      reason = `cannot read: ${messageOf(err)}`;
    }
    return reason === undefined ? undefined : rstError('RST_ERR_PACK_CORRUPT', shortId(packId), reason);
  });
  for (const r of await Promise.all(checks)) if (r !== undefined) problems.push(r);
  if (problems.length > 0) throw new VerifyFailed(shortId(ctx.record.id), problems);
  return packs.size;
}

/** RST_ERR_VERIFY_FAILED with every problem found attached. */
export class VerifyFailed extends RstError {
  constructor(
    what: string,
    readonly problems: readonly RstError[],
  ) {
    super('RST_ERR_VERIFY_FAILED', what, String(problems.length), problems[0]?.message ?? '');
  }
}

/** Run `fn` with the reader closed afterwards. */
export function withContext<T>(ctx: RestoreContext, fn: (ctx: RestoreContext) => T): T {
  try {
    return fn(ctx);
  } finally {
    ctx.reader.close();
  }
}
