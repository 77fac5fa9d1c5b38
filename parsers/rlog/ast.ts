/**
 * The syntax tree of one RLOG 3.2 record line, and the builders the grammar's postprocessors call.
 * Strings here are byte strings (one char per byte, see lexer.ts); the normalizer turns them into
 * text. A builder returns `undefined` to reject a parse whose tokens fit but whose values do not
 * (a quoted path that is not absolute, a SESSION START without its required keys).
 */
import type { DerivedBody } from './record.js';

export interface Token {
  readonly type?: string | undefined;
  readonly value: string;
  readonly text: string;
  readonly offset: number;
}

export type KvValue = string | number;
export interface Kv {
  readonly key: string;
  readonly value: KvValue;
}

export interface Detail {
  readonly kv: readonly Kv[];
  readonly message?: string;
}

export type TimestampToken = { readonly form: 'A' | 'B'; readonly text: string; readonly column: number };

export type RecordAst =
  | { readonly kind: 'session.start'; readonly kv: readonly Kv[] }
  | { readonly kind: 'session.end'; readonly kv: readonly Kv[] }
  | { readonly kind: 'check'; readonly path: string; readonly status: string; readonly detail: Detail | null }
  | { readonly kind: 'restore'; readonly path: string; readonly snapshot: string; readonly status: string; readonly detail: Detail | null }
  | { readonly kind: 'snapshot.mount'; readonly snapshot: string; readonly image: string | null; readonly status: string; readonly detail: Detail | null }
  | { readonly kind: 'error' | 'warn'; readonly code: string; readonly text: Span | null }
  | { readonly kind: 'summary'; readonly kv: readonly Kv[] }
  | { readonly kind: 'reboot'; readonly delay: string | null }
  | { readonly kind: 'other'; readonly words: readonly string[]; readonly text: Span | null };

/**
 * What every line with the same text after its timestamp shares (line.ts memoizes it): the syntax
 * of the body, and a slot where the normalizer keeps what it derives from that syntax once.
 */
export interface SharedBody {
  readonly fallback: boolean;
  readonly record: RecordAst;
  /** The body is ASCII: with a valid timestamp, so is its whole line. */
  readonly ascii: boolean;
  /** What record.ts derives from the body, set on first use (a type-only link: no runtime cycle). */
  derived: DerivedBody | undefined;
}

export interface LineAst {
  /** The line itself (a byte string): free text spans point into it. */
  readonly line: string;
  readonly timestamp: TimestampToken;
  readonly body: SharedBody;
}

const KIND_WORD = /^[A-Z][A-Z_]*$/;
const CODE = /^[EW]\d{4}$/;
const SNAPSHOT_REF = /^(?:snap-\d{8}-\d{4}|snapshot:.+|image:.+)$/;
export const DURATION = /^(\d+(?:\.\d+)?)(s|ms)$/;
const DIGITS = /^\d+$/;

// Token classes the grammar matches by test rather than by type.
export const kindWord = { test: (t: Token): boolean => t.type === 'word' && KIND_WORD.test(t.value) };
export const otherSessionWord = {
  test: (t: Token): boolean => kindWord.test(t) && t.value !== 'START' && t.value !== 'END',
};
export const otherSnapshotWord = { test: (t: Token): boolean => kindWord.test(t) && t.value !== 'MOUNT' };
export const code = { test: (t: Token): boolean => t.type === 'word' && CODE.test(t.value) };
export const snapshotRef = { test: (t: Token): boolean => t.type === 'word' && SNAPSHOT_REF.test(t.value) };
export const duration = { test: (t: Token): boolean => t.type === 'word' && DURATION.test(t.value) };
const CHECK_STATUS = new Set(['OK', 'MISSING', 'CORRUPT', 'SKIPPED']);
const RESTORE_STATUS = new Set(['OK', 'FAILED', 'SKIPPED']);
const MOUNT_STATUS = new Set(['OK', 'FAILED']);
export const checkStatus = { test: (t: Token): boolean => t.type === 'word' && CHECK_STATUS.has(t.value) };
export const restoreStatus = { test: (t: Token): boolean => t.type === 'word' && RESTORE_STATUS.has(t.value) };
export const mountStatus = { test: (t: Token): boolean => t.type === 'word' && MOUNT_STATUS.has(t.value) };
export const anyToken = { test: (_t: Token): boolean => true };

/** Unescapes a quoted token: `\"`, `\\`, `\t`, `\n` and `\xNN` (a byte); anything else stays. */
export function unquote(text: string): string {
  const inner = text.slice(1, -1);
  if (!inner.includes('\\')) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c !== '\\' || i + 1 >= inner.length) {
      out += c;
      continue;
    }
    const n = inner[i + 1];
    if (n === '"' || n === '\\') out += n;
    else if (n === 't') out += '\t';
    else if (n === 'n') out += '\n';
    else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(inner.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(inner.slice(i + 2, i + 4), 16));
      i += 2;
    } else {
      out += c + n;
    }
    i++;
  }
  return out;
}

export function kv(t: Token): Kv {
  const eq = t.text.indexOf('=');
  const rawValue = t.text.slice(eq + 1);
  const key = t.text.slice(0, eq);
  if (rawValue.startsWith('"')) return { key, value: unquote(rawValue) };
  // A value of digits only is a number (rlog-3.2.md, "Tokens"); keep huge ones exact as text.
  if (DIGITS.test(rawValue) && rawValue.length < 16) return { key, value: Number(rawValue) };
  return { key, value: rawValue };
}

export function path(t: Token): string | undefined {
  const p = t.type === 'qstring' ? unquote(t.text) : t.text;
  return p.startsWith('/') ? p : undefined;
}

/** Free text: where it starts and ends in the line (line.ts cuts it out after the parse). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export function span([first, last]: readonly [Token, Token]): Span {
  return { start: first.offset, end: last.offset + last.text.length };
}

export function timestamp(t: Token): TimestampToken {
  return { form: t.type === 'tsA' ? 'A' : 'B', text: t.text.slice(1, -1), column: t.offset + 1 };
}

export function detail(items: readonly Token[]): Detail | undefined {
  const pairs: Kv[] = [];
  let message: string | undefined;
  for (const item of items) {
    if (item.type === 'kv') pairs.push(kv(item));
    else if (message === undefined) message = unquote(item.text);
    else return undefined; // at most one bare quoted string
  }
  return message === undefined ? { kv: pairs } : { kv: pairs, message };
}

const SESSION_END_STATUS = new Set(['ok', 'partial', 'failed']);

export function sessionStart(pairs: readonly Kv[]): RecordAst | undefined {
  const keys = new Set(pairs.map((p) => p.key));
  if (!keys.has('version') || !keys.has('host') || !keys.has('session')) return undefined;
  return { kind: 'session.start', kv: pairs };
}

export function sessionEnd(pairs: readonly Kv[]): RecordAst | undefined {
  for (const p of pairs) {
    if (p.key === 'status' && !SESSION_END_STATUS.has(String(p.value))) return undefined;
    if (p.key === 'duration' && !DURATION.test(String(p.value))) return undefined;
  }
  return { kind: 'session.end', kv: pairs };
}

export function image(t: Token): string | undefined {
  const pair = kv(t);
  if (pair.key !== 'image' || typeof pair.value !== 'string' || !pair.value.startsWith('/')) return undefined;
  return pair.value;
}
