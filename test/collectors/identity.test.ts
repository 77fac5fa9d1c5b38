/** File identity: the fingerprint of the first line, whatever its length. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINGERPRINT_LIMIT, fingerprintFile, fingerprintOf } from '../../collectors/identity.js';

async function ofFile(bytes: Buffer): Promise<string | null> {
  const file = join(mkdtempSync(join(tmpdir(), 'kintsugi-id-')), 'f');
  writeFileSync(file, bytes);
  const handle = await open(file, 'r');
  try {
    return await fingerprintFile(handle);
  } finally {
    await handle.close();
  }
}

describe('file identity', () => {
  it.each([10, 5000, 100_000])('is the first line (%i bytes) and ignores what follows', async (length) => {
    const first = Buffer.from(`${'x'.repeat(length)}\n`);
    const a = await ofFile(Buffer.concat([first, Buffer.from('second line\n')]));
    const b = await ofFile(Buffer.concat([first, Buffer.from('another second line\nand more\n')]));
    expect(a).not.toBeNull();
    expect(a).toBe(b);
    expect(a).toBe(fingerprintOf(Buffer.concat([first, Buffer.from('anything')])));
  });

  it('differs between files with different first lines', async () => {
    expect(await ofFile(Buffer.from('[1] A\nsame\n'))).not.toBe(await ofFile(Buffer.from('[2] A\nsame\n')));
  });

  it('waits for the first LF, unless the line is already longer than the limit', async () => {
    expect(await ofFile(Buffer.from('no line end yet'))).toBeNull();
    expect(await ofFile(Buffer.alloc(FINGERPRINT_LIMIT + 10, 0x41))).not.toBeNull();
  });
});
