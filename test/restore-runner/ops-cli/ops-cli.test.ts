/**
 * The per-instance commands, run as the built `kintsugi`: exit codes, --help, and the OPS v2
 * events they append to <data>/runner/ops.jsonl (each line read back by the pipeline's reader).
 */
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOps } from '../../../parsers/ops/schema.js';
import { runCli } from '../../cli/run-cli.js';
import { tempDir } from '../helpers.js';
import { opsHost } from '../ops-fixture.js';

const MOD = 'lib/modules/4.2.3/kernel/drivers/net/ixgbe.ko';

function opsLog(data: string): { op: string; status: string; instance: string | undefined }[] {
  return readFileSync(join(data, 'runner', 'ops.jsonl'), 'utf8').trim().split('\n').map((line) => {
    const r = readOps(JSON.parse(line));
    if (!r.ok || r.record.schema !== 2) throw new Error(`not an OPS v2 line: ${line}`);
    return { op: r.record.op, status: r.record.status, instance: r.record.instance };
  });
}

describe('kintsugi instances|schedule|selfheal|prefetch|drill', () => {
  it('schedule, self-heal, prefetch and drill an instance end to end', async () => {
    const host = opsHost();
    const data = tempDir('ops-cli-data');
    const schedule = join(host.dir, 'policy.yaml');
    writeFileSync(schedule, 'snapshots:\n  every: 1d\n  retention: { last: 3 }\n');
    const common = ['--instances', host.mapFile, '--data', data];

    const run = await runCli(['schedule', 'run', ...common, '--schedule', schedule, '--once']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/web-03\/os-a: snapshot [0-9a-f]+ \+ boot configuration [0-9a-f]+ verified/);

    const st = statSync(join(host.rootA, MOD));
    const b = readFileSync(join(host.rootA, MOD));
    b[0] = (b[0] ?? 0) ^ 1;
    writeFileSync(join(host.rootA, MOD), b);
    utimesSync(join(host.rootA, MOD), st.atime, st.mtime);
    const scan = await runCli(['selfheal', 'scan', ...common, '--instance', 'os-a', '--host', 'web-03']);
    expect(scan.code).toBe(1);
    expect(scan.stdout).toMatch(new RegExp(`corrupt +system +${MOD}  → restore`));
    const apply = await runCli(['selfheal', 'apply', ...common, '--instance', 'os-a', '--json']);
    expect(apply.code).toBe(0);
    expect(JSON.parse(apply.stdout)).toMatchObject({ repaired: [{ path: MOD, problem: 'corrupt' }], remaining: [] });

    const pre = await runCli(['prefetch', ...common, '--instance', 'os-a', '--path', MOD, '--json']);
    expect(pre.code).toBe(0);
    const warm = JSON.parse(pre.stdout) as { files: string[]; snapshot: string };
    expect(warm.files).toEqual([MOD]);
    rmSync(join(host.rootA, MOD));
    const restored = await runCli(['restore', '--repo', host.repo, '--snapshot', warm.snapshot, '--target', host.rootA, '--mode', 'files', '--path', MOD, '--prefetch-data', data]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/and 0 pack\(s\)/);

    const drill = await runCli(['drill', ...common, '--instance', 'os-b']);
    expect(drill.code).toBe(0);
    expect(drill.stdout).toMatch(/web-03\/os-b: snapshot [0-9a-f]+ restored and verified in \d+\.\d{3} s/);

    const log = opsLog(data);
    expect(log.filter((e) => e.op === 'snapshot.create' && e.status === 'ok')).toHaveLength(4);
    expect(log.filter((e) => e.op === 'selfheal.apply' && e.status === 'ok').map((e) => e.instance)).toEqual(['os-a', 'os-a']);
    expect(log.filter((e) => e.op.startsWith('drill.')).map((e) => `${e.op} ${e.status} ${e.instance ?? ''}`)).toEqual(['drill.start started os-b', 'drill.end ok os-b']);
    expect(log.some((e) => e.op === 'prefetch.load' && e.status === 'ok')).toBe(true);
  }, 180_000); // six runs of the command: seconds each on a loaded machine

  it('an invalid map or an unknown instance is a usage error (exit 2) that names the key', async () => {
    const host = opsHost();
    const bad = join(host.dir, 'bad.yaml');
    writeFileSync(bad, 'hosts:\n  - host: h\n    instances: [{ id: a, osLine: "4.2", version: 4.2.1, root: x, repository: r, bootConfig: b, extra: 1 }]\n');
    const check = await runCli(['instances', 'check', bad]);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/RST_ERR_INSTANCES_INVALID: Instance map .*bad\.yaml is invalid: key "hosts\[0\]\.instances\[0\]\.extra" is not a known key/);
    const unknown = await runCli(['drill', '--instances', host.mapFile, '--instance', 'os-z', '--data', tempDir('ops-cli-data')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No instance os-z in the instance map .* \(known: web-03\/os-a, web-03\/os-b\)/);
    const help = await runCli(['selfheal', 'apply', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, " ")).toMatch(/user data and unprotected paths are never written/);
  }, 120_000);
});
