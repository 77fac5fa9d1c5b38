/**
 * Stable identities. The same record read again (a restart, a rotated copy, a Kafka redelivery)
 * gets the same id; distinct records get distinct ids (event-schema.md, `event.id`).
 */
import { hash } from 'node:crypto';

/** 128 bits of SHA-256 over the prefix and the raw bytes, base64url: short, collision-free in practice. */
export function stableId(prefix: string, raw: Buffer): string {
  // One-shot hashing of one string: the raw bytes as latin1 chars keep every byte distinct.
  return stableIdOfText(prefix, raw.toString('latin1'));
}

/** The same id as `stableId(prefix, Buffer.from(rawLatin1, 'latin1'))`, from a byte string. */
export function stableIdOfText(prefix: string, rawLatin1: string): string {
  return hash('sha256', prefix + rawLatin1, 'base64url').slice(0, 22);
}
