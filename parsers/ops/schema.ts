/**
 * OPS 4.2 records, v1 and v2 (ops-4.2.md), validated from `unknown` with hand-written guards:
 * the hot path of 4.2 ingestion, so no schema interpreter, and no casts. The first field that is
 * missing or of the wrong type decides the dead-letter reason, named as the format names it.
 */
import type { JsonObject, JsonValue, OpsDeadLetterReason } from '../event.js';
import { isIsoTimeText } from '../iso-time.js';

export interface OpsCommon {
  readonly host: string;
  readonly hostId?: string;
  readonly instance?: string;
  readonly version?: string;
  readonly op: string;
  readonly status: string;
  /** `E1207`, `W2001`; absent for none. */
  readonly code?: string;
  readonly path?: string;
  readonly bytes?: number;
  readonly correlationId?: string;
  readonly parentId?: string;
  readonly message?: string;
  readonly snapshot?: string;
  readonly durationMs?: number;
  readonly user?: string;
  readonly module?: string;
  readonly restoreMode?: string;
  readonly restoreTarget?: string;
  /** Fields that neither table names, at their own path. */
  readonly details?: JsonObject;
}

export type OpsRecord =
  | (OpsCommon & {
      readonly schema: 1;
      readonly timeMs: number;
      /** `ts` itself when it is already written as `@timestamp` is (`toISOString`'s form), else null. */
      readonly canonicalTime: string | null;
    })
  | (OpsCommon & { readonly schema: 2; readonly timeMs: number; readonly eventId: string });

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/** `T` with every optional key present, holding undefined when the record has no such field. */
type Present<T> = { readonly [K in keyof T]-?: K extends OptionalKeys<T> ? T[K] | undefined : T[K] };

/**
 * A record as `readOps` makes it: every key present, set in one order by both readers, so that
 * every record has one hidden class and the normalizer's property reads stay monomorphic
 * (optional keys added as they were found made a shape per combination of fields).
 */
export type ReadOpsRecord =
  | (Present<OpsCommon> & { readonly schema: 1; readonly timeMs: number; readonly canonicalTime: string | null; readonly eventId: undefined })
  | (Present<OpsCommon> & { readonly schema: 2; readonly timeMs: number; readonly canonicalTime: null; readonly eventId: string });

export type OpsResult =
  | { readonly ok: true; readonly record: ReadOpsRecord }
  | { readonly ok: false; readonly reason: OpsDeadLetterReason; readonly message: string };

type Obj = { readonly [key: string]: unknown };

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Invalid {
  constructor(
    readonly reason: OpsDeadLetterReason,
    readonly message: string,
  ) {}
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

// The helpers take the value, read at the call site with a constant key: a named property load
// per site, which V8 caches by the record's shape, where a load by a key parameter is generic.
function str(v: unknown, name: string, required: boolean): string | undefined {
  if (v === undefined || (v === null && !required)) {
    if (required) throw new Invalid(`missing-field:${name}`, `field "${name}" is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new Invalid(`bad-type:${name}`, `field "${name}" must be a string, found ${typeName(v)}`);
  return v;
}

function num(v: unknown, name: string, integer: boolean): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new Invalid(`bad-type:${name}`, `field "${name}" must be ${integer ? 'an integer' : 'a number'}, found ${typeName(v)} ${JSON.stringify(v)}`);
  }
  return v;
}

function obj(v: unknown, name: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new Invalid(`bad-type:${name}`, `field "${name}" must be an object, found ${typeName(v)}`);
  return v;
}

function toJson(v: unknown): JsonValue {
  // JSON.parse output is JSON already; this narrows it without a cast.
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (isObject(v)) {
    const out: Record<string, JsonValue> = {};
    for (const k of Object.keys(v)) out[k] = toJson(v[k]);
    return out;
  }
  return null;
}

/**
 * The keys of `src` not in `known`, added to `details` (at `details[at]` when `at` is given);
 * `details` is made only when there is one, and returned.
 */
function keepUnknown(src: Obj, known: ReadonlySet<string>, details: Record<string, JsonValue> | undefined, at: string | null): Record<string, JsonValue> | undefined {
  // for-in over a parsed object walks V8's cached key list; Object.keys would allocate one per object.
  for (const k in src) {
    if (known.has(k)) continue;
    details ??= {};
    if (at === null) details[k] = toJson(src[k]);
    else {
      const slot = details[at];
      const target: Record<string, JsonValue> = isObject(slot) ? { ...slot } : {};
      target[k] = toJson(src[k]);
      details[at] = target;
    }
  }
  return details;
}

/** The number written by `count` ASCII digits at `from`, or -1 when one of them is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * RFC 3339 (`YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)`, `T` and `Z` in either case) to epoch ms,
 * the fraction truncated to the millisecond, or NaN. Read by hand: this runs once per v1 record.
 */
export function rfc3339ToMs(text: string): number {
  const n = text.length;
  if (n < 20) return NaN;
  const year = digitsAt(text, 0, 4), month = digitsAt(text, 5, 2), day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2), minute = digitsAt(text, 14, 2), second = digitsAt(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return NaN;
  const t = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (t !== 84 && t !== 116) || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return NaN;
  let i = 19;
  let fracMs = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < n && digitsAt(text, i, 1) >= 0) i++;
    const digits = i - start;
    if (digits === 0) return NaN;
    // The first three digits, right-padded: ".5" is 500 ms, ".123456" 123 ms.
    fracMs = digits >= 3 ? digitsAt(text, start, 3) : digits === 2 ? digitsAt(text, start, 2) * 10 : digitsAt(text, start, 1) * 100;
  }
  const z = text.charCodeAt(i);
  let offsetMinutes = 0;
  if (z === 90 || z === 122 /* Z z */) {
    if (i + 1 !== n) return NaN;
  } else if (z === 43 || z === 45 /* + - */) {
    const offH = digitsAt(text, i + 1, 2), offM = digitsAt(text, i + 4, 2);
    if (i + 6 !== n || offH < 0 || offM < 0 || text.charCodeAt(i + 3) !== 58) return NaN;
    if (offH > 23 || offM > 59) return NaN;
    offsetMinutes = (z === 45 ? -1 : 1) * (offH * 60 + offM);
  } else return NaN;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (day > days || year < 100) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, fracMs) - offsetMinutes * 60_000;
}

const MAX_TIME_MS = 8.64e15;

const V1_KNOWN = new Set(['ts', 'host', 'instance', 'ver', 'op', 'status', 'code', 'path', 'cid', 'msg', 'snapshot', 'bytes', 'ms', 'user', 'mode', 'target']);
const V2_KNOWN = new Set(['schema', 'time', 'event_id', 'parent_id', 'host', 'os', 'op', 'status', 'code', 'correlation_id', 'user', 'module', 'file', 'restore', 'duration_ms', 'message']);
const V2_HOST = new Set(['name', 'id']);
const V2_OS = new Set(['version', 'instance']);
const V2_FILE = new Set(['path', 'bytes']);
const V2_RESTORE = new Set(['mode', 'snapshot', 'target']);
const V2_CODE = /^(?:S0000|[EW]\d{4})$/;

function readV1(o: Obj): ReadOpsRecord {
  const ts = str(o['ts'], 'ts', true) ?? '';
  const host = str(o['host'], 'host', true) ?? '';
  const instance = str(o['instance'], 'instance', false);
  const version = str(o['ver'], 'ver', false);
  const op = str(o['op'], 'op', true) ?? '';
  const status = str(o['status'], 'status', true) ?? '';
  const code = num(o['code'], 'code', true);
  if (code !== undefined && (code < 0 || code > 9999)) throw new Invalid('bad-type:code', `field "code" must be 0 or an error number of up to 4 digits, found ${code}`);
  const path = str(o['path'], 'path', false);
  const cid = str(o['cid'], 'cid', false);
  const msg = str(o['msg'], 'msg', false);
  const snapshot = str(o['snapshot'], 'snapshot', false);
  const bytes = num(o['bytes'], 'bytes', true);
  const ms = num(o['ms'], 'ms', false);
  const user = str(o['user'], 'user', false);
  const mode = str(o['mode'], 'mode', false);
  const target = str(o['target'], 'target', false);
  const timeMs = rfc3339ToMs(ts);
  if (Number.isNaN(timeMs)) throw new Invalid('bad-timestamp', `field "ts" must be an RFC 3339 time such as 2026-03-14T02:11:09.412Z, found ${JSON.stringify(ts)}`);
  return {
    schema: 1,
    canonicalTime: isIsoTimeText(ts) ? ts : null,
    eventId: undefined,
    timeMs,
    host,
    hostId: undefined,
    instance,
    version,
    op,
    status,
    code: code !== undefined && code !== 0 ? `E${String(code).padStart(4, '0')}` : undefined,
    path,
    bytes,
    correlationId: cid,
    parentId: undefined,
    message: msg,
    snapshot,
    durationMs: ms,
    user,
    module: undefined,
    restoreMode: mode,
    restoreTarget: target,
    details: keepUnknown(o, V1_KNOWN, undefined, null),
  };
}

function readV2(o: Obj): ReadOpsRecord {
  const time = o['time'];
  if (time === undefined || time === null) throw new Invalid('missing-field:time', 'field "time" (epoch milliseconds) is required');
  if (typeof time !== 'number' || !Number.isInteger(time)) throw new Invalid('bad-type:time', `field "time" must be an integer of epoch milliseconds, found ${typeName(time)} ${JSON.stringify(time)}`);
  if (Math.abs(time) > MAX_TIME_MS) throw new Invalid('bad-timestamp', `field "time" ${time} is outside the range of dates`);
  const eventId = str(o['event_id'], 'event_id', true) ?? '';
  if (eventId === '') throw new Invalid('bad-type:event_id', 'field "event_id" must not be empty');
  const parentId = str(o['parent_id'], 'parent_id', false);
  const hostObj = obj(o['host'], 'host');
  if (hostObj === undefined) throw new Invalid('missing-field:host.name', 'field "host.name" is required');
  const host = str(hostObj['name'], 'host.name', true) ?? '';
  const hostId = str(hostObj['id'], 'host.id', false);
  const os = obj(o['os'], 'os');
  const version = os === undefined ? undefined : str(os['version'], 'os.version', false);
  const instance = os === undefined ? undefined : str(os['instance'], 'os.instance', false);
  const op = str(o['op'], 'op', true) ?? '';
  const status = str(o['status'], 'status', true) ?? '';
  const code = str(o['code'], 'code', false);
  if (code !== undefined && !V2_CODE.test(code)) throw new Invalid('bad-type:code', `field "code" must be S0000, E#### or W####, found ${JSON.stringify(code)}`);
  const correlationId = str(o['correlation_id'], 'correlation_id', false);
  const user = str(o['user'], 'user', false);
  const module = str(o['module'], 'module', false);
  const file = obj(o['file'], 'file');
  const path = file === undefined ? undefined : str(file['path'], 'file.path', false);
  const bytes = file === undefined ? undefined : num(file['bytes'], 'file.bytes', true);
  const restore = obj(o['restore'], 'restore');
  const restoreMode = restore === undefined ? undefined : str(restore['mode'], 'restore.mode', false);
  const snapshot = restore === undefined ? undefined : str(restore['snapshot'], 'restore.snapshot', false);
  const restoreTarget = restore === undefined ? undefined : str(restore['target'], 'restore.target', false);
  const durationMs = num(o['duration_ms'], 'duration_ms', false);
  const message = str(o['message'], 'message', false);
  let details = keepUnknown(o, V2_KNOWN, undefined, null);
  details = keepUnknown(hostObj, V2_HOST, details, 'host');
  if (os !== undefined) details = keepUnknown(os, V2_OS, details, 'os');
  if (file !== undefined) details = keepUnknown(file, V2_FILE, details, 'file');
  if (restore !== undefined) details = keepUnknown(restore, V2_RESTORE, details, 'restore');
  return {
    schema: 2,
    canonicalTime: null,
    eventId,
    timeMs: time,
    host,
    hostId,
    instance,
    version,
    op,
    status,
    code: code !== 'S0000' ? code : undefined,
    path,
    bytes,
    correlationId,
    parentId,
    message,
    snapshot,
    durationMs,
    user,
    module,
    restoreMode,
    restoreTarget,
    details,
  };
}

/** A parsed JSON value to an OPS record of either schema version. */
export function readOps(value: unknown): OpsResult {
  if (!isObject(value)) return { ok: false, reason: 'not-object', message: `a line must be a JSON object, found ${typeName(value)}` };
  try {
    if (!('schema' in value)) return { ok: true, record: readV1(value) };
    if (value['schema'] !== 2) return { ok: false, reason: 'unsupported-schema', message: `field "schema" is ${JSON.stringify(value['schema'])}; this reader knows v1 (no "schema") and 2` };
    return { ok: true, record: readV2(value) };
  } catch (err: unknown) {
    if (err instanceof Invalid) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  }
}
