/** The repository `config` document (FORMAT.md, "config"). */
import { canonicalJson } from './canonical.js';
import { int, isObject, obj, parseJson, ShapeError, str } from './guards.js';

export const REPO_FORMAT = 'kintsugi-repository';
/** What new repositories are made with; version 1 repositories (no snapshot log) are still read. */
export const REPO_VERSION = 2;
export type RepoVersion = 1 | 2;

export interface ChunkerParams {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  readonly gearSeed: string;
}

export interface RepoConfig {
  readonly format: typeof REPO_FORMAT;
  readonly version: RepoVersion;
  readonly id: string;
  readonly createdAt: string;
  readonly hash: 'sha256';
  readonly compression: 'zstd';
  readonly keyId: string;
  readonly chunker: ChunkerParams;
  readonly blockSize: number;
  readonly packSize: number;
}

export function encodeConfig(c: RepoConfig): string {
  return `${canonicalJson({ ...c, chunker: { ...c.chunker } })}\n`;
}

export type ConfigDecodeResult =
  | { readonly ok: true; readonly config: RepoConfig }
  | { readonly ok: false; readonly kind: 'version'; readonly reason: string }
  | { readonly ok: false; readonly kind: 'malformed'; readonly reason: string };

export function decodeConfig(text: string): ConfigDecodeResult {
  try {
    const v = parseJson(text);
    if (!isObject(v)) throw new ShapeError('not an object');
    const format = str(v, 'format');
    const version = int(v, 'version');
    if (format !== REPO_FORMAT || (version !== 1 && version !== 2)) {
      return { ok: false, kind: 'version', reason: `${format} v${version}` };
    }
    const ch = obj(v, 'chunker');
    const hash = str(v, 'hash');
    const compression = str(v, 'compression');
    if (hash !== 'sha256') throw new ShapeError(`unknown hash ${hash}`);
    if (compression !== 'zstd') throw new ShapeError(`unknown compression ${compression}`);
    const chunker: ChunkerParams = {
      minSize: int(ch, 'minSize', 64),
      avgSize: int(ch, 'avgSize', 256),
      maxSize: int(ch, 'maxSize', 1024),
      gearSeed: str(ch, 'gearSeed'),
    };
    if (!(chunker.minSize < chunker.avgSize && chunker.avgSize < chunker.maxSize)) throw new ShapeError('chunker sizes out of order');
    const blockSize = int(v, 'blockSize', 512);
    if (blockSize % 512 !== 0) throw new ShapeError('blockSize must be a multiple of 512');
    return {
      ok: true,
      config: {
        format: REPO_FORMAT,
        version: version === 1 ? 1 : 2,
        id: str(v, 'id'),
        createdAt: str(v, 'createdAt'),
        hash,
        compression,
        keyId: str(v, 'keyId'),
        chunker,
        blockSize,
        packSize: int(v, 'packSize', 1024),
      },
    };
  } catch (err: unknown) {
    if (err instanceof ShapeError) return { ok: false, kind: 'malformed', reason: err.message };
    throw err;
  }
}
