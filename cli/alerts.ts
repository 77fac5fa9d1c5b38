/** `kintsugi alerts`: the alerts, from the running service or the alerts file of the data folder. */
import { Command, Option } from 'commander';
import type { Alert } from '../pipeline/alerts/alert.js';
import { openAlertsBackend, type AlertsBackend } from '../pipeline/alerts/backend.js';
import type { AlertQuery } from '../pipeline/alerts/routes.js';
import { resolveDataDir } from '../pipeline/env.js';
import { configOption, loadConfigOption } from './config-option.js';
import { EXIT } from './exit.js';

function cut(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

const HEADER = ['fired at'.padEnd(24), 'status'.padEnd(9), 'severity', 'rule'.padEnd(28), 'key'.padEnd(44), 'count', 'last seen'.padEnd(24), 'correlation id'].join('  ');

function row(a: Alert): string {
  const i = a.recovery.alert;
  const count = i.distinct_count !== undefined ? `${i.distinct_count}/${i.count}` : String(i.count);
  return [a['@timestamp'], i.status.padEnd(9), i.severity.padEnd(8), cut(a.rule.id, 28).padEnd(28), cut(i.key, 44).padEnd(44), count.padStart(5), i.last_seen.padEnd(24), a.recovery.correlation_id].join('  ');
}

/** A message with its stable code in front (the alert store's errors carry it apart). */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';
  return code !== '' && !message.startsWith(code) ? `${code}: ${message}` : message;
}

function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--limit must be a whole number >= 0, found "${v}"`);
  return n;
}

export function registerAlertsCommand(program: Command): void {
  program
    .command('alerts')
    .description('Alerts raised by the rules, in firing order (works while kintsugi serve runs)')
    .option('--rule <ids>', 'rule.id; several separated by commas')
    .addOption(new Option('--status <status>', 'open, resolved, withdrawn (replaced after late events), or all').choices(['open', 'resolved', 'withdrawn', 'all']).default('open'))
    .option('--host <name>', 'host.name, or one of the hosts of a fleet alert')
    .option('--module <name>', 'recovery.module')
    .option('--correlation-id <id>', "the alert's recovery.correlation_id (as a restore job and its trace show it)")
    .option('--from <time>', 'fired at or after this ISO 8601 time')
    .option('--to <time>', 'fired before this ISO 8601 time')
    .option('--limit <n>', 'at most this many; 0 = no limit', parseLimit, 0)
    .addOption(new Option('--format <format>', 'table for people, ndjson for the alert documents whole').choices(['table', 'ndjson']).default('table'))
    .option('--data <dir>', 'data folder (default ./data, or KINTSUGI_DATA)')
    .addOption(configOption())
    .addHelpText('after', '\nExit status: 0 listed (none is not an error), 1 no alerts file, service or cluster to read, 2 bad usage or configuration.')
    .action(async (opts: { rule?: string; status: string; host?: string; module?: string; correlationId?: string; from?: string; to?: string; limit: number; format: 'table' | 'ndjson'; data?: string; config?: string }) => {
      const config = loadConfigOption('alerts', opts.config);
      if (config === undefined) return;
      const query: AlertQuery = { status: opts.status };
      for (const key of ['rule', 'host', 'module', 'correlationId', 'from', 'to'] as const) {
        const v = opts[key];
        if (v !== undefined) query[key] = v;
      }
      let backend: AlertsBackend;
      try {
        backend = await openAlertsBackend(resolveDataDir(opts.data, config?.data), config?.store);
      } catch (err: unknown) {
        process.stderr.write(`kintsugi alerts: ${describe(err)}\n`);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      try {
        if (opts.format === 'table') process.stdout.write(`${HEADER}\n`);
        let n = 0;
        for await (const a of backend.list(query, opts.limit)) {
          process.stdout.write(`${opts.format === 'ndjson' ? JSON.stringify(a) : row(a)}\n`);
          n++;
        }
        if (opts.format === 'table') process.stderr.write(`${n} alerts (from ${backend.via})\n`);
      } catch (err: unknown) {
        process.stderr.write(`kintsugi alerts: ${describe(err)}\n`);
        const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : typeof err === 'object' && err !== null && 'httpStatus' in err ? err.httpStatus : 0;
        process.exitCode = status === 400 ? EXIT.USAGE : EXIT.FAILURE;
      } finally {
        await backend.close();
      }
    });
}
