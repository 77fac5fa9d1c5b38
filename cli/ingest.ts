/** `kintsugi ingest`: import whole log files (also .gz) into the store. Safe to run twice. */
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { FORMATS, type Format } from '../parsers/reader.js';
import { isValidZone } from '../parsers/rlog/timestamp.js';
import { ServiceClient } from '../pipeline/client.js';
import { resolveDataDir } from '../pipeline/env.js';
import type { BatchWriter, IngestProgress } from '../pipeline/ingest/ingest.js';
import type { ParsePool } from '../pipeline/ingest/parse-pool.js';
import { SERVICE_FILE, runningService } from '../pipeline/service-file.js';
import { EXIT } from './exit.js';

interface IngestOptions {
  format: Format;
  host?: string;
  tz?: string;
  osVersion?: string;
  data?: string;
}

function progressPrinter(): (p: IngestProgress) => void {
  if (!process.stderr.isTTY) return () => undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    const pct = p.fileBytes > 0 ? Math.min(100, Math.floor((p.bytesRead / p.fileBytes) * 100)) : 100;
    const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
    process.stderr.write(`\r[${bar}] ${String(pct).padStart(3)}%  ${p.file}  ${p.totals.records} records`);
  };
}

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('Import whole log files (also .gz) into the store; running it twice stores nothing twice')
    .addOption(new Option('--format <format>', 'rlog (3.2 plain text) or ops (4.2 JSON lines)').choices(FORMATS).makeOptionMandatory())
    .option('--host <name>', 'host of 3.2 records outside a session (default: unknown)')
    .option('--tz <zone>', 'IANA time zone of 3.2 form A timestamps (default: UTC)')
    .option('--os-version <v>', 'OS version of 3.2 records outside a session (default: 3.2)')
    .option('--data <dir>', 'data folder (default ./data, or KINTSUGI_DATA)')
    .argument('<files...>', 'log files; .gz files are decompressed')
    .addHelpText('after', '\nWhile kintsugi serve runs on the same data folder, the records go through it.\nExit status: 0 imported (dead letters included), 1 a file or the store could not be read, 2 usage error.')
    .action(async (files: string[], opts: IngestOptions) => {
      if (opts.tz !== undefined && !isValidZone(opts.tz)) {
        process.stderr.write(`kintsugi ingest: --tz "${opts.tz}" is not an IANA time zone name (such as UTC or Europe/Berlin)\n`);
        process.exitCode = EXIT.USAGE;
        return;
      }
      // Loaded here, not at the top: `kintsugi --help` and the other commands need none of it.
      const [{ ingestFiles, storeWriter }, { ParsePool, workersBesideStore }, { DEFAULT_STORE_MEMORY_LIMIT }, { DuckDbEventStore }] = await Promise.all([
        import('../pipeline/ingest/ingest.js'),
        import('../pipeline/ingest/parse-pool.js'),
        import('../pipeline/config/schema.js'),
        import('../pipeline/store/duckdb-store.js'),
      ]);
      const data = resolve(resolveDataDir(opts.data));
      const service = runningService(data);
      let writer: BatchWriter;
      let close = async (): Promise<void> => undefined;
      let pool: ParsePool | undefined;
      try {
        if (service !== null) writer = new ServiceClient(service.url, join(data, SERVICE_FILE));
        else {
          const store = await DuckDbEventStore.open({ dataDir: data, memoryLimit: DEFAULT_STORE_MEMORY_LIMIT });
          // Into a store of its own, files are parsed and staged on worker threads (a core left to the store).
          const workers = new ParsePool(workersBesideStore());
          pool = workers;
          close = async () => {
            await workers.close();
            await store.close();
          };
          writer = storeWriter(store);
        }
      } catch (err: unknown) {
        process.stderr.write(`kintsugi ingest: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      const source = {
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.tz !== undefined ? { timeZone: opts.tz } : {}),
        ...(opts.osVersion !== undefined ? { osVersion: opts.osVersion } : {}),
      };
      const started = Date.now();
      try {
        const t = await ingestFiles(files, opts.format, source, writer, progressPrinter(), pool);
        if (process.stderr.isTTY) process.stderr.write('\n');
        const seconds = (Date.now() - started) / 1000;
        process.stderr.write(
          `kintsugi ingest: ${t.files} files, ${t.records} records: ${t.eventsStored} events and ${t.deadLettersStored} dead letters stored, ${t.duplicates} already stored (${seconds.toFixed(1)} s, into ${service?.url ?? data})\n`,
        );
      } catch (err: unknown) {
        if (process.stderr.isTTY) process.stderr.write('\n');
        process.stderr.write(`kintsugi ingest: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = EXIT.FAILURE;
      } finally {
        await close();
      }
    });
}
