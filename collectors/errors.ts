/**
 * The collectors' error catalogue: stable codes, messages that say what to do. Documented in
 * collectors/README.md ("Errors"); a test keeps the two in step.
 */
export const COLLECTOR_ERRORS = {
  COL_ERR_CHECKPOINT_CORRUPT: 'checkpoint file %s cannot be read (%s): move it aside to re-read every source from the start (events are not stored twice)',
  COL_ERR_CHECKPOINT_WRITE: 'cannot write checkpoint file %s (%s): check that the data folder is writable and has space',
  COL_ERR_READ: 'cannot read %s (%s): check the file exists and is readable by this user',
  COL_ERR_GZIP: '%s is not a readable gzip file (%s): it was skipped; decompress it by hand to inspect it',
} as const;

export type CollectorErrorCode = keyof typeof COLLECTOR_ERRORS;

export class CollectorError extends Error {
  constructor(
    readonly code: CollectorErrorCode,
    ...args: string[]
  ) {
    let i = 0;
    super(`${code}: ${COLLECTOR_ERRORS[code].replace(/%s/g, () => args[i++] ?? '')}`);
    this.name = 'CollectorError';
  }
}
