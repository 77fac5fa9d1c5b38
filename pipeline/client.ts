/**
 * A client of a running `kintsugi serve`, for commands on the data folder it holds (DuckDB lets
 * one process open a store file). Answers in the store's own result shapes.
 */
import type { DeadLetter, RecoveryEvent } from '../parsers/event.js';
import { dirname } from 'node:path';
import { serviceAuthHeaders } from './access/service-token.js';
import { PipelineError } from './errors.js';
import type { Trace, WriteCounts } from './store/event-store.js';

export interface PageOf<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class ServiceClient {
  constructor(
    readonly url: string,
    private readonly serviceFile: string,
  ) {}

  /** Any route of the API, answered with its JSON body (the commands of other parts: `kintsugi restores`). */
  send(path: string, init?: RequestInit): Promise<unknown> {
    return this.request(path, init);
  }

  private async request(path: string, init?: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      // The service's own token (service-token.ts): this command works on the same data folder.
      const headers = new Headers(init?.headers);
      for (const [k, v] of Object.entries(serviceAuthHeaders(dirname(this.serviceFile)))) if (!headers.has(k)) headers.set(k, v);
      response = await fetch(`${this.url}${path}`, { ...init, headers });
    } catch (err: unknown) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
      throw new PipelineError('PIP_ERR_SERVICE_UNREACHABLE', this.url, cause, this.serviceFile);
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const message = isObject(body) && typeof body['message'] === 'string' ? body['message'] : `HTTP ${response.status}`;
      const code = isObject(body) && typeof body['code'] === 'string' ? body['code'] : `HTTP_${response.status}`;
      throw Object.assign(new Error(`${code}: ${message}`), { code, status: response.status });
    }
    return body;
  }

  async events(query: Record<string, string>, cursor: string | null): Promise<PageOf<RecoveryEvent>> {
    const params = new URLSearchParams(query);
    if (cursor !== null) params.set('cursor', cursor);
    const body = await this.request(`/api/events?${params.toString()}`);
    if (!isObject(body) || !Array.isArray(body['events'])) throw new Error(`unexpected answer from ${this.url}/api/events`);
    return { items: body['events'] as RecoveryEvent[], nextCursor: typeof body['nextCursor'] === 'string' ? body['nextCursor'] : null };
  }

  async deadLetters(query: Record<string, string>, cursor: string | null): Promise<PageOf<DeadLetter>> {
    const params = new URLSearchParams(query);
    if (cursor !== null) params.set('cursor', cursor);
    const body = await this.request(`/api/dead-letters?${params.toString()}`);
    if (!isObject(body) || !Array.isArray(body['deadLetters'])) throw new Error(`unexpected answer from ${this.url}/api/dead-letters`);
    return { items: body['deadLetters'] as DeadLetter[], nextCursor: typeof body['nextCursor'] === 'string' ? body['nextCursor'] : null };
  }

  async trace(id: string): Promise<Trace | null> {
    try {
      return (await this.request(`/api/traces/${encodeURIComponent(id)}`)) as Trace;
    } catch (err: unknown) {
      if (isObject(err) && err['status'] === 404) return null;
      throw err;
    }
  }

  async write(events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[]): Promise<{ events: WriteCounts; deadLetters: WriteCounts }> {
    const body = await this.request('/api/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events, deadLetters }) });
    return body as { events: WriteCounts; deadLetters: WriteCounts };
  }
}
