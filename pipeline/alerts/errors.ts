/**
 * The alert store's error catalogue: stable codes, the HTTP status the API answers with, and
 * whether trying again can help. Documented in README.md of this folder (test/alerts/errors.test.ts).
 */
interface CatalogueEntry {
  readonly message: string;
  readonly httpStatus: number;
  readonly retriable: boolean;
}

export const ALERT_ERRORS = {
  PIP_ERR_ALERTS_BAD_CURSOR: { message: 'The cursor %s was not given out by this alert store: pass the nextCursor of the previous page unchanged, or start again without one.', httpStatus: 400, retriable: false },
  PIP_ERR_ALERTS_BAD_FILTER: { message: 'The alert filter %s is invalid: %s.', httpStatus: 400, retriable: false },
  PIP_ERR_ALERTS_INVALID: { message: 'Alert %s of the batch is not an alert document (%s); nothing of the batch was written.', httpStatus: 422, retriable: false },
  PIP_ERR_ALERTS_NOT_FOUND: { message: 'No alert has id %s.', httpStatus: 404, retriable: false },
  PIP_ERR_ALERTS_CLOSED: { message: 'The alert store was closed before %s; open it again.', httpStatus: 503, retriable: false },
  PIP_ERR_ALERTS_LOCKED: { message: 'The alert file %s is held by another process (%s): stop it, or ask the kintsugi service that holds it (kintsugi alerts does).', httpStatus: 503, retriable: true },
  PIP_ERR_ALERTS_OPEN_FAILED: { message: 'Cannot open the alert file %s: %s. Check that the data folder exists, is writable and is not on a full disk.', httpStatus: 503, retriable: false },
  PIP_ERR_ALERTS_NO_STORE: { message: 'No alerts in %s (no %s): run kintsugi serve on this data folder first, or pass the right --data.', httpStatus: 404, retriable: false },
  PIP_ERR_ALERTS_WRITE_FAILED: { message: 'Writing %s alerts failed: %s. Nothing was written; write them again (writes are idempotent).', httpStatus: 503, retriable: true },
  PIP_ERR_ALERTS_QUERY_FAILED: { message: 'The alert query %s failed: %s. Try again; if it keeps failing, check the alert file and the disk.', httpStatus: 503, retriable: true },
  PIP_ERR_ALERTS_ES_FAILED: { message: 'The Elasticsearch alert store failed %s: %s', httpStatus: 503, retriable: true },
  PIP_ERR_ALERTS_CORRUPT_DOCUMENT: { message: 'The stored alert %s is not a valid alert document (%s): the alert file is damaged; move it away and the evaluator rebuilds the alerts from the event store.', httpStatus: 500, retriable: false },
} as const satisfies Record<string, CatalogueEntry>;

export type AlertErrorCode = keyof typeof ALERT_ERRORS;

export class AlertStoreError extends Error {
  override readonly name = 'AlertStoreError';
  readonly httpStatus: number;
  readonly retriable: boolean;
  constructor(
    readonly code: AlertErrorCode,
    args: readonly (string | number)[],
    options?: { readonly cause?: unknown },
  ) {
    let i = 0;
    super(ALERT_ERRORS[code].message.replace(/%s/g, () => String(args[i++] ?? '%s')), options);
    this.httpStatus = ALERT_ERRORS[code].httpStatus;
    this.retriable = ALERT_ERRORS[code].retriable;
  }
}
