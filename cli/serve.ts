/** `kintsugi serve`: followers (or Kafka workers) + store + HTTP API, until SIGINT or SIGTERM. */
import { Command } from 'commander';
import { pino } from 'pino';
import { loadConfig } from '../pipeline/config/load.js';
import type { Config } from '../pipeline/config/schema.js';
import { resolveDataDir } from '../pipeline/env.js';
import { PipelineError } from '../pipeline/errors.js';
import { startTelemetry } from '../pipeline/telemetry/telemetry.js';
import { TransportError } from '../pipeline/transport/errors.js';
import { kafkaSettings, type KafkaSettings } from '../pipeline/transport/settings.js';
import { EXIT } from './exit.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Follow the configured logs (or, on the Kafka transport, consume the topics) into the store and serve the HTTP API')
    .option('--config <file>', 'configuration file (YAML); see examples/kintsugi.yaml', 'kintsugi.yaml')
    .option('--data <dir>', 'data folder: store, checkpoints (default ./data, or KINTSUGI_DATA)')
    .option('--kafka <brokers>', 'Kafka transport: consume the topics from these bootstrap servers (host:port,...), whatever the configuration says')
    .addHelpText('after', '\nWith --kafka or a kafka section in the configuration, workers of one consumer group read the\nevents and raw OPS 4.2 topics (pipeline/transport/README.md) and the sources are left to\nkintsugi forward.\nStops cleanly on SIGINT/SIGTERM: checkpoints flushed, offsets committed, store closed.\nExit status: 0 stopped cleanly, 1 could not start (message says why), 2 bad configuration.')
    .action(async (opts: { config: string; data?: string; kafka?: string }) => {
      let config: Config;
      let kafka: KafkaSettings | null;
      try {
        config = loadConfig(opts.config);
        kafka = kafkaSettings(config, opts.kafka);
      } catch (err: unknown) {
        process.stderr.write(`kintsugi serve: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = (err instanceof PipelineError && err.code !== 'PIP_ERR_CONFIG_READ') || err instanceof TransportError ? EXIT.USAGE : EXIT.FAILURE;
        return;
      }
      // OpenTelemetry first, then the service's modules: the instrumentations patch what loads after.
      const otlp = config.telemetry?.otlp;
      const telemetry = startTelemetry(otlp !== undefined ? { otlp } : {});
      const { Service } = await import('../pipeline/service.js');
      const logger = pino({ base: { service: 'kintsugi' } });
      const service = new Service(config, resolveDataDir(opts.data, config.data), logger, logger, telemetry, kafka);
      const stop = (signal: string): void => {
        logger.info({ signal }, 'stopping');
        service.stop().then(
          () => process.exit(EXIT.OK),
          (err: unknown) => {
            logger.error({ err: String(err) }, 'stop failed');
            process.exit(EXIT.FAILURE);
          },
        );
      };
      try {
        await service.start();
      } catch (err: unknown) {
        process.stderr.write(`kintsugi serve: ${err instanceof Error ? err.message : String(err)}\n`);
        await service.stop().catch(() => undefined);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
