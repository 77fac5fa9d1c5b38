/**
 * One RLOG record line through the nearley grammar: a syntax tree, or the reason it is not a
 * record with the column where reading stopped. Pure; does not depend on the session.
 */
import nearley from 'nearley';
import grammar from './grammar.gen.js';
import { leadingTimestamp, rlogLexer } from './lexer.js';
import { isAscii } from '../text.js';
import { timestamp as toTimestampToken, type LineAst, type RecordAst, type SharedBody, type Token, type TimestampToken } from './ast.js';

export type RecordLineResult =
  | { readonly ok: true; readonly ast: LineAst }
  | {
      readonly ok: false;
      readonly reason: 'no-timestamp' | 'bad-timestamp' | 'bad-record';
      /** 1-based byte column in the line (after leading NULs) where the line stops fitting. */
      readonly column: number;
      readonly message: string;
      /** The timestamp, when the line had a readable one (dead letters keep it). */
      readonly timestamp?: TimestampToken;
    };

const compiled = nearley.Grammar.fromCompiled(grammar as unknown as nearley.CompiledRules);
const parser = new nearley.Parser(compiled);
const start = parser.save();

const SHAPES: Readonly<Record<string, string>> = {
  SESSION: 'SESSION START|END key=value ...',
  SNAPSHOT: 'SNAPSHOT MOUNT SNAPSHOT-REF [image=PATH] OK|FAILED [(detail)]',
  CHECK: 'CHECK PATH [...] OK|MISSING|CORRUPT|SKIPPED [(detail)]',
  RESTORE: 'RESTORE PATH <- SNAPSHOT-REF OK|FAILED|SKIPPED [(detail)]',
  ERROR: 'ERROR E#### text',
  WARN: 'WARN W#### text',
  SUMMARY: 'SUMMARY key=value ...',
  REBOOT: 'REBOOT [in DURATION]',
};

function firstTokens(line: string): Token[] {
  rlogLexer.reset(line);
  const tokens: Token[] = [];
  for (let t = rlogLexer.next(); t !== undefined && tokens.length < 6; t = rlogLexer.next()) {
    if (t.type !== 'ws') tokens.push(t);
  }
  return tokens;
}

function printable(s: string): string {
  const cut = s.length > 40 ? `${s.slice(0, 40)}...` : s;
  return JSON.stringify(cut);
}

function failure(line: string, stopAt: number, stopText: string | null): Extract<RecordLineResult, { ok: false }> {
  const tokens = firstTokens(line);
  const first = tokens[0];
  if (first === undefined || first.type === 'tsBad') {
    return {
      ok: false,
      reason: 'bad-timestamp',
      column: 1,
      message: `timestamp ${printable(first?.text ?? line)} is neither [YYYY-MM-DD hh:mm:ss] nor [YYYY-MM-DDThh:mm:ss[.fff]±hh:mm|Z]`,
    };
  }
  const timestamp = first.type === 'tsA' || first.type === 'tsB' ? toTimestampToken(first) : undefined;
  // The kind is the first token after the timestamp and the optional mode.
  const kindToken = tokens[1]?.type === 'mode' ? tokens[2] : tokens[1];
  const kind = kindToken?.value ?? '';
  const shape = SHAPES[kind];
  let message: string;
  if (kindToken === undefined) message = 'the record has no kind after its timestamp';
  else if (shape === undefined && !/^[A-Z][A-Z_]*$/.test(kind)) {
    message = `${printable(kind)} is not a kind (an upper-case word such as CHECK)`;
  } else {
    const where =
      kind === 'SESSION' && stopText === null
        ? 'SESSION START needs version=, host= and session=, SESSION END a listed status and a duration'
        : stopText === null
          ? 'the line ends early'
          : `unexpected ${printable(stopText)}`;
    message = `${where}; a ${kind} record is "${shape ?? `${kind} text`}"`;
  }
  return { ok: false, reason: 'bad-record', column: stopAt + 1, message, ...(timestamp ? { timestamp } : {}) };
}

/** nearley throws an Error with the token it could not take. */
function offendingToken(err: unknown): Token | undefined {
  if (typeof err !== 'object' || err === null || !('token' in err)) return undefined;
  const t: unknown = err.token;
  if (typeof t !== 'object' || t === null || !('offset' in t) || !('text' in t)) return undefined;
  return typeof t.offset === 'number' && typeof t.text === 'string' ? { offset: t.offset, text: t.text, value: t.text } : undefined;
}

// Record bodies repeat across sessions and hosts (the same module checked OK, the same summary):
// the grammar's answer for a body is memoized by the text after the timestamp. Parsing is pure,
// and syntax trees are read-only, so a cached tree is shared safely.
// Two generations approximate a least-recently-used cache: a hit in the old one is promoted,
// and when the young one is full the old one is dropped. Up to 64k bodies are held: 37-45 MiB of
// heap when every body is distinct (test/cli/parse.test.ts, bench/parse's unique corpus; 16k
// generations held 21-24 MiB). On bench/parse's fleet corpus,
// generations of 16k hit 88.3% of lines, of 32k 91.4% (92.1% of its lines repeat a body).
const MEMO_GENERATION = 32_768;
// Keyed by the text after the timestamp; form A timestamps all have one length, form B several,
// and free-text spans are offsets in the line, so the timestamp's length is part of the key: it
// picks the map (no string is built for the key).
let young = new Map<number, Map<string, SharedBody>>();
let old = new Map<number, Map<string, SharedBody>>();
let youngSize = 0;

function lookup(generation: Map<number, Map<string, SharedBody>>, length: number, key: string): SharedBody | undefined {
  return generation.get(length)?.get(key);
}

function remember(length: number, key: string, value: SharedBody): void {
  if (youngSize >= MEMO_GENERATION) {
    old = young;
    young = new Map();
    youngSize = 0;
  }
  let byKey = young.get(length);
  if (byKey === undefined) young.set(length, (byKey = new Map()));
  byKey.set(key, value);
  youngSize++;
}

export function parseRecordLine(line: string): RecordLineResult {
  const first = leadingTimestamp(line);
  if (first !== undefined) {
    const length = first.text.length;
    const key = line.slice(length);
    let body = lookup(young, length, key);
    if (body === undefined) {
      body = lookup(old, length, key);
      if (body !== undefined) remember(length, key, body);
    }
    if (body === undefined) {
      const result = parseWithGrammar(line, length);
      if (!result.ok) return result;
      body = { fallback: result.fallback, record: result.record, ascii: isAscii(key), derived: undefined };
      remember(length, key, body);
    }
    return { ok: true, ast: { line, timestamp: toTimestampToken(first), body } };
  }
  const result = parseWithGrammar(line);
  // Without a form A or B timestamp first, the grammar cannot accept the line.
  return result.ok ? failure(line, 0, null) : result;
}

/** The grammar's answer for a line: the `line` rule's value, or why the line does not fit. */
type GrammarResult = { readonly ok: true; readonly fallback: boolean; readonly record: RecordAst } | Extract<RecordLineResult, { ok: false }>;

// The parser's column after a timestamp token, by the token's length (form A has one, form B a
// few): a line whose timestamp the lexer took resumes there and feeds only the rest of the line,
// which spares lexing the timestamp again and predicting every kind of record on each line. The
// timestamp's own value in that column is stale; callers take it from the lexer's first token.
const afterTimestamp = new Map<number, ReturnType<nearley.Parser['save']>>();

function columnAfterTimestamp(line: string, length: number): ReturnType<nearley.Parser['save']> {
  let column = afterTimestamp.get(length);
  if (column === undefined) {
    parser.restore(start);
    parser.feed(line.slice(0, length));
    column = parser.save();
    afterTimestamp.set(length, column);
  }
  return column;
}

/** `timestampLength`: the length of the line's first token when the lexer read a timestamp, else 0. */
function parseWithGrammar(line: string, timestampLength = 0): GrammarResult {
  if (line.charCodeAt(0) !== 0x5b /* [ */) {
    return { ok: false, reason: 'no-timestamp', column: 1, message: `a record starts with "[timestamp]", found ${printable(line.slice(0, 20))}` };
  }
  // Restoring the parser to a saved column spares the prediction of every kind on each line.
  try {
    if (timestampLength > 0) {
      parser.restore(columnAfterTimestamp(line, timestampLength));
      parser.feed(line.slice(timestampLength));
    } else {
      parser.restore(start);
      parser.feed(line);
    }
  } catch (err: unknown) {
    const token = offendingToken(err);
    return failure(line, token?.offset ?? line.length, token?.text ?? null);
  }
  const ast = parser.results[0] as Omit<LineAst, 'line' | 'body'> & { fallback: boolean; record: RecordAst } | undefined;
  if (ast === undefined) return failure(line, line.length, null);
  return { ok: true, fallback: ast.fallback, record: ast.record };
}
