/**
 * `kintsugi parse`: one file (or stdin) of either format to normalized events on stdout (NDJSON),
 * dead letters to a file or as readable lines on stderr, and a summary line on stderr.
 * It streams: memory stays flat whatever the input's size.
 */
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DeadLetter, ParsedItem } from '../parsers/event.js';
import { FORMATS, RecordReader, type Format } from '../parsers/reader.js';
import { isValidZone } from '../parsers/rlog/timestamp.js';
import type { RlogSource } from '../parsers/rlog/record.js';
import { ParsePool } from '../pipeline/ingest/parse-pool.js';
import { EXIT } from './exit.js';

export interface ParseOptions {
  readonly format: Format;
  readonly host?: string;
  readonly tz?: string;
  readonly osVersion?: string;
  readonly deadLetters?: string;
  readonly workers?: number;
}

/** Files at least this large are parsed on every core unless --workers says otherwise. */
const PARALLEL_FROM_BYTES = 32 << 20;
// Small reads: a chunk's events are written out and die young; a megabyte's, all alive at once,
// were promoted out of the young generation (garbage collection cost a quarter of parse time).
const READ_CHUNK_BYTES = 64 << 10;

class UsageError extends Error {}

/** Writes with back pressure: a slow reader of stdout slows the parser, never fills memory. */
async function write(stream: Writable, text: string | Uint8Array): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

function parseWorkers(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('a whole number from 1 to 64');
  return n;
}

function readableDeadLetter(dl: DeadLetter): string {
  const where = dl.log?.file?.path ?? '-';
  return `${where}: offset ${dl.log?.offset ?? '?'}: ${dl.error.type}: ${dl.error.message}\n`;
}

export async function runParse(file: string, options: ParseOptions, stdout: Writable = process.stdout, stderr: Writable = process.stderr): Promise<number> {
  if (options.tz !== undefined && !isValidZone(options.tz)) {
    throw new UsageError(`--tz ${JSON.stringify(options.tz)} is not an IANA time zone name (such as UTC or Europe/Berlin)`);
  }
  const workers = options.workers ?? (file !== '-' && fileSize(file) >= PARALLEL_FROM_BYTES ? availableParallelism() : 1);
  if (workers > 1 && file !== '-') return runParseParallel(file, options, workers, stdout, stderr);
  const input: Readable = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  const deadOut: WriteStream | null = options.deadLetters !== undefined ? createWriteStream(options.deadLetters) : null;
  if (deadOut !== null) {
    await new Promise<void>((resolve, reject) => {
      deadOut.once('open', () => resolve());
      deadOut.once('error', reject);
    }).catch((err: unknown) => {
      throw new Error(`cannot write dead letters to ${options.deadLetters}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
  const reader = new RecordReader(options.format, source(file, options));
  let events = 0;
  let deadLetters = 0;
  const emit = async (items: ParsedItem[]): Promise<void> => {
    let out = '';
    let dead = '';
    for (const item of items) {
      if (item.kind === 'event') {
        events++;
        out += `${JSON.stringify(item.event)}\n`;
      } else {
        deadLetters++;
        dead += deadOut !== null ? `${JSON.stringify(item.deadLetter)}\n` : readableDeadLetter(item.deadLetter);
      }
    }
    if (out !== '') await write(stdout, out);
    if (dead !== '') await write(deadOut ?? stderr, dead);
  };
  try {
    for await (const chunk of input) {
      if (!Buffer.isBuffer(chunk)) throw new Error('input stream gave text, expected bytes');
      await emit(reader.push(chunk));
    }
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    stderr.write(`kintsugi parse: cannot read ${file}: ${reason}\n`);
    return EXIT.FAILURE;
  }
  await emit(reader.end());
  if (deadOut !== null) {
    deadOut.end();
    await once(deadOut, 'finish');
  }
  const c = reader.counts;
  const records = c.records + c.deadLetters;
  stderr.write(`kintsugi parse: ${file}: ${records} records, ${events} events, ${deadLetters} dead letters (${c.continuations} continuation lines, ${c.ignored} empty lines)\n`);
  return EXIT.OK;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0; // the read below reports why
  }
}

function source(file: string, options: ParseOptions): RlogSource {
  return {
    path: file,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.osVersion !== undefined ? { osVersion: options.osVersion } : {}),
    ...(options.tz !== undefined ? { timeZone: options.tz } : {}),
  };
}

/** The same output from worker threads: pieces cut where they parse alone, written in order. */
async function runParseParallel(file: string, options: ParseOptions, workers: number, stdout: Writable, stderr: Writable): Promise<number> {
  const deadOut = options.deadLetters !== undefined ? createWriteStream(options.deadLetters) : null;
  const pool = new ParsePool(workers);
  try {
    const counts = await pool.parseFile(file, options.format, source(file, options), async (piece) => {
      for (const text of piece.events) await write(stdout, text);
      if (deadOut !== null) for (const text of piece.deadLetters) await write(deadOut, text);
      else if (piece.deadLetters.length > 0) {
        const lines = Buffer.concat(piece.deadLetters).toString('utf8').trimEnd().split('\n').map((l) => readableDeadLetter(JSON.parse(l) as DeadLetter));
        await write(stderr, lines.join(''));
      }
    });
    if (deadOut !== null) {
      deadOut.end();
      await once(deadOut, 'finish');
    }
    stderr.write(`kintsugi parse: ${file}: ${counts.records + counts.deadLetters} records, ${counts.records} events, ${counts.deadLetters} dead letters (${counts.continuations} continuation lines, ${counts.ignored} empty lines)\n`);
    return EXIT.OK;
  } catch (err: unknown) {
    stderr.write(`kintsugi parse: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.FAILURE;
  } finally {
    await pool.close();
  }
}

export function registerParseCommand(program: Command): void {
  program
    .command('parse')
    .description('Parse a 3.2 recovery log or a 4.2 OPS log into normalized ECS events (NDJSON on stdout)')
    .addOption(new Option('--format <format>', 'input format: rlog (3.2 plain text) or ops (4.2 JSON lines)').choices(FORMATS).makeOptionMandatory())
    .option('--host <name>', 'host of 3.2 records outside a session (default: unknown)')
    .option('--tz <zone>', 'IANA time zone of 3.2 form A timestamps (default: UTC)')
    .option('--os-version <v>', 'OS version of 3.2 records outside a session (default: 3.2)')
    .option('--dead-letters <file>', 'write dead letters as NDJSON to this file (default: one readable line each on stderr)')
    .option('--workers <n>', `threads that parse a file (default: every core for files of ${PARALLEL_FROM_BYTES >> 20} MiB or more, else 1); the output is the same`, parseWorkers)
    .argument('<file>', 'the log file, or - for standard input')
    .addHelpText(
      'after',
      `
Output: one event per line on stdout, in input order. A last summary line on stderr.
Exit status: 0 the input was read through (dead letters included), 1 it could not be read,
2 usage error.`,
    )
    .action(async (file: string, opts: ParseOptions) => {
      try {
        process.exitCode = await runParse(file, opts);
      } catch (err: unknown) {
        if (err instanceof UsageError) {
          process.stderr.write(`kintsugi parse: ${err.message}\n`);
          process.exitCode = EXIT.USAGE;
          return;
        }
        throw err;
      }
    });
}
