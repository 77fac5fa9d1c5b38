/** Reads and validates the instance map once; every problem names the file and the key. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { errorKey } from '../../pipeline/config/schema-errors.js';
import { messageOf, rstError } from '../errors.js';
import type { Instance, InstanceMap } from './map.js';
import { InstanceMapSchema, type InstanceMapDocument } from './schema.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile<InstanceMapDocument>(InstanceMapSchema);

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'is not a known key (see restore-runner/instances/README.md)';
    case 'required':
      return 'is required';
    default:
      return e.message ?? 'is not valid';
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Equal, or one inside the other. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}${sep}`) || b.startsWith(`${a}${sep}`);
}

/**
 * Validates a parsed document. Relative paths are taken from the map file's folder, so that a map
 * and the trees beside it can move together.
 */
export function validateInstanceMap(doc: unknown, file: string): InstanceMap {
  const invalid = (why: string): Error => rstError('RST_ERR_INSTANCES_INVALID', file, why);
  if (!validate(doc)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
    throw invalid([...new Set(problems.map((e) => `key "${errorKey('', e)}" ${describe(e)}`))].join('; '));
  }
  const base = dirname(resolve(file));
  const abs = (p: string): string => (isAbsolute(p) ? resolve(p) : resolve(base, p));
  const instances: Instance[] = [];
  const hosts = new Set<string>();
  const locations = new Map<string, string>();
  for (const [h, entry] of doc.hosts.entries()) {
    if (hosts.has(entry.host)) throw invalid(`key "hosts[${h}].host" repeats "${entry.host}": list each host once, with all its instances`);
    hosts.add(entry.host);
    const ids = new Set<string>();
    for (const [i, inst] of entry.instances.entries()) {
      const key = `hosts[${h}].instances[${i}]`;
      if (ids.has(inst.id)) throw invalid(`key "${key}.id" repeats "${inst.id}" on host ${entry.host}: instance ids must be unique on a host`);
      ids.add(inst.id);
      if ((inst.root === undefined) === (inst.image === undefined)) {
        throw invalid(`key "${key}" must have exactly one of "root" (a directory tree) and "image" (an image file or device)`);
      }
      if (!inst.version.startsWith(`${inst.osLine}.`) && inst.version !== inst.osLine) {
        throw invalid(`key "${key}.version" is "${inst.version}", not a version of OS line ${inst.osLine}`);
      }
      const location = inst.root !== undefined ? { kind: 'tree' as const, path: abs(inst.root) } : { kind: 'image' as const, path: abs(inst.image ?? '') };
      // Two instances on one location would let a restore of one overwrite the other: the 3.2
      // wizard's mistake, refused here.
      for (const [path, other] of locations) {
        if (overlaps(path, location.path)) throw invalid(`key "${key}.${location.kind === 'tree' ? 'root' : 'image'}" (${location.path}) overlaps ${other} (${path}): each instance needs its own root or image, neither inside the other`);
      }
      locations.set(location.path, `${entry.host}/${inst.id}`);
      instances.push({
        host: entry.host,
        id: inst.id,
        osLine: inst.osLine,
        version: inst.version,
        location,
        repository: abs(inst.repository),
        bootConfig: abs(inst.bootConfig),
      });
    }
  }
  return deepFreeze({ file, instances });
}

export function loadInstanceMap(file: string): InstanceMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw rstError('RST_ERR_INSTANCES_READ', file, messageOf(err));
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw rstError('RST_ERR_INSTANCES_INVALID', file, `not valid YAML: ${document.errors.map((e) => e.message).join('; ')}`);
  return validateInstanceMap(document.toJS() as unknown, file);
}
