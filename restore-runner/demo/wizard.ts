/**
 * A simulated recovery wizard for the demo: every tick one recovery session on one host, which
 * checks each kernel module of an instance against the bytes it was installed with and logs the
 * result (RLOG 3.2 lines on 3.2 hosts, OPS 4.2 v2 JSON on 4.2 hosts). In its first sessions on
 * web-01/os-a it damages ixgbe.ko first (the recurring fault of the demo), so the checks report it
 * corrupt again and again until the runner restores it. Its position is kept in
 * `fleet/wizard.json`, so a second start goes on where the first stopped.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ulid } from '../events/ulid.js';
import { DEMO_INSTANCES, DEMO_MODULES, demoLayout, moduleBytes, type DemoInstance, type DemoLayout } from './fleet.js';

export const DAMAGED = { host: 'web-01', instance: 'os-a', module: 'kernel/drivers/net/ixgbe.ko' } as const;
/** Sessions (ticks) in which the wizard damages the module first: 0, 2, 4. */
const DAMAGE_TICKS = new Set([0, 2, 4]);

export interface WizardLine {
  readonly host: string;
  readonly instance: string;
  readonly session: string;
  readonly bad: readonly string[];
  readonly damaged: boolean;
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export class DemoWizard {
  private readonly layout: DemoLayout;
  private readonly stateFile: string;
  private tick = 0;

  constructor(dataDir: string) {
    this.layout = demoLayout(dataDir);
    this.stateFile = join(this.layout.fleetDir, 'wizard.json');
    if (existsSync(this.stateFile)) {
      const parsed: unknown = JSON.parse(readFileSync(this.stateFile, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'tick' in parsed && typeof parsed.tick === 'number') this.tick = parsed.tick;
    }
  }

  get position(): number {
    return this.tick;
  }

  /** Which instance a tick's session runs on: web-01/os-a every other tick, the rest in turn. */
  private instanceOf(tick: number): DemoInstance {
    const others = DEMO_INSTANCES.filter((i) => !(i.host === DAMAGED.host && i.id === DAMAGED.instance));
    const target = DEMO_INSTANCES.find((i) => i.host === DAMAGED.host && i.id === DAMAGED.instance);
    if (tick % 2 === 0 && target !== undefined) return target;
    return others[Math.floor(tick / 2) % others.length] ?? others[0] ?? DEMO_INSTANCES[0] as DemoInstance;
  }

  /** One session: maybe damage, then check every module and log it. */
  step(nowMs: number = Date.now()): WizardLine {
    const tick = this.tick;
    const i = this.instanceOf(tick);
    const root = this.layout.root(i);
    const damaged = i.host === DAMAGED.host && i.id === DAMAGED.instance && DAMAGE_TICKS.has(tick);
    if (damaged) {
      const path = join(root, this.layout.modulePath(i, DAMAGED.module));
      const bytes = readFileSync(path);
      bytes.fill(0, 4096, 8192); // a torn write: 4 KiB of zeros
      bytes[100 + tick] = (bytes[100 + tick] ?? 0) ^ 0xff;
      writeFileSync(path, bytes);
    }
    const session = `${i.host}-s${tick}`;
    const bad: string[] = [];
    const results = DEMO_MODULES.map((m) => {
      const path = this.layout.modulePath(i, m);
      let status: 'ok' | 'corrupt' | 'missing' = 'ok';
      try {
        if (sha(readFileSync(join(root, path))) !== sha(moduleBytes(i, m))) status = 'corrupt';
      } catch {
        status = 'missing';
      }
      if (status !== 'ok') bad.push(path);
      return { path, status };
    });
    const log = this.layout.log(i.host);
    mkdirSync(dirname(log), { recursive: true });
    let t = nowMs;
    if (i.osLine === '3.2') {
      const lines = [`[${stamp(t)}] SESSION START version=${i.version} host=${i.host} session=${session}`];
      for (const r of results) lines.push(`[${stamp(++t)}] CHECK ${r.path} ${r.status.toUpperCase()}${r.status === 'corrupt' ? ' (code=E1207 "checksum mismatch")' : ''}`);
      lines.push(`[${stamp(++t)}] SESSION END status=${bad.length > 0 ? 'partial' : 'ok'} duration=0.4s`);
      appendFileSync(log, `${lines.join('\n')}\n`);
    } else {
      const rec = (op: string, status: string, extra: Record<string, unknown>): string =>
        JSON.stringify({ schema: 2, time: ++t, event_id: ulid(t), host: { name: i.host }, os: { version: i.version, instance: i.id }, op, status, code: status === 'corrupt' ? 'E1207' : 'S0000', correlation_id: session, ...extra });
      const lines = [rec('session.start', 'started', {})];
      for (const r of results) lines.push(rec('check.file', r.status, { file: { path: r.path }, ...(r.status !== 'ok' ? { message: 'checksum mismatch' } : {}) }));
      lines.push(rec('session.end', bad.length > 0 ? 'failed' : 'ok', {}));
      appendFileSync(log, `${lines.join('\n')}\n`);
    }
    this.tick++;
    writeFileSync(this.stateFile, `${JSON.stringify({ tick: this.tick })}\n`);
    return { host: i.host, instance: i.id, session, bad, damaged };
  }
}
