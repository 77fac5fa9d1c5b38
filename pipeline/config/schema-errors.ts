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

/** What is wrong, in words, for the errors of the loaders that share this reading. */
export function describeAjvError(e: ErrorObject, readme: string): string {
  if (e.keyword === 'additionalProperties') return `is not a known key (see ${readme})`;
  if (e.keyword === 'required') return 'is required';
  return e.message ?? 'is not valid';
}

/** Every distinct problem of a failed validation, as `key "K" what`, joined with "; ". */
export function ajvProblems(errors: readonly ErrorObject[] | null | undefined, prefix: string, readme: string): string {
  const problems = (errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
  return [...new Set(problems.map((e) => `key "${errorKey(prefix, e)}" ${describeAjvError(e, readme)}`))].join('; ');
}
