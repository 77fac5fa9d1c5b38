/**
 * The module rule (event-schema.md, "Module") is read by hand in parsers/ecs.ts; here it is held to
 * the regular expression the reference writes, on paths made of the pieces that matter to it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { moduleOf, moduleOfPath } from '../../parsers/ecs.js';

const RULE = /^\/lib\/modules\/([^/]+)\/(?:.*\/)?([^/]+)\.ko(?:\.(?:xz|gz|zst))?$/;

const piece = fc.constantFrom('/lib/modules/', '/lib/modules', '/', 'lib', 'modules', '4.2.1', 'kernel', 'm', 'ixgbe', '.', '.ko', '.xz', '.gz', '.zst', 'ko', '\n', '\r', '\u2028', ' ', 'é');
const paths = fc.oneof(
  fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
  fc.tuple(fc.array(piece, { maxLength: 8 }), fc.constantFrom('.ko', '.ko.xz', '.ko.gz', '.ko.zst', '.ko.bz2', '')).map(([p, end]) => `/lib/modules/${p.join('')}${end}`),
);

describe('module rule', () => {
  it('gives the kernel and module the reference expression gives, on any path', () => {
    fc.assert(
      fc.property(paths, (path) => {
        const m = RULE.exec(path);
        expect(moduleOfPath(path)).toEqual(m === null ? {} : { kernel: m[1], module: m[2] });
      }),
      { numRuns: 20_000 },
    );
  });

  it('lets a declared module win over the path, keeping the kernel the path names', () => {
    expect(moduleOf('/lib/modules/4.2.1/kernel/fs/xfs/xfs.ko.zst', 'ext4')).toEqual({ kernel: '4.2.1', module: 'ext4' });
    expect(moduleOf('/etc/fstab', 'ext4')).toEqual({ module: 'ext4' });
    expect(moduleOf(undefined, 'ext4')).toEqual({ module: 'ext4' });
    expect(moduleOf('/lib/modules/6.1/kernel/a/b.ko.xz', undefined)).toEqual({ kernel: '6.1', module: 'b' });
    expect(moduleOf(undefined, undefined)).toEqual({});
  });
});
