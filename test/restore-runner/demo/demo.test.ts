/**
 * The demo (`kintsugi demo`, what `npm start` runs): spawned with no configuration file, it shows
 * ingest, the alert, the policy decision and the verified restore with a trace URL within a
 * minute; the damaged module is byte-identical to the snapshot's again and its neighbour instance
 * untouched; Ctrl-C (SIGINT) stops it cleanly, and a second start goes on where it stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_INSTANCES, demoLayout, moduleBytes } from '../../../restore-runner/demo/fleet.js';
import { DAMAGED } from '../../../restore-runner/demo/wizard.js';
import { CLI } from '../../cli/run-cli.js';
import { tempDir } from '../helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

interface Running {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  exit: Promise<number | null>;
}

function demo(data: string): Running {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it)`);
  const child = spawn(process.execPath, [CLI, 'demo', '--data', data, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    exit,
    waitFor: async (pattern, timeoutMs) => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(pattern);
        if (m !== null) return m;
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${String(pattern)} in the demo's output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

describe('the demo', () => {
  it('repairs the recurring corruption within a minute, stops on Ctrl-C and goes on at the next start', async () => {
    const data = join(tempDir('demo'), 'data');
    const first = demo(data);
    // A minute on an idle machine (bench/repair: under a second from the alert); the test allows
    // for the load of a shared machine.
    const trace = await first.waitFor(/trace \(detection and repair\): (http:\/\/\S+\/api\/traces\/(\S+))/, 120_000);
    const out = first.output();
    expect(out).toMatch(/ingest: following fleet\/logs\/web-01\/ops\.jsonl/);
    expect(out).toMatch(/ALERT recurring-module-corruption \[host=web-01,instance=os-a,module=ixgbe\]/);
    expect(out).toMatch(/policy: job a-[0-9a-f]+: run/);
    expect(out).toMatch(/RESTORED web-01\/os-a from snapshot [0-9a-f]{12} .*verified/);
    expect(out).toContain('is byte-identical to the snapshot again');

    const layout = demoLayout(data);
    const osA = DEMO_INSTANCES.find((i) => i.host === DAMAGED.host && i.id === DAMAGED.instance);
    const osB = DEMO_INSTANCES.find((i) => i.host === DAMAGED.host && i.id === 'os-b');
    if (osA === undefined || osB === undefined) throw new Error('demo fleet changed');
    expect(readFileSync(join(layout.root(osA), layout.modulePath(osA, DAMAGED.module))).equals(moduleBytes(osA, DAMAGED.module))).toBe(true);
    expect(readFileSync(join(layout.root(osB), layout.modulePath(osB, DAMAGED.module))).equals(moduleBytes(osB, DAMAGED.module))).toBe(true);

    // The trace URL answers (anonymous viewer in the demo) with detection and repair.
    // The runner's events reach the store when the service has followed its log (soon after).
    const end = Date.now() + 60_000;
    let actions: string[] = [];
    let linked: string[] = [];
    while (actions.at(-1) !== 'restore.end' && Date.now() < end) {
      const r = await fetch(trace[1] ?? '');
      const body = r.ok ? ((await r.json()) as { nodes: { event: { event: { action: string } }; linked?: object }[] }) : { nodes: [] };
      actions = body.nodes.map((n) => n.event.event.action);
      linked = body.nodes.filter((n) => n.linked !== undefined).map((n) => n.event.event.action);
      if (actions.at(-1) !== 'restore.end') await new Promise((res) => setTimeout(res, 200));
    }
    // Detection (the corrupt checks behind the alert, linked in from their sessions), then repair.
    expect(linked.length).toBeGreaterThan(0);
    expect(actions.slice(0, linked.length)).toEqual(linked);
    expect(new Set(linked)).toEqual(new Set(['check.file']));
    expect(actions[linked.length]).toBe('integrity.verify');
    expect(actions.at(-1)).toBe('restore.end');

    first.child.kill('SIGINT');
    expect(await first.exit).toBe(0);
    expect(existsSync(join(data, 'service.json'))).toBe(false);
    const tickBefore = (JSON.parse(readFileSync(join(layout.fleetDir, 'wizard.json'), 'utf8')) as { tick: number }).tick;

    const second = demo(data);
    await second.waitFor(/going on where it stopped/, 30_000);
    await second.waitFor(/ingest: resuming fleet\/logs\/web-01\/ops\.jsonl/, 30_000);
    await second.waitFor(/Kintsugi serves/, 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);
    const tickAfter = (JSON.parse(readFileSync(join(layout.fleetDir, 'wizard.json'), 'utf8')) as { tick: number }).tick;
    expect(tickAfter).toBeGreaterThan(tickBefore);
    expect(second.output()).not.toContain('building the demo fleet');
    // Still one job: the alert stays the same alert, and its job is done.
    expect(readdirSync(join(data, 'restores', 'jobs')).filter((n) => n.endsWith('.json'))).toHaveLength(1);
    expect(trace[2]).toMatch(/^[0-9a-f-]{36}$/);
  }, 240_000);
});
