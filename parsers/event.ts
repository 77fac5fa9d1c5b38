/**
 * The normalized recovery event and the dead letter: the contract between the parsers and every
 * part downstream (stores, rules, API, SIEM export). See ../shared/spec/event-schema.md and
 * parsers/EVENT_SCHEMA.md.
 */

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export type JsonObject = { readonly [key: string]: JsonValue };

/** For builders that assemble a readonly document field by field. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type Outcome = 'success' | 'failure' | 'unknown';
export type Dataset = 'recovery.v32' | 'recovery.v42';
export type OsLine = '3.2' | '4.2';
export type EcsCategory = 'file' | 'driver' | 'configuration' | 'authentication' | 'host';
export type EcsType = 'info' | 'change' | 'start' | 'end';

export interface EventFields {
  readonly id: string;
  readonly kind: 'event' | 'alert';
  readonly category: readonly EcsCategory[];
  readonly type: readonly EcsType[];
  readonly action: string;
  readonly outcome: Outcome;
  readonly code?: string;
  readonly dataset: Dataset;
  /** Nanoseconds, as ECS wants. */
  readonly duration?: number;
  readonly original?: string;
  readonly ingested?: string;
}

export interface LogFields {
  readonly file?: { readonly path: string };
  /** Byte offset of the record's first line in its file. */
  readonly offset?: number;
}

export interface RecoveryFields {
  readonly os_line: OsLine;
  readonly status?: string;
  readonly mode?: 'standard' | 'fallback';
  readonly session?: string;
  readonly correlation_id?: string;
  readonly parent_id?: string;
  readonly instance: string;
  readonly module?: string;
  readonly kernel?: string;
  readonly snapshot?: string;
  readonly restore?: { readonly mode?: string; readonly target?: string };
  readonly details?: JsonObject;
}

export interface RecoveryEvent {
  readonly '@timestamp': string;
  readonly event: EventFields;
  readonly host: { readonly name: string; readonly id?: string; readonly os: { readonly version: string } };
  readonly file?: { readonly path?: string; readonly size?: number };
  readonly error?: { readonly code?: string; readonly message?: string };
  readonly message?: string;
  readonly user?: { readonly name: string };
  readonly log?: LogFields;
  readonly recovery: RecoveryFields;
}

export const RLOG_DEAD_LETTER_REASONS = [
  'no-timestamp',
  'bad-timestamp',
  'bad-record',
  'nul-byte',
  'line-too-long',
  'orphan-continuation',
] as const;
export type RlogDeadLetterReason = (typeof RLOG_DEAD_LETTER_REASONS)[number];

export type OpsDeadLetterReason =
  | 'not-json'
  | 'not-object'
  | 'unsupported-schema'
  | 'bad-timestamp'
  | `missing-field:${string}`
  | `bad-type:${string}`;

export type DeadLetterReason = RlogDeadLetterReason | OpsDeadLetterReason;

/** Where a record came from when it was not read from a file. */
export interface KafkaOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * A record that could not be read. Kept whole, never dropped. `event.kind` is ECS's
 * `pipeline_error`; `event.id` is stable like an event's, so a re-read stores it once.
 */
export interface DeadLetter {
  readonly '@timestamp': string;
  readonly event: {
    readonly id: string;
    readonly kind: 'pipeline_error';
    readonly dataset: Dataset;
    /** The raw bytes, up to 65,536, invalid UTF-8 written as \xNN. */
    readonly original: string;
    readonly ingested?: string;
  };
  readonly log?: LogFields;
  readonly kafka?: KafkaOrigin;
  readonly error: { readonly type: DeadLetterReason; readonly message: string };
  /**
   * A 3.2 record that failed inside a session: the session it was read in (the `session.start`
   * before it), so that a replay reads it in that session, with its host, version and correlation
   * id, as the first reading would have. Absent outside a session and for 4.2.
   */
  readonly recovery?: { readonly rlog_session: { readonly id: string; readonly host: string; readonly version: string } };
  /** Set when a replay turned this dead letter into an event. */
  readonly replayed?: { readonly at: string; readonly event_id: string };
}

/** What a parser gives for each record it reads, in input order. */
export type ParsedItem =
  | { readonly kind: 'event'; readonly event: RecoveryEvent }
  | { readonly kind: 'dead-letter'; readonly deadLetter: DeadLetter };
