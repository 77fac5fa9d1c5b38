/**
 * Tree manifest (FORMAT.md, "Tree manifest"): NDJSON, header line then one canonical JSON node
 * per line, sorted by raw path bytes. In memory, paths are *raw byte strings*: one UTF-16 code
 * unit per byte (latin1), so names that are not UTF-8 survive; `rawToDisplay` turns them into
 * text for people.
 */
import { isUtf8 } from 'node:buffer';
import { canonicalJson } from './canonical.js';
import { isId, type Id } from './ids.js';
import { arr, field, int, isObject, type JsonObject, parseJson, ShapeError, str } from './guards.js';

export const MANIFEST_FORMAT = 'kintsugi-manifest';
/** What writers write; version 1 manifests (no xattrs, special files or root node) are still read. */
export const MANIFEST_VERSION = 2;
/** The restore journal of a tree target; never part of a snapshot. */
export const TREE_JOURNAL_NAME = '.kintsugi-restore.json';

/** A path as raw bytes, one char per byte (latin1). */
export type RawPath = string;

/** One extended attribute (user.*, security.*, trusted.*, system.posix_acl_* for ACLs). */
export interface Xattr {
  readonly name: RawPath;
  readonly value: Buffer;
}

interface NodeBase {
  readonly path: RawPath;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeNs: bigint;
  /** Sorted by name; absent when the node has none (manifest version 2). */
  readonly xattrs?: readonly Xattr[];
}
export interface FileNode extends NodeBase {
  readonly type: 'file';
  readonly size: number;
  readonly sha256: Id;
  readonly chunks: readonly Id[];
}
export interface DirNode extends NodeBase {
  readonly type: 'dir';
}
export interface SymlinkNode extends NodeBase {
  readonly type: 'symlink';
  readonly target: RawPath;
}
export interface HardlinkNode extends NodeBase {
  readonly type: 'hardlink';
  readonly linkTo: RawPath;
}
export interface FifoNode extends NodeBase {
  readonly type: 'fifo';
}
export interface DeviceNode extends NodeBase {
  readonly type: 'chardev' | 'blockdev';
  readonly major: number;
  readonly minor: number;
}
/** The root node has path "" and type dir: the source directory's own metadata (version 2). */
export type TreeNode = FileNode | DirNode | SymlinkNode | HardlinkNode | FifoNode | DeviceNode;
export const ROOT_PATH: RawPath = '';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const ASCII = /^[\x00-\x7f]*$/;

export function rawToUtf8(raw: RawPath): string | undefined {
  if (ASCII.test(raw)) return raw;
  try {
    return utf8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    return undefined;
  }
}

export function utf8ToRaw(text: string): RawPath {
  if (ASCII.test(text)) return text;
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** For messages and listings: UTF-8 where valid, with invalid bytes shown as \xNN. */
export function rawToDisplay(raw: RawPath): string {
  const t = rawToUtf8(raw);
  if (t !== undefined) return t;
  let out = '';
  for (const ch of raw) {
    const c = ch.charCodeAt(0);
    out += c < 0x80 ? ch : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** `"key":"text"` for a raw path: UTF-8 text where valid, else `keyB64` with base64. */
function rawField(key: string, raw: RawPath): string {
  const t = rawToUtf8(raw);
  if (t !== undefined) return `"${key}":${JSON.stringify(t)}`;
  return `"${key}B64":"${Buffer.from(raw, 'latin1').toString('base64')}"`;
}

function getRaw(o: JsonObject, key: string): RawPath {
  const plain = field(o, key);
  const b64 = field(o, `${key}B64`);
  if (typeof plain === 'string' && b64 === undefined) return utf8ToRaw(plain);
  if (typeof b64 === 'string' && plain === undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new ShapeError(`"${key}B64" is not base64`);
    return Buffer.from(b64, 'base64').toString('latin1');
  }
  throw new ShapeError(`exactly one of "${key}" and "${key}B64" must be a string`);
}

/**
 * One node as canonical JSON. Written by hand (keys in sorted order: chunks, gid, linkTo, major,
 * minor, mode, mtimeNs, path, sha256, size, target, type, uid, xattrs) because manifests of
 * large trees are encoded on every snapshot; the golden test holds it equal to `canonicalJson`.
 */
export function encodeNode(n: TreeNode): string {
  const parts: string[] = [];
  if (n.type === 'file') parts.push(`"chunks":[${n.chunks.map((c) => `"${c}"`).join(',')}]`);
  parts.push(`"gid":${n.gid}`);
  if (n.type === 'hardlink') parts.push(rawField('linkTo', n.linkTo));
  if (n.type === 'chardev' || n.type === 'blockdev') parts.push(`"major":${n.major}`, `"minor":${n.minor}`);
  parts.push(`"mode":${n.mode}`, `"mtimeNs":"${n.mtimeNs}"`, rawField('path', n.path));
  if (n.type === 'file') parts.push(`"sha256":"${n.sha256}"`, `"size":${n.size}`);
  if (n.type === 'symlink') parts.push(rawField('target', n.target));
  parts.push(`"type":"${n.type}"`, `"uid":${n.uid}`);
  if (n.xattrs !== undefined && n.xattrs.length > 0) {
    parts.push(`"xattrs":[${n.xattrs.map((x) => `{${rawField('name', x.name)},"value":"${x.value.toString('base64')}"}`).join(',')}]`);
  }
  return `{${parts.join(',')}}`;
}

function sameXattrs(a: readonly Xattr[] | undefined, b: readonly Xattr[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    return y !== undefined && x.name === y.name && x.value.equals(y.value);
  });
}

/**
 * Whether `encodeNode` writes the two nodes alike: every field it writes equal. Beside it, so that
 * a field added to one is added to the other.
 */
export function sameNode(a: TreeNode, b: TreeNode): boolean {
  if (a.type !== b.type || a.path !== b.path || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.mtimeNs !== b.mtimeNs) return false;
  if (!sameXattrs(a.xattrs, b.xattrs)) return false;
  switch (a.type) {
    case 'file':
      return b.type === 'file' && a.size === b.size && a.sha256 === b.sha256 && (a.chunks === b.chunks || (a.chunks.length === b.chunks.length && a.chunks.every((c, i) => c === b.chunks[i])));
    case 'symlink':
      return b.type === 'symlink' && a.target === b.target;
    case 'hardlink':
      return b.type === 'hardlink' && a.linkTo === b.linkTo;
    case 'chardev':
    case 'blockdev':
      return (b.type === 'chardev' || b.type === 'blockdev') && a.major === b.major && a.minor === b.minor;
    case 'dir':
    case 'fifo':
      return true;
  }
}

export function encodeManifest(nodes: readonly TreeNode[], version: 1 | 2 = MANIFEST_VERSION): Buffer {
  return manifestOfLines(nodes.map(encodeNode), undefined, version);
}

/**
 * A manifest from its node lines, in order: each the `encodeNode` of a node, or the index of a
 * line of `parent` to copy as it is. The lines are written into one buffer of the right size:
 * joining them first made two more copies of the whole manifest as strings.
 */
export function manifestOfLines(nodeLines: readonly (string | number)[], parent?: ManifestLines, version: 1 | 2 = MANIFEST_VERSION): Buffer {
  const header = `${canonicalJson({ format: MANIFEST_FORMAT, version })}\n`;
  const bounds = parent?.bounds ?? new Float64Array(0);
  const from = (i: number): number => bounds[2 * i] ?? 0;
  const to = (i: number): number => bounds[2 * i + 1] ?? 0;
  let size = Buffer.byteLength(header, 'utf8');
  for (const line of nodeLines) size += (typeof line === 'string' ? Buffer.byteLength(line, 'utf8') : to(line) - from(line)) + 1;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(header, 0, 'utf8');
  for (const line of nodeLines) {
    if (typeof line === 'string') at += out.write(line, at, 'utf8');
    else if (parent !== undefined) at += parent.bytes.copy(out, at, from(line), to(line));
    else throw new Error('manifestOfLines: a line index without the manifest it indexes');
    out[at++] = 0x0a;
  }
  return out;
}

function decodeXattrs(v: JsonObject): readonly Xattr[] | undefined {
  const list = field(v, 'xattrs');
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length === 0) throw new ShapeError('"xattrs" must be a non-empty array');
  const out: Xattr[] = [];
  for (const x of list) {
    if (!isObject(x)) throw new ShapeError('an xattr is not an object');
    const value = str(x, 'value');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new ShapeError('xattr "value" is not base64');
    const name = getRaw(x, 'name');
    const prev = out[out.length - 1];
    if (name === '' || name.includes('\0')) throw new ShapeError('bad xattr name');
    if (prev !== undefined && !(prev.name < name)) throw new ShapeError('xattr names not unique and sorted');
    out.push({ name, value: Buffer.from(value, 'base64') });
  }
  return out;
}

const V2_TYPES = new Set(['fifo', 'chardev', 'blockdev']);

function decodeNode(v: unknown, version: 1 | 2): TreeNode {
  if (!isObject(v)) throw new ShapeError('node is not an object');
  if (version === 1 && (field(v, 'xattrs') !== undefined || V2_TYPES.has(String(field(v, 'type'))))) {
    throw new ShapeError('xattrs and special files need manifest version 2');
  }
  const xattrs = decodeXattrs(v);
  const mtime = str(v, 'mtimeNs');
  if (!/^-?\d{1,20}$/.test(mtime)) throw new ShapeError('"mtimeNs" must be a decimal string');
  const mode = int(v, 'mode');
  if (mode > 0o7777) throw new ShapeError('"mode" holds permission bits only');
  const path = getRaw(v, 'path');
  const uid = int(v, 'uid');
  const gid = int(v, 'gid');
  const mtimeNs = BigInt(mtime);
  const base = xattrs === undefined ? { path, mode, uid, gid, mtimeNs } : { path, mode, uid, gid, mtimeNs, xattrs };
  const type = str(v, 'type');
  switch (type) {
    case 'file': {
      const sha = str(v, 'sha256');
      if (!isId(sha)) throw new ShapeError('"sha256" must be an ID');
      const size = int(v, 'size');
      const chunks = arr(v, 'chunks', isId, 'IDs');
      // Written out, not spread from base: most nodes are files, and spreading was most of decoding one.
      return xattrs === undefined
        ? { path, mode, uid, gid, mtimeNs, type, size, sha256: sha, chunks }
        : { path, mode, uid, gid, mtimeNs, xattrs, type, size, sha256: sha, chunks };
    }
    case 'dir':
      return { ...base, type };
    case 'symlink':
      return { ...base, type, target: getRaw(v, 'target') };
    case 'hardlink':
      return { ...base, type, linkTo: getRaw(v, 'linkTo') };
    case 'fifo':
      return { ...base, type };
    case 'chardev':
    case 'blockdev':
      return { ...base, type, major: int(v, 'major'), minor: int(v, 'minor') };
    default:
      throw new ShapeError(`unknown node type "${type}"`);
  }
}

export type ManifestDecodeResult =
  | { readonly ok: true; readonly nodes: readonly TreeNode[]; readonly version: 1 | 2 }
  | { readonly ok: false; readonly reason: string };

/** Decode and check every invariant of FORMAT.md ("Invariants") for manifests. */
export function decodeManifest(bytes: Uint8Array): ManifestDecodeResult {
  const r = decodeManifestLines(bytes);
  return r.ok ? { ok: true, nodes: r.nodes, version: r.version } : r;
}

/**
 * The node lines of a decoded manifest, as bytes: line `i` (node `i`) is
 * `bytes[bounds[2i], bounds[2i+1])`. Kept as bytes, not text: one character outside Latin-1
 * makes the whole decoded text two bytes per character.
 */
export interface ManifestLines {
  readonly bytes: Buffer;
  readonly bounds: Float64Array;
}

/**
 * `decodeManifest`, with each node's line as written: a writer that reads a node back unchanged
 * writes its line again (`manifestOfLines`) instead of encoding it.
 */
export function decodeManifestLines(
  input: Uint8Array,
): (ManifestDecodeResult & { readonly ok: false }) | { readonly ok: true; readonly nodes: readonly TreeNode[]; readonly version: 1 | 2; readonly lines: ManifestLines } {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (!isUtf8(bytes)) return { ok: false, reason: 'not UTF-8' };
  // No UTF-8 sequence holds the byte 0x0a: lines split as bytes split as text.
  const bounds: number[] = [];
  let start = 0;
  for (let lf = bytes.indexOf(0x0a); lf !== -1; lf = bytes.indexOf(0x0a, start)) {
    bounds.push(start, lf);
    start = lf + 1;
  }
  if (start !== bytes.length) return { ok: false, reason: 'does not end with a newline' };
  const line = (i: number): string => bytes.toString('utf8', bounds[2 * i], bounds[2 * i + 1]);
  try {
    const head = parseJson(bounds.length === 0 ? '' : line(0));
    const version = isObject(head) ? field(head, 'version') : undefined;
    if (!isObject(head) || field(head, 'format') !== MANIFEST_FORMAT || (version !== 1 && version !== 2)) {
      return { ok: false, reason: 'bad header line' };
    }
    // Line by line: each line's text and parsed JSON die young, where one JSON.parse of all the
    // lines kept every parsed object alive at once (and promoted it) while the nodes were decoded.
    const nodes: TreeNode[] = [];
    for (let i = 1; i < bounds.length / 2; i++) nodes.push(decodeNode(parseJson(line(i)), version));
    if (version === 1 && nodes[0]?.path === ROOT_PATH) return { ok: false, reason: 'a root node needs manifest version 2' };
    const problem = checkNodes(nodes);
    if (problem !== undefined) return { ok: false, reason: problem };
    return { ok: true, nodes, version, lines: { bytes, bounds: Float64Array.from(bounds.slice(2)) } };
  } catch (err: unknown) {
    if (err instanceof ShapeError) return { ok: false, reason: err.message };
    throw err;
  }
}

/** Why a raw relative path is unsafe, or undefined when it is safe. */
export function unsafePathReason(p: RawPath): string | undefined {
  if (p.length === 0) return 'empty path';
  if (p.startsWith('/')) return 'absolute path';
  if (p.includes('\0')) return 'NUL byte in path';
  for (const c of p.split('/')) {
    if (c === '') return 'empty path component';
    if (c === '.' || c === '..') return `"${c}" component`;
  }
  return undefined;
}

function parentOf(p: RawPath): RawPath | undefined {
  const i = p.lastIndexOf('/');
  return i < 0 ? undefined : p.slice(0, i);
}

/** Manifest invariants: safe, unique, sorted paths; parents are earlier dirs; links name earlier files. */
export function checkNodes(nodes: readonly TreeNode[]): string | undefined {
  const kinds = new Map<RawPath, TreeNode['type']>();
  let prev: RawPath | undefined;
  for (const [i, n] of nodes.entries()) {
    if (i === 0 && n.path === ROOT_PATH) {
      if (n.type !== 'dir') return 'the root node must be a directory';
      prev = n.path;
      continue;
    }
    const shown = rawToDisplay(n.path);
    const bad = unsafePathReason(n.path);
    if (bad !== undefined) return `${shown}: ${bad}`;
    if (n.path === TREE_JOURNAL_NAME) return `${shown}: reserved name`;
    if (prev !== undefined && !(prev < n.path)) return `${shown}: paths not unique and sorted`;
    prev = n.path;
    const parent = parentOf(n.path);
    if (parent !== undefined && kinds.get(parent) !== 'dir') return `${shown}: parent is not an earlier directory`;
    if (n.type === 'hardlink') {
      if (kinds.get(n.linkTo) !== 'file') return `${shown}: hard link to ${rawToDisplay(n.linkTo)}, not an earlier file`;
    }
    if (n.type === 'file' && n.size === 0 && n.chunks.length !== 0) return `${shown}: empty file with chunks`;
    kinds.set(n.path, n.type);
  }
  return undefined;
}
