/**
 * Golden tests pinning FORMAT.md: fixed objects encode to the bytes in fixtures/format-v1.json,
 * and those bytes decode back to the objects. Refresh (after a deliberate, versioned format
 * change only) with KINTSUGI_UPDATE_GOLDEN=1 npx vitest run test/restore-runner/format.golden.test.ts
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Chunker } from '../../restore-runner/chunking/cdc.js';
import { decodeConfig, encodeConfig, type RepoConfig } from '../../restore-runner/format/v1/config.js';
import { sha256, sha256Hex } from '../../restore-runner/format/v1/ids.js';
import { decodeIndex, encodeIndexBody, type IndexedPack } from '../../restore-runner/format/v1/index-file.js';
import { decodeManifest, encodeManifest, type TreeNode } from '../../restore-runner/format/v1/manifest.js';
import { BLOB_DATA, BLOB_META, decodePackTrailer, encodePackTrailer, type PackEntry } from '../../restore-runner/format/v1/pack.js';
import { decodeSnapshot, encodeSnapshot, signedBytes, type SnapshotPayload } from '../../restore-runner/format/v1/snapshot.js';
import { keyIdOf, signBytes, verifyBytes } from '../../restore-runner/repository/keys.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const GOLDEN = join(FIXTURES, 'format-v1.json');
const UPDATE = process.env['KINTSUGI_UPDATE_GOLDEN'] === '1';
const key = createPrivateKey(readFileSync(join(FIXTURES, 'golden-signing.pem'), 'utf8'));
const pub = createPublicKey(key);
const idA = sha256Hex(Buffer.from('a'));
const idB = sha256Hex(Buffer.from('b'));

const config: RepoConfig = {
  format: 'kintsugi-repository', version: 1, id: '00112233445566778899aabbccddeeff', createdAt: '2026-01-02T03:04:05.000Z',
  hash: 'sha256', compression: 'zstd', keyId: keyIdOf(pub),
  chunker: { minSize: 1024, avgSize: 4096, maxSize: 16384, gearSeed: 'ffeeddccbbaa99887766554433221100' }, blockSize: 4096, packSize: 16777216,
};
const entries: PackEntry[] = [
  { type: BLOB_DATA, compression: 1, storedLength: 10, rawLength: 20, id: idA },
  { type: BLOB_META, compression: 0, storedLength: 5, rawLength: 5, id: idB },
];
const packs: IndexedPack[] = [{ packId: idB, packSize: 15 + 8 + 2 * 44 + 4, blobs: [{ ...entries[0]!, offset: 0 }, { ...entries[1]!, offset: 10 }] }];
const nodes: TreeNode[] = [
  { path: 'etc', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 1700000000123456789n },
  { path: 'etc/hosts', type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1700000000000000000n, size: 1, sha256: idA, chunks: [idA] },
  { path: 'etc/hosts.bak', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1700000000000000000n, linkTo: 'etc/hosts' },
  { path: 'etc/localtime', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeNs: 1700000000000000000n, target: '/usr/share/zoneinfo/UTC' },
  { path: 'etc/n\xe9\xff', type: 'file', mode: 0o600, uid: 1000, gid: 1000, mtimeNs: 1n, size: 0, sha256: sha256Hex(Buffer.alloc(0)), chunks: [] },
];
const payload: SnapshotPayload = {
  version: 1, repository: config.id, kind: 'tree', time: '2026-01-02T03:04:05.000Z', host: 'web-01', instance: 'web-01/root',
  os: { line: '4.2', version: '4.2.7' }, parent: null, tags: ['nightly'], source: '/srv/root', tree: [idB], image: null,
  summary: { files: 2, dirs: 1, bytes: 1, filesUnchanged: 0, skipped: 0, blocks: 0, holes: 0, blobsAdded: 2, bytesAdded: 15 },
};

function chunkInput(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 2048; i++) parts.push(sha256(Buffer.from(`block ${i}`)));
  return Buffer.concat(parts); // 64 KiB of fixed pseudo-random bytes
}

function compute(): Record<string, unknown> {
  const snapshotFile = encodeSnapshot({ payload, signature: { algorithm: 'ed25519', keyId: keyIdOf(pub), value: signBytes(key, signedBytes(payload)) } });
  return {
    config: encodeConfig(config),
    packTrailerHex: encodePackTrailer(entries).toString('hex'),
    indexBodyHex: encodeIndexBody(packs).toString('hex'),
    manifest: encodeManifest(nodes, 1).toString('utf8'),
    snapshotFile: snapshotFile.toString('utf8'),
    snapshotId: sha256Hex(snapshotFile),
    chunkLengths: new Chunker(config.chunker).split(chunkInput()).map((c) => c.length),
  };
}

describe('format v1 golden encodings', () => {
  const actual = compute();
  if (UPDATE || !existsSync(GOLDEN)) writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);
  const golden: unknown = JSON.parse(readFileSync(GOLDEN, 'utf8'));

  it('encodes every object to the pinned bytes', () => {
    expect(actual).toEqual(golden);
  });

  it('pins the byte layouts FORMAT.md describes', () => {
    const trailer = Buffer.from(String(actual['packTrailerHex']), 'hex');
    expect(trailer.subarray(0, 4).toString('ascii')).toBe('KPK1');
    expect(trailer.readUInt32LE(4)).toBe(2);
    expect(trailer.readUInt32LE(trailer.length - 4)).toBe(8 + 2 * 44);
    expect(trailer.readUInt32LE(8 + 4)).toBe(10); // StoredLength of entry 1, little-endian
    expect(trailer.subarray(8 + 12, 8 + 44).toString('hex')).toBe(idA);
  });

  it('decodes the pinned bytes back to the objects', () => {
    const g = new Map(Object.entries(typeof golden === 'object' && golden !== null ? golden : {}).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
    const c = decodeConfig(g.get('config') ?? '');
    expect(c).toEqual({ ok: true, config });
    const trailer = Buffer.from(g.get('packTrailerHex') ?? '', 'hex');
    expect(decodePackTrailer(trailer, 15 + trailer.length)).toEqual({ ok: true, headerLength: trailer.length - 4, entries: packs[0]?.blobs });
    const idx = Buffer.concat([Buffer.from('KIX1\0', 'latin1'), Buffer.from(g.get('indexBodyHex') ?? '', 'hex')]);
    expect(decodeIndex(idx)).toEqual({ ok: true, packs });
    expect(decodeManifest(Buffer.from(g.get('manifest') ?? '', 'utf8'))).toEqual({ ok: true, nodes });
    const snap = Buffer.from(g.get('snapshotFile') ?? '', 'utf8');
    expect(sha256Hex(snap)).toBe(g.get('snapshotId'));
    const d = decodeSnapshot(snap);
    expect(d.ok && d.doc.payload).toEqual(payload);
    expect(d.ok && verifyBytes(pub, signedBytes(d.doc.payload), d.doc.signature.value)).toBe(true);
  });

  it('stores a non-UTF-8 name as pathB64', () => {
    expect(String(actual['manifest'])).toContain('"pathB64":"ZXRjL27p/w=="');
  });
});

describe('manifest node encoding', () => {
  it('the hand-written encoder equals canonical JSON for every node type', async () => {
    const { canonicalJson } = await import('../../restore-runner/format/v1/canonical.js');
    const { encodeNode } = await import('../../restore-runner/format/v1/manifest.js');
    for (const n of nodes) {
      const o: Record<string, string | number | string[]> = { type: n.type, mode: n.mode, uid: n.uid, gid: n.gid, mtimeNs: n.mtimeNs.toString() };
      const put = (k: string, raw: string): void => {
        const b = Buffer.from(raw, 'latin1');
        const t = new TextDecoder('utf-8', { fatal: false }).decode(b);
        if (Buffer.from(t, 'utf8').equals(b)) o[k] = t;
        else o[`${k}B64`] = b.toString('base64');
      };
      put('path', n.path);
      if (n.type === 'file') Object.assign(o, { size: n.size, sha256: n.sha256, chunks: [...n.chunks] });
      if (n.type === 'symlink') put('target', n.target);
      if (n.type === 'hardlink') put('linkTo', n.linkTo);
      expect(encodeNode(n)).toBe(canonicalJson(o));
    }
  });
});
