/**
 * `kintsugi serve`, `query` and `ingest` together, as a user runs them: queries and imports go
 * through the running service (no lock error), a second service on the same data folder is
 * refused, SIGTERM stops cleanly, and afterwards the same queries read the store file.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLES_DIR } from '../parsers/samples.js';
import { CLI, runCli } from './run-cli.js';

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

describe('kintsugi serve with query and ingest', () => {
  it('answers queries while it runs and after it stopped, the same', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-serve-'));
    const logs = join(root, 'logs');
    cpSync(join(SAMPLES_DIR, 'example.rlog'), join(logs, 'recovery.log'));
    cpSync(join(SAMPLES_DIR, 'example.ops.jsonl'), join(logs, 'ops.jsonl'));
    const data = join(root, 'data');
    const config = join(root, 'kintsugi.yaml');
    writeFileSync(config, `sources:\n  - { name: r, format: rlog, paths: ["${logs}/recovery.log*"] }\n  - { name: o, format: ops, paths: ["${logs}/ops.jsonl*"] }\napi: { port: 0 }\nfollowers: { pollIntervalMs: 50, idleFlushMs: 100 }\n`);

    const serve = spawn(process.execPath, [CLI, 'serve', '--config', config, '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    serve.stdout.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => serve.once('exit', r));
    await until(async () => {
      const r = await runCli(['query', 'events', '--data', data, '--limit', '0', '--format', 'ndjson']);
      return r.code === 0 && r.stdout.trim().split('\n').length === 14;
    });

    const second = await runCli(['serve', '--config', config, '--data', data]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/PIP_ERR_SERVICE_RUNNING: a kintsugi service \(pid \d+, http:\/\/127\.0\.0\.1:\d+\) holds the data folder/);

    const imported = await runCli(['ingest', '--format', 'rlog', '--host', 'fallback-host', '--tz', 'Europe/Berlin', '--data', data, join(SAMPLES_DIR, 'quirks.rlog')]);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(/1 files, 27 records: 18 events and 9 dead letters stored, 0 already stored .*into http:\/\//);

    const trace = await runCli(['query', 'trace', 'c0a8012e-5f7d-4c1e-9a51-3b2f1e0d9c11', '--data', data]);
    expect(trace.code).toBe(0);
    expect(trace.stdout).toMatch(/trace c0a8012e-5f7d-4c1e-9a51-3b2f1e0d9c11: 3 events/);
    expect(trace.stdout).toMatch(/^\S+ {4}restore\.block ok web-03/m);

    const whileRunning = await runCli(['query', 'events', '--data', data, '--limit', '0', '--format', 'ndjson']);
    const deadWhileRunning = await runCli(['query', 'dead-letters', '--data', data, '--limit', '0', '--format', 'ndjson']);
    expect(whileRunning.stdout.trim().split('\n')).toHaveLength(32);
    expect(deadWhileRunning.stdout.trim().split('\n')).toHaveLength(9);

    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(data, 'service.json'))).toBe(false);
    expect(log).toMatch(/"msg":"kintsugi stopped"/);
    expect(readFileSync(join(data, 'checkpoints.json'), 'utf8')).toMatch(/"source": "r"/);

    const afterwards = await runCli(['query', 'events', '--data', data, '--limit', '0', '--format', 'ndjson']);
    expect(afterwards.stdout).toBe(whileRunning.stdout);
    const table = await runCli(['query', 'events', '--data', data, '--host', 'db-07', '--action', 'check.file', '--limit', '2']);
    expect(table.stdout.split('\n')[0]).toMatch(/^@timestamp\s+host\s+instance\s+action/);
    expect(table.stdout.trim().split('\n')).toHaveLength(3);
    expect(table.stderr).toMatch(/2 events \(from .*kintsugi\.duckdb\)/);
  }, 120_000);

  it('says what to do when there is no store yet', async () => {
    const r = await runCli(['query', 'events', '--data', join(tmpdir(), 'kintsugi-nothing-here')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no store here \(kintsugi\.duckdb\): run kintsugi serve or kintsugi ingest first/);
  });
});
