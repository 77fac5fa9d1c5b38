/**
 * The instance map once loaded: paths absolute, one kind per instance, lookups by host and by
 * host + instance. A restore or a snapshot names its instance through here, so that it touches
 * that instance only, never a neighbour on the same host.
 */
import { rstError } from '../errors.js';

export type OsLine = '3.2' | '4.2';

/** Where an instance lives: a directory tree, or an image file / block device. */
export type InstanceLocation =
  | { readonly kind: 'tree'; readonly path: string }
  | { readonly kind: 'image'; readonly path: string };

export interface Instance {
  readonly host: string;
  readonly id: string;
  readonly osLine: OsLine;
  readonly version: string;
  readonly location: InstanceLocation;
  /** Absolute path of the snapshot repository. */
  readonly repository: string;
  /** Absolute path of the boot loader configuration file. */
  readonly bootConfig: string;
}

export interface InstanceMap {
  /** The file it was loaded from (for messages). */
  readonly file: string;
  readonly instances: readonly Instance[];
}

/** Every instance of a host, in file order; empty when the host is not in the map. */
export function instancesOfHost(map: InstanceMap, host: string): readonly Instance[] {
  return map.instances.filter((i) => i.host === host);
}

export type InstanceLookup =
  | { readonly ok: true; readonly instance: Instance }
  | { readonly ok: false; readonly reason: 'not-found' | 'ambiguous'; readonly candidates: readonly Instance[] };

/**
 * Finds an instance by id, on a given host or, without a host, anywhere in the map (then the id
 * must be unique across hosts, else the caller has to name the host).
 */
export function findInstance(map: InstanceMap, instance: string, host?: string): InstanceLookup {
  const matches = map.instances.filter((i) => i.id === instance && (host === undefined || i.host === host));
  const [only] = matches;
  if (matches.length === 1 && only !== undefined) return { ok: true, instance: only };
  return { ok: false, reason: matches.length === 0 ? 'not-found' : 'ambiguous', candidates: matches };
}

/** `findInstance`, throwing RST_ERR_INSTANCE_NOT_FOUND with what to do. */
export function requireInstance(map: InstanceMap, instance: string, host?: string): Instance {
  const r = findInstance(map, instance, host);
  if (r.ok) return r.instance;
  const where = host === undefined ? '' : ` on host ${host}`;
  const known = map.instances.map((i) => `${i.host}/${i.id}`).join(', ') || 'none';
  if (r.reason === 'ambiguous') {
    throw rstError('RST_ERR_INSTANCE_NOT_FOUND', `${instance}${where}`, map.file, `it is on several hosts (${r.candidates.map((i) => i.host).join(', ')}): pass --host`);
  }
  throw rstError('RST_ERR_INSTANCE_NOT_FOUND', `${instance}${where}`, map.file, `known: ${known}`);
}
