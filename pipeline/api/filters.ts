/**
 * Query-string filters of the API to store filters. Lists are comma-separated (`host=a,b`); the
 * JSON schemas below are what fastify validates (a bad field is a 400 that names it) and what the
 * OpenAPI document shows.
 */
import type { Dataset, Outcome } from '../../parsers/event.js';
import type { DeadLetterFilter, EventFilter, OneOrMany } from '../store/event-store.js';

const list = { type: 'string', minLength: 1, description: 'one value, or several separated by commas' } as const;
const time = { type: 'string', minLength: 1, description: 'ISO 8601 time' } as const;

export const pageQuery = {
  limit: { type: 'integer', minimum: 0, maximum: 10000, default: 100, description: 'page size; 0 = no limit' },
  cursor: { type: 'string', minLength: 1, description: 'nextCursor of the previous page' },
} as const;

export const eventQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: time,
    to: time,
    host: list,
    instance: list,
    module: list,
    action: list,
    status: list,
    outcome: { type: 'string', pattern: '^(success|failure|unknown)(,(success|failure|unknown))*$' },
    code: list,
    dataset: { type: 'string', pattern: '^recovery\\.v(32|42)(,recovery\\.v(32|42))*$' },
    correlationId: list,
    text: { type: 'string', minLength: 1, maxLength: 1000, description: 'case-insensitive substring of message or file path' },
    ...pageQuery,
  },
} as const;

export const deadLetterQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: time,
    to: time,
    reason: list,
    file: list,
    dataset: { type: 'string', pattern: '^recovery\\.v(32|42)(,recovery\\.v(32|42))*$' },
    replayed: { type: 'boolean' },
    ...pageQuery,
  },
} as const;

export type EventQuery = Partial<Record<'from' | 'to' | 'host' | 'instance' | 'module' | 'action' | 'status' | 'outcome' | 'code' | 'dataset' | 'correlationId' | 'text' | 'cursor', string>> & { limit?: number };
export type DeadLetterQuery = Partial<Record<'from' | 'to' | 'reason' | 'file' | 'dataset' | 'cursor', string>> & { limit?: number; replayed?: boolean };

function many(v: string | undefined): OneOrMany<string> | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',');
  return parts.length === 1 ? v : parts;
}

function isOutcome(v: string): v is Outcome {
  return v === 'success' || v === 'failure' || v === 'unknown';
}
function isDataset(v: string): v is Dataset {
  return v === 'recovery.v32' || v === 'recovery.v42';
}

export function toEventFilter(q: EventQuery): EventFilter {
  const f: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  if (q.from !== undefined) f.from = q.from;
  if (q.to !== undefined) f.to = q.to;
  const host = many(q.host), instance = many(q.instance), module = many(q.module), action = many(q.action);
  const status = many(q.status), code = many(q.code), cid = many(q.correlationId);
  if (host !== undefined) f.host = host;
  if (instance !== undefined) f.instance = instance;
  if (module !== undefined) f.module = module;
  if (action !== undefined) f.action = action;
  if (status !== undefined) f.status = status;
  if (code !== undefined) f.code = code;
  if (cid !== undefined) f.correlationId = cid;
  if (q.outcome !== undefined) f.outcome = q.outcome.split(',').filter(isOutcome);
  if (q.dataset !== undefined) f.dataset = q.dataset.split(',').filter(isDataset);
  if (q.text !== undefined) f.text = q.text;
  return f;
}

export function toDeadLetterFilter(q: DeadLetterQuery): DeadLetterFilter {
  const f: { -readonly [K in keyof DeadLetterFilter]: DeadLetterFilter[K] } = {};
  if (q.from !== undefined) f.from = q.from;
  if (q.to !== undefined) f.to = q.to;
  const reason = many(q.reason), file = many(q.file);
  if (reason !== undefined) f.reason = reason;
  if (file !== undefined) f.filePath = file;
  if (q.dataset !== undefined) f.dataset = q.dataset.split(',').filter(isDataset);
  if (q.replayed !== undefined) f.replayed = q.replayed;
  return f;
}
