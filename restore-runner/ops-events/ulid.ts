/**
 * ULIDs for `event_id` (OPS 4.2 v2): 48-bit time + 80 random bits, Crockford base32, monotonic
 * within one millisecond so that ids of one process sort in emission order.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encode(value: bigint, chars: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < chars; i++) {
    out = (ALPHABET[Number(v & 31n)] ?? '0') + out;
    v >>= 5n;
  }
  return out;
}

export type UlidSource = (timeMs: number) => string;

/** A generator of monotonic ULIDs; `random` is injectable for golden tests. */
export function ulidSource(random: (bytes: number) => Buffer = randomBytes): UlidSource {
  let lastMs = -1;
  let lastRandom = 0n;
  return (timeMs) => {
    const ms = Math.max(0, Math.floor(timeMs));
    if (ms <= lastMs) {
      // Same (or an earlier) millisecond: keep the time, step the random part, as the spec's
      // monotonic mode does, so that ordering by id equals emission order.
      lastRandom = (lastRandom + 1n) & ((1n << 80n) - 1n);
    } else {
      lastMs = ms;
      lastRandom = BigInt(`0x${random(10).toString('hex')}`) & ((1n << 79n) - 1n);
    }
    return encode(BigInt(lastMs), 10) + encode(lastRandom, 16);
  };
}
