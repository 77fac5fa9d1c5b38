/**
 * A parsed RLOG record to the normalized event (event-schema.md). Pure: the syntax tree, its
 * continuation lines, the session it belongs to and the source configuration in; an event, or the
 * reason its timestamp cannot be read, out.
 */
import type { EcsCategory, EcsType, EventFields, JsonValue, Mutable, Outcome, RecoveryEvent, RecoveryFields } from '../event.js';
import { classify, moduleOf, msToNs, outcomeOf } from '../ecs.js';
import { displayText } from '../text.js';
import { isIsoTimeText, isoTime } from '../iso-time.js';
import { hostOf, logFileOf } from '../shared-fields.js';
import { DURATION, type Detail, type Kv, type LineAst } from './ast.js';
import { instantMs, toInstant } from './timestamp.js';

export interface RlogSession {
  readonly id: string;
  readonly host: string;
  readonly version: string;
}

/** How a source is configured (rlog-3.2.md, "Sessions and hosts"; "Timestamp", form A). */
export interface RlogSource {
  /** `log.file.path`, as given. */
  readonly path?: string;
  /** Host of records outside a session; `unknown` when not set. */
  readonly host?: string;
  /** OS version of records outside a session; `3.2` when not set. */
  readonly osVersion?: string;
  /** IANA zone of form A timestamps; `UTC` when not set. */
  readonly timeZone?: string;
}

export interface RecordInput {
  readonly ast: LineAst;
  readonly offset: number;
  readonly id: string;
  readonly original: string;
  /** Continuation texts, indent removed, in order. */
  readonly continuation: readonly string[];
}

export type RecordResult =
  | { readonly ok: true; readonly event: RecoveryEvent; readonly session: RlogSession | null }
  | { readonly ok: false; readonly column: number; readonly message: string };

function durationNs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return msToNs(m[2] === 's' ? n * 1000 : n);
}

function kvValue(v: Kv['value']): JsonValue {
  return typeof v === 'number' ? v : displayText(v);
}

function kvString(pairs: readonly Kv[], key: string): string | undefined {
  for (const p of pairs) if (p.key === key) return displayText(String(p.value));
  return undefined;
}

/**
 * What a record says beyond the fields every event has. Every key is set (undefined when the
 * record has none), in one order, by `newBody`: bodies of every kind share one hidden class, and
 * the normalizer's reads of them stay monomorphic.
 */
interface Body {
  action: string;
  status: string | undefined;
  path: string | undefined;
  size: number | undefined;
  durationNs: number | undefined;
  code: string | undefined;
  errorMessage: string | undefined;
  text: string | undefined;
  snapshot: string | undefined;
  details: Record<string, JsonValue> | undefined;
}

function newBody(action: string, status?: string): Body {
  return {
    action,
    status,
    path: undefined,
    size: undefined,
    durationNs: undefined,
    code: undefined,
    errorMessage: undefined,
    text: undefined,
    snapshot: undefined,
    details: undefined,
  };
}

function applyDetail(body: Body, detail: Detail | null, sizeKey: string | null): void {
  if (detail === null) return;
  if (detail.message !== undefined) body.errorMessage = displayText(detail.message);
  for (const { key, value } of detail.kv) {
    if (key === 'code') body.code = displayText(String(value));
    else if (key === sizeKey && typeof value === 'number') body.size = value;
    else {
      const ns = key === 'elapsed' && typeof value === 'string' ? durationNs(value) : undefined;
      if (ns !== undefined) body.durationNs = ns;
      else (body.details ??= {})[key] = kvValue(value);
    }
  }
}

/**
 * What a record says, derived once per record body (line.ts shares a body between every line with
 * the same text after the timestamp), with the parts of its event that depend on nothing else,
 * frozen so that the events that share them cannot change each other's.
 */
export interface DerivedBody {
  readonly body: Body;
  readonly kernel: string | undefined;
  readonly module: string | undefined;
  readonly category: readonly EcsCategory[];
  readonly type: readonly EcsType[];
  readonly outcome: Outcome;
  readonly mode: 'fallback' | 'standard';
  readonly file: RecoveryEvent['file'];
  readonly error: RecoveryEvent['error'];
}

function deriveBody(ast: LineAst): DerivedBody {
  let d = ast.body.derived;
  if (d === undefined) {
    const body = bodyOf(ast);
    if (body.details !== undefined) Object.freeze(body.details);
    const mod = moduleOf(body.path, undefined);
    const { category, type } = classify(body.action, mod.module !== undefined);
    let file: RecoveryEvent['file'];
    if (body.path !== undefined) file = Object.freeze(body.size !== undefined ? { path: body.path, size: body.size } : { path: body.path });
    let error: RecoveryEvent['error'];
    if (body.code !== undefined || body.errorMessage !== undefined) {
      const e: { code?: string; message?: string } = {};
      if (body.code !== undefined) e.code = body.code;
      if (body.errorMessage !== undefined) e.message = body.errorMessage;
      error = Object.freeze(e);
    }
    d = { body, kernel: mod.kernel, module: mod.module, category, type, outcome: outcomeOf(body.status), mode: ast.body.fallback ? 'fallback' : 'standard', file, error };
    // Free text taken from the line is the same for every line that shares the body (line.ts).
    ast.body.derived = d;
  }
  return d;
}

function bodyOf(ast: LineAst): Body {
  const r = ast.body.record;
  switch (r.kind) {
    case 'session.start': {
      const body = newBody('session.start');
      for (const { key, value } of r.kv) {
        if (key === 'snapshot') body.snapshot = displayText(String(value));
        else if (key !== 'session' && key !== 'host' && key !== 'version') (body.details ??= {})[key] = kvValue(value);
      }
      return body;
    }
    case 'session.end': {
      const body = newBody('session.end');
      for (const { key, value } of r.kv) {
        if (key === 'status') body.status = String(value);
        else if (key === 'duration') {
          const ns = durationNs(String(value));
          if (ns !== undefined) body.durationNs = ns;
        } else (body.details ??= {})[key] = kvValue(value);
      }
      return body;
    }
    case 'check': {
      const body = newBody('check.file', r.status);
      body.path = displayText(r.path);
      applyDetail(body, r.detail, null);
      return body;
    }
    case 'restore': {
      const body = newBody('restore.file', r.status);
      body.path = displayText(r.path);
      body.snapshot = displayText(r.snapshot);
      applyDetail(body, r.detail, 'bytes');
      return body;
    }
    case 'snapshot.mount': {
      const body = newBody('snapshot.mount', r.status);
      body.snapshot = displayText(r.snapshot);
      if (r.image !== null) body.path = displayText(r.image);
      applyDetail(body, r.detail, null);
      return body;
    }
    case 'error':
    case 'warn': {
      const body = newBody(r.kind === 'error' ? 'error' : 'warning', r.kind === 'error' ? 'error' : 'warning');
      body.code = r.code;
      if (r.text !== null) body.text = body.errorMessage = displayText(ast.line.slice(r.text.start, r.text.end));
      return body;
    }
    case 'summary': {
      const body = newBody('session.summary');
      for (const { key, value } of r.kv) (body.details ??= {})[key] = kvValue(value);
      return body;
    }
    case 'reboot': {
      const body = newBody('reboot');
      if (r.delay !== null) body.details = { delay: r.delay };
      return body;
    }
    case 'other': {
      const body = newBody(r.words.map((w) => w.toLowerCase().replace(/_/g, '.')).join('.'));
      if (r.text !== null) body.text = displayText(ast.line.slice(r.text.start, r.text.end));
      return body;
    }
  }
}

/** The session a record belongs to: a SESSION START opens its own. */
export function sessionOfRecord(ast: LineAst, current: RlogSession | null): RlogSession | null {
  const r = ast.body.record;
  if (r.kind !== 'session.start') return current;
  return { id: kvString(r.kv, 'session') ?? '', host: kvString(r.kv, 'host') ?? '', version: kvString(r.kv, 'version') ?? '' };
}

export function normalizeRecord(input: RecordInput, session: RlogSession | null, source: RlogSource): RecordResult {
  const { ast } = input;
  const ms = instantMs(ast.timestamp, source.timeZone ?? 'UTC');
  if (Number.isNaN(ms)) {
    const instant = toInstant(ast.timestamp, source.timeZone ?? 'UTC');
    return { ok: false, column: ast.timestamp.column, message: instant.ok ? 'the timestamp cannot be read' : instant.message };
  }
  const d = deriveBody(ast);
  const { body } = d;
  const own = sessionOfRecord(ast, session);
  const after = ast.body.record.kind === 'session.end' ? null : own;

  // Built field by field in one order: every event then shares a few hidden classes, which keeps
  // this hot path fast (conditional spreads made a shape per combination of fields).
  const ev: Mutable<EventFields> = { id: input.id, kind: 'event', category: d.category, type: d.type, action: body.action, outcome: d.outcome, dataset: 'recovery.v32' };
  if (body.code !== undefined) ev.code = body.code;
  if (body.durationNs !== undefined) ev.duration = body.durationNs;
  ev.original = input.original;

  const rec: Mutable<RecoveryFields> = { os_line: '3.2', instance: 'default' };
  if (body.status !== undefined) rec.status = body.status;
  rec.mode = d.mode;
  if (own !== null) {
    rec.session = own.id;
    rec.correlation_id = own.id;
  }
  if (d.kernel !== undefined) rec.kernel = d.kernel;
  if (d.module !== undefined) rec.module = d.module;
  if (body.snapshot !== undefined) rec.snapshot = body.snapshot;
  if (body.details !== undefined) rec.details = body.details;

  const tsText = ast.timestamp.text;
  const event: Mutable<RecoveryEvent> = {
    // A form B timestamp in UTC with milliseconds is already the text isoTime would write.
    '@timestamp': ast.timestamp.form === 'B' && isIsoTimeText(tsText) ? tsText : isoTime(ms),
    event: ev,
    host: hostOf(own?.host ?? source.host ?? 'unknown', own?.version ?? source.osVersion ?? '3.2'),
    recovery: rec,
  };
  if (d.file !== undefined) event.file = d.file;
  if (d.error !== undefined) event.error = d.error;
  const continuation = input.continuation;
  if (continuation.length === 0) {
    if (body.text !== undefined) event.message = body.text;
  } else event.message = body.text !== undefined ? `${body.text}\n${continuation.join('\n')}` : continuation.join('\n');
  event.log = source.path !== undefined ? { file: logFileOf(source.path), offset: input.offset } : { offset: input.offset };
  return { ok: true, event, session: after };
}
