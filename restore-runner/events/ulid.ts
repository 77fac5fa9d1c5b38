/**
 * ULIDs for the runner's v2 `event_id`s: 48 bits of milliseconds and 80 random bits in Crockford
 * base32, monotonic within a millisecond (the random part is incremented), so that ids sort in
 * emission order as the spec's examples do.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastMs = -1;
let lastRandom: bigint = 0n;

function encode(value: bigint, length: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < length; i++) {
    out = (ALPHABET[Number(v & 31n)] ?? '0') + out;
    v >>= 5n;
  }
  return out;
}

export function ulid(nowMs: number = Date.now()): string {
  if (nowMs === lastMs) {
    lastRandom = (lastRandom + 1n) & ((1n << 80n) - 1n);
  } else {
    lastMs = nowMs;
    lastRandom = BigInt(`0x${randomBytes(10).toString('hex')}`) >> 1n; // room to increment
  }
  return encode(BigInt(nowMs), 10) + encode(lastRandom, 16);
}

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
