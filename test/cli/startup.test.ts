/**
 * What a command loads before it does anything: `kintsugi --help` and the pure commands must not
 * load the store, the HTTP server, the clients or the telemetry SDK (a second of CPU each time,
 * before this was checked). The modules a process loads are recorded by resolve hooks
 * (test/fixtures/startup/), not timed.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SAMPLES_DIR } from '../parsers/samples.js';
import { runCli } from './run-cli.js';

const RECORDER = fileURLToPath(new URL('../fixtures/startup/record-imports.mjs', import.meta.url));

/** The packages a service or a store needs, none of which a help text or a parse does. */
const HEAVY = ['@duckdb/node-api', 'fastify', '@elastic/elasticsearch', 'kafkajs', '@opentelemetry/sdk-node', '@grafana/grafana-foundation-sdk', 'ldapts'];

async function packagesLoaded(args: readonly string[]): Promise<{ code: number | null; packages: Set<string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kintsugi-startup-'));
  const record = join(dir, 'imports.txt');
  const result = await runCli(args, { cwd: dir, env: { NODE_OPTIONS: `--import ${RECORDER}`, KINTSUGI_RECORD_IMPORTS: record } });
  const urls = existsSync(record) ? readFileSync(record, 'utf8').split('\n') : [];
  const packages = new Set<string>();
  for (const url of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m?.[1] !== undefined) packages.add(m[1]);
    // kafkajs is required (CommonJS, so that its OpenTelemetry instrumentation patches it), which
    // these ESM hooks do not see: the module that requires it stands for it.
    if (url.endsWith('/pipeline/transport/kafkajs.js')) packages.add('kafkajs');
  }
  return { code: result.code, packages };
}

describe('start-up: what each command loads', () => {
  it.each([
    [['--help']],
    [['parse', '--help']],
    [['serve', '--help']],
    [['query', '--help']],
    [['parse', '--format', 'rlog', join(SAMPLES_DIR, 'quirks.rlog')]],
  ])('kintsugi %j loads none of the service packages', async (args) => {
    const { code, packages } = await packagesLoaded(args);
    expect(code).toBe(0);
    // The recorder saw the command's own packages, so an empty answer is not a pass.
    expect(packages.has('commander')).toBe(true);
    expect(HEAVY.filter((p) => packages.has(p))).toEqual([]);
  });

  it('records what a command does load (dashboards build loads the Grafana SDK)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kintsugi-startup-out-'));
    const { code, packages } = await packagesLoaded(['dashboards', 'build', '--out', out]);
    expect(code).toBe(0);
    expect(packages.has('@grafana/grafana-foundation-sdk')).toBe(true);
  });
});
