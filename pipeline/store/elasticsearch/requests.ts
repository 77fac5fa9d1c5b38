/**
 * Every request of the Elasticsearch stores goes through `EsRequester.call`: one place that sorts
 * failures into "try again later" (429, 5xx, connection errors, timeouts: retried with exponential
 * backoff and jitter) and "refused" (any other 4xx: a configuration or privilege problem, thrown at
 * once), and turns them into catalogued StoreErrors. The client's own retries are off (the client
 * is built with `maxRetries: 0`) so that this policy is the only one.
 */
import { errors, type Client } from '@elastic/elasticsearch';
import { StoreError, storeError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts in all (the first included). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** About a minute of retries (0.1 s, 0.2 s, ... capped at 10 s): a cluster restarting a node. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 10_000 };

export type Failure =
  | { readonly kind: 'retriable'; readonly status: number | null; readonly reason: string }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string };

/** 429 (too many requests: the cluster's queues are full) and 5xx are worth another attempt. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `type: reason` of an Elasticsearch error body (`{ error: { type, reason } }`), else its text. */
export function describeEsError(body: unknown): string {
  if (isObject(body)) {
    const error = body['error'];
    if (isObject(error)) {
      const type = typeof error['type'] === 'string' ? error['type'] : 'error';
      const reason = typeof error['reason'] === 'string' ? error['reason'] : '';
      return reason === '' ? type : `${type}: ${reason}`;
    }
    if (typeof error === 'string') return error;
  }
  return typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body)?.slice(0, 300) ?? 'no body';
}

export function classify(err: unknown): Failure {
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    const reason = describeEsError(err.body);
    return isRetriableStatus(status) ? { kind: 'retriable', status, reason } : { kind: 'refused', status, reason };
  }
  if (err instanceof errors.ConnectionError || err instanceof errors.TimeoutError || err instanceof errors.NoLivingConnectionsError) {
    return { kind: 'retriable', status: null, reason: err.message };
  }
  return { kind: 'refused', status: 0, reason: err instanceof Error ? err.message : String(err) };
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retrying writers spread out. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** The node address without credentials, for messages and logs. */
export function displayNode(node: string | readonly string[]): string {
  const first = typeof node === 'string' ? node : (node[0] ?? '');
  try {
    const url = new URL(first);
    url.username = '';
    url.password = '';
    return url.origin + (url.pathname === '/' ? '' : url.pathname);
  } catch {
    return first;
  }
}

export interface RequesterOptions {
  readonly client: Client;
  /** For messages: where the cluster is (no credentials). */
  readonly node: string;
  /** For messages: the index prefix the user must have rights on. */
  readonly prefix: string;
  readonly retry?: RetryPolicy;
  /** Waits between attempts (tests pass a recorder). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class EsRequester {
  readonly client: Client;
  readonly node: string;
  readonly prefix: string;
  readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: RequesterOptions) {
    this.client = options.client;
    this.node = options.node;
    this.prefix = options.prefix;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Runs `request`, again after a backoff while it fails in a retriable way. */
  async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    let last: Failure | null = null;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      try {
        return await request();
      } catch (err: unknown) {
        if (err instanceof StoreError) throw err;
        const failure = classify(err);
        if (failure.kind === 'refused') throw this.refused(what, failure.status, failure.reason);
        last = failure;
      }
      if (attempt < this.retry.attempts) await this.pause(attempt);
    }
    throw storeError('PIP_ERR_STORE_ES_UNAVAILABLE', [this.node, what, this.retry.attempts, last === null ? 'no answer' : `${last.status ?? 'no HTTP status'}: ${last.reason}`]);
  }

  pause(attempt: number): Promise<void> {
    return this.sleep(backoffMs(this.retry, attempt));
  }

  refused(what: string, status: number, reason: string): StoreError {
    return storeError('PIP_ERR_STORE_ES_REFUSED', [this.node, what, status, reason, this.prefix]);
  }
}
