/**
 * The catalogue of the job runner (recovery policy, jobs, the restores API): stable codes, messages
 * that say what to do, and the HTTP status a route answers with. Codes are never reused.
 */
export const JOB_ERRORS = {
  JOB_ERR_POLICY_READ: { message: 'Cannot read the recovery policy %s: %s', status: 500 },
  JOB_ERR_POLICY_INVALID: { message: 'Recovery policy %s is invalid: %s', status: 500 },
  JOB_ERR_NOT_FOUND: { message: 'No restore job %s: run `kintsugi restores list`', status: 404 },
  JOB_ERR_STATE: { message: 'Restore job %s is %s: %s', status: 409 },
  JOB_ERR_BAD_REQUEST: { message: 'Bad restore request: %s', status: 400 },
  JOB_ERR_NO_INSTANCE_MAP: { message: 'No instance map is configured (restores.instances): %s', status: 409 },
  JOB_ERR_STORE: { message: 'The job store in %s cannot be used: %s', status: 500 },
  JOB_ERR_EVENT_INVALID: { message: 'Runner event rejected by the OPS 4.2 reader (%s): %s', status: 500 },
  JOB_ERR_UNKNOWN_INSTANCE: { message: 'No instance %s on host %s in the instance map %s (known: %s)', status: 404 },
  JOB_ERR_SNAPSHOT_NOT_FOUND: { message: 'No snapshot %s of instance %s: list them with GET /api/instances/%s/snapshots', status: 404 },
  JOB_ERR_SNAPSHOT_UNREADABLE: { message: 'Snapshot %s cannot be read: %s', status: 500 },
  JOB_ERR_NO_TREE: { message: 'Snapshot %s is a block image: it has no file tree; restore the whole instance (no paths)', status: 400 },
  JOB_ERR_TREE_PATH: { message: 'Path %s %s', status: 400 },
  JOB_ERR_TREE_PATH_NOT_FOUND: { message: 'Path %s is not in snapshot %s: list its parent directory', status: 404 },
} as const;

export type JobErrorCode = keyof typeof JOB_ERRORS;

export class JobError extends Error {
  readonly code: JobErrorCode;
  readonly status: number;
  readonly details: readonly string[];

  constructor(code: JobErrorCode, ...details: readonly string[]) {
    let i = 0;
    const entry = JOB_ERRORS[code];
    super(entry.message.replace(/%s/g, () => details[i++] ?? ''));
    this.name = 'JobError';
    this.code = code;
    this.status = entry.status;
    this.details = details;
  }
}

export function isJobError(err: unknown, code?: JobErrorCode): err is JobError {
  return err instanceof JobError && (code === undefined || err.code === code);
}
