/**
 * The restore engine's commands: `repo init`, `snapshot create|list|ls|verify|forget|prune|export`
 * and `restore`. Each action opens the repository, takes the lock it needs, calls the engine and
 * prints a report (text, or JSON with --json). Engine errors print as `CODE: message` and exit 1;
 * usage errors exit 2.
 */
import { closeSync, openSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { Command, Option } from 'commander';
import { EXIT } from '../cli/exit.js';
import { isRstError, messageOf, rstError } from './errors.js';
import { shortId } from './format/v1/ids.js';
import { rawToDisplay, type TreeNode } from './format/v1/manifest.js';
import { exportSnapshot, type ExportFormat } from './export/export.js';
import { applyPolicy, isEmptyPolicy, type KeepPolicy } from './policy/forget.js';
import { formatBytes } from './progress.js';
import { ChunkCache } from './prefetch/cache.js';
import { prune } from './prune/prune.js';
import { withLock } from './repository/lock.js';
import { Repository } from './repository/repository.js';
import { openSnapshotForRead, withContext } from './restore/prepare.js';
import type { RestoreReport } from './restore/report.js';
import { restore } from './restore/restore.js';
import { readManifest } from './snapshot/content.js';
import { createImageSnapshot } from './snapshot/create-image.js';
import { createTreeSnapshot } from './snapshot/create-tree.js';
import { listSnapshots, matches, resolveSnapshot, type SnapshotFilter } from './snapshot/load.js';
import { verifyRepository, type VerifyHint } from './verify/verify.js';
import { forgetSnapshots } from './snapshot/commit.js';
import { upgradeRepository } from './snapshot/upgrade.js';

type Opts = Readonly<Record<string, unknown>>;

export function optStr(o: Opts, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}
export function reqStr(o: Opts, key: string, flag: string): string {
  const v = optStr(o, key);
  if (v === undefined || v === '') throw rstError('RST_ERR_USAGE', `${flag} is required`);
  return v;
}
function optList(o: Opts, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
export function optBool(o: Opts, key: string): boolean {
  return o[key] === true;
}
export function optInt(o: Opts, key: string, flag: string): number | undefined {
  const v = optStr(o, key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw rstError('RST_ERR_USAGE', `${flag} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}
const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A bad command line, or a file it names that is not valid (README.md: exit 2). */
const USAGE_CODES: ReadonlySet<string> = new Set(['RST_ERR_USAGE', 'RST_ERR_INSTANCES_INVALID', 'RST_ERR_SCHEDULE_INVALID', 'RST_ERR_INSTANCE_NOT_FOUND']);

/** Run an action and map failures to exit codes. */
export function action(fn: (o: Opts, cmd: Command) => Promise<number | void> | number | void): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1];
    if (!(cmd instanceof Command)) return;
    const o: Opts = cmd.opts();
    try {
      const code = await fn(o, cmd);
      process.exitCode = code ?? EXIT.OK;
    } catch (err: unknown) {
      if (isRstError(err)) {
        process.stderr.write(`kintsugi: ${err.code}: ${err.message}\n`);
        const problems: unknown = 'problems' in err ? err.problems : undefined;
        if (Array.isArray(problems)) for (const p of problems) process.stderr.write(`  - ${messageOf(p)}\n`);
        process.exitCode = USAGE_CODES.has(err.code) ? EXIT.USAGE : EXIT.FAILURE;
      } else {
        process.stderr.write(`kintsugi: ${messageOf(err)}\n`);
        process.exitCode = EXIT.FAILURE;
      }
    }
  };
}

function trusted(repo: Repository, o: Opts): KeyObject {
  return repo.trustedKey(optStr(o, 'trustKey'));
}

function filterOf(o: Opts): SnapshotFilter {
  const f: { host?: string; instance?: string; kind?: 'tree' | 'image'; tags?: string[] } = {};
  const host = optStr(o, 'host');
  const instance = optStr(o, 'instance');
  const kind = optStr(o, 'kind');
  const tags = optList(o, 'tag');
  if (host !== undefined) f.host = host;
  if (instance !== undefined) f.instance = instance;
  if (kind === 'tree' || kind === 'image') f.kind = kind;
  if (tags.length > 0) f.tags = tags;
  return f;
}

const repoOption = (): Option => new Option('--repo <dir>', 'repository directory').makeOptionMandatory();
const trustOption = (): Option =>
  new Option('--trust-key <file>', "Ed25519 public key (PEM) that snapshots must be signed with (default: the repository's keys/public.pem; pin your own copy so a replaced key is noticed)");
export const jsonOption = (): Option => new Option('--json', 'print the report as JSON');

function restoreText(r: RestoreReport): string {
  const lines = [
    `${r.dryRun ? 'would restore' : 'restored'} snapshot ${shortId(r.snapshot)} (${r.kind}) into ${r.target}`,
    `mode: ${r.mode} — ${r.reason}`,
    `verified before writing: signature, ${r.kind === 'image' ? 'block map' : 'manifest'} and ${r.packsVerified} pack(s)${r.verifiedAfterWrite ? '; read back after writing: ok' : ''}`,
  ];
  if (r.kind === 'image') {
    lines.push(`${r.dryRun ? 'would write' : 'wrote'} ${r.bytesWritten} bytes (${formatBytes(r.bytesWritten)}) in ${r.blocksWritten} of ${r.blocksTotal} blocks; image data ${formatBytes(r.bytesTotal)}`);
  } else {
    lines.push(`${r.dryRun ? 'would write' : 'wrote'} ${r.filesWritten} file(s), ${r.bytesWritten} bytes (${formatBytes(r.bytesWritten)}); ${r.filesUnchanged} unchanged; ${r.entriesRemoved} removed`);
  }
  for (const n of r.notes ?? []) lines.push(`note: ${n}`);
  if (r.resumedFrom !== null) lines.push(`resumed an interrupted restore${r.kind === 'image' ? ` at block ${r.resumedFrom}` : ''}`);
  return lines.join('\n');
}

const LS_TYPE: Readonly<Record<TreeNode['type'], string>> = { file: '-', hardlink: '-', symlink: 'l', dir: 'd', fifo: 'p', chardev: 'c', blockdev: 'b' };

function nodeLine(n: TreeNode): string {
  const mode = n.type === 'symlink' ? 'lrwxrwxrwx' : `${LS_TYPE[n.type]}${(n.type === 'hardlink' ? 0 : n.mode).toString(8).padStart(4, '0')}`;
  const size = n.type === 'file' ? String(n.size) : n.type === 'chardev' || n.type === 'blockdev' ? `${n.major},${n.minor}` : '-';
  const extra = n.type === 'symlink' ? ` -> ${rawToDisplay(n.target)}` : n.type === 'hardlink' ? ` => ${rawToDisplay(n.linkTo)}` : '';
  const time = new Date(Number(n.mtimeNs / 1_000_000n)).toISOString();
  const xattrs = n.xattrs === undefined ? '' : ` [${n.xattrs.map((x) => rawToDisplay(x.name)).join(' ')}]`;
  return `${mode} ${n.uid}:${n.gid} ${size.padStart(12)} ${time} ${n.path === '' ? '.' : rawToDisplay(n.path)}${n.type === 'dir' ? '/' : ''}${extra}${xattrs}`;
}

export function registerRestoreCommands(program: Command): void {
  // ---- repo
  const repoCmd = program.command('repo').description('Manage snapshot repositories');
  repoCmd
    .command('init')
    .description('Create an empty repository and its Ed25519 signing key pair (keys/public.pem is what restorers trust)')
    .addOption(repoOption())
    .option('--signing-key <file>', 'write the private signing key here instead of <repo>/keys/signing.pem')
    .option('--block-size <bytes>', 'default image block size (a multiple of 512)', '4096')
    .addOption(jsonOption())
    .action(
      action((o) => {
        const signingKeyPath = optStr(o, 'signingKey');
        const repo = Repository.init(reqStr(o, 'repo', '--repo'), {
          ...(signingKeyPath !== undefined ? { signingKeyPath } : {}),
          blockSize: optInt(o, 'blockSize', '--block-size') ?? 4096,
        });
        if (optBool(o, 'json')) out(JSON.stringify({ repository: repo.dir, id: repo.config.id, keyId: repo.config.keyId, publicKey: repo.publicKeyPath }));
        else out(`created repository ${repo.config.id} at ${repo.dir}\nsigning key id ${repo.config.keyId}\npublic key: ${repo.publicKeyPath} (copy it to the hosts that restore, and pass it as --trust-key)`);
      }),
    );

  repoCmd
    .command('upgrade')
    .description('Make a format version 1 repository version 2: write a signed snapshot log of every snapshot that verifies (those that do not are listed and left out)')
    .addOption(repoOption())
    .option('--signing-key <file>', 'private signing key (default: <repo>/keys/signing.pem)')
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        const r = await withLock(repo.dir, 'exclusive', 'repo upgrade', () => upgradeRepository(repo, repo.signingKey(optStr(o, 'signingKey'))));
        if (optBool(o, 'json')) out(JSON.stringify({ ...r, refused: r.refused.map((e) => ({ code: e.code, message: e.message })) }));
        else {
          out(r.from === r.to ? `repository is already format version ${r.to}` : `upgraded from format version ${r.from} to ${r.to}: ${r.logged.length} snapshot(s) in the signed log`);
          for (const e of r.refused) out(`left out (does not verify): ${e.code}: ${e.message}`);
        }
        return r.refused.length > 0 ? EXIT.FAILURE : EXIT.OK;
      }),
    );

  // ---- snapshot
  const snap = program.command('snapshot').description('Create, list, inspect, verify and expire snapshots');
  snap
    .command('create')
    .description('Snapshot a directory tree or a block image (file or device); only new data is stored')
    .addOption(repoOption())
    .requiredOption('--source <path>', 'directory (--kind tree) or image file / block device (--kind image)')
    .addOption(new Option('--kind <kind>', 'what the source is').choices(['tree', 'image']).makeOptionMandatory())
    .requiredOption('--host <name>', 'host the source belongs to')
    .option('--instance <id>', 'OS instance on that host')
    .option('--os-line <line>', 'OS line, such as 4.2 (with --os-version)')
    .option('--os-version <version>', 'OS version, such as 4.2.7 (with --os-line)')
    .option('--parent <id>', "parent snapshot: an ID, 'auto' (the latest of the same host, instance, kind and source) or 'none'", 'auto')
    .option('--tag <tag>', 'tag (repeatable)', collect)
    .option('--block-size <bytes>', "image block size (default: the repository's, 4096)")
    .option('--signing-key <file>', 'private signing key (default: <repo>/keys/signing.pem)')
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        const osLine = optStr(o, 'osLine');
        const osVersion = optStr(o, 'osVersion');
        if ((osLine === undefined) !== (osVersion === undefined)) throw rstError('RST_ERR_USAGE', '--os-line and --os-version go together');
        const parentArg = optStr(o, 'parent') ?? 'auto';
        const parent = parentArg === 'none' ? null : parentArg === 'auto' ? 'auto' : resolveSnapshot(repo, parentArg, repo.trustedKey()).id;
        const signingKey = repo.signingKey(optStr(o, 'signingKey'));
        const blockSize = optInt(o, 'blockSize', '--block-size');
        const opts = {
          source: reqStr(o, 'source', '--source'),
          host: reqStr(o, 'host', '--host'),
          instance: optStr(o, 'instance') ?? null,
          os: osLine !== undefined && osVersion !== undefined ? { line: osLine, version: osVersion } : null,
          tags: optList(o, 'tag'),
          parent,
          signingKey,
          ...(blockSize !== undefined ? { blockSize } : {}),
        };
        const started = Date.now();
        const r = await withLock(repo.dir, 'exclusive', 'snapshot create', () =>
          optStr(o, 'kind') === 'image' ? createImageSnapshot(repo, opts) : createTreeSnapshot(repo, opts),
        );
        const secs = (Date.now() - started) / 1000;
        for (const n of r.notes ?? []) process.stderr.write(`kintsugi: note: ${n}\n`);
        const s = r.payload.summary;
        if (optBool(o, 'json')) out(JSON.stringify({ id: r.id, seconds: secs, parent: r.payload.parent, summary: s }));
        else {
          out(`snapshot ${r.id} saved (${r.payload.kind}, parent ${r.payload.parent === null ? 'none' : shortId(r.payload.parent)})`);
          if (r.payload.kind === 'tree') out(`${s.files} files (${s.filesUnchanged} unchanged since the parent), ${s.dirs} dirs, ${formatBytes(s.bytes)}; ${s.skipped} special files skipped`);
          else out(`${formatBytes(s.bytes)} in ${s.blocks} blocks, ${s.holes} holes`);
          out(`added ${s.blobsAdded} blobs, ${formatBytes(s.bytesAdded)} stored, in ${secs.toFixed(2)} s`);
        }
      }),
    );

  snap
    .command('list')
    .description('List the snapshots whose signature verifies (damaged ones are reported on stderr)')
    .addOption(repoOption())
    .option('--host <name>', 'only this host')
    .option('--instance <id>', 'only this instance')
    .addOption(new Option('--kind <kind>', 'only this kind').choices(['tree', 'image']))
    .option('--tag <tag>', 'only snapshots with this tag (repeatable)', collect)
    .addOption(trustOption())
    .addOption(jsonOption())
    .action(
      action((o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        const { records, errors, log } = listSnapshots(repo, trusted(repo, o));
        const f = filterOf(o);
        const hits = records.filter((r) => matches(r.payload, f));
        for (const e of errors) process.stderr.write(`kintsugi: ${e.code}: ${e.message}\n`);
        if (optBool(o, 'json')) {
          out(JSON.stringify(hits.map((r) => ({ id: r.id, ...r.payload, tree: undefined, image: r.payload.image === null ? null : { size: r.payload.image.size, blockSize: r.payload.image.blockSize } }))));
        } else {
          out('ID            time                      kind   host / instance                size        tags');
          for (const r of hits) {
            const p = r.payload;
            out(`${shortId(r.id)}  ${p.time}  ${p.kind.padEnd(5)}  ${`${p.host}${p.instance === null ? '' : ` / ${p.instance}`}`.padEnd(30)} ${formatBytes(p.summary.bytes).padStart(10)}  ${p.tags.join(',')}`);
          }
          out(`${hits.length} snapshot(s)${log === null ? '' : `; snapshot log head: seq ${log.seq}, ${log.head} (pin it to notice a rollback)`}`);
        }
        return errors.length > 0 ? EXIT.FAILURE : EXIT.OK;
      }),
    );

  snap
    .command('ls')
    .description('Show the file tree of a tree snapshot, to pick paths for `restore --mode files`')
    .addOption(repoOption())
    .requiredOption('--snapshot <id>', "snapshot ID (a unique prefix) or 'latest'")
    .addOption(trustOption())
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        await withLock(repo.dir, 'shared', 'snapshot ls', () =>
          withContext(openSnapshotForRead(repo, reqStr(o, 'snapshot', '--snapshot'), trusted(repo, o)), (ctx) => {
            const nodes = readManifest(ctx.record, ctx.reader);
            if (optBool(o, 'json')) {
              for (const n of nodes) {
                out(JSON.stringify({ path: rawToDisplay(n.path), type: n.type, mode: n.mode, uid: n.uid, gid: n.gid, mtimeNs: n.mtimeNs.toString(), size: n.type === 'file' ? n.size : 0 }));
              }
            } else for (const n of nodes) out(nodeLine(n));
          }),
        );
      }),
    );

  snap
    .command('verify')
    .description('Check signatures and structure of every snapshot, index and pack; --read-data also re-hashes every chunk. Reports every problem, exit 1 if any')
    .addOption(repoOption())
    .option('--read-data', 'read every pack and re-hash every blob')
    .addOption(trustOption())
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        const report = await withLock(repo.dir, 'shared', 'snapshot verify', () =>
          verifyRepository(repo, { trustedKey: trusted(repo, o), readData: optBool(o, 'readData'), progress: !optBool(o, 'json') }),
        );
        if (optBool(o, 'json')) out(JSON.stringify(report));
        else {
          out(`checked ${report.snapshots} snapshot(s), ${report.packs} pack(s), ${report.blobs} blob(s)${optBool(o, 'readData') ? `, read ${formatBytes(report.bytesRead)}` : ''}`);
          for (const p of report.problems) out(`error ${p.code} (${p.type}): ${p.message}`);
          for (const h of report.hints) out(`hint ${h.type}: ${h.file} (${HINT_TEXT[h.type]})`);
          out(report.ok ? 'no problems found' : `${report.problems.length} problem(s) found`);
        }
        return report.ok ? EXIT.OK : EXIT.FAILURE;
      }),
    );

  snap
    .command('forget')
    .description('Remove snapshots that no keep rule holds (grouped by host, instance, kind, source); prints why each is kept or removed. Data is reclaimed by `prune`')
    .addOption(repoOption())
    .option('--keep-last <n>', 'keep the n newest')
    .option('--keep-hourly <n>', 'keep the newest of each of the last n hours that have one')
    .option('--keep-daily <n>', 'keep the newest of each of the last n days that have one')
    .option('--keep-weekly <n>', 'keep the newest of each of the last n ISO weeks that have one')
    .option('--keep-monthly <n>', 'keep the newest of each of the last n months that have one')
    .option('--keep-yearly <n>', 'keep the newest of each of the last n years that have one')
    .option('--keep-tag <tag>', 'keep every snapshot with this tag (repeatable)', collect)
    .option('--host <name>', 'only consider this host')
    .option('--dry-run', 'say what would be removed, remove nothing')
    .option('--prune', 'run `prune` afterwards')
    .option('--signing-key <file>', 'private key that signs the log entries (default: <repo>/keys/signing.pem)')
    .addOption(trustOption())
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        const policy: KeepPolicy = {
          last: optInt(o, 'keepLast', '--keep-last') ?? 0,
          hourly: optInt(o, 'keepHourly', '--keep-hourly') ?? 0,
          daily: optInt(o, 'keepDaily', '--keep-daily') ?? 0,
          weekly: optInt(o, 'keepWeekly', '--keep-weekly') ?? 0,
          monthly: optInt(o, 'keepMonthly', '--keep-monthly') ?? 0,
          yearly: optInt(o, 'keepYearly', '--keep-yearly') ?? 0,
          tags: optList(o, 'keepTag'),
        };
        if (isEmptyPolicy(policy)) throw rstError('RST_ERR_USAGE', 'give at least one --keep-* rule (forget never removes everything by default)');
        const dryRun = optBool(o, 'dryRun');
        return withLock(repo.dir, 'exclusive', 'snapshot forget', () => {
          const key = trusted(repo, o);
          const { records } = listSnapshots(repo, key);
          const f = filterOf({ host: o['host'] });
          const result = applyPolicy(
            records.filter((r) => matches(r.payload, f)).map((r) => ({ id: r.id, time: r.payload.time, host: r.payload.host, instance: r.payload.instance, kind: r.payload.kind, source: r.payload.source, tags: r.payload.tags })),
            policy,
          );
          if (!dryRun) forgetSnapshots(repo, result.remove.map((d) => d.id), repo.signingKey(optStr(o, 'signingKey')));
          const pruned = !dryRun && optBool(o, 'prune') ? prune(repo, key) : null;
          if (optBool(o, 'json')) out(JSON.stringify({ dryRun, ...result, prune: pruned }));
          else {
            for (const d of result.keep) out(`keep   ${shortId(d.id)}  ${d.reasons.join('; ')}`);
            for (const d of result.remove) out(`${dryRun ? 'would remove' : 'remove'} ${shortId(d.id)}  ${d.reasons.join('; ')}`);
            if (pruned !== null) out(`prune: ${pruned.packsDeleted} pack(s) deleted, ${pruned.packsRepacked} repacked, ${formatBytes(pruned.bytesFreed)} freed`);
          }
        });
      }),
    );

  snap
    .command('prune')
    .description('Reclaim data no snapshot references, and leftovers of interrupted writers (temporary files, unindexed packs)')
    .addOption(repoOption())
    .option('--dry-run', 'say what would be reclaimed, change nothing')
    .addOption(trustOption())
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        const r = await withLock(repo.dir, 'exclusive', 'snapshot prune', () => prune(repo, trusted(repo, o), optBool(o, 'dryRun')));
        if (optBool(o, 'json')) out(JSON.stringify(r));
        else {
          out(`${r.dryRun ? 'would delete' : 'deleted'} ${r.packsDeleted} unused pack(s), ${r.dryRun ? 'would repack' : 'repacked'} ${r.packsRepacked}, ${r.blobsRemoved} blob(s), ${formatBytes(r.bytesFreed)} freed`);
          out(`leftovers: ${r.leftoverPacksRemoved} unindexed pack(s), ${r.tmpFilesRemoved} temporary file(s), ${r.snapshotFilesRemoved} snapshot file(s) the log does not list; ${r.pendingPublished} pending snapshot(s) moved into place`);
        }
      }),
    );

  snap
    .command('export')
    .description('Write a snapshot as a plain image (--format raw, image snapshots) or a tar stream (--format tar, tree snapshots) that older tools read; verified first')
    .addOption(repoOption())
    .requiredOption('--snapshot <id>', "snapshot ID (a unique prefix) or 'latest'")
    .addOption(new Option('--format <format>', 'output format').choices(['raw', 'tar']).makeOptionMandatory())
    .option('--output <file>', 'write here instead of standard output (a raw image file stays sparse)')
    .addOption(trustOption())
    .action(
      action(async (o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        const format: ExportFormat = optStr(o, 'format') === 'raw' ? 'raw' : 'tar';
        const output = optStr(o, 'output');
        await withLock(repo.dir, 'shared', 'snapshot export', () =>
          withContext(openSnapshotForRead(repo, reqStr(o, 'snapshot', '--snapshot'), trusted(repo, o)), (ctx) => {
            const fd = output === undefined ? 1 : openSync(output, 'w', 0o644);
            try {
              const n = exportSnapshot(ctx, format, fd);
              if (output !== undefined) process.stderr.write(`exported snapshot ${shortId(ctx.record.id)} as ${format}: ${formatBytes(n)} to ${output}\n`);
            } finally {
              if (fd !== 1) closeSync(fd);
            }
          }),
        );
      }),
    );

  // ---- restore
  program
    .command('restore')
    .description(
      'Restore a snapshot after proving its signature and every pack it needs. auto: delta when the target holds an earlier state, full otherwise; ' +
        'full: into a new/empty directory, or an image file (written beside it, then renamed) or device; delta: write only the blocks (image) or files (tree) that differ; ' +
        'files: only --path globs. An interrupted restore resumes when run again',
    )
    .addHelpText('after', '\nExit status: 0 restored, 1 failure (the RST_ERR_* code is printed), 2 usage, 130 / 143 cancelled by SIGINT / SIGTERM:\nthe restore stops at the next file (tree) or block batch (image), the target is left safe, and running it again finishes it.')
    .addOption(repoOption())
    .requiredOption('--snapshot <id>', "snapshot ID (a unique prefix) or 'latest' (narrow with --host/--instance)")
    .requiredOption('--target <path>', 'directory (tree) or image file / block device (image)')
    .addOption(new Option('--mode <mode>', 'how to restore').choices(['auto', 'full', 'delta', 'files']).default('auto'))
    .option('--path <glob>', 'with --mode files: a path or glob to restore (repeatable; * within a name, ** across)', collect)
    .option('--delete', 'with --mode delta on a tree: remove entries the snapshot does not have')
    .option('--dry-run', 'print the plan and byte counts, write nothing')
    .option('--host <name>', "with 'latest': only this host")
    .option('--instance <id>', "with 'latest': only this instance")
    .option('--prefetch-data <dir>', 'tree snapshots: take the chunks that `kintsugi prefetch` keeps warm in this data folder (proven by hash), reading no pack for them')
    .addOption(trustOption())
    .addOption(jsonOption())
    .action(
      action(async (o) => {
        const repo = Repository.open(reqStr(o, 'repo', '--repo'));
        const prefetchData = optStr(o, 'prefetchData');
        const modeArg = optStr(o, 'mode') ?? 'auto';
        const mode = modeArg === 'full' || modeArg === 'delta' || modeArg === 'files' ? modeArg : 'auto';
        // SIGINT/SIGTERM stop the restore at its next safe point (between files or block batches);
        // a second signal exits at once, which is as safe as a crash (the next run resumes).
        const abort = new AbortController();
        let signalled: 'SIGINT' | 'SIGTERM' | undefined;
        const onSignal = (sig: 'SIGINT' | 'SIGTERM'): void => {
          if (signalled !== undefined) process.exit(sig === 'SIGINT' ? EXIT.CANCELLED_SIGINT : EXIT.CANCELLED_SIGTERM);
          signalled = sig;
          process.stderr.write(`kintsugi: ${sig}: stopping the restore at the next file or block batch, leaving the target safe (${sig} again: stop at once)\n`);
          abort.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        let report: RestoreReport;
        try {
          report = await restore(repo, {
            snapshot: reqStr(o, 'snapshot', '--snapshot'),
            target: reqStr(o, 'target', '--target'),
            mode,
            paths: optList(o, 'path'),
            delete: optBool(o, 'delete'),
            dryRun: optBool(o, 'dryRun'),
            trustedKey: trusted(repo, o),
            filter: filterOf({ host: o['host'], instance: o['instance'] }),
            ...(prefetchData !== undefined ? { local: ChunkCache.open(prefetchData, repo.config.id) } : {}),
            control: { signal: abort.signal },
          });
        } catch (err: unknown) {
          if (!isRstError(err, 'RST_ERR_CANCELLED') || signalled === undefined) throw err;
          process.stderr.write(`kintsugi: ${err.code}: ${err.message}\n`);
          return signalled === 'SIGINT' ? EXIT.CANCELLED_SIGINT : EXIT.CANCELLED_SIGTERM;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        out(optBool(o, 'json') ? JSON.stringify(report) : restoreText(report));
      }),
    );
}

const HINT_TEXT: Readonly<Record<VerifyHint['type'], string>> = {
  'pack-unindexed': 'a leftover: `snapshot prune` removes it',
  'tmp-leftover': 'a leftover: `snapshot prune` removes it',
  'snapshot-forgotten': 'forgotten in the log but not yet removed: `snapshot prune` removes it',
  'snapshot-pending': 'logged, its writer stopped before moving it into snapshots/: readers use it; `snapshot prune` moves it',
  'format-v1': 'format version 1 has no signed snapshot log, so a deleted snapshot cannot be noticed: run `kintsugi repo upgrade`',
};

/** The public key that signs with `signingKey` (for callers holding only the private key). */
export function publicKeyOf(signingKey: KeyObject): KeyObject {
  return createPublicKey(signingKey);
}
