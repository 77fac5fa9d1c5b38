/**
 * The per-instance operations' commands: `instances`, `schedule`, `selfheal`, `prefetch`, `drill`.
 * Each names instances through the instance map (--instances FILE) and appends its OPS 4.2 v2
 * events to the runner's log in the data folder (`<data>/runner/ops.jsonl`), which `kintsugi
 * serve` follows. Invalid files and unknown instances exit 2, failures 1.
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { EXIT } from '../cli/exit.js';
import { resolveDataDir } from '../pipeline/env.js';
import { openQueryBackend } from '../pipeline/query-backend.js';
import { action, jsonOption, optBool, optInt, optStr, out, reqStr } from './cli.js';
import { drill } from './drill/drill.js';
import { rstError } from './errors.js';
import { runnerLogPath, RunnerEventLog } from './events/event-log.js';
import { shortId } from './format/v1/ids.js';
import { loadInstanceMap } from './instances/load.js';
import { requireInstance, type Instance, type InstanceMap } from './instances/map.js';
import { queryHotFiles } from './prefetch/hot-files.js';
import { prefetchInstance } from './prefetch/prefetch.js';
import { formatBytes } from './progress.js';
import { durationMs } from './schedule/due.js';
import { loadScheduleFile } from './schedule/load.js';
import { Scheduler } from './schedule/run.js';
import { selfhealApply, selfhealScan, type ScanReport } from './selfheal/selfheal.js';

type Opts = Readonly<Record<string, unknown>>;

const instancesOption = (): Option => new Option('--instances <file>', 'the instance map (YAML, restore-runner/instances/README.md)').makeOptionMandatory();
const dataOption = (): Option => new Option('--data <dir>', 'data folder: events go to <data>/runner/ops.jsonl (default ./data, or KINTSUGI_DATA)');

function mapOf(o: Opts): InstanceMap {
  return loadInstanceMap(reqStr(o, 'instances', '--instances'));
}

function instanceOf(o: Opts): Instance {
  return requireInstance(mapOf(o), reqStr(o, 'instance', '--instance'), optStr(o, 'host'));
}

/** The runner's event log of the data folder, closed when `fn` ends. */
async function withEvents<T>(o: Opts, fn: (log: RunnerEventLog, data: string) => Promise<T>): Promise<T> {
  const data = resolveDataDir(optStr(o, 'data'));
  const log = new RunnerEventLog(runnerLogPath(data));
  try {
    return await fn(log, data);
  } finally {
    log.close();
  }
}

function scanText(r: ScanReport): string[] {
  const lines = [`${r.instance.host}/${r.instance.id}: compared with snapshot ${shortId(r.snapshot)}: ${r.summary.checked} files, ${r.summary.userData} user-data files left alone`];
  for (const x of r.rejected) lines.push(`  passed over ${shortId(x.id)} (does not verify: ${x.problem})`);
  for (const f of r.summary.findings) lines.push(`  ${f.problem.padEnd(12)} ${f.class.padEnd(9)} ${f.path}  → ${f.action} (${f.detail})`);
  if (r.summary.findings.length === 0) lines.push('  no finding');
  return lines;
}

export function registerOpsCommands(program: Command): void {
  const inst = program.command('instances').description('The instance map: each host\'s OS instances (restore-runner/instances/README.md)');
  inst
    .command('check')
    .description('Validate an instance map; every problem names the file and the key (exit 2 when invalid)')
    .argument('<file>', 'the instance map')
    .action(
      action((_o, cmd) => {
        const map = loadInstanceMap(String(cmd.args[0]));
        out(`${map.file}: ${map.instances.length} instance(s) on ${new Set(map.instances.map((i) => i.host)).size} host(s)`);
      }),
    );
  inst
    .command('list')
    .description('List the instances of a map: host, id, OS line and version, root or image, repository')
    .argument('<file>', 'the instance map')
    .addOption(jsonOption())
    .action(
      action((o, cmd) => {
        const map = loadInstanceMap(String(cmd.args[0]));
        if (optBool(o, 'json')) out(JSON.stringify(map.instances));
        else for (const i of map.instances) out(`${i.host}/${i.id}  ${i.osLine} ${i.version}  ${i.location.kind} ${i.location.path}  repo ${i.repository}  boot ${i.bootConfig}`);
      }),
    );

  const sched = program.command('schedule').description('Scheduled snapshots of every instance of the map (restore-runner/schedule/README.md)');
  sched
    .command('plan')
    .description('Say which instances are due now, and why (reads only)')
    .addOption(instancesOption())
    .requiredOption('--schedule <file>', 'YAML file whose snapshots: key is the schedule (the recovery policy)')
    .addOption(jsonOption())
    .action(
      action((o) => {
        const s = new Scheduler(mapOf(o), { schedule: loadScheduleFile(reqStr(o, 'schedule', '--schedule')), emit: () => undefined });
        const plan = s.plan();
        if (optBool(o, 'json')) out(JSON.stringify(plan.map((p) => ({ host: p.instance.host, instance: p.instance.id, ...p.decision }))));
        else for (const p of plan) out(`${p.instance.host}/${p.instance.id}  ${p.decision.due ? 'due' : 'not due'}: ${p.decision.reason}${p.decision.due ? '' : `; next ${new Date(p.decision.nextAt).toISOString()}`}`);
      }),
    );
  sched
    .command('run')
    .description('Snapshot the due instances (and their boot configuration), verify each new snapshot at once, apply retention; with --once a single pass, else every --interval until SIGINT/SIGTERM')
    .addOption(instancesOption())
    .requiredOption('--schedule <file>', 'YAML file whose snapshots: key is the schedule (the recovery policy)')
    .addOption(dataOption())
    .option('--once', 'one pass over the instances, then exit (exit 1 if a snapshot failed)')
    .option('--interval <duration>', 'time between passes, such as 1m or 5m', '1m')
    .action(
      action(async (o) => {
        const interval = optStr(o, 'interval') ?? '1m';
        if (!/^[1-9][0-9]*[mhd]$/.test(interval)) throw rstError('RST_ERR_USAGE', `--interval must be a duration such as 1m or 1h, got ${JSON.stringify(interval)}`);
        const schedule = loadScheduleFile(reqStr(o, 'schedule', '--schedule'));
        const map = mapOf(o);
        return withEvents(o, async (log) => {
          const s = new Scheduler(map, { schedule, emit: log.append });
          let failed = false;
          const pass = async (): Promise<void> => {
            for (const r of await s.tick()) {
              failed ||= !r.ok;
              out(r.ok ? `${r.instance.host}/${r.instance.id}: snapshot ${shortId(r.snapshot)}${r.bootSnapshot === null ? '' : ` + boot configuration ${shortId(r.bootSnapshot)}`} verified${r.removed.length > 0 ? `; retention removed ${r.removed.length}` : ''}` : `${r.instance.host}/${r.instance.id}: ${r.stage} failed: ${r.error}`);
            }
          };
          if (optBool(o, 'once')) {
            await pass();
            return failed ? EXIT.FAILURE : EXIT.OK;
          }
          let stop = false;
          let wake: (() => void) | undefined;
          const onSignal = (): void => {
            stop = true;
            wake?.();
          };
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          while (!stop) {
            await pass();
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, durationMs(interval)).unref();
            });
          }
          return EXIT.OK;
        });
      }),
    );

  const heal = program.command('selfheal').description('Compare an instance with its newest verified snapshot and repair it by the predefined rules (restore-runner/selfheal/README.md)');
  heal
    .command('scan')
    .description('Find missing or corrupted protected system files and changed configuration files (reads only; exit 1 when something is found)')
    .addOption(instancesOption())
    .requiredOption('--instance <id>', 'the instance')
    .option('--host <name>', 'its host (needed when the id is on several hosts)')
    .addOption(dataOption())
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const instance = instanceOf(o);
        const r = await withEvents(o, (log) => selfhealScan(instance, { emit: log.append }));
        if (optBool(o, 'json')) out(JSON.stringify({ host: instance.host, instance: instance.id, snapshot: r.snapshot, correlationId: r.correlationId, ...r.summary, findings: r.summary.findings.map(({ raw: _raw, ...f }) => f) }));
        else for (const l of scanText(r)) out(l);
        return r.summary.findings.length === 0 ? EXIT.OK : EXIT.FAILURE;
      }),
    );
  heal
    .command('apply')
    .description('Scan, then restore the damaged system files and changed configuration files (the replaced ones kept under <data>/selfheal/kept) into this instance only; user data and unprotected paths are never written')
    .addOption(instancesOption())
    .requiredOption('--instance <id>', 'the instance')
    .option('--host <name>', 'its host (needed when the id is on several hosts)')
    .addOption(dataOption())
    .option('--dry-run', 'say what would be repaired, write nothing')
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const instance = instanceOf(o);
        const r = await withEvents(o, (log, data) => selfhealApply(instance, { emit: log.append, dataDir: data, dryRun: optBool(o, 'dryRun') }));
        if (optBool(o, 'json')) {
          const strip = (fs: readonly { readonly raw: string }[]): unknown[] => fs.map(({ raw: _raw, ...f }) => f);
          out(JSON.stringify({ host: instance.host, instance: instance.id, snapshot: r.snapshot, correlationId: r.correlationId, dryRun: r.dryRun, repaired: strip(r.repaired), left: strip(r.left), remaining: strip(r.remaining), keptIn: r.keptIn }));
        } else {
          for (const l of scanText(r)) out(l);
          out(r.dryRun ? `dry run: nothing written` : `${r.repaired.length} file(s) restored from ${shortId(r.snapshot)}, ${r.left.length} left alone${r.keptIn === null ? '' : `; replaced configuration kept in ${r.keptIn}`}`);
          for (const f of r.remaining) out(`  still differs: ${f.path}`);
        }
        return r.remaining.length === 0 ? EXIT.OK : EXIT.FAILURE;
      }),
    );

  program
    .command('prefetch')
    .description("Keep warm, in <data>/prefetch, the chunks of the instance's files that the store shows flagged or restored most often, so that their next restore reads no pack (restore --prefetch-data)")
    .addOption(instancesOption())
    .requiredOption('--instance <id>', 'the instance')
    .option('--host <name>', 'its host (needed when the id is on several hosts)')
    .addOption(dataOption())
    .option('--top <n>', 'how many files', '20')
    .option('--since <duration>', 'how far back the store is read, such as 30d', '30d')
    .option('--path <path>', 'warm these files instead of asking the store (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--max-cache-mib <n>', 'then drop the least recently used chunks of other files until the cache of this repository holds at most this many MiB', '1024')
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const instance = instanceOf(o);
        const top = optInt(o, 'top', '--top') ?? 20;
        const since = optStr(o, 'since') ?? '30d';
        const maxCacheMiB = optInt(o, 'maxCacheMib', '--max-cache-mib') ?? 1024;
        if (!/^[1-9][0-9]*[mhd]$/.test(since)) throw rstError('RST_ERR_USAGE', `--since must be a duration such as 7d or 12h, got ${JSON.stringify(since)}`);
        const given = o['path'];
        const data = resolveDataDir(optStr(o, 'data'));
        let paths: readonly string[];
        if (Array.isArray(given)) paths = given.filter((p): p is string => typeof p === 'string');
        else {
          const backend = await openQueryBackend(data);
          try {
            paths = (await queryHotFiles(backend, instance.host, instance.id, new Date(Date.now() - durationMs(since)).toISOString(), top)).map((h) => h.path);
          } finally {
            await backend.close();
          }
        }
        const r = await withEvents(o, (log) => prefetchInstance(instance, paths, { dataDir: data, emit: log.append, maxCacheBytes: maxCacheMiB * 1024 * 1024 }));
        if (optBool(o, 'json')) out(JSON.stringify(r));
        else {
          out(`${instance.host}/${instance.id}: ${r.files.length} hot file(s) of snapshot ${shortId(r.snapshot)} warm in ${r.cacheDir}: ${r.chunks} chunks, ${r.loaded} loaded now (${formatBytes(r.bytesLoaded)})`);
          for (const p of r.notInSnapshot) out(`  not in the snapshot: ${p}`);
          if (r.trim.dropped > 0) out(`  ${r.trim.dropped} least recently used chunk(s) dropped (${formatBytes(r.trim.bytesDropped)}); the cache holds ${formatBytes(r.trim.bytesHeld)}`);
          if (r.trim.overBudget) out(`  the hot files alone exceed --max-cache-mib ${maxCacheMiB}: the cache holds ${formatBytes(r.trim.bytesHeld)}`);
        }
      }),
    );

  program
    .command('drill')
    .description('Restore the newest snapshot of an instance into a scratch place, verify it, and record the time taken (the RTO, measured) as drill.start/drill.end events; the instance is not touched (exit 1 when the drill fails)')
    .addOption(instancesOption())
    .requiredOption('--instance <id>', 'the instance')
    .option('--host <name>', 'its host (needed when the id is on several hosts)')
    .addOption(dataOption())
    .option('--scratch <dir>', 'where the copy is restored (default <data>/drills)')
    .option('--keep', 'keep the restored copy (default: removed after verification)')
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const instance = instanceOf(o);
        const r = await withEvents(o, (log, data) => drill(instance, { emit: log.append, scratchDir: optStr(o, 'scratch') ?? join(data, 'drills'), keep: optBool(o, 'keep') }));
        if (optBool(o, 'json')) out(JSON.stringify({ ...r, instance: `${instance.host}/${instance.id}` }));
        else if (r.ok) out(`${instance.host}/${instance.id}: snapshot ${shortId(r.snapshot)} restored and verified in ${(r.rtoMs / 1000).toFixed(3)} s (restore ${(r.restoreMs / 1000).toFixed(3)} s, verify ${(r.verifyMs / 1000).toFixed(3)} s, ${formatBytes(r.bytes)})${r.kept ? `; copy kept in ${r.scratch}` : ''}`);
        else out(`${instance.host}/${instance.id}: drill failed after ${(r.elapsedMs / 1000).toFixed(3)} s: ${r.error}`);
        return r.ok ? EXIT.OK : EXIT.FAILURE;
      }),
    );
}
