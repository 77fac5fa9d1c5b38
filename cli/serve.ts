/** `kintsugi serve`: followers + store + HTTP API, until SIGINT or SIGTERM. */
import { Command } from 'commander';
import { pino } from 'pino';
import { loadConfig } from '../pipeline/config/load.js';
import type { Config } from '../pipeline/config/schema.js';
import { resolveDataDir } from '../pipeline/env.js';
import { PipelineError } from '../pipeline/errors.js';
import { startTelemetry } from '../pipeline/telemetry/telemetry.js';
import { EXIT } from './exit.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Follow the configured logs into the embedded store and serve the HTTP API')
    .option('--config <file>', 'configuration file (YAML); see examples/kintsugi.yaml', 'kintsugi.yaml')
    .option('--data <dir>', 'data folder: store, checkpoints (default ./data, or KINTSUGI_DATA)')
    .addHelpText('after', '\nStops cleanly on SIGINT/SIGTERM: checkpoints flushed, store closed.\nExit status: 0 stopped cleanly, 1 could not start (message says why), 2 bad configuration.')
    .action(async (opts: { config: string; data?: string }) => {
      let config: Config;
      try {
        config = loadConfig(opts.config);
      } catch (err: unknown) {
        process.stderr.write(`kintsugi serve: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = err instanceof PipelineError && err.code !== 'PIP_ERR_CONFIG_READ' ? EXIT.USAGE : EXIT.FAILURE;
        return;
      }
      // OpenTelemetry first, then the service's modules: the instrumentations patch what loads after.
      const otlp = config.telemetry?.otlp;
      const telemetry = startTelemetry(otlp !== undefined ? { otlp } : {});
      const { Service } = await import('../pipeline/service.js');
      const logger = pino({ base: { service: 'kintsugi' } });
      const service = new Service(config, resolveDataDir(opts.data, config.data), logger, logger, telemetry);
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
        // A recovery policy or instance map the configuration names is configuration too.
        const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
        process.exitCode = code === 'JOB_ERR_POLICY_INVALID' || code === 'RST_ERR_INSTANCES_INVALID' ? EXIT.USAGE : EXIT.FAILURE;
        return;
      }
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
