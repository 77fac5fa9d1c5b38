/**
 * Raw byte paths: one char per byte (latin1), so that file names that are not UTF-8 pass through
 * the engine unchanged. `fsPath` gives the Buffer that node:fs takes.
 */
import type { RawPath } from '../format/v1/manifest.js';
import { utf8ToRaw } from '../format/v1/manifest.js';

export function fsPath(raw: RawPath): Buffer {
  return Buffer.from(raw, 'latin1');
}

/** A path typed by a person (UTF-8) as a raw path. */
export function rawFromArg(text: string): RawPath {
  return utf8ToRaw(text);
}

export function joinRaw(root: RawPath, rel: RawPath): RawPath {
  if (rel === '') return root;
  return root.endsWith('/') ? root + rel : `${root}/${rel}`;
}

export function parentRaw(p: RawPath): RawPath | undefined {
  const i = p.lastIndexOf('/');
  return i < 0 ? undefined : p.slice(0, i);
}
