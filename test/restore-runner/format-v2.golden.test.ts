/**
 * Golden tests pinning what format version 2 adds to FORMAT.md (the snapshot log), with the
 * fixed key of the version 1 golden test. Refresh (after a deliberate, versioned format change
 * only) with KINTSUGI_UPDATE_GOLDEN=1 npx vitest run test/restore-runner/format-v2.golden.test.ts
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../restore-runner/format/v1/ids.js';
import { decodeLog, encodeLogLine, LOG_GENESIS, type LogEntry, logSignedBytes } from '../../restore-runner/format/v2/snapshot-log.js';
import { keyIdOf, signBytes, verifyBytes } from '../../restore-runner/repository/keys.js';

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

describe('format v2 golden encodings', () => {
  const actual = { snapshotLog: logBytes().toString('utf8') };
  if (UPDATE || !existsSync(GOLDEN)) writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);
  const golden: unknown = JSON.parse(readFileSync(GOLDEN, 'utf8'));

  it('encodes the snapshot log to the pinned bytes', () => {
    expect(actual).toEqual(golden);
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
