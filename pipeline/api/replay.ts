/**
 * Dead letters read again with the parsers of this build (after a parser fix): a record that now
 * reads becomes events; one that still does not stays a dead letter. The bytes are the dead
 * letter's `event.original` with its `\xNN` escapes turned back into bytes (a record whose text
 * held a literal `\xNN`, or longer than the 65,536 bytes kept, cannot be read back exactly), read
 * at its `log.offset` with the settings of the configured source whose globs match its file
 * (host, zone, version) and, for a 3.2 record, in the session it was first read in
 * (`recovery.rlog_session`), so that it gets the host, version, correlation id and event id that
 * a first reading without the fault would have given it.
 */
import { isAbsolute, resolve } from 'node:path';
import type { DeadLetter, ParsedItem } from '../../parsers/event.js';
import { RecordReader, type Format } from '../../parsers/reader.js';
import type { RlogSource } from '../../parsers/rlog/record.js';
import { INITIAL_OPS_CONTEXT } from '../../parsers/ops/stream.js';
import { INITIAL_RLOG_CONTEXT } from '../../parsers/rlog/stream.js';
import type { SourceEntry } from '../config/schema.js';

/** The dead letter's recorded bytes. */
export function originalBytes(original: string): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of original.matchAll(/\\x([0-9a-f]{2})/g)) {
    parts.push(Buffer.from(original.slice(last, m.index), 'utf8'), Buffer.from([parseInt(m[1] ?? '0', 16)]));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(original.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** A path glob (`*`, `**`, `?`) as a regular expression over whole paths. */
function globPattern(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/?|\*|\?)/)
    .map((part) => (part.startsWith('**') ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

export type SourceOf = (deadLetter: DeadLetter) => RlogSource;

/** The settings of the source whose globs match the dead letter's file; the defaults otherwise. */
export function sourceResolver(sources: readonly SourceEntry[], cwd: string = process.cwd()): SourceOf {
  const matchers = sources.map((s) => ({ s, patterns: s.paths.map((p) => globPattern(isAbsolute(p) ? p : resolve(cwd, p))) }));
  return (dl) => {
    const path = dl.log?.file?.path;
    const found = path === undefined ? undefined : matchers.find((m) => m.patterns.some((re) => re.test(path)));
    const s = found?.s;
    return {
      ...(path !== undefined ? { path } : {}),
      ...(s?.host !== undefined ? { host: s.host } : {}),
      ...(s?.timeZone !== undefined ? { timeZone: s.timeZone } : {}),
      ...(s?.osVersion !== undefined ? { osVersion: s.osVersion } : {}),
    };
  };
}

/** The dead letter read again: events when it now reads, a dead letter again when it does not. */
export function reparse(deadLetter: DeadLetter, source: RlogSource, now: () => string = () => new Date().toISOString()): ParsedItem[] {
  const format: Format = deadLetter.event.dataset === 'recovery.v32' ? 'rlog' : 'ops';
  const offset = deadLetter.log?.offset ?? 0;
  const session = deadLetter.recovery?.rlog_session ?? null;
  const context = format === 'rlog' ? { format, rlog: { ...INITIAL_RLOG_CONTEXT, offset, session } } : { format, ops: { ...INITIAL_OPS_CONTEXT, offset } };
  const reader = new RecordReader(format, source, context, now);
  const bytes = originalBytes(deadLetter.event.original);
  return [...reader.push(Buffer.concat([bytes, Buffer.from('\n')])), ...reader.end()];
}
