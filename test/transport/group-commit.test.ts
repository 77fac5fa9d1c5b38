/**
 * Group commit of the Kafka workers' batches (pipeline/transport/group-commit.ts): batches that
 * arrive while a write commits go into one next write, each resolves only once its records are
 * stored, and a failed write fails exactly the batches it held.
 */
import { describe, expect, it } from 'vitest';
import type { Sink } from '../../collectors/sink.js';
import type { ParsedItem } from '../../parsers/event.js';
import { StoreSink } from '../../pipeline/store-sink.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { GroupCommitSink } from '../../pipeline/transport/group-commit.js';
import { sampleEvents } from '../store/samples.js';

/** A real store sink whose writes wait until the test opens them, one by one. */
class GatedSink implements Sink {
  readonly writes: number[] = [];
  private readonly gates: (() => void)[] = [];
  failNext = false;

  constructor(private readonly inner: Sink) {}

  async write(items: readonly ParsedItem[]): Promise<void> {
    this.writes.push(items.length);
    await new Promise<void>((open) => this.gates.push(open));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store unavailable');
    }
    await this.inner.write(items);
  }

  open(): void {
    this.gates.shift()?.();
  }

  get waiting(): number {
    return this.gates.length;
  }
}

const ITEMS: ParsedItem[] = sampleEvents().map((event) => ({ kind: 'event', event }));

async function stored(store: MemoryEventStore): Promise<string[]> {
  const page = await store.eventsSince(0, 10_000);
  if (!page.ok) throw page.error;
  return page.events.map((e) => e.event.event.id).sort();
}

async function until(what: () => boolean): Promise<void> {
  while (!what()) await new Promise((r) => setTimeout(r, 1));
}

describe('group commit of partition batches', () => {
  it('stores the batches that arrive during a write together in the next one, each resolving once stored', async () => {
    const store = new MemoryEventStore();
    const gated = new GatedSink(new StoreSink(store));
    const sink = new GroupCommitSink(gated);
    const [a, b, c, d] = [ITEMS.slice(0, 5), ITEMS.slice(5, 9), ITEMS.slice(9, 20), ITEMS.slice(20)];
    const resolved: string[] = [];
    const track = (name: string, p: Promise<void>): Promise<void> => p.then(() => void resolved.push(name));
    const first = track('a', sink.write(a ?? []));
    await until(() => gated.waiting === 1);
    const rest = [track('b', sink.write(b ?? [])), track('c', sink.write(c ?? [])), track('d', sink.write(d ?? []))];
    expect(gated.writes).toEqual([a?.length]);

    gated.open();
    await first;
    expect(resolved).toEqual(['a']);
    expect(await stored(store)).toEqual((a ?? []).map((i) => (i.kind === 'event' ? i.event.event.id : '')).sort());
    // b, c and d waited for a's write and go in one.
    await until(() => gated.waiting === 1);
    expect(gated.writes).toEqual([a?.length, (b?.length ?? 0) + (c?.length ?? 0) + (d?.length ?? 0)]);
    expect(resolved).toEqual(['a']);
    gated.open();
    await Promise.all(rest);
    expect(resolved.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(await stored(store)).toEqual(ITEMS.map((i) => (i.kind === 'event' ? i.event.event.id : '')).sort());
    expect([sink.batches, sink.writes]).toEqual([4, 2]);
  });

  it('a failed write fails the batches it held, not those after it', async () => {
    const store = new MemoryEventStore();
    const gated = new GatedSink(new StoreSink(store));
    const sink = new GroupCommitSink(gated);
    const first = sink.write(ITEMS.slice(0, 3));
    await until(() => gated.waiting === 1);
    const second = sink.write(ITEMS.slice(3, 6));
    const third = sink.write(ITEMS.slice(6, 9));
    gated.failNext = true;
    gated.open();
    await expect(first).rejects.toThrow('store unavailable');
    await until(() => gated.waiting === 1);
    gated.open();
    await expect(Promise.all([second, third])).resolves.toEqual([undefined, undefined]);
    // The failed batch is not stored (its offset does not move: Kafka delivers it again).
    expect(await stored(store)).toEqual(ITEMS.slice(3, 9).map((i) => (i.kind === 'event' ? i.event.event.id : '')).sort());
    // Sent again, it is stored.
    const again = sink.write(ITEMS.slice(0, 3));
    await until(() => gated.waiting === 1);
    gated.open();
    await again;
    expect(await stored(store)).toEqual(ITEMS.slice(0, 9).map((i) => (i.kind === 'event' ? i.event.event.id : '')).sort());
  });
});
