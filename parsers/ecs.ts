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

export interface ModuleRef {
  readonly kernel?: string;
  readonly module?: string;
}

const NO_MODULE: ModuleRef = {};
const MODULES = '/lib/modules/';

/** A char that JavaScript's `.` does not match. */
function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

/**
 * The module rule of event-schema.md ("Module"), read by hand: it runs once per event with a
 * path, where a regular expression's match array cost more than the rest of the rule
 * (test/parsers/module-rule.test.ts holds it to the reference's expression). Under
 * /lib/modules/, the kernel is the first segment and the module the last one less `.ko` and an
 * optional `.xz`, `.gz` or `.zst`; the directories between may not hold a line terminator,
 * which the expression's `.` does not match.
 */
export function moduleOfPath(path: string): ModuleRef {
  if (!path.startsWith(MODULES)) return NO_MODULE;
  const kernelEnd = path.indexOf('/', MODULES.length);
  if (kernelEnd <= MODULES.length) return NO_MODULE;
  const end = path.length - compressionSuffix(path);
  // `.ko` before the suffix
  if (path.charCodeAt(end - 3) !== 0x2e || path.charCodeAt(end - 2) !== 0x6b || path.charCodeAt(end - 1) !== 0x6f) return NO_MODULE;
  const nameStart = path.lastIndexOf('/') + 1;
  if (end - 3 <= nameStart) return NO_MODULE;
  for (let i = kernelEnd + 1; i < nameStart; i++) if (isLineTerminator(path.charCodeAt(i))) return NO_MODULE;
  return { kernel: path.slice(MODULES.length, kernelEnd), module: path.slice(nameStart, end - 3) };
}

/** The length of a `.xz`, `.gz` or `.zst` ending, else 0. */
function compressionSuffix(path: string): number {
  const n = path.length;
  const c1 = path.charCodeAt(n - 1);
  if (c1 === 0x7a /* z */) {
    const c2 = path.charCodeAt(n - 2);
    return (c2 === 0x78 /* x */ || c2 === 0x67) /* g */ && path.charCodeAt(n - 3) === 0x2e ? 3 : 0;
  }
  return c1 === 0x74 /* t */ && path.charCodeAt(n - 2) === 0x73 /* s */ && path.charCodeAt(n - 3) === 0x7a /* z */ && path.charCodeAt(n - 4) === 0x2e ? 4 : 0;
}

/** The kernel module an event is about: a declared module wins over the path (event-schema.md, "Module"). */
export function moduleOf(path: string | undefined, declared: string | undefined): ModuleRef {
  const ref = path === undefined ? NO_MODULE : moduleOfPath(path);
  if (declared === undefined) return ref;
  return ref.kernel !== undefined ? { kernel: ref.kernel, module: declared } : { module: declared };
}

/** Durations in ns, as ECS wants (`event.duration`). */
export function msToNs(ms: number): number {
  return Math.round(ms * 1_000_000);
}
