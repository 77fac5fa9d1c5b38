/** `kintsugi forward`: follow log files and produce their records to Kafka (pipeline/transport). */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import type { SourceConfig } from '../collectors/source.js';
import { loadConfig } from '../pipeline/config/load.js';
import type { Config } from '../pipeline/config/schema.js';
import { resolveDataDir } from '../pipeline/env.js';
import { PipelineError } from '../pipeline/errors.js';
import { TransportError } from '../pipeline/transport/errors.js';
import { Forwarder } from '../pipeline/transport/forwarder.js';
import { kafkaSettings, type KafkaSettings } from '../pipeline/transport/settings.js';
import { FORMATS, type Format } from '../parsers/reader.js';
import { isValidZone } from '../parsers/rlog/timestamp.js';
import { EXIT } from './exit.js';

interface ForwardOptions {
  config?: string;
  format?: Format;
  host?: string;
  tz?: string;
  osVersion?: string;
  kafka?: string;
  data?: string;
  once?: boolean;
}

function usage(message: string): void {
  process.stderr.write(`kintsugi forward: ${message}\n`);
  process.exitCode = EXIT.USAGE;
}

/** The sources: the configuration's, or one made of --format and the files. */
function sourcesOf(files: readonly string[], opts: ForwardOptions, config: Config | null): SourceConfig[] | null {
  if (opts.format === undefined) return config === null ? null : [...config.sources];
  return [
    {
      name: `forward-${opts.format}`,
      format: opts.format,
      paths: files.map((f) => resolve(f)),
      ...(opts.host !== undefined ? { host: opts.host } : {}),
      ...(opts.tz !== undefined ? { timeZone: opts.tz } : {}),
      ...(opts.osVersion !== undefined ? { osVersion: opts.osVersion } : {}),
    },
  ];
}

export function registerForwardCommand(program: Command): void {
  program
    .command('forward')
    .description('Follow log files like the collectors and produce their records to Kafka; checkpoints move only after Kafka acknowledged')
    .option('--config <file>', 'configuration file (YAML): its sources, kafka section and followers settings')
    .addOption(new Option('--format <format>', 'instead of the configuration\'s sources: the files given, in this format').choices(FORMATS))
    .option('--host <name>', 'with --format: host of 3.2 records outside a session (default: unknown)')
    .option('--tz <zone>', 'with --format: IANA time zone of 3.2 form A timestamps (default: UTC)')
    .option('--os-version <v>', 'with --format: OS version of 3.2 records outside a session (default: 3.2)')
    .option('--kafka <brokers>', 'bootstrap servers host:port[,host:port...]; win over kafka.brokers')
    .option('--data <dir>', 'folder of the forwarder\'s checkpoints (default ./data, or KINTSUGI_DATA)')
    .option('--once', 'send what the files hold now, wait for Kafka\'s acknowledgement, and exit')
    .argument('[files...]', 'with --format: the files (globs) to follow')
    .addHelpText(
      'after',
      '\n3.2 records go to the events topic as normalized events, 4.2 records raw to the OPS topic\n(pipeline/transport/README.md). Checkpoints: <data>/forwarder-checkpoints.json.\nWithout --once it runs until SIGINT/SIGTERM.\nExit status: 0 done (dead letters included), 1 Kafka or a file could not be reached, 2 usage error.',
    )
    .action(async (files: string[], opts: ForwardOptions) => {
      if (opts.format === undefined && files.length > 0) return usage('files are given with --format; without it the sources come from --config');
      if (opts.format !== undefined && files.length === 0) return usage('--format needs the files to forward');
      if (opts.format === undefined && opts.config === undefined) return usage('give --config FILE, or --format and files');
      if (opts.tz !== undefined && !isValidZone(opts.tz)) return usage(`--tz "${opts.tz}" is not an IANA time zone name (such as UTC or Europe/Berlin)`);
      let config: Config | null = null;
      let settings: KafkaSettings | null;
      try {
        if (opts.config !== undefined) config = loadConfig(opts.config);
        settings = kafkaSettings(config ?? { sources: [] }, opts.kafka);
        if (settings === null) throw new TransportError('TRN_ERR_NO_KAFKA');
      } catch (err: unknown) {
        process.stderr.write(`kintsugi forward: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = err instanceof PipelineError && err.code === 'PIP_ERR_CONFIG_READ' ? EXIT.FAILURE : EXIT.USAGE;
        return;
      }
      const sources = sourcesOf(files, opts, config) ?? [];
      if (sources.length === 0) return usage(new TransportError('TRN_ERR_NO_SOURCES').message);
      const logger = pino({ base: { service: 'kintsugi-forward' } }, pino.destination(2));
      const f = config?.followers ?? {};
      const forwarder = new Forwarder({
        sources,
        settings,
        dataDir: resolve(resolveDataDir(opts.data, config?.data)),
        log: logger,
        follower: {
          ...(f.pollIntervalMs !== undefined ? { pollIntervalMs: f.pollIntervalMs } : {}),
          ...(f.idleFlushMs !== undefined ? { idleFlushMs: f.idleFlushMs } : {}),
          ...(f.batchBytes !== undefined ? { batchBytes: f.batchBytes } : {}),
        },
      });
      try {
        if (opts.once === true) {
          const started = Date.now();
          const totals = await forwarder.once();
          process.stderr.write(`kintsugi forward: ${totals.acknowledged} records acknowledged by Kafka (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
          return;
        }
        await forwarder.start();
      } catch (err: unknown) {
        process.stderr.write(`kintsugi forward: ${err instanceof Error ? err.message : String(err)}\n`);
        await forwarder.stop().catch(() => undefined);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      const stop = (signal: string): void => {
        logger.info({ signal }, 'stopping');
        forwarder.stop().then(
          () => process.exit(EXIT.OK),
          (err: unknown) => {
            logger.error({ err: String(err) }, 'stop failed');
            process.exit(EXIT.FAILURE);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
