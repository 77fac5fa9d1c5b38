/**
 * What both Elasticsearch stores (events, alerts) share: the client built from the connection
 * settings, the setup of ILM policies and index templates, search paging with `search_after`,
 * refreshes before reads, and the check of documents read back.
 */
import { Client, type estypes } from '@elastic/elasticsearch';
import { storeError } from '../errors.js';
import type { Query } from './query-dsl.js';
import { DEFAULT_INDEX_PREFIX, setupRequests, type IndexKind } from './index-template.js';
import { displayNode, EsRequester, type RetryPolicy } from './requests.js';

export type EsAuth = { readonly username: string; readonly password: string } | { readonly apiKey: string };

export interface EsConnection {
  /** One URL or several (the client spreads requests over them). */
  readonly node: string | readonly string[];
  readonly auth?: EsAuth;
  /** PEM text of the CA that signed the cluster's certificate (HTTPS with a private CA). */
  readonly ca?: string;
  /** Per request (default 30 s). */
  readonly requestTimeoutMs?: number;
}

/** A client whose own retries are off: EsRequester retries, with backoff. */
export function createClient(connection: EsConnection, transport?: Pick<ConstructorParameters<typeof Client>[0], 'Connection'>): Client {
  return new Client({
    node: typeof connection.node === 'string' ? connection.node : [...connection.node],
    ...(connection.auth !== undefined ? { auth: connection.auth } : {}),
    ...(connection.ca !== undefined ? { tls: { ca: connection.ca } } : {}),
    maxRetries: 0,
    requestTimeout: connection.requestTimeoutMs ?? 30_000,
    compression: false,
    ...(transport ?? {}),
  });
}

export interface ClusterOptions {
  readonly client: Client;
  /** For messages; defaults to the client's first node. */
  readonly node?: string;
  /** Prefix of every index, alias, template and policy (default `kintsugi`). */
  readonly prefix?: string;
  /** Days each kind's indices are kept (ILM), by kind. */
  readonly retentionDays?: Partial<Record<IndexKind, number>>;
  /** Put the ILM policies and index templates at open (default true; false when an operator manages them). */
  readonly setup?: boolean;
  /** Refresh before a read that follows a write of this process, so that it sees the write (default true). */
  readonly readYourWrites?: boolean;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Close the client with the store (default false: whoever made it closes it). */
  readonly ownsClient?: boolean;
}

/** Elasticsearch's default `index.max_result_window`: the largest `size` of one search. */
export const MAX_SEARCH_SIZE = 10_000;

export type Hit = estypes.SearchHit<unknown>;

export interface HitPage {
  readonly hits: readonly Hit[];
  /** More hits follow the last one. */
  readonly more: boolean;
}

export interface SearchSpec {
  readonly index: string;
  readonly query: Query;
  readonly sort: estypes.SortCombinations[];
  /** null: every hit. */
  readonly limit: number | null;
  readonly after: estypes.SortResults | null;
  readonly source?: estypes.SearchSourceConfig;
  readonly seqNoPrimaryTerm?: boolean;
}

export class Cluster {
  readonly requester: EsRequester;
  readonly prefix: string;
  private readonly readYourWrites: boolean;
  private readonly ownsClient: boolean;
  private readonly indicesToRefresh: readonly string[];
  private dirty = false;

  constructor(options: ClusterOptions, refreshed: readonly string[]) {
    this.prefix = options.prefix ?? DEFAULT_INDEX_PREFIX;
    const node = options.node ?? displayNode(options.client.connectionPool.connections.map((c) => c.url.toString()));
    this.requester = new EsRequester({
      client: options.client,
      node,
      prefix: this.prefix,
      ...(options.retry !== undefined ? { retry: options.retry } : {}),
      ...(options.sleep !== undefined ? { sleep: options.sleep } : {}),
    });
    this.readYourWrites = options.readYourWrites ?? true;
    this.ownsClient = options.ownsClient ?? false;
    this.indicesToRefresh = refreshed;
  }

  get client(): Client {
    return this.requester.client;
  }

  /** ILM policies first, then the index templates that name them (index-template.ts). */
  async setup(retentionDays: Partial<Record<IndexKind, number>> = {}): Promise<void> {
    for (const r of setupRequests(retentionDays, this.prefix)) {
      await this.requester.call(`PUT ${r.path}`, () => this.client.transport.request({ method: r.method, path: r.path, body: r.body }));
    }
  }

  /** A write of this process completed: the next read refreshes first. */
  wrote(): void {
    this.dirty = true;
  }

  /** Makes this process's completed writes visible to search (Elasticsearch is near-real-time). */
  async refreshIfNeeded(): Promise<void> {
    if (!this.readYourWrites || !this.dirty) return;
    this.dirty = false;
    await this.requester.call('a refresh', () =>
      this.client.indices.refresh({ index: [...this.indicesToRefresh], ignore_unavailable: true, allow_no_indices: true }),
    );
  }

  /**
   * Hits in sort order after `after`, up to `limit` (null: all), in searches of at most
   * MAX_SEARCH_SIZE each chained by `search_after`. A missing alias (nothing written yet) is empty.
   */
  async search(spec: SearchSpec): Promise<HitPage> {
    await this.refreshIfNeeded();
    const want = spec.limit === null ? Number.POSITIVE_INFINITY : spec.limit + 1;
    const hits: Hit[] = [];
    let after = spec.after;
    for (;;) {
      const size = Math.min(MAX_SEARCH_SIZE, want - hits.length);
      const request: estypes.SearchRequest = {
        index: spec.index,
        ignore_unavailable: true,
        allow_no_indices: true,
        query: spec.query,
        sort: spec.sort,
        size,
        track_total_hits: false,
      };
      if (after !== null) request.search_after = after;
      if (spec.source !== undefined) request._source = spec.source;
      if (spec.seqNoPrimaryTerm === true) request.seq_no_primary_term = true;
      const response = await this.requester.call(`a search of ${spec.index}`, () => this.client.search<unknown>(request));
      const page = response.hits.hits;
      hits.push(...page);
      const last = page.at(-1);
      if (page.length < size || hits.length >= want || last?.sort === undefined) break;
      after = last.sort;
    }
    const more = spec.limit !== null && hits.length > spec.limit;
    return { hits: more ? hits.slice(0, spec.limit ?? 0) : hits, more };
  }

  /** Every bucket of a composite aggregation, page after page. */
  async compositeBuckets(
    index: string,
    query: Query,
    sources: Record<string, estypes.AggregationsCompositeAggregationSource>[],
  ): Promise<estypes.AggregationsCompositeBucket[]> {
    await this.refreshIfNeeded();
    const out: estypes.AggregationsCompositeBucket[] = [];
    let after: estypes.AggregationsCompositeAggregateKey | undefined;
    for (;;) {
      const composite: estypes.AggregationsCompositeAggregation = { size: 1000, sources };
      if (after !== undefined) composite.after = after;
      const request: estypes.SearchRequest = { index, ignore_unavailable: true, allow_no_indices: true, size: 0, track_total_hits: false, query, aggs: { groups: { composite } } };
      const response = await this.requester.call(`a count over ${index}`, () => this.client.search(request));
      const agg = response.aggregations?.['groups'];
      if (agg === undefined || !('buckets' in agg) || !Array.isArray(agg.buckets)) {
        throw storeError('PIP_ERR_STORE_ES_REFUSED', [this.requester.node, `a count over ${index}`, 200, 'the answer has no composite aggregation', this.prefix]);
      }
      const buckets = agg.buckets as estypes.AggregationsCompositeBucket[];
      out.push(...buckets);
      const next = 'after_key' in agg ? (agg.after_key as estypes.AggregationsCompositeAggregateKey | undefined) : undefined;
      if (buckets.length < 1000 || next === undefined) return out;
      after = next;
    }
  }

  async count(index: string): Promise<number> {
    await this.refreshIfNeeded();
    const r = await this.requester.call(`a count of ${index}`, () => this.client.count({ index, ignore_unavailable: true, allow_no_indices: true }));
    return r.count;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
