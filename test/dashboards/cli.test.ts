/** `kintsugi dashboards build`: in process through the registered command, and as the built CLI once main.ts registers it. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerDashboardsCommand } from '../../cli/dashboards.js';
import { renderFiles } from '../../dashboards/build.js';
import { CLI, runCli } from '../cli/run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'kintsugi-dashboards-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function program(out: string[]): Command {
  const p = new Command('kintsugi').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
  registerDashboardsCommand(p);
  return p;
}

describe('kintsugi dashboards build (in process)', () => {
  it('writes every file, byte for byte what renderFiles gives', async () => {
    const out = join(root, 'a');
    const saved = process.exitCode;
    const stdout = process.stdout.write;
    const stderr = process.stderr.write;
    process.stdout.write = () => true;
    process.stderr.write = () => true;
    try {
      await program([]).parseAsync(['node', 'kintsugi', 'dashboards', 'build', '--out', out, '--dashboards-path', '/srv/grafana/kintsugi']);
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
      process.exitCode = saved;
    }
    const expected = renderFiles({ dashboardsPath: '/srv/grafana/kintsugi' });
    expect(expected.length).toBe(5);
    for (const f of expected) expect(readFileSync(join(out, f.path), 'utf8')).toBe(f.content);
    expect(readFileSync(join(out, 'provisioning/dashboards/kintsugi.yaml'), 'utf8')).toContain('path: /srv/grafana/kintsugi');
  });

  it('--help explains the command and exits 0', async () => {
    const out: string[] = [];
    const err = await program(out)
      .parseAsync(['node', 'kintsugi', 'dashboards', 'build', '--help'])
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect(err instanceof CommanderError ? err.exitCode : -1).toBe(0);
    expect(out.join('')).toContain('--out <dir>');
    expect(out.join('')).toContain('KINTSUGI_ELASTICSEARCH_URL');
  });

  it('a folder that cannot be written: exit 1 and the reason', async () => {
    const blocker = join(root, 'file');
    writeFileSync(blocker, '');
    const saved = process.exitCode;
    const errors: string[] = [];
    const stderr = process.stderr.write;
    process.stderr.write = (chunk: string | Uint8Array) => (errors.push(String(chunk)), true);
    let code: typeof process.exitCode;
    try {
      await program([]).parseAsync(['node', 'kintsugi', 'dashboards', 'build', '--out', join(blocker, 'sub')]);
      code = process.exitCode;
    } finally {
      process.stderr.write = stderr;
      process.exitCode = saved;
    }
    expect(code).toBe(1);
    expect(errors.join('')).toMatch(/^kintsugi dashboards: ENOTDIR/);
  });

  it('without --out is a usage error', async () => {
    const err = await program([])
      .parseAsync(['node', 'kintsugi', 'dashboards', 'build'])
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect(err instanceof CommanderError ? err.code : '').toBe('commander.missingMandatoryOptionValue');
  });
});

// `npm test` builds first; runCli says so when the build is missing.
describe('kintsugi dashboards build (built CLI)', () => {
  it('writes the files and exits 0; --help exits 0', async () => {
    const out = join(root, 'b');
    const r = await runCli(['dashboards', 'build', '--out', out]);
    expect(r.code).toBe(0);
    for (const f of renderFiles()) expect(readFileSync(join(out, f.path), 'utf8')).toBe(f.content);
    const help = await runCli(['dashboards', 'build', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--out <dir>');
  });
});
