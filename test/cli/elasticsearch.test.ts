/**
 * `kintsugi serve` and `kintsugi query` with `store.kind: elasticsearch`, as a user runs them,
 * against the mock cluster behind a real HTTP server: the service writes events, dead letters and
 * alerts into the cluster's indices, queries read them with --config, and a bad store section is
 * refused with exit 2.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR } from '../parsers/samples.js';
import { serveCluster } from '../store/elasticsearch-http.js';
import { MockCluster } from '../store/elasticsearch-mock-cluster.js';
import { CLI, runCli } from './run-cli.js';

async function until(check: () => Promise<boolean>, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('timed out');
}

describe('kintsugi serve and query on Elasticsearch', () => {
  const cluster = new MockCluster();
  let server: Awaited<ReturnType<typeof serveCluster>>;
  beforeAll(async () => {
    server = await serveCluster(cluster);
  });
  afterAll(async () => server.close());

  it('stores into the cluster and answers queries from it, with --config', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-es-'));
    const logs = join(root, 'logs');
    cpSync(join(SAMPLES_DIR, 'example.rlog'), join(logs, 'recovery.log'));
    cpSync(join(SAMPLES_DIR, 'example.ops.jsonl'), join(logs, 'ops.jsonl'));
    const config = join(root, 'kintsugi.yaml');
    writeFileSync(
      config,
      [
        `data: ${join(root, 'data')}`,
        'sources:',
        `  - { name: r, format: rlog, paths: ["${logs}/recovery.log*"] }`,
        `  - { name: o, format: ops, paths: ["${logs}/ops.jsonl*"] }`,
        'api: { port: 0 }',
        'followers: { pollIntervalMs: 50, idleFlushMs: 100 }',
        `store: { kind: elasticsearch, node: "${server.url}", indexPrefix: kt, auth: { username: kintsugi, passwordEnv: KT_ES_PASSWORD } }`,
        '',
      ].join('\n'),
    );
    const serve = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KT_ES_PASSWORD: 'secret' } });
    let log = '';
    serve.stdout.on('data', (d: Buffer) => (log += d.toString()));
    serve.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => serve.once('exit', r));
    let last = '';
    try {
      await until(async () => {
        const r = await runCli(['query', 'events', '--config', config, '--limit', '0', '--format', 'ndjson'], { env: { KT_ES_PASSWORD: 'secret' } });
        last = `${r.code} ${r.stderr} ${r.stdout.trim().split('\n').length}`;
        return r.code === 0 && r.stdout.trim().split('\n').length === 14;
      });
    } catch (err) {
      throw new Error(`${String(err)}; last query: ${last}; service log: ${log}`);
    }
    const env = { KT_ES_PASSWORD: 'secret' };
    const table = await runCli(['query', 'events', '--config', config, '--host', 'db-07', '--text', 'FSTAB'], { env });
    expect(table.code).toBe(0);
    expect(table.stderr).toMatch(/1 events \(from Elasticsearch http:\/\/127\.0\.0\.1:\d+\)/);
    const dead = await runCli(['query', 'dead-letters', '--config', config, '--limit', '0', '--format', 'ndjson'], { env });
    expect([dead.code, dead.stdout]).toEqual([0, '']);
    const trace = await runCli(['query', 'trace', '1f3a9c', '--config', config], { env });
    expect(trace.stdout).toMatch(/trace 1f3a9c: 9 events/);
    // Events by day, and the alerts the service's evaluator raised, under the configured prefix.
    expect([...cluster.indices.keys()]).toEqual(expect.arrayContaining(['kt-events-2026.03.14', 'kt-alerts-2026.03']));
    expect([...cluster.templates.keys()].sort()).toEqual(['kt-alerts', 'kt-dead-letters', 'kt-events']);
    const alerts = await runCli(['alerts', '--config', config, '--format', 'ndjson'], { env });
    expect(alerts.code).toBe(0);
    const alertIds = alerts.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { event: { id: string } }).event.id);
    expect(alertIds.length).toBeGreaterThan(0);
    expect(alerts.stderr).toBe('');
    serve.kill('SIGTERM');
    expect([await exited, log]).toEqual([0, expect.stringContaining('kintsugi stopped')]);
  }, 400_000);

  it('refuses a store section without a node (exit 2), and names the missing variable', { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-es-bad-'));
    const bad = join(root, 'bad.yaml');
    writeFileSync(bad, 'sources: []\nstore: { kind: elasticsearch }\n');
    const r = await runCli(['query', 'events', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key "store.node" is required with kind elasticsearch/);
    const noVar = join(root, 'novar.yaml');
    writeFileSync(noVar, `sources: []\nstore: { kind: elasticsearch, node: "${server.url}", auth: { username: u, passwordEnv: KT_NOT_SET_ANYWHERE } }\n`);
    const r2 = await runCli(['query', 'events', '--config', noVar]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/KT_NOT_SET_ANYWHERE, which is not set/);
  });
});
