/**
 * End-to-end repair time in the demo setting (`npm run bench:repair`).
 *
 * Each run: a fresh demo fleet (restore-runner/demo/) in a temporary data folder, `kintsugi serve`
 * in process with the demo's configuration (followers polling every 200 ms, as the demo does), and
 * the demo's wizard writing its first five sessions 50 ms apart (three of them corrupt web-01/os-a's
 * ixgbe.ko). Timed from the service's own log and the store:
 *
 *   alert stored → policy decision → restore verified (restore.end written to the runner's log)
 *   → restore.end committed in the event store (polled every 5 ms through the API)
 *
 * The headline is alert → restore.end committed. There is no reference tool for this loop; the
 * restore step is put beside a plain copy (`copyFileSync` + fsync) of the same module, the floor
 * of any repair that writes the file. Options: --runs N (default 5), --no-readme.
 */
import { closeSync, copyFileSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { demoConfig } from '../../cli/demo.js';
import type { Log } from '../../collectors/source.js';
import { serviceAuthHeaders } from '../../pipeline/access/service-token.js';
import { Service } from '../../pipeline/service.js';
import { DEMO_INSTANCES, demoLayout, ensureDemoFleet } from '../../restore-runner/demo/fleet.js';
import { DAMAGED, DemoWizard } from '../../restore-runner/demo/wizard.js';
import { writeReadmeSection } from '../readme-section.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'no-readme': { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);

interface Marks {
  alert?: number;
  decision?: number;
  verified?: number;
  cid?: string;
}

class TimingLog implements Log {
  constructor(private readonly marks: Marks) {}
  info(fields: object, message: string): void {
    const f = fields as Record<string, unknown>;
    const now = performance.now();
    if (message === 'alert new' && f['rule'] === 'recurring-module-corruption') this.marks.alert ??= now;
    if (message === 'policy decision: restore') this.marks.decision ??= now;
    if (message === 'restore verified') {
      this.marks.verified ??= now;
      if (typeof f['correlation_id'] === 'string') this.marks.cid = f['correlation_id'];
    }
  }
  warn(): void {}
  error(fields: object, message: string): void {
    process.stderr.write(`${message} ${JSON.stringify(fields)}\n`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Run {
  readonly alertToDecision: number;
  readonly decisionToVerified: number;
  readonly verifiedToCommitted: number;
  readonly alertToCommitted: number;
  readonly copyMs: number;
}

async function once(): Promise<Run> {
  const data = mkdtempSync(join(tmpdir(), 'kintsugi-bench-repair-'));
  try {
    await ensureDemoFleet(data, () => undefined);
    const marks: Marks = {};
    const service = new Service(demoConfig(data, 0), data, new TimingLog(marks));
    const url = await service.start();
    const wizard = new DemoWizard(data);
    for (let i = 0; i < 5; i++) {
      wizard.step();
      await sleep(50);
    }
    const deadline = performance.now() + 60_000;
    let committed: number | undefined;
    while (committed === undefined && performance.now() < deadline) {
      if (marks.cid !== undefined) {
        const r = await fetch(`${url}/api/events?action=restore.end&correlationId=${marks.cid}`, { headers: serviceAuthHeaders(data) });
        const body = (await r.json()) as { events?: unknown[] };
        if ((body.events?.length ?? 0) > 0) committed = performance.now();
      }
      if (committed === undefined) await sleep(5);
    }
    await service.stop();
    if (marks.alert === undefined || marks.decision === undefined || marks.verified === undefined || committed === undefined) throw new Error(`the loop did not close: ${JSON.stringify(marks)}`);
    // The floor: copying the module once, durably.
    const i = DEMO_INSTANCES.find((x) => x.host === DAMAGED.host && x.id === DAMAGED.instance);
    const layout = demoLayout(data);
    const src = i === undefined ? '' : join(layout.root(i), layout.modulePath(i, DAMAGED.module));
    const t0 = performance.now();
    copyFileSync(src, `${src}.copy`);
    const fd = openSync(`${src}.copy`, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    readFileSync(`${src}.copy`);
    const copyMs = performance.now() - t0;
    return { alertToDecision: marks.decision - marks.alert, decisionToVerified: marks.verified - marks.decision, verifiedToCommitted: committed - marks.verified, alertToCommitted: committed - marks.alert, copyMs };
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const runs: Run[] = [];
for (let r = 0; r < RUNS; r++) {
  runs.push(await once());
  process.stderr.write(`run ${r + 1}/${RUNS}: alert → restore.end committed ${runs.at(-1)?.alertToCommitted.toFixed(0)} ms\n`);
}
const load = loadavg().map((x) => x.toFixed(2)).join(', ');
const fmt = (k: keyof Run): string => `${median(runs.map((x) => x[k])).toFixed(1)} ms (max ${Math.max(...runs.map((x) => x[k])).toFixed(1)})`;
const lines = [
  `${RUNS} runs, ${cpus().length} cores, load average ${load} at the end`,
  '',
  '| step | median (max) |',
  '|---|---|',
  `| alert stored → policy decision (job made, decided) | ${fmt('alertToDecision')} |`,
  `| decision → restore verified (facts, proof, write, read-back, restore.end written) | ${fmt('decisionToVerified')} |`,
  `| restore.end written → committed in the store (follower polls every 200 ms) | ${fmt('verifiedToCommitted')} |`,
  `| **alert → restore.end committed** | **${fmt('alertToCommitted')}** |`,
  `| reference: plain durable copy of the 48 KiB module (cp + fsync + read) | ${fmt('copyMs')} |`,
  '',
  `restore step / plain copy: ${(median(runs.map((x) => x.decisionToVerified)) / median(runs.map((x) => x.copyMs))).toFixed(1)}x`,
];
for (const line of lines) process.stdout.write(`${line}\n`);
if (values['no-readme'] !== true) {
  writeReadmeSection('repair', [
    '## Repair time (`npm run bench:repair`)',
    '',
    'End-to-end repair in the demo setting: from the `recurring-module-corruption` alert being stored to the',
    "runner's `restore.end` committed in the event store (bench/repair/run.ts says how each step is timed).",
    '',
    ...lines,
  ]);
}
