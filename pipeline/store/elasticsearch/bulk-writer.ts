/**
 * Bulk writes to Elasticsearch: chunks of bounded size, at most `maxInFlight` bulk requests at a
 * time across every caller (a writer whose chunk finds no free slot awaits one: backpressure that
 * reaches the consumer when the cluster is slow), and each item's answer sorted into
 *
 * - done (201 created, 200 updated),
 * - duplicate (409 on `create`: the `_id` is stored, a redelivery),
 * - retry (429 or 5xx on the item: sent again, alone with the other retried items, after a backoff),
 * - rejected (any other 4xx, e.g. a mapping conflict: sending it again cannot help).
 *
 * A request that fails as a whole is retried the same way (requests.ts); items still waiting
 * when the attempts are spent make the write fail with PIP_ERR_STORE_ES_WRITE_INCOMPLETE.
 */
import type { estypes } from '@elastic/elasticsearch';
import { storeError } from '../errors.js';
import { describeEsError, isRetriableStatus, type EsRequester } from './requests.js';

export type BulkAction =
  | { readonly op: 'create'; readonly index: string; readonly id: string; readonly doc: object }
  | { readonly op: 'index'; readonly index: string; readonly id: string; readonly doc: object }
  | {
      readonly op: 'update';
      readonly index: string;
      readonly id: string;
      /** Fields merged into the stored document. */
      readonly doc: object;
      /** Optimistic concurrency: the update applies only to this version of the document. */
      readonly ifSeqNo: number;
      readonly ifPrimaryTerm: number;
    };

export type ItemOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'duplicate' }
  /** 409 on `update`: the document changed since it was read. */
  | { readonly kind: 'conflict' }
  | { readonly kind: 'rejected'; readonly status: number; readonly errorType: string; readonly reason: string };

export interface BulkOptions {
  /** Bulk requests in flight at once, across every caller (default 2). */
  readonly maxInFlight?: number;
  /** Documents per bulk request (default 2,000). */
  readonly maxDocs?: number;
  /** Bytes of NDJSON per bulk request (default 8 MiB; Elasticsearch refuses more than 100 MB). */
  readonly maxBytes?: number;
}

interface Line {
  readonly action: BulkAction;
  /** Position in the caller's list. */
  readonly position: number;
  /** The two NDJSON lines. */
  readonly header: string;
  readonly body: string;
}

function headerOf(a: BulkAction): string {
  if (a.op === 'update') return JSON.stringify({ update: { _index: a.index, _id: a.id, if_seq_no: a.ifSeqNo, if_primary_term: a.ifPrimaryTerm } });
  return JSON.stringify({ [a.op]: { _index: a.index, _id: a.id } });
}

function bodyOf(a: BulkAction): string {
  return JSON.stringify(a.op === 'update' ? { doc: a.doc } : a.doc);
}

/** A counting semaphore: `acquire` resolves when one of `size` slots is free. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.free++;
  }
}

export class BulkWriter {
  private readonly slots: Slots;
  private readonly maxDocs: number;
  private readonly maxBytes: number;
  private inFlight = 0;
  /** The most bulk requests seen in flight at once (for tests and telemetry). */
  peakInFlight = 0;

  constructor(
    private readonly requester: EsRequester,
    options: BulkOptions = {},
  ) {
    this.slots = new Slots(Math.max(1, options.maxInFlight ?? 2));
    this.maxDocs = Math.max(1, options.maxDocs ?? 2000);
    this.maxBytes = Math.max(1024, options.maxBytes ?? 8 * 1024 * 1024);
  }

  /** Writes every action; the outcomes are in the order of `actions`. */
  async write(actions: readonly BulkAction[]): Promise<ItemOutcome[]> {
    const outcomes: ItemOutcome[] = new Array<ItemOutcome>(actions.length);
    const chunks: Line[][] = [];
    let chunk: Line[] = [];
    let bytes = 0;
    for (const [position, action] of actions.entries()) {
      const line: Line = { action, position, header: headerOf(action), body: bodyOf(action) };
      const size = line.header.length + line.body.length + 2;
      if (chunk.length > 0 && (chunk.length >= this.maxDocs || bytes + size > this.maxBytes)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(line);
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    await Promise.all(chunks.map((c) => this.writeChunk(c, outcomes)));
    return outcomes;
  }

  private async writeChunk(lines: readonly Line[], outcomes: ItemOutcome[]): Promise<void> {
    await this.slots.acquire();
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      let pending = lines;
      let lastReason = '';
      const attempts = this.requester.retry.attempts;
      for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
        if (attempt > 1) await this.requester.pause(attempt - 1);
        // A whole-request failure is retried inside call(); what comes back is per item.
        const response = await this.requester.call(`a bulk write of ${pending.length} documents`, () =>
          this.requester.client.bulk<string, string>({ operations: pending.flatMap((l) => [l.header, l.body]) }),
        );
        const retry: Line[] = [];
        for (const [i, line] of pending.entries()) {
          const outcome = itemOutcome(line.action, response.items[i]);
          if (outcome === 'retry') {
            retry.push(line);
            lastReason = describeItem(response.items[i]);
          } else outcomes[line.position] = outcome;
        }
        pending = retry;
      }
      if (pending.length > 0) {
        throw storeError('PIP_ERR_STORE_ES_WRITE_INCOMPLETE', [pending.length, lines.length, attempts, lastReason]);
      }
    } finally {
      this.inFlight--;
      this.slots.release();
    }
  }
}

function itemResult(item: Partial<Record<estypes.BulkOperationType, estypes.BulkResponseItem>> | undefined): estypes.BulkResponseItem | undefined {
  if (item === undefined) return undefined;
  return item.create ?? item.index ?? item.update ?? item.delete;
}

function describeItem(item: Partial<Record<estypes.BulkOperationType, estypes.BulkResponseItem>> | undefined): string {
  const r = itemResult(item);
  if (r === undefined) return 'no answer for the item';
  return `${r.status} ${describeEsError({ error: r.error })}`;
}

function itemOutcome(action: BulkAction, item: Partial<Record<estypes.BulkOperationType, estypes.BulkResponseItem>> | undefined): ItemOutcome | 'retry' {
  const r = itemResult(item);
  // An answer without the item (a truncated response) is treated as a failure worth retrying.
  if (r === undefined) return 'retry';
  const status = r.status;
  if (status >= 200 && status < 300) return { kind: 'done' };
  if (status === 409) return action.op === 'create' ? { kind: 'duplicate' } : { kind: 'conflict' };
  if (isRetriableStatus(status)) return 'retry';
  return { kind: 'rejected', status, errorType: r.error?.type ?? 'error', reason: r.error?.reason ?? '' };
}
