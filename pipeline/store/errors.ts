/**
 * The event store's error catalogue. Every failure of `pipeline/store/` carries one of these
 * codes; codes are stable and never reused (README.md of this folder lists them with the fix).
 *
 * Two kinds: bad input (a cursor, a filter, a grouping field, an event without an id) is
 * *returned* as `{ ok: false, error }` by the store method; failures of the store itself (it is
 * closed, the file is locked by another process, the disk is full) are *thrown* as a
 * `StoreError`. `retriable` says whether doing the same call again later can succeed.
 */

interface CatalogueEntry {
  /** Message template; `%s` is replaced by the arguments in order. */
  readonly message: string;
  /** The HTTP status the API answers with. */
  readonly httpStatus: number;
  readonly retriable: boolean;
}

export const STORE_ERRORS = {
  PIP_ERR_STORE_INVALID_EVENT: {
    message:
      'Event %s of the batch cannot be stored: %s. Nothing of this batch was written; fix the event (the parser or normalizer that made it) and write the batch again.',
    httpStatus: 422,
    retriable: false,
  },
  PIP_ERR_STORE_INVALID_DEAD_LETTER: {
    message:
      'Dead letter %s of the batch cannot be stored: %s. Nothing of this batch was written; fix the dead letter and write the batch again.',
    httpStatus: 422,
    retriable: false,
  },
  PIP_ERR_STORE_BAD_CURSOR: {
    message:
      'The cursor %s was not given out by this store. Pass the nextCursor of the previous page unchanged, or start again without a cursor.',
    httpStatus: 400,
    retriable: false,
  },
  PIP_ERR_STORE_BAD_PAGE: {
    message: 'The page limit %s is invalid: give a whole number from 0 (no limit) to %s.',
    httpStatus: 400,
    retriable: false,
  },
  PIP_ERR_STORE_BAD_FILTER: {
    message: 'The filter %s is invalid: %s. Correct it (times are ISO 8601 with a zone, lists hold at least one value).',
    httpStatus: 400,
    retriable: false,
  },
  PIP_ERR_STORE_BAD_GROUP_FIELD: {
    message: 'Cannot count by %s: use one of %s.',
    httpStatus: 400,
    retriable: false,
  },
  PIP_ERR_STORE_BAD_BUCKET: {
    message: 'The bucket width %s is invalid: give a whole number of milliseconds from 1 to %s.',
    httpStatus: 400,
    retriable: false,
  },
  PIP_ERR_STORE_BAD_IDS: {
    message: 'The event id lookup is invalid: %s. Give a list of at most %s non-empty event ids; split a longer list into several lookups.',
    httpStatus: 400,
    retriable: false,
  },
  PIP_ERR_STORE_BAD_REPLAY: {
    message: 'Replay mark %s is invalid: %s. Give each mark the deadLetterId and eventId, and an ISO 8601 time with a zone.',
    httpStatus: 400,
    retriable: false,
  },
  PIP_ERR_STORE_CLOSED: {
    message: 'The event store was closed before %s. Open the store again (a closed store stays closed).',
    httpStatus: 503,
    retriable: false,
  },
  PIP_ERR_STORE_LOCKED: {
    message:
      'The store file %s is held by another process (%s). DuckDB lets one process write a file: stop that process, or send the query to it (kintsugi serve answers queries over HTTP).',
    httpStatus: 503,
    retriable: true,
  },
  PIP_ERR_STORE_OPEN_FAILED: {
    message:
      'Cannot open the store file %s: %s. Check that the data folder exists, is writable and is not on a full disk.',
    httpStatus: 503,
    retriable: false,
  },
  PIP_ERR_STORE_SCHEMA_VERSION: {
    message:
      'The store file %s has schema version %s, this Kintsugi reads version %s. Use the Kintsugi release that wrote it, or point --data at a new folder.',
    httpStatus: 503,
    retriable: false,
  },
  PIP_ERR_STORE_WRITE_FAILED: {
    message:
      'Writing a batch of %s events and %s dead letters failed: %s. Nothing of the batch was stored; write it again (writes are idempotent).',
    httpStatus: 503,
    retriable: true,
  },
  PIP_ERR_STORE_QUERY_FAILED: {
    message: 'The query %s failed: %s. Try again; if it keeps failing, check the store file and the disk.',
    httpStatus: 503,
    retriable: true,
  },
  PIP_ERR_STORE_CORRUPT_DOCUMENT: {
    message:
      'The stored document of %s is not a valid %s (%s). The store file is damaged or was written by another program: restore it from a backup or re-ingest the sources.',
    httpStatus: 500,
    retriable: false,
  },
  PIP_ERR_STORE_ES_UNAVAILABLE: {
    message:
      'Elasticsearch at %s did not answer %s after %s attempts: %s. Check that the cluster is up, reachable from here and not overloaded (store.node), then try again.',
    httpStatus: 503,
    retriable: true,
  },
  PIP_ERR_STORE_ES_REFUSED: {
    message: 'Elasticsearch at %s refused %s (HTTP %s: %s). Check store.auth and the user\'s privileges (it must manage index templates, ILM policies and the %s-* indices).',
    httpStatus: 502,
    retriable: false,
  },
  PIP_ERR_STORE_ES_WRITE_INCOMPLETE: {
    message:
      'Elasticsearch did not take %s of %s documents after %s attempts (%s). The others are stored; write the batch again (writes are idempotent: the stored ones count as duplicates).',
    httpStatus: 503,
    retriable: true,
  },
} as const satisfies Record<string, CatalogueEntry>;

export type StoreErrorCode = keyof typeof STORE_ERRORS;

export const STORE_ERROR_CODES = Object.keys(STORE_ERRORS) as readonly StoreErrorCode[];

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly httpStatus: number;
  readonly retriable: boolean;
  /** Structured context (the batch index, the field, the file) for logs and API answers. */
  readonly details: Readonly<Record<string, string | number>>;

  constructor(
    code: StoreErrorCode,
    args: readonly (string | number)[],
    details: Readonly<Record<string, string | number>> = {},
    options?: { readonly cause?: unknown },
  ) {
    super(formatMessage(STORE_ERRORS[code].message, args), options);
    this.code = code;
    this.httpStatus = STORE_ERRORS[code].httpStatus;
    this.retriable = STORE_ERRORS[code].retriable;
    this.details = details;
  }
}

export function storeError(
  code: StoreErrorCode,
  args: readonly (string | number)[],
  details: Readonly<Record<string, string | number>> = {},
): StoreError {
  return new StoreError(code, args, details);
}

/** The message of a foreign throw, for wrapping it in a catalogued error. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

function formatMessage(template: string, args: readonly (string | number)[]): string {
  let i = 0;
  return template.replace(/%s/g, () => {
    const arg = args[i++];
    return arg === undefined ? '%s' : String(arg);
  });
}
