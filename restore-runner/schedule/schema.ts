/**
 * The snapshot schedule: how often each instance of the instance map is snapshotted, in which
 * off-peak window, what is kept, and how the new snapshot is verified. The recovery policy embeds
 * this schema under `snapshots:`; README.md beside it documents it.
 */
import { Type, type Static } from '@sinclair/typebox';

const Duration = Type.String({ pattern: '^[1-9][0-9]*(m|h|d)$', description: 'a duration: minutes, hours or days, such as 30m, 6h, 1d' });
const Clock = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'a time of day, HH:MM (24 h)' });
const Count = Type.Integer({ minimum: 0 });

export const ScheduleSchema = Type.Object(
  {
    every: Type.Union([Type.Literal('nightly'), Duration], {
      description: "how often an instance is snapshotted: 'nightly' (once per window, which is then required) or a duration",
    }),
    window: Type.Optional(
      Type.Object(
        {
          start: Clock,
          end: Clock,
          timeZone: Type.Optional(Type.String({ minLength: 1, description: 'IANA zone of start and end (default UTC)' })),
        },
        { additionalProperties: false, description: 'off-peak window: scheduled snapshots start only inside it (may cross midnight)' },
      ),
    ),
    retention: Type.Optional(
      Type.Object(
        {
          last: Type.Optional(Count),
          hourly: Type.Optional(Count),
          daily: Type.Optional(Count),
          weekly: Type.Optional(Count),
          monthly: Type.Optional(Count),
          yearly: Type.Optional(Count),
        },
        { additionalProperties: false, description: 'which scheduled snapshots to keep (the keep rules of `snapshot forget`); absent: keep all' },
      ),
    ),
    verifyAfter: Type.Optional(
      Type.Union([Type.Literal('structure'), Type.Literal('data')], {
        description: "verification of each new snapshot: 'data' (default) re-reads and re-hashes every blob it references; 'structure' checks signature, manifest and index only",
      }),
    ),
    retryAfter: Type.Optional(Type.String({ pattern: '^[1-9][0-9]*(m|h|d)$', description: 'after a failed scheduled snapshot, wait this long before trying again (default 15m)' })),
  },
  { additionalProperties: false },
);

export type Schedule = Static<typeof ScheduleSchema>;

export const DEFAULT_RETRY_AFTER = '15m';
