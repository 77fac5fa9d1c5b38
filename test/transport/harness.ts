/**
 * Test harness of the Kafka transport: log files to forward, `kintsugi serve --kafka` and
 * `kintsugi forward` as real processes, what the store holds, what a topic holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { DeadLetter } from '../../parsers/event.js';
import { RecordReader, type Format } from '../../parsers/reader.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import { CLI } from '../cli/run-cli.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (err: unknown) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last !== null ? ` (last error: ${String(last)})` : ''}`);
}

/** RLOG 3.2 lines: sessions of db-0..db-6, checks (some corrupt, with a continuation), garbage. */
export function rlogText(from: number, count: number): string {
  let out = '';
  for (let i = from; i < from + count; i++) {
    const ts = `[2026-03-14 ${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}]`;
    if (i % 25 === 0) out += `${ts} SESSION START version=3.2.7 host=db-${Math.floor(i / 25) % 7} session=s${Math.floor(i / 25)}\n`;
    else if (i % 25 === 24) out += `${ts} SESSION END status=ok duration=1.5s\n`;
    else if (i % 11 === 0) out += `${ts} CHECK /lib/modules/3.2.7/kernel/m${i}.ko CORRUPT (code=E1207 "bad" n=${i})\n  | 0000: 7f 45 4c 46\n`;
    else if (i % 97 === 0) out += `garbage line ${i}\n`;
    else out += `${ts} CHECK /lib/modules/3.2.7/kernel/m${i}.ko OK\n`;
  }
  return out;
}

/** OPS 4.2 lines, v1 and v2, some broken. */
export function opsText(from: number, count: number): string {
  let out = '';
  for (let i = from; i < from + count; i++) {
    if (i % 89 === 0) out += `{"broken": ${i}\n`;
    else if (i % 2 === 0) out += `${JSON.stringify({ schema: 2, time: 1773454269412 + i, event_id: `01E${String(i).padStart(10, '0')}`, host: { name: `web-${i % 5}` }, op: 'check.file', status: 'ok', correlation_id: `c${Math.floor(i / 10)}` })}\n`;
    else out += `${JSON.stringify({ ts: new Date(1773454269412 + i).toISOString(), host: `web-${i % 5}`, op: 'restore.file', status: 'ok', cid: `c${Math.floor(i / 10)}`, bytes: i })}\n`;
  }
  return out;
}

export interface Expected {
  readonly events: Set<string>;
  readonly dead: Set<string>;
}

/** What `kintsugi parse` gives for these files (read whole; host db-default for 3.2). */
export function expected(files: readonly { path: string; format: Format }[]): Expected {
  const events = new Set<string>();
  const dead = new Set<string>();
  for (const { path, format } of files) {
    const reader = new RecordReader(format, { path, host: 'db-default' });
    for (const item of [...reader.push(readFileSync(path)), ...reader.end()]) {
      if (item.kind === 'event') events.add(item.event.event.id);
      else dead.add(item.deadLetter.event.id);
    }
  }
  return { events, dead };
}

export interface Topics {
  readonly events: string;
  readonly ops: string;
  readonly deadLetters: string;
}

let topicCounter = 0;
/** Fresh topic names: every test its own, so that tests share one broker without seeing each other. */
export function freshTopics(name: string): Topics {
  const tag = `${name}-${process.pid}-${++topicCounter}`;
  return { events: `t.${tag}.events`, ops: `t.${tag}.ops`, deadLetters: `t.${tag}.dlq` };
}

export function writeConfig(dir: string, brokers: readonly string[], topics: Topics, options: { groupId: string; workers?: number; sources?: string[] }): string {
  const file = join(dir, `kintsugi-${options.groupId}.yaml`);
  writeFileSync(
    file,
    [
      'sources:',
      ...(options.sources ?? []).map((s) => `  - ${s}`),
      ...(options.sources === undefined || options.sources.length === 0 ? ['  []'] : []),
      'api: { host: 127.0.0.1, port: 0 }',
      'followers: { pollIntervalMs: 20, idleFlushMs: 0 }',
      'kafka:',
      `  brokers: [${brokers.map((b) => `"${b}"`).join(', ')}]`,
      `  groupId: ${options.groupId}`,
      `  workers: ${options.workers ?? 1}`,
      `  topics: { events: "${topics.events}", ops: "${topics.ops}", deadLetters: "${topics.deadLetters}" }`,
      '  sessionTimeoutMs: 6000',
      '',
    ].join('\n').replace('sources:\n  []', 'sources: []'),
  );
  return file;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
  health(): Promise<{ events: number; deadLetters: number }>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

export async function startServe(config: string, data: string, extra: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config, '--data', data, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await waitFor('kintsugi serve to answer', async () => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr}`);
    const file = join(data, 'service.json');
    if (!existsSync(file)) return null;
    const info = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; url: string };
    if (info.pid !== child.pid) return null;
    return (await fetch(`${info.url}/healthz`)).ok ? info.url : null;
  });
  return {
    child,
    url,
    stderr: () => stderr,
    health: async () => (await (await fetch(`${url}/healthz`)).json()) as { events: number; deadLetters: number },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Waits until the service holds `events` events and `dead` dead letters, and they stay so. */
export async function waitForCounts(serve: ServeProcess, events: number, dead: number, timeoutMs = 90_000): Promise<void> {
  await waitFor(`${events} events and ${dead} dead letters`, async () => {
    const h = await serve.health();
    if (h.events > events || h.deadLetters > dead) throw new Error(`too many: ${JSON.stringify(h)}`);
    return h.events === events && h.deadLetters === dead ? true : null;
  }, timeoutMs);
}

export async function storedIds(data: string): Promise<{ events: string[]; dead: string[]; deadLetters: readonly DeadLetter[] }> {
  const store = await DuckDbEventStore.open({ dataDir: data });
  try {
    const events = await store.queryEvents({}, { limit: 0 });
    const dead = await store.queryDeadLetters({}, { limit: 0 });
    if (!events.ok || !dead.ok) throw new Error('query failed');
    return { events: events.events.map((e) => e.event.id), dead: dead.deadLetters.map((d) => d.event.id), deadLetters: dead.deadLetters };
  } finally {
    await store.close();
  }
}

export function runForward(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'forward', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Every message of a topic from the beginning, read until `count` arrived (a fresh group). */
export async function readTopic(brokers: readonly string[], topic: string, count: number, timeoutMs = 30_000): Promise<{ key: string; value: Buffer; partition: number; offset: string }[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}`, sessionTimeout: 6000 });
  const got: { key: string; value: Buffer; partition: number; offset: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        got.push({ key: message.key?.toString('utf8') ?? '', value: message.value ?? Buffer.alloc(0), partition, offset: message.offset });
      },
    });
    await waitFor(`${count} messages on ${topic}`, async () => (got.length >= count ? true : null), timeoutMs);
    // A moment more: more than `count` would show up now.
    await sleep(500);
  } finally {
    await consumer.disconnect();
  }
  return got;
}
