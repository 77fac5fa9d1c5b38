/**
 * The pipeline's error catalogue (configuration, service, commands): stable codes, messages that
 * say what to do. The store has its own (store/errors.ts). Documented in pipeline/README.md.
 */
export const PIPELINE_ERRORS = {
  PIP_ERR_CONFIG_READ: 'cannot read configuration file %s (%s)',
  PIP_ERR_CONFIG_YAML: '%s is not valid YAML: %s',
  PIP_ERR_CONFIG_INVALID: '%s: %s',
  PIP_ERR_DATA_DIR: 'cannot use data folder %s (%s): pass --data DIR or set KINTSUGI_DATA to a writable folder',
  PIP_ERR_SERVICE_RUNNING: 'a kintsugi service (pid %s, %s) holds the data folder %s: %s',
  PIP_ERR_SERVICE_UNREACHABLE: 'the kintsugi service at %s does not answer (%s): is it still starting, or was it killed? remove %s if no service runs',
  PIP_ERR_LISTEN: 'cannot listen on %s:%s (%s): choose another api.port in the configuration',
} as const;

export type PipelineErrorCode = keyof typeof PIPELINE_ERRORS;

export class PipelineError extends Error {
  constructor(
    readonly code: PipelineErrorCode,
    ...args: (string | number)[]
  ) {
    let i = 0;
    super(`${code}: ${PIPELINE_ERRORS[code].replace(/%s/g, () => String(args[i++] ?? ''))}`);
    this.name = 'PipelineError';
  }
}
