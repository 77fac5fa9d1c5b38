/**
 * POST /api/dead-letters/replay (operator): the dead letters not replayed yet that the body
 * selects are read again (replay.ts); those that now read are stored as events and marked
 * replayed (the store's `replayed` flag, with the event's id), the others are listed with their
 * new reason. Storing is idempotent, so a replay cut short is simply asked again. The replay is
 * in the audit trail with who asked for it.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { DeadLetter, RecoveryEvent } from '../../../parsers/event.js';
import type { ReplayMark } from '../../store/event-store.js';
import { toDeadLetterFilter } from '../filters.js';
import { reparse, type SourceOf } from '../replay.js';
import type { ApiDeps } from '../server.js';
import { writeCounted } from '../../store-sink.js';
import { storeErrorReply } from './store-error.js';

const list = { type: 'string', minLength: 1, description: 'one value, or several separated by commas' } as const;

export const replayBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ids: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', minLength: 1, maxLength: 256 }, description: 'only these dead letters (event.id)' },
    reason: list,
    file: list,
    dataset: { type: 'string', pattern: '^recovery\\.v(32|42)(,recovery\\.v(32|42))*$' },
    from: { type: 'string', minLength: 1, description: 'ISO 8601 time' },
    to: { type: 'string', minLength: 1, description: 'ISO 8601 time' },
    limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000, description: 'at most this many dead letters in one call' },
    dryRun: { type: 'boolean', default: false, description: 'read them again and answer, store and mark nothing' },
  },
} as const;

interface ReplayBody {
  ids?: string[];
  reason?: string;
  file?: string;
  dataset?: string;
  from?: string;
  to?: string;
  limit?: number;
  dryRun?: boolean;
}

export interface ReplayRouteDeps extends ApiDeps {
  readonly sourceOf: SourceOf;
}

export const replayRoutes: FastifyPluginAsync<ReplayRouteDeps> = async (app, { store, sourceOf, telemetry }) => {
  app.post<{ Body: ReplayBody }>(
    '/api/dead-letters/replay',
    { config: { role: 'operator' }, schema: { body: replayBodySchema, description: 'read dead letters again with the current parsers; those that read become events and are marked replayed' } },
    async (request, reply) => {
      const { ids, limit = 1000, dryRun = false, ...selector } = request.body;
      const wanted = ids === undefined ? null : new Set(ids);
      const filter = { ...toDeadLetterFilter(selector), replayed: false };
      const candidates: DeadLetter[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.queryDeadLetters(filter, { limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
        if (!page.ok) return storeErrorReply(reply, page.error);
        for (const dl of page.deadLetters) if (wanted === null || wanted.has(dl.event.id)) candidates.push(dl);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined && candidates.length < limit);
      const chosen = candidates.slice(0, limit);

      const events: RecoveryEvent[] = [];
      const marks: ReplayMark[] = [];
      const replayed: { deadLetterId: string; eventIds: string[] }[] = [];
      const stillFailing: { deadLetterId: string; reason: string; message: string }[] = [];
      for (const dl of chosen) {
        const items = reparse(dl, sourceOf(dl));
        const made = items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
        const first = made[0];
        if (first === undefined) {
          const again = items.find((i) => i.kind === 'dead-letter');
          stillFailing.push({ deadLetterId: dl.event.id, reason: again?.kind === 'dead-letter' ? again.deadLetter.error.type : 'no-record', message: again?.kind === 'dead-letter' ? again.deadLetter.error.message : 'no record in the original bytes' });
          continue;
        }
        events.push(...made);
        marks.push({ deadLetterId: dl.event.id, eventId: first.event.id });
        replayed.push({ deadLetterId: dl.event.id, eventIds: made.map((e) => e.event.id) });
      }
      // Ids asked for that are not pending (replayed before, or unknown); known only after a full scan.
      const seen = new Set(candidates.map((d) => d.event.id));
      const notPending = ids === undefined || cursor !== undefined ? [] : [...new Set(ids)].filter((id) => !seen.has(id));
      if (!dryRun && events.length > 0) {
        // Events first: a crash between the two leaves dead letters to replay again, never marks without events.
        const written = await writeCounted(store, events, [], telemetry?.instruments);
        if (!written.ok) return storeErrorReply(reply, written.error);
        const marked = await store.markReplayed(marks, new Date().toISOString());
        if (!marked.ok) return storeErrorReply(reply, marked.error);
      }
      if (!dryRun) {
        await app.audit.record({
          action: 'deadletter.replay',
          who: request.principal.name,
          outcome: stillFailing.length === 0 ? 'success' : replayed.length === 0 ? 'failure' : 'unknown',
          message: `${replayed.length} dead letters replayed as events, ${stillFailing.length} still failing`,
          details: { replayed: replayed.length, still_failing: stillFailing.length, dead_letter_ids: chosen.slice(0, 100).map((d) => d.event.id) },
        });
      }
      return { dryRun, replayed, stillFailing, notPending, more: candidates.length > limit || cursor !== undefined };
    },
  );
};
