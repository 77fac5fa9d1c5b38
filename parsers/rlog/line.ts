/**
 * One RLOG record line through the nearley grammar: a syntax tree, or the reason it is not a
 * record with the column where reading stopped. Pure; does not depend on the session.
 */
import nearley from 'nearley';
import grammar from './grammar.gen.js';
import { rlogLexer } from './lexer.js';
import { timestamp as toTimestampToken, type LineAst, type Token, type TimestampToken } from './ast.js';

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

function failure(line: string, stopAt: number, stopText: string | null): RecordLineResult {
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
// and when the young one is full the old one is dropped.
const MEMO_GENERATION = 16_384;
type Memoized = Omit<LineAst, 'line' | 'timestamp'>;
// Keyed by the text after the timestamp; form A timestamps all have one length, form B several,
// and free-text spans are offsets in the line, so the timestamp's length is part of the key: it
// picks the map (no string is built for the key).
let young = new Map<number, Map<string, Memoized>>();
let old = new Map<number, Map<string, Memoized>>();
let youngSize = 0;

function lookup(generation: Map<number, Map<string, Memoized>>, length: number, key: string): Memoized | undefined {
  return generation.get(length)?.get(key);
}

function remember(length: number, key: string, value: Memoized): void {
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
  rlogLexer.reset(line);
  const first = rlogLexer.next();
  if (first !== undefined && (first.type === 'tsA' || first.type === 'tsB')) {
    const length = first.text.length;
    const key = line.slice(length);
    let hit = lookup(young, length, key);
    if (hit === undefined) {
      hit = lookup(old, length, key);
      if (hit !== undefined) remember(length, key, hit);
    }
    if (hit !== undefined) return { ok: true, ast: { line, timestamp: toTimestampToken(first), fallback: hit.fallback, record: hit.record } };
    const result = parseWithGrammar(line);
    if (result.ok) remember(length, key, { fallback: result.ast.fallback, record: result.ast.record });
    return result;
  }
  return parseWithGrammar(line);
}

function parseWithGrammar(line: string): RecordLineResult {
  if (line.charCodeAt(0) !== 0x5b /* [ */) {
    return { ok: false, reason: 'no-timestamp', column: 1, message: `a record starts with "[timestamp]", found ${printable(line.slice(0, 20))}` };
  }
  // Restoring the parser to its first column spares the prediction of every kind on each line.
  parser.restore(start);
  try {
    parser.feed(line);
  } catch (err: unknown) {
    const token = offendingToken(err);
    return failure(line, token?.offset ?? line.length, token?.text ?? null);
  }
  const ast = parser.results[0] as Omit<LineAst, 'line'> | undefined;
  if (ast === undefined) return failure(line, line.length, null);
  return { ok: true, ast: { ...ast, line } };
}
