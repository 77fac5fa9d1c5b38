/**
 * `npm run bench:parse`: parse + normalize throughput of both formats, against the references
 * measured in the same run on the same corpus: lognormalizer (liblognorm) on RLOG, a bare
 * JSON.parse loop on OPS. Each figure comes from a fresh process (measure.ts).
 *
 *   npm run bench:parse [-- --lines N] [--rounds N]
 *
 * Defaults: 1,000,000 lines of each format, 3 rounds. A round runs every measurement once, in
 * turn; each figure is the best of its rounds (this VM's speed drifts by ±15-30 % between
 * identical runs), and the OPS / JSON.parse ratio is also given round by round, each from the two
 * measurements of one round.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { opsLines, rlogLines } from './corpus.js';

const args = process.argv.slice(2);
const linesArg = args.indexOf('--lines');
const LINES = linesArg >= 0 ? Number(args[linesArg + 1]) : 1_000_000;
const roundsArg = args.indexOf('--rounds');
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 3;
if (!Number.isInteger(LINES) || LINES < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  process.stderr.write('usage: npm run bench:parse [-- --lines N] [--rounds N]   (N a positive integer)\n');
  process.exit(2);
}
const SEED = 20260314;
const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const corpusDir = `${repo}bench/.corpus`;
const measure = `${here}measure.js`;
const rulebase = `${repo}bench/parse/rlog.rulebase`;

interface Figure {
  readonly kind: string;
  readonly items: number;
  readonly seconds: number;
  readonly bytes: number;
  readonly maxRssMiB: number;
}

function corpus(name: string, make: () => string[]): string {
  const file = `${corpusDir}/${name}-${LINES}-${SEED}`;
  if (!existsSync(file)) {
    mkdirSync(corpusDir, { recursive: true });
    process.stderr.write(`generating ${file} ...\n`);
    writeFileSync(file, `${make().join('\n')}\n`);
  }
  return file;
}

/** Bodies that never repeat: the grammar's worst case, where its memo never hits. */
function uniqueRlog(lines: number): string[] {
  return Array.from({ length: lines }, (_, n) => `[2026-01-01 00:00:${String(n % 60).padStart(2, '0')}] CHECK /lib/modules/3.2.7/kernel/drivers/m${n}.ko CORRUPT (code=E1207 "checksum mismatch" expected=sha1:${n.toString(16)} actual=sha1:${(n * 7).toString(16)})`);
}

function run(kind: string, file: string): Figure {
  const out = execFileSync(process.execPath, [measure, kind, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const parsed: unknown = JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
  if (typeof parsed !== 'object' || parsed === null || !('seconds' in parsed)) throw new Error(`measure.js ${kind}: ${out}`);
  return parsed as Figure;
}

function ensureLognormalizer(): boolean {
  if (spawnSync('lognormalizer', ['-V']).error === undefined) return true;
  process.stderr.write('lognormalizer is missing: installing liblognorm-utils (apt-get) ...\n');
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq liblognorm-utils'], { stdio: 'inherit' });
  return r.status === 0 && spawnSync('lognormalizer', ['-V']).error === undefined;
}

function lognormalizer(file: string): Figure | null {
  if (!ensureLognormalizer()) return null;
  const started = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `lognormalizer -r '${rulebase}' -e json < '${file}' > /dev/null`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`lognormalizer exited ${r.status}`);
  return { kind: 'lognormalizer', items: LINES, seconds, bytes: statSync(file).size, maxRssMiB: NaN };
}

const rlog = corpus('rlog', () => rlogLines(SEED, LINES));
const ops = corpus('ops', () => opsLines(SEED, LINES));
const unique = corpus('rlog-unique', () => uniqueRlog(Math.min(LINES, 300_000)));

const rows: [string, Figure, number][] = [];
const rate = (f: Figure, lines: number): number => lines / f.seconds;
type Figures = {
  rlog: Figure;
  rlogNdjson: Figure;
  rlog2: Figure;
  unique: Figure;
  lognorm: Figure | null;
  ops: Figure;
  opsNdjson: Figure;
  ops2: Figure;
  json: Figure;
};

function round(): Figures {
  return {
    rlog: run('rlog', rlog),
    rlogNdjson: run('rlog-ndjson', rlog),
    rlog2: run('rlog-2cores', rlog),
    unique: run('rlog', unique),
    lognorm: lognormalizer(rlog),
    ops: run('ops', ops),
    opsNdjson: run('ops-ndjson', ops),
    ops2: run('ops-2cores', ops),
    json: run('json-parse', ops),
  };
}

const best = (a: Figure, b: Figure): Figure => (b.seconds < a.seconds ? b : a);
const rounds: Figures[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  process.stderr.write(`round ${r} of ${ROUNDS} ...\n`);
  rounds.push(round());
}
const [first, ...others] = rounds;
if (first === undefined) throw new Error('no round ran');
const figures: Figures = others.reduce<Figures>(
  (acc, f) => ({
    rlog: best(acc.rlog, f.rlog),
    rlogNdjson: best(acc.rlogNdjson, f.rlogNdjson),
    rlog2: best(acc.rlog2, f.rlog2),
    unique: best(acc.unique, f.unique),
    lognorm: acc.lognorm === null || f.lognorm === null ? null : best(acc.lognorm, f.lognorm),
    ops: best(acc.ops, f.ops),
    opsNdjson: best(acc.opsNdjson, f.opsNdjson),
    ops2: best(acc.ops2, f.ops2),
    json: best(acc.json, f.json),
  }),
  first,
);
rows.push(['RLOG parse + normalize, 1 core', figures.rlog, LINES]);
rows.push(['RLOG parse + normalize + NDJSON out, 1 core', figures.rlogNdjson, LINES]);
rows.push(['RLOG parse + normalize + NDJSON out, 2 cores (kintsugi parse --workers 2)', figures.rlog2, LINES]);
rows.push(['RLOG, every body unique (no memo hit), 1 core', figures.unique, Math.min(LINES, 300_000)]);
if (figures.lognorm !== null) rows.push(['lognormalizer (liblognorm) on the RLOG corpus', figures.lognorm, LINES]);
rows.push(['OPS parse + normalize, 1 core', figures.ops, LINES]);
rows.push(['OPS parse + normalize + NDJSON out, 1 core', figures.opsNdjson, LINES]);
rows.push(['OPS parse + normalize + NDJSON out, 2 cores', figures.ops2, LINES]);
rows.push(['bare JSON.parse loop on the OPS corpus', figures.json, LINES]);

process.stdout.write(`\nbench/parse: ${LINES.toLocaleString('en')} lines of each format (seed ${SEED}), best of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}\n\n`);
process.stdout.write('| measurement | lines/s | MiB/s | seconds | max RSS MiB |\n|---|---:|---:|---:|---:|\n');
for (const [name, f, lines] of rows) {
  process.stdout.write(`| ${name} | ${Math.round(rate(f, lines)).toLocaleString('en')} | ${(f.bytes / 1048576 / f.seconds).toFixed(1)} | ${f.seconds.toFixed(2)} | ${Number.isNaN(f.maxRssMiB) ? '-' : Math.round(f.maxRssMiB)} |\n`);
}
process.stdout.write('\nratios:\n');
if (figures.lognorm !== null) {
  process.stdout.write(`  RLOG 1 core / lognormalizer:  ${(figures.lognorm.seconds / figures.rlog.seconds).toFixed(2)}\n`);
  process.stdout.write(`  RLOG 2 cores / lognormalizer: ${(figures.lognorm.seconds / figures.rlog2.seconds).toFixed(2)}\n`);
} else process.stdout.write('  lognormalizer: skipped (liblognorm-utils could not be installed)\n');
process.stdout.write(`  OPS 1 core time / JSON.parse time: ${(figures.ops.seconds / figures.json.seconds).toFixed(2)} best against best (target: at most 2)\n`);
process.stdout.write(`    round by round: ${rounds.map((f) => (f.ops.seconds / f.json.seconds).toFixed(2)).join(', ')}\n`);
process.stdout.write(`  RLOG 1 core lines/s round by round: ${rounds.map((f) => Math.round(rate(f.rlog, LINES)).toLocaleString('en')).join(', ')}\n`);
process.stdout.write(`  targets: RLOG >= 150,000 lines/s on 1 core, >= 300,000 on 2 cores\n`);
