/** What `snapshot create` takes and returns, shared by the tree and image writers. */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import type { Id } from '../format/v1/ids.js';
import type { ImageInfo, SnapshotPayload, SnapshotSummary } from '../format/v1/snapshot.js';
import type { Repository } from '../repository/repository.js';
import { listSnapshots, loadSnapshot, type SnapshotRecord } from './load.js';

export interface CreateOptions {
  readonly source: string;
  readonly host: string;
  readonly instance?: string | null;
  readonly os?: { readonly line: string; readonly version: string } | null;
  readonly tags?: readonly string[];
  /** A parent ID, 'auto' (latest of the same host, instance, kind and source), or null. */
  readonly parent?: Id | 'auto' | null;
  readonly signingKey: KeyObject;
  /** Image block size; defaults to the repository's. */
  readonly blockSize?: number;
  readonly time?: Date;
  readonly progress?: boolean;
}

export interface CreateResult {
  readonly id: Id;
  readonly payload: SnapshotPayload;
  /** What the snapshot could not record, and why (for a person to read). */
  readonly notes?: readonly string[];
}

/** The parent snapshot, verified with the writer's own public key. */
export function findParent(repo: Repository, opts: CreateOptions, kind: 'tree' | 'image', source: string): SnapshotRecord | null {
  // null asks for no parent (`--parent none`); only an absent option means 'auto'.
  const parent = opts.parent === undefined ? 'auto' : opts.parent;
  if (parent === null) return null;
  const trusted = createPublicKey(opts.signingKey);
  if (parent !== 'auto') return loadSnapshot(repo, parent, trusted);
  const { records } = listSnapshots(repo, trusted);
  const same = records.filter(
    (r) => r.payload.kind === kind && r.payload.host === opts.host && r.payload.instance === (opts.instance ?? null) && r.payload.source === source,
  );
  return same[same.length - 1] ?? null;
}

/** The payload both writers sign: what the options say, plus the content and its summary. */
export function buildPayload(
  repo: Repository,
  opts: CreateOptions,
  source: string,
  parent: SnapshotRecord | null,
  content: { readonly kind: 'tree'; readonly tree: readonly Id[] } | { readonly kind: 'image'; readonly image: ImageInfo },
  summary: SnapshotSummary,
): SnapshotPayload {
  const common = {
    version: 1 as const,
    repository: repo.config.id,
    time: (opts.time ?? new Date()).toISOString(),
    host: opts.host,
    instance: opts.instance ?? null,
    os: opts.os ?? null,
    parent: parent?.id ?? null,
    tags: [...(opts.tags ?? [])],
    source,
    summary,
  };
  return content.kind === 'tree' ? { ...common, kind: 'tree', tree: content.tree, image: null } : { ...common, kind: 'image', tree: null, image: content.image };
}
