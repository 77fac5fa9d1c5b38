import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Chunker } from '../../restore-runner/chunking/cdc.js';

const params = { minSize: 64, avgSize: 256, maxSize: 1024, gearSeed: '0123456789abcdef0123456789abcdef' };
const chunker = new Chunker(params);

describe('content-defined chunker', () => {
  it('chunk boundaries reassemble to the input, within the size bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 20000 }), (bytes) => {
        const chunks = chunker.split(bytes);
        expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
        chunks.forEach((c, i) => {
          expect(c.length).toBeLessThanOrEqual(params.maxSize);
          expect(c.length).toBeGreaterThan(0);
          if (i < chunks.length - 1) expect(c.length).toBeGreaterThan(params.minSize);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('streaming through buffers of any size cuts the same chunks as one pass', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 8000 }), fc.integer({ min: 1, max: 3000 }), (bytes, step) => {
        const whole = chunker.split(bytes).map((c) => c.length);
        // Feed the chunker as a stream does: more input arrives until it can decide.
        const lengths: number[] = [];
        let start = 0;
        let end = Math.min(bytes.length, step);
        while (start < bytes.length) {
          const eof = end === bytes.length;
          const n = chunker.next(bytes, start, end, eof);
          if (n < 0) {
            end = Math.min(bytes.length, end + step);
            continue;
          }
          lengths.push(n);
          start += n;
          end = Math.max(end, Math.min(bytes.length, start + step));
        }
        expect(lengths).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('an insertion near the start leaves later chunks unchanged (content-defined)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20000, maxLength: 40000 }), fc.uint8Array({ minLength: 1, maxLength: 50 }), (bytes, ins) => {
        const a = chunker.split(bytes).map((c) => Buffer.from(c).toString('hex'));
        const shifted = Buffer.concat([Buffer.from(ins), Buffer.from(bytes)]);
        const b = new Set(chunker.split(shifted).map((c) => Buffer.from(c).toString('hex')));
        const kept = a.filter((h) => b.has(h)).length;
        expect(kept).toBeGreaterThanOrEqual(a.length - 4);
      }),
      { numRuns: 30 },
    );
  });
});
