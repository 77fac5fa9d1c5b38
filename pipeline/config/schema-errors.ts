/** The key an ajv error is about, as a person writes it: `sources[0].timeZone`, `rules[2].window`. */
import type { ErrorObject } from 'ajv';

export function errorKey(prefix: string, e: ErrorObject): string {
  const path = e.instancePath.replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
  const join = (a: string, b: string): string => (a === '' ? b : b === '' ? a : b.startsWith('[') ? `${a}${b}` : `${a}.${b}`);
  let key = path;
  if (e.keyword === 'additionalProperties' && 'additionalProperty' in e.params) key = join(path, String(e.params['additionalProperty']));
  if (e.keyword === 'required' && 'missingProperty' in e.params) key = join(path, String(e.params['missingProperty']));
  const full = join(prefix, key);
  return full === '' ? '(top level)' : full;
}
