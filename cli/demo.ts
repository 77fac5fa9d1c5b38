/**
 * `kintsugi demo` (and `npm start`): Kintsugi on the built-in demo fleet, no configuration file.
 * Builds the fleet once in the data folder (restore-runner/demo/), runs the simulated recovery
 * wizard beside `serve`, and tells the story on the console: ingest, the alert, the policy
 * decision, the verified restore and the URL of its trace. Ctrl-C stops it cleanly; a second start
 * goes on where it stopped.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { Log } from '../collectors/source.js';
import { serviceAuthHeaders } from '../pipeline/access/service-token.js';
import { validateConfig } from '../pipeline/config/load.js';
import type { Config } from '../pipeline/config/schema.js';
import type { Service } from '../pipeline/service.js';
import { DEMO_INSTANCES, demoLayout, ensureDemoFleet, moduleBytes } from '../restore-runner/demo/fleet.js';
import { DAMAGED, DemoWizard } from '../restore-runner/demo/wizard.js';
import { EXIT } from './exit.js';

function say(line: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${line}\n`);
}

function field(fields: object, key: string): string {
  const v = (fields as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : Array.isArray(v) ? v.map(String).join(', ') : '';
}

/** The service's log, told as the demo's story (errors always shown). */
class DemoConsole implements Log {
  url = '';
  constructor(private readonly dataDir: string) {}

  info(fields: object, message: string): void {
    switch (message) {
      case 'following new file':
      case 'resuming file from checkpoint':
        say(`ingest: ${message.startsWith('resuming') ? 'resuming' : 'following'} ${field(fields, 'path').replace(`${this.dataDir}/`, '')}`);
        return;
      case 'alert new':
      case 'alert reopened':
        say(`ALERT ${field(fields, 'rule')} [${field(fields, 'key')}]: count ${field(fields, 'count')} (alert ${field(fields, 'alert')})`);
        return;
      case 'restore job created from alert':
        say(`restore job ${field(fields, 'job')} for ${field(fields, 'host')}/${field(fields, 'instance')}: ${field(fields, 'paths')}`);
        return;
      case 'restore verified': {
        const cid = field(fields, 'correlation_id');
        say(`RESTORED ${field(fields, 'host')}/${field(fields, 'instance')} from snapshot ${field(fields, 'snapshot').slice(0, 12)} (${field(fields, 'bytes_written')} bytes written), verified`);
        const i = DEMO_INSTANCES.find((x) => x.host === DAMAGED.host && x.id === DAMAGED.instance);
        if (i !== undefined && field(fields, 'host') === i.host && field(fields, 'instance') === i.id) {
          const layout = demoLayout(this.dataDir);
          const path = layout.modulePath(i, DAMAGED.module);
          const same = readFileSync(join(layout.root(i), path)).equals(moduleBytes(i, DAMAGED.module));
          say(`${i.host}/${i.id} ${path} is ${same ? 'byte-identical to the snapshot again' : 'NOT as in the snapshot'}`);
        }
        say(`trace (detection and repair): ${this.url}/api/traces/${cid}   or: npx kintsugi query trace ${cid} --data ${this.dataDir}`);
        return;
      }
      default:
        if (message.startsWith('policy decision')) {
          const why = (fields as Record<string, unknown>)['explanation'];
          say(`policy: job ${field(fields, 'job')}: ${field(fields, 'decision')}`);
          if (Array.isArray(why)) for (const line of why) say(`        ${String(line)}`);
        } else if (message === 'restore job resumes after an interruption' || message === 'restore started' || message === 'kintsugi stopped') {
          say(`${message}${field(fields, 'job') !== '' ? ` (${field(fields, 'job')})` : ''}`);
        }
    }
  }

  warn(fields: object, message: string): void {
    say(`warning: ${message} ${JSON.stringify(fields)}`);
  }

  error(fields: object, message: string): void {
    say(`ERROR: ${message} ${JSON.stringify(fields)}`);
  }
}

/** The events stored so far, from the service's own /metrics. */
async function eventsStored(url: string, dataDir: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`, { headers: serviceAuthHeaders(dataDir) })).text();
    let n = 0;
    for (const m of text.matchAll(/^kintsugi_events_stored(?:_total)?\{[^}]*\} ([0-9.e+]+)$/gm)) n += Number(m[1]);
    return n;
  } catch {
    return null;
  }
}

export function demoConfig(dataDir: string, port: number): Config {
  const layout = demoLayout(dataDir);
  return validateConfig(
    {
      data: dataDir,
      api: { host: '127.0.0.1', port },
      // Development only, as in examples/kintsugi.yaml: the trace URL opens in a browser.
      access: { anonymous: 'viewer' },
      followers: { pollIntervalMs: 200, idleFlushMs: 500 },
      sources: [
        { name: 'demo-hosts-3.2', format: 'rlog', paths: [join(layout.logsDir, '*', 'recovery.log')] },
        { name: 'demo-hosts-4.2', format: 'ops', paths: [join(layout.logsDir, '*', 'ops.jsonl')] },
      ],
      restores: { policy: layout.policyFile, instances: layout.instancesFile },
    },
    '(the demo configuration)',
  );
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run Kintsugi on a built-in demo fleet: simulated 3.2 and 4.2 hosts, a recurring module corruption, its alert and verified restore')
    .option('--data <dir>', 'data folder of the demo (fleet, store, jobs)', 'data/demo')
    .option('--port <n>', 'API port (0 picks a free one)', (v) => Number.parseInt(v, 10), 8470)
    .option('--tick-ms <n>', 'time between two simulated recovery sessions', (v) => Number.parseInt(v, 10), 1500)
    .addHelpText('after', '\nCtrl-C stops it cleanly; a second start goes on where it stopped.\nExit status: 0 stopped cleanly, 1 could not start (message says why), 2 bad usage.')
    .action(async (opts: { data: string; port: number; tickMs: number }) => {
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535 || !Number.isInteger(opts.tickMs) || opts.tickMs < 10) {
        process.stderr.write('kintsugi demo: --port must be 0..65535 and --tick-ms at least 10\n');
        process.exitCode = EXIT.USAGE;
        return;
      }
      const data = resolve(opts.data);
      const log = new DemoConsole(data);
      let service: Service | null = null;
      try {
        // The service is loaded when the demo runs, not when any `kintsugi` command starts.
        const { Service } = await import('../pipeline/service.js');
        const built = await ensureDemoFleet(data, say);
        if (!built) say(`demo fleet found in ${demoLayout(data).fleetDir}: going on where it stopped`);
        service = new Service(demoConfig(data, opts.port), data, log);
        log.url = await service.start();
      } catch (err: unknown) {
        process.stderr.write(`kintsugi demo: ${err instanceof Error ? err.message : String(err)}\n`);
        await service?.stop().catch(() => undefined);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      const running = service;
      say(`Kintsugi serves ${log.url} (data ${data}); hosts: ${[...new Set(DEMO_INSTANCES.map((i) => `${i.host} (${i.osLine})`))].join(', ')}; web-01 has instances os-a and os-b`);
      say(`try: curl ${log.url}/api/alerts   ·   npx kintsugi restores list --data ${data}   ·   Ctrl-C stops`);
      const wizard = new DemoWizard(data);
      let stored = -1;
      let told = 0;
      const wizardTimer = setInterval(() => {
        try {
          const s = wizard.step();
          if (s.damaged) say(`wizard: session ${s.session} on ${s.host}/${s.instance}: damaged ${DAMAGED.module.split('/').at(-1) ?? ''}, checks report ${s.bad.join(', ')} corrupt`);
        } catch (err: unknown) {
          say(`ERROR: wizard: ${err instanceof Error ? err.message : String(err)}`);
        }
      }, opts.tickMs);
      const ingestTimer = setInterval(() => {
        void eventsStored(log.url, data).then((n) => {
          // At most every 10 s: the story's other lines stay readable.
          if (n !== null && n !== stored && Date.now() - told >= 10_000) {
            say(`ingest: ${n} events stored (session ${wizard.position} of the wizard)`);
            stored = n;
            told = Date.now();
          }
        });
      }, 2000);
      const stop = (signal: string): void => {
        clearInterval(wizardTimer);
        clearInterval(ingestTimer);
        say(`${signal}: stopping`);
        running.stop().then(
          () => process.exit(EXIT.OK),
          (err: unknown) => {
            say(`ERROR: stop failed: ${String(err)}`);
            process.exit(EXIT.FAILURE);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
