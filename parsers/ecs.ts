/**
 * The mapping tables of event-schema.md, shared by both formats: outcome, ECS category and type,
 * and the kernel-module rule. Pure data and lookups.
 */
import type { EcsCategory, EcsType, Outcome } from './event.js';

const FAILURE_STATUSES = new Set(['missing', 'corrupt', 'failed', 'denied', 'misconfigured', 'partial', 'error']);

export function outcomeOf(status: string | undefined): Outcome {
  if (status === 'ok') return 'success';
  if (status !== undefined && FAILURE_STATUSES.has(status)) return 'failure';
  return 'unknown';
}

interface Classification {
  readonly category: EcsCategory;
  readonly type: EcsType;
}

const BY_ACTION: ReadonlyMap<string, Classification> = new Map<string, Classification>([
  ['check.file', { category: 'file', type: 'info' }],
  ['integrity.verify', { category: 'file', type: 'info' }],
  ['restore.file', { category: 'file', type: 'change' }],
  ['restore.block', { category: 'file', type: 'change' }],
  ['check.service', { category: 'configuration', type: 'info' }],
  ['check.config', { category: 'configuration', type: 'info' }],
  ['selfheal.apply', { category: 'configuration', type: 'change' }],
  ['auth.denied', { category: 'authentication', type: 'start' }],
  ['session.start', { category: 'host', type: 'start' }],
  ['restore.start', { category: 'host', type: 'start' }],
  ['session.end', { category: 'host', type: 'end' }],
  ['restore.end', { category: 'host', type: 'end' }],
  ['reboot', { category: 'host', type: 'change' }],
]);

const SELFHEAL: Classification = { category: 'configuration', type: 'info' };
const OTHER: Classification = { category: 'host', type: 'info' };

// Frozen arrays shared by every event of a class: events are read-only, and this saves
// two allocations per event on the hot path.
const arrays = new Map<string, { readonly category: readonly EcsCategory[]; readonly type: readonly EcsType[] }>();

export function classify(action: string, isModule: boolean): { readonly category: readonly EcsCategory[]; readonly type: readonly EcsType[] } {
  const c = BY_ACTION.get(action) ?? (action.startsWith('selfheal.') ? SELFHEAL : OTHER);
  const key = `${c.category}|${c.type}|${isModule ? 1 : 0}`;
  let entry = arrays.get(key);
  if (entry === undefined) {
    const category: EcsCategory[] = [c.category];
    if (isModule) category.push('driver');
    entry = { category: Object.freeze(category), type: Object.freeze([c.type]) };
    arrays.set(key, entry);
  }
  return entry;
}

const MODULE_PATH = /^\/lib\/modules\/([^/]+)\/(?:.*\/)?([^/]+)\.ko(?:\.(?:xz|gz|zst))?$/;

export interface ModuleRef {
  readonly kernel?: string;
  readonly module?: string;
}

/** The kernel module an event is about: a declared module wins over the path (event-schema.md, "Module"). */
export function moduleOf(path: string | undefined, declared: string | undefined): ModuleRef {
  const m = path === undefined ? null : MODULE_PATH.exec(path);
  const kernel = m?.[1];
  const module = declared ?? m?.[2];
  return {
    ...(kernel !== undefined ? { kernel } : {}),
    ...(module !== undefined ? { module } : {}),
  };
}

/** Durations in ns, as ECS wants (`event.duration`). */
export function msToNs(ms: number): number {
  return Math.round(ms * 1_000_000);
}
