/**
 * `kintsugi rules check|list` and `kintsugi alerts` (reading <data>/alerts.duckdb), run in-process
 * through commander as cli/main.ts registers them: exact output and exit codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerAlertsCommand } from '../../cli/alerts.js';
import { registerRulesCommand } from '../../cli/rules.js';
import { DuckDbAlertStore } from '../../pipeline/alerts/duckdb-store.js';
import { sampleAlerts } from '../alerts/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'kintsugi-rules-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const program = new Command('kintsugi').exitOverride();
  registerRulesCommand(program);
  registerAlertsCommand(program);
  let code = 0;
  try {
    await program.parseAsync(['node', 'kintsugi', ...args]);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch {
    code = 2;
  }
  vi.restoreAllMocks();
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

describe('kintsugi rules', () => {
  it('check: a valid file exits 0 and names its rules', async () => {
    const file = new URL('../../examples/rules.yaml', import.meta.url).pathname;
    expect(await run(['rules', 'check', file])).toEqual({ code: 0, stdout: `${file}: 4 rules valid (auth-denied-burst, error-code-spread, instance-unchecked, selfheal-not-applied)\n`, stderr: '' });
  });

  it('check: an invalid file exits 2 with every problem on its own line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - { id: x, name: x, category: c, severity: low, type: sequence, first: {}, group_by: [host], window: 15 minutes }\n');
    expect(await run(['rules', 'check', file])).toEqual({
      code: 2,
      stdout: '',
      stderr: `kintsugi rules: ${file}: 2 problems\n  key "rules[0] (x).then" is required\n  key "rules[0] (x).window" must be a whole number and a unit (ms, s, m, h, d, w), such as 15m or 30d\n`,
    });
  });

  it('check: a rule id of the defaults is refused (exit 2); a missing file is exit 1', async () => {
    const file = join(dir, 'dup.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - { id: restore-stuck, name: x, category: c, severity: low, type: absence, match: {}, group_by: [host], window: 1h }\n');
    const dup = await run(['rules', 'check', file]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('rule id "restore-stuck"');
    const missing = await run(['rules', 'check', join(dir, 'none.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.split('\n')[0]).toBe(`kintsugi rules: ${join(dir, 'none.yaml')}: PIP_ERR_RULES_READ`);
  });

  it('check: the shipped defaults file is valid', async () => {
    const file = new URL('../../pipeline/rules/defaults.yaml', import.meta.url).pathname;
    expect(await run(['rules', 'check', file])).toEqual({ code: 0, stdout: `${file}: 5 rules valid (recurring-module-corruption, fleet-module-corruption, restore-failed, restore-stuck, snapshot-stale)\n`, stderr: '' });
  });

  it('list: the defaults, one line each', async () => {
    const r = await run(['rules', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1, -1).map((l) => l.split(/\s+/)[0])).toEqual(['recurring-module-corruption', 'fleet-module-corruption', 'restore-failed', 'restore-stuck', 'snapshot-stale']);
  });
});

describe('kintsugi alerts (from the alerts file)', () => {
  it('lists open alerts by default; --status all and --format ndjson give the documents whole', async () => {
    const data = join(dir, 'data');
    const store = await DuckDbAlertStore.open({ dataDir: data });
    const alerts = sampleAlerts();
    await store.put(alerts);
    await store.close();
    const open = await run(['alerts', '--data', data]);
    expect(open.code).toBe(0);
    const openCount = alerts.filter((a) => a.recovery.alert.status === 'open').length;
    expect(open.stdout.split('\n').filter((l) => l !== '')).toHaveLength(openCount + 1);
    expect(open.stderr).toBe(`${openCount} alerts (from ${join(data, 'alerts.duckdb')})\n`);
    const all = await run(['alerts', '--data', data, '--status', 'all', '--format', 'ndjson', '--rule', 'fleet-module-corruption']);
    expect(all.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(alerts.filter((a) => a.rule.id === 'fleet-module-corruption'));
  });

  it('exits 1 naming the folder when there is no alerts file, 2 on a bad option', async () => {
    const r = await run(['alerts', '--data', join(dir, 'empty')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kintsugi alerts: PIP_ERR_ALERTS_NO_STORE: No alerts in ${join(dir, 'empty')} (no alerts.duckdb): run kintsugi serve on this data folder first, or pass the right --data.\n`);
    expect((await run(['alerts', '--status', 'firing'])).code).toBe(2);
  });
});
