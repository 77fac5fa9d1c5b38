/**
 * The crash test of the embedded pipeline: a writer appends RLOG and OPS records and rotates both
 * logs (by rename and by copytruncate) while `kintsugi serve` is killed with SIGKILL at random
 * moments and restarted, 20 times. At the end the store holds exactly the events and dead letters
 * that `kintsugi parse` gives for every byte written: none lost, none doubled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordReader, type Format } from '../../parsers/reader.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import { rng } from '../../bench/rng.js';
import { CLI } from '../cli/run-cli.js';

const KILLS = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class Writer {
  private n = 0;
  private rotations = 0;
  constructor(
    private readonly dir: string,
    private readonly random: () => number,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private rlog(): string {
    const i = this.n++;
    const s = `s${Math.floor(i / 25)}`;
    const ts = `[2026-03-14 ${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}]`;
    if (i % 25 === 0) return `${ts} SESSION START version=3.2.7 host=db-${i % 7} session=${s}\n`;
    if (i % 25 === 24) return `${ts} SESSION END status=ok duration=1.5s\n`;
    if (i % 11 === 0) return `${ts} CHECK /lib/modules/3.2.7/kernel/m${i}.ko CORRUPT (code=E1207 "bad" n=${i})\n  | 0000: 7f 45 4c 46\n`;
    if (i % 97 === 0) return `garbage line ${i}\n`;
    return `${ts} CHECK /lib/modules/3.2.7/kernel/m${i}.ko OK\n`;
  }

  private ops(): string {
    const i = this.n++;
    if (i % 89 === 0) return `{"broken": ${i}\n`;
    if (i % 2 === 0) return `${JSON.stringify({ schema: 2, time: 1773454269412 + i, event_id: `01E${String(i).padStart(10, '0')}`, host: { name: `web-${i % 5}` }, op: 'check.file', status: 'ok', correlation_id: `c${Math.floor(i / 10)}` })}\n`;
    return `${JSON.stringify({ ts: new Date(1773454269412 + i).toISOString(), host: `web-${i % 5}`, op: 'restore.file', status: 'ok', cid: `c${Math.floor(i / 10)}`, bytes: i })}\n`;
  }

  /** One burst of appends, sometimes a rotation of one of the logs. */
  step(): void {
    const rlog = join(this.dir, 'recovery.log');
    const ops = join(this.dir, 'ops.jsonl');
    let a = '';
    let b = '';
    const count = 1 + Math.floor(this.random() * 30);
    for (let k = 0; k < count; k++) {
      a += this.rlog();
      b += this.ops();
    }
    appendFileSync(rlog, a);
    appendFileSync(ops, b);
    if (this.random() < 0.06) {
      const file = this.random() < 0.5 ? rlog : ops;
      const generation = `${file}.${++this.rotations}`;
      if (this.rotations % 2 === 0) {
        renameSync(file, generation);
        writeFileSync(file, '');
      } else {
        copyFileSync(file, generation);
        truncateSync(file, 0);
      }
    }
  }
}

function startServe(config: string, data: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'serve', '--config', config, '--data', data], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function waitForService(data: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const file = join(data, 'service.json');
    if (existsSync(file)) {
      try {
        const info = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
        const r = await fetch(`${info.url}/healthz`);
        if (r.ok) return info.url;
      } catch {
        // not up yet
      }
    }
    await sleep(50);
  }
  throw new Error('kintsugi serve did not come up');
}

function expected(dir: string): { events: Set<string>; dead: Set<string> } {
  const events = new Set<string>();
  const dead = new Set<string>();
  for (const name of readdirSync(dir)) {
    const format: Format = name.startsWith('recovery.log') ? 'rlog' : 'ops';
    const reader = new RecordReader(format, { path: join(dir, name), host: 'db-default', timeZone: 'UTC' });
    for (const item of [...reader.push(readFileSync(join(dir, name))), ...reader.end()]) {
      if (item.kind === 'event') events.add(item.event.event.id);
      else dead.add(item.deadLetter.event.id);
    }
  }
  return { events, dead };
}

describe('kintsugi serve under SIGKILL', () => {
  it(`stores exactly what parse gives after ${KILLS} kills during writes and rotations`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-crash-'));
    const logs = join(root, 'logs');
    const data = join(root, 'data');
    const config = join(root, 'kintsugi.yaml');
    writeFileSync(
      config,
      [
        'sources:',
        `  - { name: r, format: rlog, paths: ["${logs}/recovery.log*"], host: db-default, timeZone: UTC }`,
        `  - { name: o, format: ops, paths: ["${logs}/ops.jsonl*"] }`,
        'api: { host: 127.0.0.1, port: 0 }',
        'followers: { pollIntervalMs: 20, idleFlushMs: 0, batchBytes: 65536 }',
        '',
      ].join('\n'),
    );
    const random = rng(20261122);
    const writer = new Writer(logs, random);
    writer.step();
    for (let k = 0; k < KILLS; k++) {
      const child = startServe(config, data);
      const until = Date.now() + 150 + Math.floor(random() * 900);
      while (Date.now() < until) {
        writer.step();
        await sleep(5 + Math.floor(random() * 20));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // The last run is allowed to finish: no more writes, let it catch up, stop it cleanly.
    const child = startServe(config, data);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await waitForService(data);
    const want = expected(logs);
    let stable = 0;
    let last = -1;
    while (stable < 10) {
      const health = (await (await fetch(`${url}/healthz`)).json()) as { events: number; deadLetters: number; followerLagBytes: number };
      const total = health.events + health.deadLetters;
      stable = total === last && health.followerLagBytes === 0 ? stable + 1 : 0;
      last = total;
      await sleep(100);
    }
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const store = await DuckDbEventStore.open({ dataDir: data });
    try {
      const events = await store.queryEvents({}, { limit: 0 });
      const dead = await store.queryDeadLetters({}, { limit: 0 });
      if (!events.ok || !dead.ok) throw new Error('query failed');
      const gotEvents = events.events.map((e) => e.event.id);
      const gotDead = dead.deadLetters.map((d) => d.event.id);
      expect(gotEvents.length).toBe(new Set(gotEvents).size);
      expect(gotDead.length).toBe(new Set(gotDead).size);
      expect([...gotEvents].sort()).toEqual([...want.events].sort());
      expect([...gotDead].sort()).toEqual([...want.dead].sort());
      expect(want.events.size).toBeGreaterThan(1000);
      expect(want.dead.size).toBeGreaterThan(10);
    } finally {
      await store.close();
    }
  }, 600_000);
});
