/** The signed snapshot document (FORMAT.md, "Snapshot document"), pure encode/decode. */
import { canonicalJson, type Json } from './canonical.js';
import { arr, field, int, isObject, isString, type JsonObject, obj, parseJson, ShapeError, str, strOrNull } from './guards.js';
import { isId, type Id } from './ids.js';

export const SNAPSHOT_VERSION = 1;
export const SIGNATURE_DOMAIN = 'kintsugi-snapshot-v1\n';

export interface SnapshotSummary {
  readonly files: number;
  readonly dirs: number;
  readonly bytes: number;
  readonly filesUnchanged: number;
  readonly skipped: number;
  readonly blocks: number;
  readonly holes: number;
  readonly blobsAdded: number;
  readonly bytesAdded: number;
}

export interface ImageInfo {
  readonly size: number;
  readonly blockSize: number;
  readonly map: readonly Id[];
}

interface PayloadCommon {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly repository: string;
  readonly time: string;
  readonly host: string;
  readonly instance: string | null;
  readonly os: { readonly line: string; readonly version: string } | null;
  readonly parent: Id | null;
  readonly tags: readonly string[];
  readonly source: string;
  readonly summary: SnapshotSummary;
}
export type SnapshotPayload =
  | (PayloadCommon & { readonly kind: 'tree'; readonly tree: readonly Id[]; readonly image: null })
  | (PayloadCommon & { readonly kind: 'image'; readonly tree: null; readonly image: ImageInfo });

export interface Signature {
  readonly algorithm: 'ed25519';
  readonly keyId: string;
  readonly value: string;
}

export interface SnapshotDocument {
  readonly payload: SnapshotPayload;
  readonly signature: Signature;
}

export function payloadToJson(p: SnapshotPayload): Json {
  return {
    version: p.version,
    repository: p.repository,
    kind: p.kind,
    time: p.time,
    host: p.host,
    instance: p.instance,
    os: p.os === null ? null : { line: p.os.line, version: p.os.version },
    parent: p.parent,
    tags: [...p.tags],
    source: p.source,
    tree: p.tree === null ? null : [...p.tree],
    image: p.image === null ? null : { size: p.image.size, blockSize: p.image.blockSize, map: [...p.image.map] },
    summary: { ...p.summary },
  };
}

/** The exact bytes an Ed25519 signature covers. */
export function signedBytes(p: SnapshotPayload): Buffer {
  return Buffer.from(SIGNATURE_DOMAIN + canonicalJson(payloadToJson(p)), 'utf8');
}

export function encodeSnapshot(doc: SnapshotDocument): Buffer {
  const json = { payload: payloadToJson(doc.payload), signature: { ...doc.signature } };
  return Buffer.from(`${canonicalJson(json)}\n`, 'utf8');
}

const SUMMARY_KEYS = ['files', 'dirs', 'bytes', 'filesUnchanged', 'skipped', 'blocks', 'holes', 'blobsAdded', 'bytesAdded'] as const;

function decodeSummary(o: JsonObject): SnapshotSummary {
  const [files, dirs, bytes, filesUnchanged, skipped, blocks, holes, blobsAdded, bytesAdded] = SUMMARY_KEYS.map((k) => int(o, k));
  return {
    files: files ?? 0, dirs: dirs ?? 0, bytes: bytes ?? 0, filesUnchanged: filesUnchanged ?? 0, skipped: skipped ?? 0,
    blocks: blocks ?? 0, holes: holes ?? 0, blobsAdded: blobsAdded ?? 0, bytesAdded: bytesAdded ?? 0,
  };
}

function decodePayload(p: JsonObject): SnapshotPayload {
  if (field(p, 'version') !== SNAPSHOT_VERSION) throw new ShapeError('unknown snapshot version');
  const osv = field(p, 'os');
  let os: PayloadCommon['os'] = null;
  if (osv !== null) {
    if (!isObject(osv)) throw new ShapeError('"os" must be an object or null');
    os = { line: str(osv, 'line'), version: str(osv, 'version') };
  }
  const parent = strOrNull(p, 'parent');
  if (parent !== null && !isId(parent)) throw new ShapeError('"parent" must be an ID or null');
  const common: PayloadCommon = {
    version: SNAPSHOT_VERSION,
    repository: str(p, 'repository'),
    time: str(p, 'time'),
    host: str(p, 'host'),
    instance: strOrNull(p, 'instance'),
    os,
    parent,
    tags: arr(p, 'tags', isString, 'strings'),
    source: str(p, 'source'),
    summary: decodeSummary(obj(p, 'summary')),
  };
  if (Number.isNaN(Date.parse(common.time))) throw new ShapeError('"time" is not a date');
  const kind = str(p, 'kind');
  if (kind === 'tree') {
    if (field(p, 'image') !== null) throw new ShapeError('a tree snapshot has "image": null');
    return { ...common, kind, tree: arr(p, 'tree', isId, 'IDs'), image: null };
  }
  if (kind === 'image') {
    if (field(p, 'tree') !== null) throw new ShapeError('an image snapshot has "tree": null');
    const im = obj(p, 'image');
    const blockSize = int(im, 'blockSize', 512);
    return { ...common, kind, tree: null, image: { size: int(im, 'size'), blockSize, map: arr(im, 'map', isId, 'IDs') } };
  }
  throw new ShapeError(`unknown kind "${kind}"`);
}

export type SnapshotDecodeResult =
  | { readonly ok: true; readonly doc: SnapshotDocument }
  | { readonly ok: false; readonly reason: string };

export function decodeSnapshot(bytes: Uint8Array): SnapshotDecodeResult {
  try {
    const v = parseJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    if (!isObject(v)) throw new ShapeError('not an object');
    const sig = obj(v, 'signature');
    const algorithm = str(sig, 'algorithm');
    if (algorithm !== 'ed25519') throw new ShapeError(`unknown signature algorithm ${algorithm}`);
    const doc: SnapshotDocument = {
      payload: decodePayload(obj(v, 'payload')),
      signature: { algorithm, keyId: str(sig, 'keyId'), value: str(sig, 'value') },
    };
    return { ok: true, doc };
  } catch (err: unknown) {
    if (err instanceof ShapeError) return { ok: false, reason: err.message };
    throw err;
  }
}
