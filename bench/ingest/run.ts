/**
 * `npm run bench:ingest`: events per second from files to the committed DuckDB store for a mixed
 * corpus (half RLOG 3.2, half OPS 4.2), by `kintsugi ingest` and by `kintsugi serve` following
 * the files, with the parse-only rate of the same corpus in the same run (the ratio is the cost of
 * storing) and the peak resident memory of each. Each figure comes from a fresh process.
 *
 *   npm run bench:ingest [-- --records N]     (default 1,000,000 records)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opsLines, rlogLines } from '../parse/corpus.js';

const args = process.argv.slice(2);
const at = args.indexOf('--records');
const RECORDS = at >= 0 ? Number(args[at + 1]) : 1_000_000;
const SEED = 42;
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const measure = fileURLToPath(new URL('./measure.js', import.meta.url));
const corpusDir = join(repo, 'bench/.corpus');

interface Figure {
  readonly kind: string;
  readonly items: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  /** The main thread's JavaScript heap and external buffers when the resident set peaked. */
  readonly heapMiB: number;
  readonly externalMiB: number;
}

function corpus(name: string, make: () => string[]): string {
  const file = join(corpusDir, `${name}-${RECORDS / 2}-${SEED}`);
  if (!existsSync(file)) {
    mkdirSync(corpusDir, { recursive: true });
    process.stderr.write(`generating ${file} ...\n`);
    writeFileSync(file, `${make().join('\n')}\n`);
  }
  return file;
}

const rlog = corpus('ingest-rlog', () => rlogLines(SEED, RECORDS / 2));
const ops = corpus('ingest-ops', () => opsLines(SEED, RECORDS / 2));

function run(kind: string): Figure {
  const data = mkdtempSync(join(tmpdir(), 'kintsugi-bench-ingest-'));
  try {
    const out = execFileSync(process.execPath, [measure, kind, rlog, ops, data], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Figure;
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

const parse = run('parse');
const ingest = run('ingest');
const oneThread = run('ingest-main-thread');
const serve = run('serve');
process.stdout.write(`\nbench/ingest: ${RECORDS.toLocaleString('en')} lines (half RLOG, half OPS; seed ${SEED})\n\n`);
process.stdout.write('| measurement | records | records/s | seconds | CPU s (all threads) | peak RSS MiB (main heap, external) |\n|---|---:|---:|---:|---:|---:|\n');
for (const [name, f] of [
  ['parse + normalize only', parse],
  ['kintsugi ingest → DuckDB, committed (parse workers stage the events)', ingest],
  ['the same, parsing and staging on the main thread', oneThread],
  ['kintsugi serve following the files → DuckDB, committed', serve],
] as const) {
  process.stdout.write(`| ${name} | ${f.items.toLocaleString('en')} | ${Math.round(f.items / f.seconds).toLocaleString('en')} | ${f.seconds.toFixed(2)} | ${f.cpuSeconds.toFixed(1)} | ${Math.round(f.peakRssMiB)} (${Math.round(f.heapMiB)}, ${Math.round(f.externalMiB)}) |\n`);
}
process.stdout.write(`\ncost of storing: ingest takes ${(ingest.seconds / parse.seconds).toFixed(2)}x the parse-only time; serve ${(serve.seconds / parse.seconds).toFixed(2)}x\n`);
process.stdout.write('targets: >= 80,000 events/s committed from files; resident memory < 400 MB\n');
