/**
 * The restore runner's error catalogue. Every failure the engine reports to a person carries one
 * of these stable codes; callers match on `code`, never on the message. Messages say what to do.
 * Codes are never reused or renumbered (the table in README.md lists them).
 */
export const RST_ERRORS = {
  RST_ERR_REPO_NOT_FOUND: {
    message: 'No Kintsugi repository at %s: run `kintsugi repo init --repo %s` or check the path',
    retriable: false,
  },
  RST_ERR_REPO_EXISTS: {
    message: 'A repository (or other files) already exists at %s: choose an empty or new directory',
    retriable: false,
  },
  RST_ERR_REPO_VERSION: {
    message: 'Repository config %s has an unknown format or version (%s): use a Kintsugi that reads it',
    retriable: false,
  },
  RST_ERR_CONFIG_MALFORMED: {
    message: 'Repository config %s is malformed (%s): restore it from a copy of the repository',
    retriable: false,
  },
  RST_ERR_LOCKED: {
    message: 'Repository %s is locked by %s: wait for it to finish, or remove %s if that process is gone',
    retriable: true,
  },
  RST_ERR_KEY_MISSING: {
    message: 'Signing key not found at %s: pass --signing-key with the key made by `repo init`',
    retriable: false,
  },
  RST_ERR_KEY_INVALID: {
    message: 'Key file %s is not an Ed25519 key in PEM form: %s',
    retriable: false,
  },
  RST_ERR_UNTRUSTED_KEY: {
    message: 'Snapshot %s is signed by key %s, not by the trusted key %s: refuse it or check --trust-key',
    retriable: false,
  },
  RST_ERR_SIGNATURE_INVALID: {
    message: 'Snapshot %s has an invalid signature: it was altered after signing; do not restore it',
    retriable: false,
  },
  RST_ERR_SNAPSHOT_NOT_FOUND: {
    message: 'No snapshot matches %s in %s: run `kintsugi snapshot list --repo %s`',
    retriable: false,
  },
  RST_ERR_SNAPSHOT_AMBIGUOUS: {
    message: 'Snapshot prefix %s matches several snapshots: give more hex digits',
    retriable: false,
  },
  RST_ERR_SNAPSHOT_ID_MISMATCH: {
    message: 'Snapshot file %s does not hash to its name (%s): it was altered or substituted; do not restore it',
    retriable: false,
  },
  RST_ERR_SNAPSHOT_MALFORMED: {
    message: 'Snapshot %s is malformed (%s): it cannot be restored; run `snapshot verify`',
    retriable: false,
  },
  RST_ERR_SNAPSHOT_FOREIGN: {
    message: 'Snapshot %s belongs to repository %s, not this one: it was copied in; do not restore it',
    retriable: false,
  },
  RST_ERR_BLOB_MISSING: {
    message: 'Blob %s needed by %s is in no index or its pack is gone: run `snapshot verify --read-data`',
    retriable: false,
  },
  RST_ERR_BLOB_CORRUPT: {
    message: 'Blob %s in pack %s does not match its hash: the pack is damaged; run `snapshot verify --read-data`',
    retriable: false,
  },
  RST_ERR_PACK_CORRUPT: {
    message: 'Pack %s is damaged (%s): run `snapshot verify --read-data` and restore from another snapshot',
    retriable: false,
  },
  RST_ERR_INDEX_CORRUPT: {
    message: 'Index %s is damaged (%s): run `snapshot prune` to rebuild the index from the packs',
    retriable: false,
  },
  RST_ERR_MANIFEST_MALFORMED: {
    message: 'Manifest of snapshot %s is malformed (%s): do not restore it',
    retriable: false,
  },
  RST_ERR_PATH_ESCAPE: {
    message: 'Refusing path %s: it would write outside the target %s (%s)',
    retriable: false,
  },
  RST_ERR_SOURCE_UNREADABLE: {
    message: 'Cannot read source %s: %s',
    retriable: false,
  },
  RST_ERR_TARGET_INVALID: {
    message: 'Cannot restore into %s: %s',
    retriable: false,
  },
  RST_ERR_KIND_MISMATCH: {
    message: 'Snapshot %s is a %s snapshot; %s',
    retriable: false,
  },
  RST_ERR_VERIFY_FAILED: {
    message: 'Verification of %s failed with %s problem(s); nothing was written. First: %s',
    retriable: false,
  },
  RST_ERR_RESTORE_MISMATCH: {
    message: 'After writing, %s does not match snapshot %s (%s): run the restore again',
    retriable: true,
  },
  RST_ERR_LOG_INVALID: {
    message: 'Snapshot log %s is invalid (%s): it was altered or replaced; trust no snapshot of this repository until it is restored from a copy',
    retriable: false,
  },
  RST_ERR_SNAPSHOT_DELETED: {
    message: 'Snapshot %s is in the signed snapshot log but its file is gone: it was deleted or substituted; restore the file from a copy of the repository',
    retriable: false,
  },
  RST_ERR_SNAPSHOT_UNLISTED: {
    message: 'Snapshot %s is not in the signed snapshot log (%s): it is not trusted; `snapshot prune` removes it',
    retriable: false,
  },
  RST_ERR_REPO_READ_ONLY: {
    message: 'Repository %s is in format version 1 (no signed snapshot log), which this Kintsugi only reads: run `kintsugi repo upgrade --repo %s`',
    retriable: false,
  },
  RST_ERR_INSTANCES_READ: {
    message: 'Cannot read the instance map %s: %s',
    retriable: false,
  },
  RST_ERR_INSTANCES_INVALID: {
    message: 'Instance map %s is invalid: %s',
    retriable: false,
  },
  RST_ERR_INSTANCE_NOT_FOUND: {
    message: 'No instance %s in the instance map %s (%s)',
    retriable: false,
  },
  RST_ERR_SCHEDULE_INVALID: {
    message: 'Snapshot schedule in %s is invalid: %s',
    retriable: false,
  },
  RST_ERR_USAGE: {
    message: '%s',
    retriable: false,
  },
  RST_ERR_IO: {
    message: 'I/O error on %s: %s',
    retriable: true,
  },
  RST_ERR_CANCELLED: {
    message: 'Restore into %s was cancelled; %s. To finish it, run the same restore again: it resumes (as a delta, keeping what is in place)',
    retriable: true,
  },
} as const;

export type RstErrorCode = keyof typeof RST_ERRORS;

/** An error from the catalogue: `code` is stable, `details` holds the values in the message. */
export class RstError extends Error {
  readonly code: RstErrorCode;
  readonly retriable: boolean;
  readonly details: readonly string[];

  constructor(code: RstErrorCode, ...details: readonly string[]) {
    let i = 0;
    const entry = RST_ERRORS[code];
    super(entry.message.replace(/%s/g, () => details[i++] ?? ''));
    this.name = 'RstError';
    this.code = code;
    this.retriable = entry.retriable;
    this.details = details;
  }
}

export function rstError(code: RstErrorCode, ...details: readonly string[]): RstError {
  return new RstError(code, ...details);
}

export function isRstError(err: unknown, code?: RstErrorCode): err is RstError {
  return err instanceof RstError && (code === undefined || err.code === code);
}

/** The message of anything thrown, for wrapping foreign errors once at a boundary. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** `code` property of a Node system error (ENOENT, EEXIST, ...), if any. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const c: unknown = err.code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}
