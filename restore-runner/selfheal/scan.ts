/**
 * Compares an instance's tree with a snapshot of it: every file and symlink of the snapshot that
 * is not user data is checked on disk (present, same type, same content by SHA-256, same link
 * target). Reads only. A protected file's content is compared whatever its mtime says, since
 * corruption does not touch the mtime.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { type PathClass, type Problem, type Action, classify, REPAIR_RULES } from './rules.js';
import { errnoOf, rstError, messageOf } from '../errors.js';
import { rawToDisplay, type TreeNode } from '../format/v1/manifest.js';
import { fsPath, joinRaw, rawFromArg } from '../fsutil/raw-path.js';
import { hashFile } from '../parallel/ops.js';

export interface Finding {
  /** Relative to the instance root, as displayed (`lib/modules/4.2.3/.../ixgbe.ko`). */
  readonly path: string;
  /** The same path as raw bytes (latin1), for node:fs. */
  readonly raw: string;
  readonly class: PathClass;
  readonly problem: Problem;
  readonly action: Action;
  readonly detail: string;
}

export interface ScanSummary {
  /** Files and symlinks of the snapshot compared (user data not counted). */
  readonly checked: number;
  /** Skipped as user data. */
  readonly userData: number;
  readonly findings: readonly Finding[];
}

/** `classOf` decides what is compared and how a finding is named (a drill compares everything as system). */
export function scanTree(root: string, nodes: readonly TreeNode[], classOf: (path: string) => PathClass = classify): ScanSummary {
  const rootRaw = rawFromArg(root);
  const findings: Finding[] = [];
  let checked = 0;
  let userData = 0;
  const files = new Map<string, TreeNode>(nodes.map((n) => [n.path, n]));
  for (const node of nodes) {
    if (node.type === 'dir') continue;
    const path = rawToDisplay(node.path);
    const cls = classOf(path);
    if (cls === 'user-data') {
      userData++;
      continue;
    }
    checked++;
    const found = (problem: Problem, detail: string): void => {
      findings.push({ path, raw: node.path, class: cls, problem, action: REPAIR_RULES[cls][problem], detail });
    };
    const abs = fsPath(joinRaw(rootRaw, node.path));
    let st;
    try {
      st = lstatSync(abs);
    } catch (err: unknown) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') {
        found('missing', 'not on disk');
        continue;
      }
      throw rstError('RST_ERR_SOURCE_UNREADABLE', path, messageOf(err));
    }
    const content = node.type === 'hardlink' ? files.get(node.linkTo) : node;
    if (content?.type === 'file') {
      if (!st.isFile()) {
        found('type-changed', 'a file in the snapshot, not a regular file on disk');
        continue;
      }
      const { hex, size } = hashFile(abs);
      if (size !== content.size || hex !== content.sha256) {
        found(cls === 'system' ? 'corrupt' : 'changed', size !== content.size ? `size ${size}, snapshot ${content.size}` : `sha256 ${hex.slice(0, 12)}, snapshot ${content.sha256.slice(0, 12)}`);
      }
    } else if (content?.type === 'symlink') {
      if (!st.isSymbolicLink()) found('type-changed', 'a symlink in the snapshot, not on disk');
      else if (readlinkSync(abs, { encoding: 'buffer' }).toString('latin1') !== content.target) found('changed', `points elsewhere than ${rawToDisplay(content.target)}`);
    }
  }
  return { checked, userData, findings };
}
