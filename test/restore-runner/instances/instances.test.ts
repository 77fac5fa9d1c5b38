/** The instance map: validated at load (errors name file and key), paths resolved, lookups. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadInstanceMap } from '../../../restore-runner/instances/load.js';
import { findInstance, instancesOfHost, requireInstance } from '../../../restore-runner/instances/map.js';

const dir = mkdtempSync(join(tmpdir(), 'kintsugi-instances-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const example = fileURLToPath(new URL('../../../examples/instances.yaml', import.meta.url));

const one = (extra: string): string => `hosts:\n  - host: h1\n    instances:\n      - { id: a, osLine: "4.2", version: 4.2.1, repository: r, bootConfig: b${extra} }\n`;

describe('instance map', () => {
  it('loads the shipped example: golden', () => {
    const map = loadInstanceMap(example);
    expect(map.instances).toEqual([
      { host: 'web-03', id: 'os-a', osLine: '4.2', version: '4.2.3', location: { kind: 'tree', path: '/srv/hosts/web-03/os-a' }, repository: '/var/lib/kintsugi/repos/web-03', bootConfig: '/srv/hosts/web-03/boot/grub/grub.cfg' },
      { host: 'web-03', id: 'os-b', osLine: '3.2', version: '3.2.9', location: { kind: 'image', path: '/dev/sdb2' }, repository: '/var/lib/kintsugi/repos/web-03', bootConfig: '/srv/hosts/web-03/boot/grub/grub.cfg' },
      { host: 'db-07', id: 'default', osLine: '3.2', version: '3.2.7', location: { kind: 'tree', path: '/srv/hosts/db-07/root' }, repository: '/var/lib/kintsugi/repos/db-07', bootConfig: '/srv/hosts/db-07/root/boot/grub/grub.cfg' },
    ]);
    expect(Object.isFrozen(map.instances[0]?.location)).toBe(true);
  });

  it('takes relative paths from the map file folder', () => {
    const map = loadInstanceMap(file('rel.yaml', one(', root: trees/a')));
    expect(map.instances[0]?.location).toEqual({ kind: 'tree', path: join(dir, 'trees/a') });
    expect(map.instances[0]?.repository).toBe(join(dir, 'r'));
    expect(map.instances[0]?.bootConfig).toBe(join(dir, 'b'));
  });

  it('looks up by host and by host + instance', () => {
    const map = loadInstanceMap(example);
    expect(instancesOfHost(map, 'web-03').map((i) => i.id)).toEqual(['os-a', 'os-b']);
    expect(instancesOfHost(map, 'nope')).toEqual([]);
    const r = findInstance(map, 'os-b', 'web-03');
    expect(r.ok && r.instance.location.kind).toBe('image');
    expect(findInstance(map, 'os-b', 'db-07')).toMatchObject({ ok: false, reason: 'not-found' });
    expect(requireInstance(map, 'default').host).toBe('db-07');
    expect(() => requireInstance(map, 'os-c', 'web-03')).toThrow(/No instance os-c on host web-03 .*known: web-03\/os-a, web-03\/os-b, db-07\/default/);
  });

  it('asks for the host when an id is on several hosts', () => {
    const map = loadInstanceMap(file('two.yaml', 'hosts:\n  - host: h1\n    instances: [{ id: a, osLine: "4.2", version: "4.2", root: x, repository: r, bootConfig: b }]\n  - host: h2\n    instances: [{ id: a, osLine: "3.2", version: 3.2.1, root: y, repository: r, bootConfig: b }]\n'));
    expect(findInstance(map, 'a')).toMatchObject({ ok: false, reason: 'ambiguous' });
    expect(() => requireInstance(map, 'a')).toThrow(/on several hosts \(h1, h2\): pass --host/);
    expect(requireInstance(map, 'a', 'h2').osLine).toBe('3.2');
  });

  it.each([
    ['unknown key', one(', root: x, rooot: y'), /bad\.yaml is invalid: key "hosts\[0\]\.instances\[0\]\.rooot" is not a known key/],
    ['unknown top key', 'hosts: []\nhost: x\n', /key "host" is not a known key/],
    ['missing key', 'hosts:\n  - host: h1\n    instances:\n      - { id: a, osLine: "4.2", version: 4.2.1, root: x, bootConfig: b }\n', /key "hosts\[0\]\.instances\[0\]\.repository" is required/],
    ['unquoted OS line', 'hosts:\n  - host: h1\n    instances:\n      - { id: a, osLine: 4.2, version: 4.2.1, root: x, repository: r, bootConfig: b }\n', /key "hosts\[0\]\.instances\[0\]\.osLine"/],
    ['no instances', 'hosts:\n  - host: h1\n    instances: []\n', /key "hosts\[0\]\.instances" must NOT have fewer than 1 items/],
    ['neither root nor image', one(''), /key "hosts\[0\]\.instances\[0\]" must have exactly one of "root".*"image"/],
    ['both root and image', one(', root: x, image: y'), /must have exactly one of "root"/],
    ['version of another line', one(', root: x').replace('4.2.1', '3.2.1'), /key "hosts\[0\]\.instances\[0\]\.version" is "3\.2\.1", not a version of OS line 4\.2/],
    ['repeated host', 'hosts:\n  - host: h1\n    instances: [{ id: a, osLine: "4.2", version: 4.2.1, root: x, repository: r, bootConfig: b }]\n  - host: h1\n    instances: [{ id: b, osLine: "4.2", version: 4.2.1, root: y, repository: r, bootConfig: b }]\n', /key "hosts\[1\]\.host" repeats "h1"/],
    ['repeated instance id', 'hosts:\n  - host: h1\n    instances:\n      - { id: a, osLine: "4.2", version: 4.2.1, root: x, repository: r, bootConfig: b }\n      - { id: a, osLine: "4.2", version: 4.2.1, root: y, repository: r, bootConfig: b }\n', /key "hosts\[0\]\.instances\[1\]\.id" repeats "a" on host h1/],
    ['shared root', 'hosts:\n  - host: h1\n    instances:\n      - { id: a, osLine: "4.2", version: 4.2.1, root: x, repository: r, bootConfig: b }\n  - host: h2\n    instances:\n      - { id: a, osLine: "4.2", version: 4.2.1, root: ./x/, repository: r, bootConfig: b }\n', /key "hosts\[1\]\.instances\[0\]\.root" .* overlaps h1\/a/],
    ['nested root', 'hosts:\n  - host: h1\n    instances:\n      - { id: a, osLine: "4.2", version: 4.2.1, root: x, repository: r, bootConfig: b }\n      - { id: b, osLine: "4.2", version: 4.2.1, root: x/inner, repository: r, bootConfig: b }\n', /instances\[1\]\.root" .* overlaps h1\/a/],
    ['YAML syntax', 'hosts: [\n', /bad\.yaml is invalid: not valid YAML/],
  ])('refuses %s', (_name, text, message) => {
    const path = file('bad.yaml', text);
    expect(() => loadInstanceMap(path)).toThrow(message);
  });

  it('names a file it cannot read', () => {
    expect(() => loadInstanceMap(join(dir, 'missing.yaml'))).toThrow(/Cannot read the instance map .*missing\.yaml/);
  });
});
