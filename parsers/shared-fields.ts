/**
 * Field objects that many events in a row share, frozen so that no consumer can change another
 * event's: the host of a session and the log file of a source. Sharing them spares an allocation
 * per event that would otherwise survive with it (events are read-only; JSON is unchanged).
 */
import type { RecoveryEvent } from './event.js';

type Host = RecoveryEvent['host'];

let lastHost: Host = Object.freeze({ name: '', os: Object.freeze({ version: '' }) });

/** `{ name, os: { version } }`, the same object as the last event's when they are equal. */
export function hostOf(name: string, version: string): Host {
  if (lastHost.name !== name || lastHost.os.version !== version) lastHost = Object.freeze({ name, os: Object.freeze({ version }) });
  return lastHost;
}

let lastLogFile: { readonly path: string } = Object.freeze({ path: '' });

/** `log.file`: `{ path }`, the same object as the last event's when the path is equal. */
export function logFileOf(path: string): { readonly path: string } {
  if (lastLogFile.path !== path) lastLogFile = Object.freeze({ path });
  return lastLogFile;
}
