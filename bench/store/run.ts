/**
 * The event store benchmark (`npm run bench:store`, after `npm run build`).
 *
 * 1. Writes `--ingest` events (default 1M) of the seeded generator in batches of `--batch`
 *    (default 10,000) to a fresh DuckDB store: events/s committed, resident memory; then writes
 *    one batch again to time the idempotent path (all duplicates).
 * 2. Grows the store to `--events` (default 10M) and times the forensic queries of issue 3:
 *    a trace by correlation id (target < 50 ms), a 30-day count of missing/corrupt checks grouped
 *    by module (< 500 ms), a text search over messages and paths (< 1 s).
 * 3. Prints the figures and writes them into bench/README.md (its "Store" section only).
 *
 * Options: --events N, --ingest N, --batch N, --order time|random (arrival order of the generated
 * events: in time order as live tailing stores them, the default, or random, the worst case for
 * DuckDB's zone maps), --data DIR (kept afterwards; default a temporary folder, removed),
 * --no-readme.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import type { RecoveryEvent } from '../../parsers/event.js';
import type { EventStore } from '../../pipeline/store/event-store.js';
import { EventGenerator } from './generate.js';
import { writeReadmeSection } from '../readme-section.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    ingest: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    data: { type: 'string' },
    order: { type: 'string', default: 'time' },
    'no-readme': { type: 'boolean', default: false },
  },
});

const TOTAL = Number(values.events);
const INGEST = Math.min(Number(values.ingest), TOTAL);
const BATCH = Number(values.batch);
const GROW_BATCH = 100_000;
const ORDER = values.order === 'random' ? 'random' : 'time';
const DAY = 86_400_000;
const SPAN_DAYS = 60;
const START_MS = Date.UTC(2026, 0, 1);

const mb = (bytes: number): number => Math.round(bytes / 1048576);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

let peakRss = 0;
function sampleRss(): number {
  const rss = process.memoryUsage.rss();
  peakRss = Math.max(peakRss, rss);
  return rss;
}

async function timed<T>(task: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await task();
  return { ms: performance.now() - t0, value };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/**
 * Writes `target` new events, two batches in flight: the next batch is generated and prepared
 * while the previous one commits, as in the pipeline. Counts only what the store committed.
 */
async function write(store: EventStore, gen: EventGenerator, target: number, batch: number): Promise<{ ms: number; written: number }> {
  let written = 0;
  let generated = 0;
  const t0 = performance.now();
  let inFlight: Promise<void> | null = null;
  const commit = async (events: RecoveryEvent[]): Promise<void> => {
    const r = await store.writeBatch(events, []);
    if (!r.ok) throw r.error;
    written += r.events.inserted;
    sampleRss();
  };
  while (generated < target) {
    const events = gen.next(Math.min(batch, target - generated));
    generated += events.length;
    const next = commit(events);
    if (inFlight !== null) await inFlight;
    inFlight = next;
  }
  if (inFlight !== null) await inFlight;
  return { ms: performance.now() - t0, written };
}

async function main(): Promise<void> {
  const keep = values.data !== undefined;
  const dataDir = values.data ?? mkdtempSync(join(tmpdir(), 'kintsugi-bench-store-'));
  const lines: string[] = [];
  const say = (line: string): void => {
    console.log(line);
    lines.push(line);
  };
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}`;
  say(`machine: ${machine}`);
  const store = await DuckDbEventStore.open({ dataDir });
  const gen = new EventGenerator({ seed: 42, hosts: 2000, spanDays: SPAN_DAYS, startMs: START_MS, order: ORDER, totalEvents: TOTAL });
  try {
    // 1. Ingest.
    const rssBefore = sampleRss();
    const ingest = await write(store, gen, INGEST, BATCH);
    say(
      `ingest: ${fmt(ingest.written)} events in batches of ${fmt(BATCH)} (2 in flight, generation included): ` +
        `${fmt((ingest.written / ingest.ms) * 1000)} events/s committed in ${(ingest.ms / 1000).toFixed(1)} s; ` +
        `RSS ${mb(rssBefore)} MB before, peak ${mb(peakRss)} MB`,
    );
    const again = new EventGenerator({ seed: 42, hosts: 2000, spanDays: SPAN_DAYS, startMs: START_MS, order: ORDER, totalEvents: TOTAL }).next(BATCH);
    const dup = await timed(() => store.writeBatch(again, []));
    if (!dup.value.ok) throw dup.value.error;
    say(
      `re-write of ${fmt(again.length)} stored events: ${dup.value.events.duplicates} duplicates, ${dup.value.events.inserted} inserted, ` +
        `${fmt((again.length / dup.ms) * 1000)} events/s`,
    );

    // 2. Grow.
    const grow = await write(store, gen, TOTAL - INGEST, GROW_BATCH);
    const stats = await store.stats();
    say(
      `grow: ${fmt(grow.written)} more events in batches of ${fmt(GROW_BATCH)} in ${(grow.ms / 1000).toFixed(1)} s ` +
        `(${fmt((grow.written / grow.ms) * 1000)} events/s committed); store holds ${fmt(stats.events)} events; peak RSS ${mb(peakRss)} MB`,
    );

    // 3. Queries.
    const cids = gen.correlationIds;
    const traceMs: number[] = [];
    let traceEvents = 0;
    for (let i = 0; i < 20; i++) {
      const cid = cids[Math.floor(((i + 0.5) * cids.length) / 20)] ?? '';
      const r = await timed(() => store.trace(cid));
      if (!r.value.ok) throw r.value.error;
      traceEvents += r.value.trace.nodes.length;
      traceMs.push(r.ms);
    }
    say(
      `trace by correlation id: median ${median(traceMs).toFixed(1)} ms, max ${Math.max(...traceMs).toFixed(1)} ms ` +
        `(20 traces, ${(traceEvents / 20).toFixed(0)} events each on average; target < 50 ms)`,
    );

    const end = START_MS + SPAN_DAYS * DAY;
    const filter = {
      action: 'check.file',
      status: ['missing', 'corrupt'],
      from: new Date(end - 30 * DAY).toISOString(),
      to: new Date(end).toISOString(),
    };
    const countMs: number[] = [];
    let groups = 0;
    let counted = 0;
    for (let i = 0; i < 5; i++) {
      const r = await timed(() => store.countBy('module', filter));
      if (!r.value.ok) throw r.value.error;
      groups = r.value.counts.length;
      counted = r.value.counts.reduce((s, c) => s + c.count, 0);
      countMs.push(r.ms);
    }
    say(
      `30-day count of missing/corrupt check.file by module: median ${median(countMs).toFixed(1)} ms, max ${Math.max(...countMs).toFixed(1)} ms ` +
        `(${fmt(counted)} events in ${groups} modules; target < 500 ms)`,
    );

    for (const text of ['no space left', 'VENDOR TOOLS', 'db-0042.img']) {
      const ms: number[] = [];
      let found = 0;
      for (let i = 0; i < 3; i++) {
        const r = await timed(() => store.queryEvents({ text }, { limit: 100 }));
        if (!r.value.ok) throw r.value.error;
        found = r.value.events.length;
        ms.push(r.ms);
      }
      say(
        `text search "${text}" (first 100 in time order): median ${median(ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms, ${found} returned (target < 1 s)`,
      );
    }
    say(`peak RSS over the whole run: ${mb(peakRss)} MB`);
  } finally {
    await store.close();
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
  if (!values['no-readme']) writeReadme(lines);
}

/** Replaces this benchmark's section of bench/README.md (other sections belong to others). */
function writeReadme(lines: readonly string[]): void {
  writeReadmeSection('store', [
    '## Store (`npm run bench:store`)',
    '',
    `The DuckDB event store (\`pipeline/store/\`), measured by \`bench/store/run.ts\` on ${new Date().toISOString().slice(0, 10)}:`,
    `${fmt(INGEST)} generated events (seed 42, 3.2 sessions and 4.2 restores over 2,000 hosts and ${SPAN_DAYS} days, ~690 bytes`,
    `of JSON each) written in batches of ${fmt(BATCH)}, then grown to ${fmt(TOTAL)} for the queries; arrival order: ${ORDER}`,
    '(`--order random` is the worst case for zone maps on time). The machine is shared with other jobs: figures vary by',
    'up to 2x between runs. Figures of the last run:',
    '',
    '```',
    ...lines,
    '```',
  ]);
}

await main();
