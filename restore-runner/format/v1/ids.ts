/** Content IDs (FORMAT.md, "Hashing and compression"): SHA-256, 64 lowercase hex digits. */
import { hash } from 'node:crypto';

export type Id = string;
export const ID_BYTES = 32;
export const ZERO_ID_BYTES: Buffer = Buffer.alloc(ID_BYTES);
export const ZERO_ID: Id = '0'.repeat(64);

const ID_RE = /^[0-9a-f]{64}$/;

export function isId(v: unknown): v is Id {
  return typeof v === 'string' && ID_RE.test(v);
}

export function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

export function sha256Hex(data: Uint8Array): Id {
  return hash('sha256', data, 'hex');
}

export function shortId(id: Id): string {
  return id.slice(0, 12);
}
