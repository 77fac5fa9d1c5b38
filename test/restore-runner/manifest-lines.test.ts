/** Manifest lines kept as bytes: a manifest written from its parent's lines is the manifest encoding gives. */
import { describe, expect, it } from 'vitest';
import { decodeManifestLines, encodeManifest, encodeNode, manifestOfLines, sameNode, type TreeNode } from '../../restore-runner/format/v1/manifest.js';
import { dirNode, fileNode } from './helpers.js';

// Paths are raw bytes, one char per byte, sorted by byte.
const japanese = Buffer.from('docs/日本語.txt', 'utf8').toString('latin1');
const nodes: TreeNode[] = [
  dirNode(''),
  dirNode('docs'),
  // A name that is not UTF-8, and one outside Latin-1: both kinds of line must come back byte for byte.
  fileNode('docs/raw-\xff\xfe', Buffer.from('raw name\n')),
  fileNode('docs/z', Buffer.alloc(0)),
  fileNode(japanese, Buffer.from('text\n')),
];

describe('manifest lines', () => {
  it('writes back, from line indices, the bytes encoding writes', () => {
    const bytes = encodeManifest(nodes);
    const r = decodeManifestLines(bytes);
    if (!r.ok) throw new Error(r.reason);
    expect(r.nodes).toEqual(nodes);
    expect(manifestOfLines(r.nodes.map((_, i) => i), r.lines).equals(bytes)).toBe(true);
    // Mixed: a changed node encoded, the others copied.
    const changed = fileNode('docs/z', Buffer.from('now with content\n'));
    const mixed = manifestOfLines([0, 1, 2, encodeNode(changed), 4], r.lines);
    expect(mixed.equals(encodeManifest([...nodes.slice(0, 3), changed, ...nodes.slice(4)]))).toBe(true);
  });

  it('refuses bytes that are not UTF-8 or do not end with a newline', () => {
    const bytes = encodeManifest(nodes);
    expect(decodeManifestLines(bytes.subarray(0, bytes.length - 1))).toEqual({ ok: false, reason: 'does not end with a newline' });
    const bad = Buffer.concat([bytes.subarray(0, 10), Buffer.from([0xc3, 0x28]), bytes.subarray(10)]);
    expect(decodeManifestLines(bad)).toEqual({ ok: false, reason: 'not UTF-8' });
  });
});


describe('sameNode', () => {
  it('says two nodes are alike exactly when encodeNode writes them alike', () => {
    const file = fileNode('docs/a', Buffer.from('a\n'));
    const variants: TreeNode[] = [
      { ...file },
      { ...file, mode: 0o600 },
      { ...file, uid: 7 },
      { ...file, gid: 7 },
      { ...file, mtimeNs: 2n },
      { ...file, path: 'docs/b' },
      { ...file, xattrs: [{ name: 'user.k', value: Buffer.from('v') }] },
      fileNode('docs/a', Buffer.from('b\n')),
      { path: 'docs/a', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeNs: 1_000_000_000n, target: 'x' },
      { path: 'docs/a', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeNs: 1_000_000_000n, target: 'y' },
      { path: 'docs/a', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1_000_000_000n, linkTo: 'docs/z' },
      { path: 'docs/a', type: 'chardev', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1_000_000_000n, major: 1, minor: 3 },
      { path: 'docs/a', type: 'chardev', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1_000_000_000n, major: 1, minor: 5 },
      { path: 'docs/a', type: 'fifo', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1_000_000_000n },
      dirNode('docs/a'),
    ];
    for (const a of variants) for (const b of variants) expect(sameNode(a, b)).toBe(encodeNode(a) === encodeNode(b));
  });
});
