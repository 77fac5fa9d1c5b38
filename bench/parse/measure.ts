/**
 * One measurement of `bench/parse`, run in a fresh process by run.ts so that caches and JIT state
 * do not carry from one measurement to the next. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { RecordReader, type Format } from '../../parsers/reader.js';
import { ParsePool } from '../../pipeline/ingest/parse-pool.js';

const [kind, file] = process.argv.slice(2);
if (kind === undefined || file === undefined) throw new Error('usage: measure.js KIND FILE');
const bytes = readFileSync(file);
// As `kintsugi parse` reads, and as the parse workers slice their pieces (pipeline/ingest/parse-worker.ts).
const CHUNK = 64 << 10;

function readerRun(format: Format, serialize: boolean): number {
  const reader = new RecordReader(format, { path: file ?? '', host: 'bench', timeZone: 'UTC' });
  let items = 0;
  let out = 0;
  const take = (batch: ReturnType<RecordReader['push']>): void => {
    items += batch.length;
    if (serialize) for (const item of batch) out += JSON.stringify(item.kind === 'event' ? item.event : item.deadLetter).length + 1;
  };
  for (let at = 0; at < bytes.length; at += CHUNK) take(reader.push(bytes.subarray(at, at + CHUNK)));
  take(reader.end());
  return items;
}

function jsonParseRun(): number {
  let n = 0;
  let pos = 0;
  while (pos < bytes.length) {
    let lf = bytes.indexOf(0x0a, pos);
    if (lf === -1) lf = bytes.length;
    if (lf > pos) {
      JSON.parse(bytes.toString('utf8', pos, lf));
      n++;
    }
    pos = lf + 1;
  }
  return n;
}

const started = process.hrtime.bigint();
let items: number;
switch (kind) {
  case 'rlog':
  case 'ops':
    items = readerRun(kind, false);
    break;
  case 'rlog-ndjson':
  case 'ops-ndjson':
    items = readerRun(kind === 'rlog-ndjson' ? 'rlog' : 'ops', true);
    break;
  case 'rlog-2cores':
  case 'ops-2cores': {
    // As `kintsugi parse --workers 2` does: NDJSON out, in input order.
    const pool = new ParsePool(2);
    let out = 0;
    const counts = await pool.parseFile(file, kind === 'rlog-2cores' ? 'rlog' : 'ops', { path: file, host: 'bench', timeZone: 'UTC' }, async (piece) => {
      for (const text of [...piece.events, ...piece.deadLetters]) out += text.byteLength;
    });
    items = counts.records + counts.deadLetters;
    await pool.close();
    break;
  }
  case 'json-parse':
    items = jsonParseRun();
    break;
  default:
    throw new Error(`unknown measurement ${kind}`);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ kind, items, seconds, bytes: bytes.length, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
