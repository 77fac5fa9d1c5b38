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

type Classes = { readonly category: readonly EcsCategory[]; readonly type: readonly EcsType[] };

// Frozen arrays shared by every event of an action: events are read-only, and this saves two
// allocations and a lookup chain per event on the hot path.
const classes = new Map<string, readonly [Classes, Classes]>();

export function classify(action: string, isModule: boolean): Classes {
  let entry = classes.get(action);
  if (entry === undefined) {
    const c = BY_ACTION.get(action) ?? (action.startsWith('selfheal.') ? SELFHEAL : OTHER);
    const type = Object.freeze([c.type]);
    entry = [
      { category: Object.freeze([c.category]), type },
      { category: Object.freeze([c.category, 'driver'] as const), type },
    ];
    // Unknown actions are unbounded in number: keep the table from growing without end.
    if (classes.size > 10_000) classes.clear();
    classes.set(action, entry);
  }
  return entry[isModule ? 1 : 0];
}

const MODULE_PATH = /^\/lib\/modules\/([^/]+)\/(?:.*\/)?([^/]+)\.ko(?:\.(?:xz|gz|zst))?$/;

export interface ModuleRef {
  readonly kernel?: string;
  readonly module?: string;
}

/** The kernel module an event is about: a declared module wins over the path (event-schema.md, "Module"). */
const NO_MODULE: ModuleRef = {};
// The same few thousand module paths come back on every host.
const byPath = new Map<string, ModuleRef>();

function moduleOfPath(path: string): ModuleRef {
  let ref = byPath.get(path);
  if (ref === undefined) {
    const m = MODULE_PATH.exec(path);
    ref = m?.[1] !== undefined && m[2] !== undefined ? { kernel: m[1], module: m[2] } : NO_MODULE;
    if (byPath.size > 16_384) byPath.clear();
    byPath.set(path, ref);
  }
  return ref;
}

export function moduleOf(path: string | undefined, declared: string | undefined): ModuleRef {
  if (declared === undefined) return path === undefined ? NO_MODULE : moduleOfPath(path);
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
