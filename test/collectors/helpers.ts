/** Test helpers of the collectors: a sink that keeps items by id, and what `parse` says of files. */
import { readFileSync } from 'node:fs';
import type { ParsedItem } from '../../parsers/event.js';
import type { Sink } from '../../collectors/sink.js';
import { RecordReader, type Format } from '../../parsers/reader.js';

export class MapSink implements Sink {
  readonly byId = new Map<string, ParsedItem>();
  writes = 0;
  received = 0;

  async write(items: readonly ParsedItem[]): Promise<void> {
    this.writes++;
    this.received += items.length;
    for (const item of items) this.byId.set(idOf(item), item);
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }
}

export function idOf(item: ParsedItem): string {
  return item.kind === 'event' ? item.event.event.id : item.deadLetter.event.id;
}

/** Ids of what `kintsugi parse` gives for these files, each read whole. */
export function expectedIds(files: readonly (string | Buffer)[], format: Format, host?: string): string[] {
  const ids = new Set<string>();
  for (const f of files) {
    const bytes = typeof f === 'string' ? readFileSync(f) : f;
    const reader = new RecordReader(format, host !== undefined ? { host } : {});
    for (const item of [...reader.push(bytes), ...reader.end()]) ids.add(idOf(item));
  }
  return [...ids].sort();
}

export function rlogRecord(i: number, session: string): string {
  return `[2026-03-14 02:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}] CHECK /lib/modules/3.2.7/kernel/m${i}.ko OK (code=E1207 n=${i} s=${session})\n`;
}
