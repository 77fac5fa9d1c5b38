/**
 * Tar (POSIX pax) encoding of a tree snapshot, readable by GNU tar, bsdtar and busybox: one
 * ustar header per entry, with a pax extended header ('x') when a name or link does not fit or
 * is not plain ASCII, when the mtime has a fraction, or for extended attributes (SCHILY.xattr.*,
 * as GNU tar --xattrs and bsdtar write them). FIFOs and device nodes are ustar types 6, 3 and 4.
 */
import type { TreeNode } from '../format/v1/manifest.js';

const BLOCK = 512;
const TAR_TYPE: Readonly<Record<TreeNode['type'], string>> = { file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' };

function octal(n: number | bigint, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function header(name: Buffer, node: { mode: number; uid: number; gid: number; major?: number; minor?: number }, size: number, mtimeSec: bigint, type: string, link: Buffer): Buffer {
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0, 0, Math.min(100, name.length));
  h.write(octal(node.mode, 8), 100, 'ascii');
  h.write(octal(node.uid, 8), 108, 'ascii');
  h.write(octal(node.gid, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtimeSec < 0n ? 0n : mtimeSec, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  link.copy(h, 157, 0, Math.min(100, link.length));
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  if (node.major !== undefined && node.minor !== undefined) {
    h.write(octal(node.major, 8), 329, 'ascii');
    h.write(octal(node.minor, 8), 337, 'ascii');
  }
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function plainAscii(b: Buffer): boolean {
  return b.length < 100 && b.every((c) => c >= 0x20 && c < 0x7f);
}

/** The header blocks (pax + ustar) of one entry; file content and padding follow separately. */
export function tarHeaders(node: TreeNode, size: number): Buffer[] {
  const isDir = node.type === 'dir';
  const name = Buffer.concat([Buffer.from(node.path, 'latin1'), Buffer.from(isDir ? '/' : '')]);
  const link = node.type === 'symlink' ? Buffer.from(node.target, 'latin1') : node.type === 'hardlink' ? Buffer.from(node.linkTo, 'latin1') : Buffer.alloc(0);
  const type = TAR_TYPE[node.type];
  const sec = node.mtimeNs / 1_000_000_000n;
  const ns = node.mtimeNs % 1_000_000_000n;
  const records: Buffer[] = [];
  if (!plainAscii(name)) records.push(paxRecord('path', name));
  if (link.length > 0 && !plainAscii(link)) records.push(paxRecord('linkpath', link));
  if (ns > 0n) records.push(paxRecord('mtime', Buffer.from(`${sec}.${ns.toString().padStart(9, '0')}`)));
  if (size >= 8 ** 11) records.push(paxRecord('size', Buffer.from(String(size))));
  for (const x of node.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${Buffer.from(x.name, 'latin1').toString('utf8')}`, x.value));
  const out: Buffer[] = [];
  if (records.length > 0) {
    const body = Buffer.concat(records);
    out.push(header(Buffer.from('PaxHeader'), { mode: 0o644, uid: 0, gid: 0 }, body.length, sec, 'x', Buffer.alloc(0)));
    out.push(body, padding(body.length));
  }
  const dev = node.type === 'chardev' || node.type === 'blockdev' ? { major: node.major, minor: node.minor } : {};
  out.push(header(name, { mode: node.mode, uid: node.uid, gid: node.gid, ...dev }, size >= 8 ** 11 ? 0 : size, sec, type, link));
  return out;
}

export function padding(size: number): Buffer {
  const r = size % BLOCK;
  return Buffer.alloc(r === 0 ? 0 : BLOCK - r);
}

export const TAR_END: Buffer = Buffer.alloc(2 * BLOCK);
