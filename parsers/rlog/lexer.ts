/**
 * The moo lexer of RLOG 3.2 record lines (rlog-3.2.md, "Records" and "Tokens").
 *
 * It runs over a *byte string*: each char is one byte of the file (latin1), so paths that are not
 * valid UTF-8 survive untouched until the normalizer writes them out. Every input lexes: a
 * catch-all `word` and the `error` token make sure the lexer never throws, so whether a line is
 * a record is decided by the grammar alone.
 */
import moo from 'moo';

/** Kinds with a body of their own; any other upper-case word is a kind the format lets grow. */
export const KIND_KEYWORDS = {
  kwSession: 'SESSION',
  kwSnapshot: 'SNAPSHOT',
  kwCheck: 'CHECK',
  kwRestore: 'RESTORE',
  kwError: 'ERROR',
  kwWarn: 'WARN',
  kwSummary: 'SUMMARY',
  kwReboot: 'REBOOT',
} as const;

const quoted = /"(?:[^"\\\n]|\\.)*"/;
// Form A: host local time; form B: ISO 8601 with offset (rlog-3.2.md, "Timestamp").
const TS_A = /\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\]/;
const TS_B = /\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})\]/;
const key = '[A-Za-z_][A-Za-z0-9_.\\-]*=';

export const rlogLexer = moo.states({
  main: {
    tsA: TS_A,
    tsB: TS_B,
    tsBad: /\[[^\]\n]*\]?/,
    ws: / +/,
    mode: '{fallback}',
    lparen: { match: '(', push: 'detail' },
    rparen: ')',
    arrow: '<-',
    ellipsis: '...',
    qstring: quoted,
    kv: new RegExp(`${key}(?:${quoted.source}|[^ "\\n]*)`),
    path: /\/[^ \n]*/,
    word: { match: /[^ ()"\n]+/, type: moo.keywords(KIND_KEYWORDS) },
    quote: '"',
    error: moo.error,
  },
  // Inside a detail `( ... )` a bare value stops at the closing parenthesis.
  detail: {
    ws: / +/,
    rparen: { match: ')', pop: 1 },
    lparen: '(',
    qstring: quoted,
    kv: new RegExp(`${key}(?:${quoted.source}|[^ ")\\n]*)`),
    word: /[^ ()"\n]+/,
    quote: '"',
    error: moo.error,
  },
});

const LEADING_A = new RegExp(TS_A.source, 'y');
const LEADING_B = new RegExp(TS_B.source, 'y');

/**
 * The timestamp token a line starts with, as the lexer's first token would be (its rules are
 * tried in order, and these two come first), without running the lexer's whole alternation:
 * every line asks this once, most never need the lexer again (line.ts memoizes bodies).
 */
export function leadingTimestamp(line: string): LeadingTimestamp | undefined {
  if (line.charCodeAt(0) !== 0x5b /* [ */) return undefined;
  LEADING_A.lastIndex = 0;
  if (LEADING_A.test(line)) {
    const text = line.slice(0, LEADING_A.lastIndex);
    return { type: 'tsA', text, value: text, offset: 0 };
  }
  LEADING_B.lastIndex = 0;
  if (!LEADING_B.test(line)) return undefined;
  const text = line.slice(0, LEADING_B.lastIndex);
  return { type: 'tsB', text, value: text, offset: 0 };
}

export interface LeadingTimestamp {
  readonly type: 'tsA' | 'tsB';
  readonly text: string;
  readonly value: string;
  readonly offset: 0;
}

export type RlogTokenType =
  | 'tsA' | 'tsB' | 'tsBad' | 'ws' | 'mode' | 'lparen' | 'rparen' | 'arrow' | 'ellipsis'
  | 'qstring' | 'kv' | 'path' | 'word' | 'quote' | 'error' | keyof typeof KIND_KEYWORDS;

const TOKEN_TYPES: ReadonlySet<string> = new Set([
  'tsA', 'tsB', 'tsBad', 'ws', 'mode', 'lparen', 'rparen', 'arrow', 'ellipsis', 'qstring', 'kv', 'path', 'word', 'quote', 'error',
  ...Object.keys(KIND_KEYWORDS),
]);

/** A lexer state that also says where its chunk starts in the line. */
export type LineLexerState = moo.LexerState & { readonly base?: number };

// Where the chunk being lexed starts in its line: a parse resumed after a timestamp (line.ts)
// feeds the rest of the line alone, and its tokens keep their offsets in the whole line.
let base = 0;
let chunkLength = 0;

/**
 * The lexer as nearley sees it: spaces between tokens are dropped here. moo's `has` answers yes to every name, which would make nearley
 * read the grammar's token classes (`%code`, `%kindWord`) as token types; this one knows its types.
 */
export const nearleyLexer = {
  reset: (chunk: string, info?: LineLexerState): void => {
    base = info?.base ?? 0;
    chunkLength = chunk.length;
    rlogLexer.reset(chunk, info);
  },
  next: (): moo.Token | undefined => {
    let t = rlogLexer.next();
    while (t !== undefined && t.type === 'ws') t = rlogLexer.next();
    if (t !== undefined && base !== 0) t.offset += base;
    return t;
  },
  // nearley saves the state once a chunk is read whole: the next one starts after it.
  save: (): LineLexerState => ({ ...rlogLexer.save(), base: base + chunkLength }),
  formatError: (token: moo.Token, message?: string): string => rlogLexer.formatError(token, message),
  has: (type: string): boolean => TOKEN_TYPES.has(type),
};
