/** `--config FILE` of the reading commands (`query`, `alerts`): the file loaded, or the exit status set. */
import { Option } from 'commander';
import { loadConfig } from '../pipeline/config/load.js';
import type { Config } from '../pipeline/config/schema.js';
import { PipelineError } from '../pipeline/errors.js';
import { EXIT } from './exit.js';

export function configOption(): Option {
  return new Option('--config <file>', 'configuration file (YAML): its data folder, or its Elasticsearch store (store.kind: elasticsearch)');
}

/**
 * The configuration named by --config (null when none was given), or undefined after printing why
 * it cannot be used: exit 2 for an invalid file, 1 for one that cannot be read.
 */
export function loadConfigOption(command: string, file: string | undefined): Config | null | undefined {
  if (file === undefined) return null;
  try {
    return loadConfig(file);
  } catch (err: unknown) {
    process.stderr.write(`kintsugi ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof PipelineError && err.code !== 'PIP_ERR_CONFIG_READ' ? EXIT.USAGE : EXIT.FAILURE;
    return undefined;
  }
}
