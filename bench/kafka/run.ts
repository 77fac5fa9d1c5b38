/**
 * The Kafka transport benchmark (`npm run bench:kafka`): events per second end to end, forwarder →
 * Kafka → worker → committed store, with one and with two workers, beside the produce rate of
 * `kcat` (librdkafka, the C client) on the same records in the same run, against the librdkafka
 * mock cluster (3 brokers). Also, to say what limits the pipeline: the forwarder alone (read,
 * parse, produce, acks=all) and the DuckDB store alone (the same items, written as the workers
 * write them).
 *
 * The forwarder runs in this process (`Forwarder.once`, as `kintsugi forward --once` without the
 * command's start-up); `kintsugi serve --kafka` runs as its own process, started and joined to
 * its group before the clock starts. The end is when the store holds every record.
 *
 * Options: --records N (default 100,000: half RLOG, half OPS; the mock keeps ~5 MB per
 * partition, so every run uses fresh topics), --no-readme.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { ParsedItem } from '../../parsers/event.js';
import { RecordReader } from '../../parsers/reader.js';
import { StoreSink } from '../../pipeline/store-sink.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import { Forwarder } from '../../pipeline/transport/forwarder.js';
import { kafkaSettings, type KafkaSettings } from '../../pipeline/transport/settings.js';
import { encodeItem } from '../../pipeline/transport/wire.js';
import { SILENT_LOG } from '../../collectors/source.js';
import { opsLines, rlogLines } from '../parse/corpus.js';
import { writeReadmeSection } from '../readme-section.js';
import { startMockBroker } from './mock-broker.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '100000' }, 'no-readme': { type: 'boolean', default: false } } });
const RECORDS = Number(values.records);
const SEED = 42;
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
/** CPU seconds (user + system) of this process so far: native threads (DuckDB, zlib) included. */
const ownCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** CPU seconds of another process so far, from /proc (clock ticks of 10 ms). */
const cpuOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const perRecord = (cpuSeconds: number): string => `${Math.round((cpuSeconds * 1e6) / items.length)} CPU µs/record`;

const root = mkdtempSync(join(tmpdir(), 'kintsugi-bench-kafka-'));
const rlog = join(root, 'recovery.log');
const ops = join(root, 'ops.jsonl');
writeFileSync(rlog, `${rlogLines(SEED, RECORDS / 2).join('\n')}\n`);
writeFileSync(ops, `${opsLines(SEED, RECORDS / 2).join('\n')}\n`);
const sources = [
  { name: 'r', format: 'rlog' as const, paths: [rlog], host: 'db-default' },
  { name: 'o', format: 'ops' as const, paths: [ops] },
];
const items: ParsedItem[] = [];
for (const s of sources) {
  const reader = new RecordReader(s.format, { path: s.paths[0] ?? '', host: 'db-default' });
  items.push(...reader.push(readFileSync(s.paths[0] ?? '')), ...reader.end());
}
// What the store ends with: one record per id (the OPS corpus repeats an event, as redeliveries do).
const TOTAL = new Set(items.map((i) => (i.kind === 'event' ? i.event.event.id : i.deadLetter.event.id))).size;
const wireBytes = items.reduce((n, i) => n + Buffer.byteLength(encodeItem(i).value), 0);

const broker = await startMockBroker(3);
let run = 0;
function settings(workers: number): KafkaSettings {
  run++;
  const tag = `bench-${process.pid}-${run}`;
  const s = kafkaSettings({ sources: [], kafka: { brokers: [...broker.brokers], groupId: tag, workers, topics: { events: `${tag}.events`, ops: `${tag}.ops`, deadLetters: `${tag}.dlq` }, sessionTimeoutMs: 10_000 } });
  if (s === null) throw new Error('no kafka settings');
  return s;
}

/** kcat (librdkafka) producing the same wire records, gzip, acks=all: the reference. */
function kcatRate(): { seconds: number; rate: number; cpu: number } {
  const lines = items.map((i) => {
    const m = encodeItem(i);
    return `${m.key}\t${m.value.replace(/\n/g, ' ')}`;
  });
  const input = join(root, 'kcat-input');
  writeFileSync(input, `${lines.join('\n')}\n`);
  const t0 = performance.now();
  const timing = join(root, 'kcat-time');
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timing, 'kcat', '-P', '-b', broker.brokers.join(','), '-t', `bench-kcat-${process.pid}`, '-K', '\t', '-z', 'gzip', '-X', 'acks=all', '-l', input], { stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`kcat failed: ${r.stderr.toString()}`);
  const [user, system] = readFileSync(timing, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  return { seconds, rate: items.length / seconds, cpu: (user ?? NaN) + (system ?? NaN) };
}

async function forwardOnce(s: KafkaSettings, dataDir: string): Promise<number> {
  // (The serve processes are children: their CPU is not in this process's figure.)
  const forwarder = new Forwarder({ sources, settings: s, dataDir, log: SILENT_LOG });
  const t0 = performance.now();
  const totals = await forwarder.once();
  if (totals.acknowledged !== items.length) throw new Error(`forwarder: ${totals.acknowledged} acknowledged of ${items.length}`);
  return (performance.now() - t0) / 1000;
}

/** The DuckDB store alone on the same items, batches as a worker writes them (one per fetch). */
async function storeRate(): Promise<{ rate: number; cpu: number }> {
  const dataDir = mkdtempSync(join(root, 'store-'));
  const store = await DuckDbEventStore.open({ dataDir, memoryLimit: '256MB' });
  const sink = new StoreSink(store);
  const c0 = ownCpu();
  const t0 = performance.now();
  for (let i = 0; i < items.length; i += 4000) await sink.write(items.slice(i, i + 4000));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = ownCpu() - c0;
  await store.close();
  return { rate: items.length / seconds, cpu };
}

interface EndToEnd {
  readonly seconds: number;
  readonly forwardSeconds: number;
  readonly rate: number;
  /** From serve ready to the first record stored: joining the consumer group and the first fetch. */
  readonly firstSeconds: number;
  /** Records per second from the first stored record to the last (the rest of the records). */
  readonly steadyRate: number;
  readonly peakRssMb: number;
  readonly serveCpu: number;
}

async function endToEnd(workers: number): Promise<EndToEnd> {
  const s = settings(workers);
  const dir = mkdtempSync(join(root, `e2e-${workers}-`));
  const config = join(dir, 'kintsugi.yaml');
  writeFileSync(config, `sources: []\napi: { host: 127.0.0.1, port: 0 }\nkafka:\n  brokers: [${s.brokers.map((b) => `"${b}"`).join(', ')}]\n  groupId: ${s.groupId}\n  workers: ${workers}\n  topics: { events: "${s.topics.events}", ops: "${s.topics.ops}", deadLetters: "${s.topics.deadLetters}" }\n`);
  const data = join(dir, 'data');
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config, '--data', data], { stdio: ['ignore', 'ignore', 'inherit'] });
  let url = '';
  while (url === '') {
    if (child.exitCode !== null) throw new Error('serve exited');
    const file = join(data, 'service.json');
    if (existsSync(file)) {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; url: string };
      if (info.pid === child.pid) url = info.url;
    }
    await sleep(100);
  }
  const serveCpu0 = cpuOf(child.pid ?? 0);
  const t0 = performance.now();
  const forwarding = forwardOnce(s, join(dir, 'fwd'));
  let forwardSeconds = 0;
  let failure: unknown = null;
  forwarding.then(
    (sec) => (forwardSeconds = sec),
    (err: unknown) => (failure = err),
  );
  let peakRssMb = 0;
  let first: { at: number; stored: number } | null = null;
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (failure !== null || Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`end to end with ${workers} workers did not finish: ${failure !== null ? String(failure) : 'timed out or serve exited'}`);
    }
    const h = (await (await fetch(`${url}/healthz`)).json()) as { events: number; deadLetters: number };
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    peakRssMb = Math.max(peakRssMb, Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024));
    if (first === null && h.events + h.deadLetters > 0) first = { at: performance.now(), stored: h.events + h.deadLetters };
    if (h.events + h.deadLetters >= TOTAL) break;
    // Not more often: every /healthz counts the store, which costs the serve process CPU.
    await sleep(100);
  }
  const end = performance.now();
  const seconds = (end - t0) / 1000;
  const serveCpu = cpuOf(child.pid ?? 0) - serveCpu0;
  const firstSeconds = first === null ? seconds : (first.at - t0) / 1000;
  const steadyRate = first === null || end <= first.at ? items.length / seconds : (TOTAL - first.stored) / ((end - first.at) / 1000);
  await forwarding;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { seconds, forwardSeconds, rate: items.length / seconds, firstSeconds, steadyRate, peakRssMb, serveCpu };
}

const lines: string[] = [];
const say = (line: string): void => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};
say(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; load average at start: ${load()}`);
say(`records: ${fmt(items.length)} (${fmt(RECORDS / 2)} RLOG lines + ${fmt(RECORDS / 2)} OPS lines, seed ${SEED}), ${fmt(wireBytes / items.length)} bytes per record on the wire before gzip`);
const kcat = kcatRate();
say(`kcat produce (librdkafka, gzip, acks=all):            ${fmt(kcat.rate).padStart(9)} records/s (${kcat.seconds.toFixed(2)} s; ${perRecord(kcat.cpu)})`);
const fwdCpu0 = ownCpu();
const fwdAlone = await forwardOnce(settings(1), mkdtempSync(join(root, 'fwd-')));
const fwdCpu = ownCpu() - fwdCpu0;
say(`forwarder alone (read, parse, produce, acks=all):      ${fmt(items.length / fwdAlone).padStart(9)} records/s (${fwdAlone.toFixed(2)} s; ${perRecord(fwdCpu)})  = ${(items.length / fwdAlone / kcat.rate).toFixed(2)}× kcat`);
const storeAlone = await storeRate();
say(`DuckDB store alone (batches of 4,000, one writer):     ${fmt(storeAlone.rate).padStart(9)} records/s (${perRecord(storeAlone.cpu)})`);
const one = await endToEnd(1);
say(`end to end, 1 worker:                                  ${fmt(one.rate).padStart(9)} records/s (${one.seconds.toFixed(2)} s; forwarder done at ${one.forwardSeconds.toFixed(2)} s; serve peak RSS ${one.peakRssMb} MB; serve: ${perRecord(one.serveCpu)})  = ${(one.rate / kcat.rate).toFixed(3)}× kcat`);
const two = await endToEnd(2);
say(`end to end, 2 workers:                                 ${fmt(two.rate).padStart(9)} records/s (${two.seconds.toFixed(2)} s; forwarder done at ${two.forwardSeconds.toFixed(2)} s; serve peak RSS ${two.peakRssMb} MB; serve: ${perRecord(two.serveCpu)})  = ${(two.rate / one.rate).toFixed(2)}× 1 worker`);
// The first record waits for the consumer group to form: a cost of each start, not of each record.
for (const [name, r] of [['1 worker', one], ['2 workers', two]] as const) {
  say(`  ${name.padEnd(9)}: first record stored ${r.firstSeconds.toFixed(2)} s after serve was ready; from it to the last: ${fmt(r.steadyRate)} records/s`);
}
// On 2 cores shared by forwarder, broker and serve, CPU per record bounds the rate whatever the load.
const bound = (2 * 1e6) / (((fwdCpu + one.serveCpu) * 1e6) / items.length);
say(`CPU bound on 2 cores (forwarder + serve CPU per record, broker not counted): ${fmt(bound)} records/s`);
say(`targets: 1 worker ≥ 50,000 records/s: ${one.rate >= 50_000 ? 'met' : 'NOT met'}; 2 workers ≥ 1.2× 1: ${two.rate >= 1.2 * one.rate ? 'met' : 'NOT met'}`);
say(`load average at end: ${load()}`);
await broker.stop();
rmSync(root, { recursive: true, force: true });

if (!values['no-readme']) {
  writeReadmeSection('kafka', [
    '## Kafka transport (`npm run bench:kafka`)',
    '',
    `\`bench/kafka/run.ts\` on ${new Date().toISOString().slice(0, 10)}, against the librdkafka mock cluster of kcat (3 brokers, on`,
    'the same 2 shared cores as the forwarder, the workers and the store). Figures of the last run:',
    '',
    '```',
    ...lines,
    '```',
    '',
    'Reading: wall rates scale with the load of the shared machine (the load average is printed);',
    'CPU µs per record do not, and bound what 2 cores can do end to end. The end-to-end rate is bounded',
    'by the slowest stage; compare it with the forwarder alone and the store alone (pipeline/transport/README.md).',
  ]);
}
