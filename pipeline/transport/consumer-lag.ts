/**
 * kintsugi_kafka_consumer_lag_messages: per topic and partition, the messages past the offset the
 * group committed, as the fetched batch knew it (its high watermark less the committed offset),
 * observed at each scrape. Kept per consumer: when a consumer joins the group again (a
 * rebalance), its partitions may have moved to another process, which then reports them, so this
 * one reports 0 for them until its next batch of them (a sum over processes counts each once; the
 * SDK keeps exporting a series once observed, so dropping it would leave its last value). A
 * partition that moved to another worker of this process is reported by that one.
 */
import type { ObservableGauge, ObservableResult } from '@opentelemetry/api';

export class ConsumerLag<Owner> {
  private readonly byOwner = new Map<Owner, Map<string, { readonly topic: string; readonly partition: number; readonly lag: number }>>();
  private readonly observe = (result: ObservableResult): void => {
    for (const m of this.byOwner.values()) for (const v of m.values()) result.observe(v.lag, { topic: v.topic, partition: String(v.partition) });
  };

  constructor(private readonly gauge: ObservableGauge | undefined) {
    gauge?.addCallback(this.observe);
  }

  /** After a commit: `highWatermark` from the batch, `committed` the offset committed (the next to read). */
  committed(owner: Owner, topic: string, partition: number, highWatermark: string, committed: bigint): void {
    let m = this.byOwner.get(owner);
    if (m === undefined) this.byOwner.set(owner, (m = new Map()));
    const lag = BigInt(highWatermark) - committed;
    const key = `${topic}\u0000${partition}`;
    // One owner per partition: the last to commit it (the other lost it in a rebalance).
    for (const other of this.byOwner.values()) other.delete(key);
    m.set(key, { topic, partition, lag: lag > 0n ? Number(lag) : 0 });
  }

  /** The owner joined the group again: its partitions may be elsewhere now (see the header). */
  forget(owner: Owner): void {
    const m = this.byOwner.get(owner);
    if (m !== undefined) for (const [k, v] of m) m.set(k, { ...v, lag: 0 });
  }

  close(): void {
    this.gauge?.removeCallback(this.observe);
  }
}
