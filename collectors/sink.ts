/** Where collected items go. `write` resolves only once they are committed (stored durably). */
import type { ParsedItem } from '../parsers/event.js';

export interface Sink {
  write(items: readonly ParsedItem[]): Promise<void>;
}
