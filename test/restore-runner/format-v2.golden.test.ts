/**
 * Golden tests pinning what format version 2 adds to FORMAT.md (the snapshot log), with the
 * fixed key of the version 1 golden test, and manifest version 2 (root node, special files, xattrs). Refresh (after a deliberate, versioned format change
 * only) with KINTSUGI_UPDATE_GOLDEN=1 npx vitest run test/restore-runner/format-v2.golden.test.ts
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../restore-runner/format/v1/ids.js';
import { decodeLog, encodeLogLine, LOG_GENESIS, type LogEntry, logSignedBytes } from '../../restore-runner/format/v2/snapshot-log.js';
import { keyIdOf, signBytes, verifyBytes } from '../../restore-runner/repository/keys.js';
import { canonicalJson } from '../../restore-runner/format/v1/canonical.js';
import { decodeManifest, encodeManifest, type TreeNode } from '../../restore-runner/format/v1/manifest.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const GOLDEN = join(FIXTURES, 'format-v2.json');
const UPDATE = process.env['KINTSUGI_UPDATE_GOLDEN'] === '1';
const key = createPrivateKey(readFileSync(join(FIXTURES, 'golden-signing.pem'), 'utf8'));
const pub = createPublicKey(key);
const snapA = sha256Hex(Buffer.from('snapshot a'));

function logBytes(): Buffer {
  const e1: LogEntry = { seq: 1, prev: LOG_GENESIS, repository: '00112233445566778899aabbccddeeff', op: 'add', snapshot: snapA, time: '2026-01-02T03:04:05.000Z' };
  const l1 = encodeLogLine({ entry: e1, signature: { algorithm: 'ed25519', keyId: keyIdOf(pub), value: signBytes(key, logSignedBytes(e1)) } });
  const e2: LogEntry = { ...e1, seq: 2, prev: sha256Hex(l1), op: 'forget', time: '2026-01-03T03:04:05.000Z' };
  const l2 = encodeLogLine({ entry: e2, signature: { algorithm: 'ed25519', keyId: keyIdOf(pub), value: signBytes(key, logSignedBytes(e2)) } });
  return Buffer.concat([l1, l2]);
}

const nodes: TreeNode[] = [
  { path: '', type: 'dir', mode: 0o750, uid: 0, gid: 0, mtimeNs: 1700000000000000000n, xattrs: [{ name: 'user.root', value: Buffer.from('r') }] },
  { path: 'dev', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 1700000000000000000n },
  { path: 'dev/null', type: 'chardev', mode: 0o666, uid: 0, gid: 0, mtimeNs: 1700000000000000000n, major: 1, minor: 3 },
  { path: 'dev/sda', type: 'blockdev', mode: 0o660, uid: 0, gid: 6, mtimeNs: 1700000000000000000n, major: 8, minor: 0 },
  { path: 'run', type: 'fifo', mode: 0o600, uid: 0, gid: 0, mtimeNs: 1n, xattrs: [{ name: 'security.selinux', value: Buffer.from('system_u:object_r:tmp_t:s0\0') }, { name: 'user.\xff', value: Buffer.alloc(0) }] },
  {
    path: 'secret', type: 'file', mode: 0o640, uid: 0, gid: 0, mtimeNs: 1n, size: 0, sha256: sha256Hex(Buffer.alloc(0)), chunks: [],
    xattrs: [{ name: 'system.posix_acl_access', value: Buffer.from('AgAAAAEABgD/////AgAEANIEAAAEAAQA/////xAABAD/////IAAAAP////8=', 'base64') }],
  },
];

describe('format v2 golden encodings', () => {
  const actual = { snapshotLog: logBytes().toString('utf8'), manifest: encodeManifest(nodes).toString('utf8') };
  if (UPDATE || !existsSync(GOLDEN)) writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);
  const golden: unknown = JSON.parse(readFileSync(GOLDEN, 'utf8'));

  it('encodes the snapshot log to the pinned bytes', () => {
    expect(actual).toEqual(golden);
  });

  it('a version 2 manifest round-trips, is canonical JSON, and version 1 refuses its new fields', () => {
    const bytes = Buffer.from(actual.manifest, 'utf8');
    const r = decodeManifest(bytes);
    if (!r.ok) throw new Error(r.reason);
    expect(r.nodes).toEqual(nodes);
    for (const line of actual.manifest.split('\n').slice(1, -1)) expect(canonicalJson(JSON.parse(line))).toBe(line);
    expect(actual.manifest.split('\n')[5]).toContain('"nameB64":"dXNlci7/"');
    const asV1 = Buffer.from(actual.manifest.replace('"version":2', '"version":1'), 'utf8');
    expect(decodeManifest(asV1)).toMatchObject({ ok: false });
    const rootless = Buffer.from(encodeManifest(nodes.slice(1).map(({ xattrs: _, ...n }) => n).filter((n) => n.type === 'dir'), 1));
    expect(decodeManifest(rootless)).toMatchObject({ ok: true });
    const rootLater = encodeManifest([nodes[1]!, nodes[0]!]);
    expect(decodeManifest(rootLater)).toMatchObject({ ok: false });
  });

  it('the pinned log decodes, chains and verifies as FORMAT.md says', () => {
    const bytes = Buffer.from(actual.snapshotLog, 'utf8');
    const r = decodeLog(bytes);
    if (!r.ok) throw new Error(r.reason);
    expect(r.lines.map((l) => l.signed.entry.op)).toEqual(['add', 'forget']);
    const first = bytes.subarray(0, bytes.indexOf(0x0a) + 1);
    expect(r.lines[1]?.signed.entry.prev).toBe(sha256Hex(first));
    expect(first.toString('utf8').startsWith('{"entry":{"op":"add","prev":"0000')).toBe(true);
    for (const l of r.lines) {
      expect(verifyBytes(pub, logSignedBytes(l.signed.entry), l.signed.signature.value)).toBe(true);
    }
    // The signed bytes are the domain line and the entry exactly as it appears in the file.
    const entryText = first.toString('utf8').slice('{"entry":'.length, first.toString('utf8').indexOf(',"signature"'));
    expect(logSignedBytes(r.lines[0]!.signed.entry).toString('utf8')).toBe(`kintsugi-snapshot-log-v1\n${entryText}`);
  });
});
