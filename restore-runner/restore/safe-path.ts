/**
 * Keeping every write inside the restore target. Manifest paths are checked by the format
 * (no absolute paths, no `.`/`..`, parents are directories); here the *target* is checked: no
 * existing ancestor of a path may be a symlink or anything but a directory we would follow.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { errnoOf, rstError } from '../errors.js';
import { type RawPath, rawToDisplay, unsafePathReason } from '../format/v1/manifest.js';
import { fsPath, joinRaw } from '../fsutil/raw-path.js';

/**
 * Throw RST_ERR_PATH_ESCAPE when writing `rel` under `rootRaw` could leave the root: an unsafe
 * name, or an existing ancestor inside the target that is a symlink.
 */
export function assertInsideTarget(rootRaw: RawPath, rel: RawPath): void {
  const bad = unsafePathReason(rel);
  if (bad !== undefined) throw rstError('RST_ERR_PATH_ESCAPE', rawToDisplay(rel), rawToDisplay(rootRaw), bad);
  const parts = rel.split('/');
  let cur = '';
  for (let i = 0; i < parts.length - 1; i++) {
    cur = cur === '' ? (parts[i] ?? '') : `${cur}/${parts[i] ?? ''}`;
    const abs = joinRaw(rootRaw, cur);
    try {
      const st = lstatSync(fsPath(abs));
      if (st.isSymbolicLink()) {
        const to = readlinkSync(fsPath(abs), { encoding: 'buffer' }).toString('latin1');
        throw rstError('RST_ERR_PATH_ESCAPE', rawToDisplay(rel), rawToDisplay(rootRaw), `${rawToDisplay(cur)} in the target is a symlink to ${rawToDisplay(to)}`);
      }
    } catch (err: unknown) {
      const code = errnoOf(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // nothing further exists to follow
      throw err;
    }
  }
}
