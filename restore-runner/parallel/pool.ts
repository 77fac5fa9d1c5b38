/**
 * A small pool of worker threads for the CPU-heavy steps of image snapshots and restores
 * (hashing, compression, decompression, read-back verification). Byte ranges travel as
 * SharedArrayBuffer views, so nothing large is copied. Without a compiled worker script next to
 * this module (a TypeScript test runner), every op runs inline with the same code (ops.ts).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ScanResult } from './ops.js';
import { type Op, type OpResult, runOp } from './protocol.js';

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

function isScanResult(v: unknown): v is ScanResult {
  return typeof v === 'object' && v !== null && 'ids' in v && v.ids instanceof Uint8Array && 'holes' in v && v.holes instanceof Uint8Array;
}
function isNumber(v: unknown): v is number {
  return typeof v === 'number';
}

export class Pool {
  private readonly slots: Slot[] = [];
  private nextId = 1;

  private constructor(workers: number) {
    const url = new URL('./worker.js', import.meta.url);
    if (workers <= 0 || !existsSync(fileURLToPath(url))) return;
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(url);
      const pending = new Map<number, Pending>();
      worker.on('message', (msg: unknown) => {
        if (typeof msg !== 'object' || msg === null || !('id' in msg) || typeof msg.id !== 'number') return;
        const p = pending.get(msg.id);
        if (p === undefined) return;
        pending.delete(msg.id);
        if ('ok' in msg && msg.ok === true && 'result' in msg) p.resolve(msg.result);
        else p.reject(new Error('error' in msg && typeof msg.error === 'string' ? msg.error : 'worker failed'));
      });
      worker.on('error', (err: Error) => {
        for (const p of pending.values()) p.reject(err);
        pending.clear();
      });
      this.slots.push({ worker, pending });
    }
  }

  /** A pool of `workers` threads (default: one per core, at most 2: the main thread reads and writes). */
  static create(workers = Math.min(2, availableParallelism())): Pool {
    return new Pool(workers);
  }

  get parallel(): boolean {
    return this.slots.length > 0;
  }

  private run(op: Op): Promise<unknown> {
    if (this.slots.length === 0) {
      try {
        return Promise.resolve<OpResult>(runOp(op).result);
      } catch (err: unknown) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    let best: Slot | undefined;
    for (const s of this.slots) if (best === undefined || s.pending.size < best.pending.size) best = s;
    const slot = best;
    if (slot === undefined) return Promise.reject(new Error('no worker'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, op });
    });
  }

  async scan(data: Uint8Array, blockSize: number): Promise<ScanResult> {
    const r = await this.run({ kind: 'scan', data, blockSize });
    if (!isScanResult(r)) throw new Error('bad scan result');
    return r;
  }

  /** See ops.ts `compressRanges`: [outOffset, storedLength, compression] per range. */
  async compress(data: Uint8Array, ranges: Uint32Array, out: Uint8Array): Promise<Uint32Array> {
    const r = await this.run({ kind: 'compress', data, ranges, out });
    if (!(r instanceof Uint32Array)) throw new Error('bad compress result');
    return r;
  }

  /** SHA-256 (hex) and size of a file. */
  async hashFile(path: string): Promise<{ readonly hex: string; readonly size: number }> {
    const r = await this.run({ kind: 'hash-file', path });
    if (typeof r !== 'object' || r === null || !('hex' in r) || typeof r.hex !== 'string' || !('size' in r) || typeof r.size !== 'number') throw new Error('bad hash result');
    return { hex: r.hex, size: r.size };
  }

  /** See ops.ts `decompressInto`: the first bad blob's index, or -1. */
  async decompress(input: Uint8Array, desc: Uint32Array, out: Uint8Array, ids: Uint8Array): Promise<number> {
    const r = await this.run({ kind: 'decompress', input, desc, out, ids });
    if (!isNumber(r)) throw new Error('bad decompress result');
    return r;
  }

  async verifyFile(path: string, first: number, count: number, blockSize: number, size: number, map: Uint8Array): Promise<number> {
    const r = await this.run({ kind: 'verify-file', path, first, count, blockSize, size, map });
    if (!isNumber(r)) throw new Error('bad verify result');
    return r;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}

/** A Buffer over new shared memory (visible to the workers without copying). */
export function sharedBuffer(bytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(bytes));
}
