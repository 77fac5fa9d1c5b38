/**
 * Stable identities. The same record read again (a restart, a rotated copy, a Kafka redelivery)
 * gets the same id; distinct records get distinct ids (event-schema.md, `event.id`).
 */
import { createHash } from 'node:crypto';

/** 128 bits of SHA-256 over the parts, base64url: short, collision-free in practice. */
export function stableId(prefix: string, raw: Buffer | string): string {
  return createHash('sha256').update(prefix).update(raw).digest('base64url').slice(0, 22);
}
