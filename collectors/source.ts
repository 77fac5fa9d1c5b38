/** A source of the configuration: which files, in which format, with which source options. */
import type { Format } from '../parsers/reader.js';
import type { RlogSource } from '../parsers/rlog/record.js';

export interface SourceConfig {
  /** Unique among sources; part of every checkpoint's key. */
  readonly name: string;
  /** Globs of the files to follow (`/var/log/recovery/recovery.log*`); `.gz` generations included. */
  readonly paths: readonly string[];
  readonly format: Format;
  /** Host of 3.2 records outside a session. */
  readonly host?: string;
  /** IANA zone of 3.2 form A timestamps. */
  readonly timeZone?: string;
  /** OS version of 3.2 records outside a session. */
  readonly osVersion?: string;
}

export function parserSource(config: SourceConfig, path: string): RlogSource {
  return {
    path,
    ...(config.host !== undefined ? { host: config.host } : {}),
    ...(config.timeZone !== undefined ? { timeZone: config.timeZone } : {}),
    ...(config.osVersion !== undefined ? { osVersion: config.osVersion } : {}),
  };
}

/** What a follower logs through (pino's shape, so fastify's logger fits). */
export interface Log {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const SILENT_LOG: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
