/** `kintsugi query events|trace|dead-letters`: forensic queries, from the service, the store file or Elasticsearch. */
import { Command, Option } from 'commander';
import type { DeadLetter, RecoveryEvent } from '../parsers/event.js';
import { resolveDataDir } from '../pipeline/env.js';
import { openQueryBackend, type QueryBackend, type StringQuery } from '../pipeline/query-backend.js';
import type { Trace, TraceLink } from '../pipeline/store/event-store.js';
import { configOption, loadConfigOption } from './config-option.js';
import { EXIT } from './exit.js';

type Format = 'table' | 'ndjson';

function cut(s: string | undefined, n: number): string {
  const v = (s ?? '').replace(/\n/g, ' ');
  return v.length > n ? `${v.slice(0, n - 1)}…` : v;
}

function eventRow(e: RecoveryEvent): string {
  const what = e.file?.path ?? e.message ?? '';
  return [e['@timestamp'], cut(e.host.name, 16).padEnd(16), cut(e.recovery.instance, 8).padEnd(8), cut(e.event.action, 16).padEnd(16), cut(e.recovery.status ?? e.event.outcome, 9).padEnd(9), (e.event.code ?? '').padEnd(5), cut(e.recovery.module ?? '', 14).padEnd(14), cut(what, 60)].join('  ');
}

const EVENT_HEADER = ['@timestamp'.padEnd(24), 'host'.padEnd(16), 'instance', 'action'.padEnd(16), 'status'.padEnd(9), 'code ', 'module'.padEnd(14), 'path / message'].join('  ');

function deadRow(d: DeadLetter): string {
  return [d['@timestamp'], cut(d.error.type, 22).padEnd(22), `${cut(d.log?.file?.path ?? (d.kafka ? `${d.kafka.topic}/${d.kafka.partition}` : ''), 30)}:${d.log?.offset ?? d.kafka?.offset ?? ''}`.padEnd(36), cut(d.error.message, 70)].join('  ');
}

async function withBackend(opts: { readonly data?: string; readonly config?: string }, run: (b: QueryBackend) => Promise<void>): Promise<void> {
  const config = loadConfigOption('query', opts.config);
  if (config === undefined) return;
  let backend: QueryBackend;
  try {
    backend = await openQueryBackend(resolveDataDir(opts.data, config?.data), config?.store);
  } catch (err: unknown) {
    process.stderr.write(`kintsugi query: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.FAILURE;
    return;
  }
  try {
    await run(backend);
  } catch (err: unknown) {
    process.stderr.write(`kintsugi query: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = typeof err === 'object' && err !== null && 'status' in err && err.status === 400 ? EXIT.USAGE : EXIT.FAILURE;
  } finally {
    await backend.close();
  }
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--limit must be a whole number >= 0, found "${v}"`);
  return n;
}

function formatOption(): Option {
  return new Option('--format <format>', 'table for people, ndjson for the stored documents whole').choices(['table', 'ndjson']).default('table');
}

export function registerQueryCommand(program: Command): void {
  const query = program.command('query').description('Search the stored events, traces and dead letters (works while kintsugi serve runs)');

  const events = query
    .command('events')
    .description('Events matching every given filter, in time order')
    .option('--from <time>', 'at or after this ISO 8601 time')
    .option('--to <time>', 'before this ISO 8601 time');
  for (const [flag, key, help] of [
    ['--host <names>', 'host', 'host.name'],
    ['--instance <names>', 'instance', 'recovery.instance'],
    ['--module <names>', 'module', 'recovery.module'],
    ['--action <actions>', 'action', 'event.action (check.file, restore.end, ...)'],
    ['--status <statuses>', 'status', 'recovery.status (ok, missing, corrupt, ...)'],
    ['--outcome <outcomes>', 'outcome', 'success, failure or unknown'],
    ['--code <codes>', 'code', 'event.code (E1207, ...)'],
    ['--dataset <datasets>', 'dataset', 'recovery.v32 or recovery.v42'],
    ['--correlation-id <ids>', 'correlationId', 'recovery.correlation_id'],
  ] as const) events.option(flag, `${help}; several separated by commas`);
  events
    .option('--text <text>', 'case-insensitive text in message or file path')
    .option('--limit <n>', 'at most this many; 0 = no limit', parseLimit, 100)
    .addOption(formatOption())
    .option('--data <dir>', 'data folder (default ./data, or KINTSUGI_DATA)')
    .addOption(configOption())
    .action(async (opts: Record<string, string | number | undefined> & { limit: number; format: Format; data?: string; config?: string }) => {
      const q: StringQuery = {};
      for (const key of ['from', 'to', 'host', 'instance', 'module', 'action', 'status', 'outcome', 'code', 'dataset', 'correlationId', 'text']) {
        const v = opts[key];
        if (typeof v === 'string') q[key] = v;
      }
      await withBackend(opts, async (b) => {
        if (opts.format === 'table') write(EVENT_HEADER);
        let n = 0;
        for await (const e of b.events(q, opts.limit)) {
          write(opts.format === 'ndjson' ? JSON.stringify(e) : eventRow(e));
          n++;
        }
        if (opts.format === 'table') process.stderr.write(`${n} events (from ${b.via})\n`);
      });
    });

  query
    .command('trace')
    .description('Every event of one correlation id in time order, children under their parent, with the events it links to elsewhere (parents; the events behind its alert), marked linked')
    .argument('<id>', 'correlation id (a 3.2 session id, a 4.2 correlation_id)')
    .addOption(formatOption())
    .option('--data <dir>', 'data folder (default ./data, or KINTSUGI_DATA)')
    .addOption(configOption())
    .action(async (id: string, opts: { format: Format; data?: string; config?: string }) => {
      await withBackend(opts, async (b) => {
        const trace = await b.trace(id);
        if (trace === null) {
          process.stderr.write(`kintsugi query: no event has correlation id "${id}"\n`);
          process.exitCode = EXIT.FAILURE;
          return;
        }
        if (opts.format === 'ndjson') {
          for (const node of trace.nodes) write(JSON.stringify({ ...node.event, trace: { parent: node.parent, children: node.children, ...(node.linked !== undefined ? { linked: node.linked } : {}) } }));
          return;
        }
        printTree(trace);
      });
    });

  query
    .command('dead-letters')
    .description('Records that could not be read, with the reason and where they came from')
    .option('--reason <reasons>', 'error.type (bad-record, not-json, ...); several separated by commas')
    .option('--file <paths>', 'log.file.path')
    .option('--from <time>', 'at or after this ISO 8601 time')
    .option('--to <time>', 'before this ISO 8601 time')
    .option('--limit <n>', 'at most this many; 0 = no limit', parseLimit, 100)
    .addOption(formatOption())
    .option('--data <dir>', 'data folder (default ./data, or KINTSUGI_DATA)')
    .addOption(configOption())
    .action(async (opts: { reason?: string; file?: string; from?: string; to?: string; limit: number; format: Format; data?: string; config?: string }) => {
      const q: StringQuery = {};
      if (opts.reason !== undefined) q['reason'] = opts.reason;
      if (opts.file !== undefined) q['file'] = opts.file;
      if (opts.from !== undefined) q['from'] = opts.from;
      if (opts.to !== undefined) q['to'] = opts.to;
      await withBackend(opts, async (b) => {
        let n = 0;
        for await (const d of b.deadLetters(q, opts.limit)) {
          write(opts.format === 'ndjson' ? JSON.stringify(d) : deadRow(d));
          n++;
        }
        if (opts.format === 'table') process.stderr.write(`${n} dead letters (from ${b.via})\n`);
      });
    });
}

function linkNote(link: TraceLink): string {
  const from = link.correlationId === null ? 'no correlation id' : link.correlationId;
  return link.via === 'parent' ? `  <- linked from ${from}: parent of an event here` : `  <- linked from ${from}: behind alert ${link.alertId}`;
}

function printTree(trace: Trace): void {
  const byId = new Map(trace.nodes.map((n) => [n.event.event.id, n]));
  const printed = new Set<string>();
  const visit = (id: string, depth: number): void => {
    const node = byId.get(id);
    if (node === undefined || printed.has(id)) return;
    printed.add(id);
    const e = node.event;
    const parent = node.parent.kind === 'absent' ? `  (parent ${node.parent.parentId} not in this trace: not stored, or past the link bounds)` : '';
    const linked = node.linked === undefined ? '' : linkNote(node.linked);
    write(`${e['@timestamp']}  ${'  '.repeat(depth)}${e.event.action} ${e.recovery.status ?? ''} ${e.host.name}${e.file?.path !== undefined ? ` ${e.file.path}` : ''}  [${e.event.id}]${parent}${linked}`);
    for (const child of node.children) visit(child, depth + 1);
  };
  const linkedCount = trace.nodes.filter((n) => n.linked !== undefined).length;
  write(`trace ${trace.correlationId}: ${trace.nodes.length} events${linkedCount > 0 ? ` (${linkedCount} linked from other correlation ids)` : ''}`);
  for (const root of trace.roots) visit(root, 0);
  for (const node of trace.nodes) visit(node.event.event.id, 0);
  if (trace.linksCut === true) process.stderr.write('kintsugi query: links left unfollowed (too deep or too many): query the linked events\' own traces\n');
}
