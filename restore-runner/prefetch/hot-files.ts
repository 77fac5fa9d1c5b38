/**
 * Which files of an instance to keep warm: those the store shows flagged (a `check.file` or
 * self-healing finding that is missing or corrupt) or restored (`restore.file`, `selfheal.apply`)
 * most often. A pure ranking of stored events, and the query that feeds it.
 */
import type { RecoveryEvent } from '../../parsers/event.js';
import type { QueryBackend } from '../../pipeline/query-backend.js';

export const FLAG_ACTIONS = ['check.file', 'selfheal.scan'] as const;
export const RESTORE_ACTIONS = ['restore.file', 'selfheal.apply'] as const;

export interface HotFile {
  /** As the instance names it, relative to its root (`lib/modules/...`). */
  readonly path: string;
  readonly flagged: number;
  readonly restored: number;
  readonly lastSeen: string;
}

function counts(e: RecoveryEvent): 'flagged' | 'restored' | undefined {
  const action = e.event.action;
  if ((FLAG_ACTIONS as readonly string[]).includes(action)) return e.event.outcome === 'failure' ? 'flagged' : undefined;
  if ((RESTORE_ACTIONS as readonly string[]).includes(action)) return e.event.outcome === 'success' ? 'restored' : undefined;
  return undefined;
}

/** The `top` files by flags + restores, then most recently seen, then path. */
export function rankHotFiles(events: Iterable<RecoveryEvent>, top: number): readonly HotFile[] {
  const byPath = new Map<string, { flagged: number; restored: number; lastSeen: string }>();
  for (const e of events) {
    const kind = counts(e);
    const path = e.file?.path?.replace(/^\/+/, '');
    if (kind === undefined || path === undefined || path === '') continue;
    const entry = byPath.get(path) ?? { flagged: 0, restored: 0, lastSeen: '' };
    entry[kind]++;
    if (e['@timestamp'] > entry.lastSeen) entry.lastSeen = e['@timestamp'];
    byPath.set(path, entry);
  }
  return [...byPath.entries()]
    .map(([path, c]) => ({ path, ...c }))
    .sort((a, b) => b.flagged + b.restored - (a.flagged + a.restored) || b.lastSeen.localeCompare(a.lastSeen) || a.path.localeCompare(b.path))
    .slice(0, top);
}

/** The stored events of one instance that `rankHotFiles` counts, since `from` (ISO 8601). */
export async function queryHotFiles(backend: QueryBackend, host: string, instance: string, from: string, top: number): Promise<readonly HotFile[]> {
  const events: RecoveryEvent[] = [];
  for await (const e of backend.events({ host, instance, action: [...FLAG_ACTIONS, ...RESTORE_ACTIONS].join(','), from }, 0)) events.push(e);
  return rankHotFiles(events, top);
}
