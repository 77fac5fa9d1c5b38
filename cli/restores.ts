/**
 * `kintsugi restores list|show|request|approve|cancel`: the restore jobs of a running service,
 * through its API (/api/restores). As the person a `--token` (or KINTSUGI_TOKEN) names, whose role
 * the service checks (operator requests and cancels, approver approves); without one, with the
 * service's own token of the data folder (whoever may read the data folder).
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ServiceClient } from '../pipeline/client.js';
import { resolveDataDir } from '../pipeline/env.js';
import { runningService, SERVICE_FILE } from '../pipeline/service-file.js';
import { isJob, type Job, type JobProgress } from '../restore-runner/jobs/job.js';
import { formatBytes } from '../restore-runner/progress.js';
import { EXIT } from './exit.js';

interface Common {
  data?: string;
  url?: string;
  token?: string;
}

function client(opts: Common): ServiceClient {
  if (opts.url !== undefined) return new ServiceClient(opts.url.replace(/\/+$/, ''), '(--url)');
  const data = resolveDataDir(opts.data);
  const info = runningService(data);
  if (info === null) throw Object.assign(new Error(`no kintsugi serve runs on the data folder ${data}: start it, or pass --url`), { status: 0 });
  return new ServiceClient(info.url, join(data, SERVICE_FILE));
}

function headers(opts: Common, json: boolean): Record<string, string> {
  const token = opts.token ?? process.env['KINTSUGI_TOKEN'];
  return { ...(token !== undefined && token !== '' ? { authorization: `Bearer ${token}` } : {}), ...(json ? { 'content-type': 'application/json' } : {}) };
}

function asJob(v: unknown): Job {
  if (!isJob(v)) throw new Error('unexpected answer from the service: not a restore job');
  return v;
}

const HEADER = ['id'.padEnd(30), 'state'.padEnd(17), 'trigger', 'host/instance'.padEnd(24), 'created'.padEnd(24), 'correlation id'].join('  ');

function row(j: Job): string {
  return [j.id.padEnd(30), j.state.padEnd(17), j.trigger.padEnd(7), `${j.host}/${j.instance}`.padEnd(24), j.createdAt.padEnd(24), j.correlationId].join('  ');
}

function progressText(p: JobProgress): string {
  const bytes = `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`;
  const files = p.filesTotal !== undefined ? `, ${p.filesDone ?? 0} of ${p.filesTotal} files` : '';
  return `${p.phase} ${bytes}${files} (at ${p.updatedAt})`;
}

function show(j: Job): string {
  const lines = [
    `job ${j.id}: ${j.state}`,
    `  ${j.trigger === 'alert' ? `alert ${j.alert?.id ?? ''} (${j.alert?.rule ?? ''})` : `requested by ${j.requestedBy ?? ''}`}${j.approvedBy !== null ? `, approved by ${j.approvedBy}` : ''}`,
    `  instance ${j.host}/${j.instance}${j.module !== null ? `, module ${j.module}` : ''}`,
    `  files: ${j.paths.length > 0 ? j.paths.join(', ') : 'the whole instance'}`,
    `  trace: kintsugi query trace ${j.correlationId}`,
    '  policy decision:',
    ...j.decision.explanation.map((l) => `    ${l}`),
  ];
  if (j.choice.length > 0) lines.push('  snapshot choice:', ...j.choice.map((l) => `    ${l}`));
  if (j.attempts.length > 0) lines.push('  attempts:', ...j.attempts.map((a) => `    ${a.startedAt} ${a.snapshot.slice(0, 12)} ${a.mode} ${a.purpose}: ${a.outcome}${a.error !== undefined ? ` (${a.error})` : ''}`));
  if (j.progress !== undefined) lines.push(`  progress: ${progressText(j.progress)}`);
  if (j.cancelRequested !== undefined) lines.push(`  cancel requested by ${j.cancelRequested.by} at ${j.cancelRequested.at}`);
  if (j.error !== undefined) lines.push(`  error: ${j.error}`);
  lines.push('  history:', ...j.history.map((h) => `    ${h.at} ${h.state}${h.by !== undefined ? ` by ${h.by}` : ''}: ${h.note}`));
  return `${lines.join('\n')}\n`;
}

async function run(name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err: unknown) {
    const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : 0;
    process.stderr.write(`kintsugi restores ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = status === 400 ? EXIT.USAGE : EXIT.FAILURE;
  }
}

function common(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data folder of the running service (default ./data, or KINTSUGI_DATA)')
    .option('--url <url>', 'the service to ask, instead of the one of the data folder')
    .option('--token <token>', 'act as this API token (default KINTSUGI_TOKEN, else the local service token)')
    .addHelpText('after', '\nExit status: 0 done, 1 refused (401/403/404/409) or no service, 2 bad request.');
}

export function registerRestoresCommand(program: Command): void {
  const restores = program.command('restores').description('Restore jobs of the running service: list, show, request, approve, cancel');

  common(restores.command('list').description('Every restore job, oldest first'))
    .option('--state <states>', 'only jobs in these states (comma-separated)')
    .addOption(new Option('--format <format>', 'table, or ndjson for the jobs whole').choices(['table', 'ndjson']).default('table'))
    .action((opts: Common & { state?: string; format: 'table' | 'ndjson' }) =>
      run('list', async () => {
        const body = await client(opts).send(`/api/restores${opts.state !== undefined ? `?state=${encodeURIComponent(opts.state)}` : ''}`, { headers: headers(opts, false) });
        const jobs = typeof body === 'object' && body !== null && 'jobs' in body && Array.isArray(body.jobs) ? body.jobs.map(asJob) : [];
        if (opts.format === 'table') process.stdout.write(`${HEADER}\n`);
        for (const j of jobs) process.stdout.write(`${opts.format === 'ndjson' ? JSON.stringify(j) : row(j)}\n`);
      }),
    );

  common(restores.command('show').description('One job: the policy decision and why, the snapshot chosen, attempts, history').argument('<id>', 'job id'))
    .option('--json', 'the job document')
    .action((id: string, opts: Common & { json?: boolean }) =>
      run('show', async () => {
        const job = asJob(await client(opts).send(`/api/restores/${encodeURIComponent(id)}`, { headers: headers(opts, false) }));
        process.stdout.write(opts.json === true ? `${JSON.stringify(job, null, 2)}\n` : show(job));
      }),
    );

  common(restores.command('request').description('Ask for a restore of one instance (role operator; an approver needs no second approval)'))
    .requiredOption('--host <name>', 'host')
    .requiredOption('--instance <id>', 'instance of the host (the instance map)')
    .option('--path <path...>', 'files to restore, absolute in the instance; none: the whole instance')
    .option('--snapshot <id>', 'snapshot ID or prefix; default: the policy chooses')
    .action((opts: Common & { host: string; instance: string; path?: string[]; snapshot?: string }) =>
      run('request', async () => {
        const body = { host: opts.host, instance: opts.instance, ...(opts.path !== undefined ? { paths: opts.path } : {}), ...(opts.snapshot !== undefined ? { snapshot: opts.snapshot } : {}) };
        const job = asJob(await client(opts).send('/api/restores', { method: 'POST', headers: headers(opts, true), body: JSON.stringify(body) }));
        process.stdout.write(`${job.id} ${job.state}\n`);
      }),
    );

  for (const [verb, what] of [
    ['approve', 'Approve a waiting job (role approver): it runs when the policy allows'],
    ['cancel', 'Cancel a job (role operator): a waiting one does not run; a running one stops at its next file or block batch, the instance left safe (state running: the stop was asked for, not yet done)'],
  ] as const) {
    common(restores.command(verb).description(what).argument('<id>', 'job id')).action((id: string, opts: Common) =>
      run(verb, async () => {
        const job = asJob(await client(opts).send(`/api/restores/${encodeURIComponent(id)}/${verb}`, { method: 'POST', headers: headers(opts, false) }));
        process.stdout.write(`${job.id} ${job.state}\n`);
      }),
    );
  }
}
