/**
 * One measurement of bench/ingest in a fresh process: parse only, `kintsugi ingest` into a new
 * DuckDB store, or `kintsugi serve` following the files until everything is committed. Prints one
 * JSON line.
 */
import { readFileSync } from 'node:fs';
import { RecordReader, type Format } from '../../parsers/reader.js';
import { ingestFiles, storeWriter } from '../../pipeline/ingest/ingest.js';
import { ParsePool, workersBesideStore } from '../../pipeline/ingest/parse-pool.js';
import { Service } from '../../pipeline/service.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import { DEFAULT_STORE_MEMORY_LIMIT } from '../../pipeline/config/schema.js';
import { SILENT_LOG } from '../../collectors/source.js';

const [kind, rlogFile, opsFile, dataDir] = process.argv.slice(2);
if (kind === undefined || rlogFile === undefined || opsFile === undefined || dataDir === undefined) throw new Error('usage: measure.js KIND RLOG OPS DATA');
const inputs: [string, Format][] = [
  [rlogFile, 'rlog'],
  [opsFile, 'ops'],
];

let peakRss = 0;
// Where the resident memory goes at its peak: the JavaScript heap, buffers outside it, the rest
// (DuckDB's native memory, the workers' heaps, code).
let atPeak = { heapMiB: 0, externalMiB: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > peakRss) {
    peakRss = m.rss;
    atPeak = { heapMiB: m.heapTotal / 1048576, externalMiB: m.external / 1048576 };
  }
}, 50);
const started = process.hrtime.bigint();
let items = 0;

if (kind === 'parse') {
  for (const [file, format] of inputs) {
    const bytes = readFileSync(file);
    const reader = new RecordReader(format, { path: file, host: 'bench' });
    for (let at = 0; at < bytes.length; at += 4 << 20) items += reader.push(bytes.subarray(at, at + (4 << 20))).length;
    items += reader.end().length;
  }
} else if (kind === 'ingest' || kind === 'ingest-main-thread') {
  // As `kintsugi ingest` does it (parse workers staging the columns), or all on this thread.
  const store = await DuckDbEventStore.open({ dataDir, memoryLimit: DEFAULT_STORE_MEMORY_LIMIT });
  const pool = kind === 'ingest' ? new ParsePool(workersBesideStore()) : undefined;
  for (const [file, format] of inputs) {
    const totals = await ingestFiles([file], format, { host: 'bench' }, storeWriter(store), undefined, pool);
    items += totals.records;
  }
  await pool?.close();
  await store.close();
} else if (kind === 'serve') {
  const service = new Service(
    {
      sources: [
        { name: 'r', format: 'rlog', paths: [rlogFile], host: 'bench' },
        { name: 'o', format: 'ops', paths: [opsFile] },
      ],
      api: { port: 0 },
      followers: { pollIntervalMs: 50, idleFlushMs: 0 },
    },
    dataDir,
    SILENT_LOG,
  );
  const url = await service.start();
  let last = -1;
  for (;;) {
    const health = (await (await fetch(`${url}/healthz`)).json()) as { events: number; deadLetters: number; followerLagBytes: number };
    const total = health.events + health.deadLetters;
    if (health.followerLagBytes === 0 && total === last && total > 0) {
      items = total;
      break;
    }
    last = total;
    await new Promise((r) => setTimeout(r, 100));
  }
  await service.stop();
} else throw new Error(`unknown measurement ${kind}`);

const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ kind, items, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: Math.max(peakRss, process.memoryUsage.rss()) / 1048576, ...atPeak })}\n`);
process.exit(0);
