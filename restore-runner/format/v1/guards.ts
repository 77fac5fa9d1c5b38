/** Small guards for reading JSON from disk as `unknown` (no casts anywhere in the format code). */
export type JsonObject = { readonly [k: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class ShapeError extends Error {}

export function field(o: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export function str(o: JsonObject, key: string): string {
  const v = field(o, key);
  if (typeof v !== 'string') throw new ShapeError(`"${key}" must be a string`);
  return v;
}

export function strOrNull(o: JsonObject, key: string): string | null {
  const v = field(o, key);
  if (v === null) return null;
  if (typeof v !== 'string') throw new ShapeError(`"${key}" must be a string or null`);
  return v;
}

export function int(o: JsonObject, key: string, min = 0): number {
  const v = field(o, key);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new ShapeError(`"${key}" must be an integer ≥ ${min}`);
  }
  return v;
}

export function obj(o: JsonObject, key: string): JsonObject {
  const v = field(o, key);
  if (!isObject(v)) throw new ShapeError(`"${key}" must be an object`);
  return v;
}

export function arr<T>(o: JsonObject, key: string, guard: (x: unknown) => x is T, what: string): readonly T[] {
  const v = field(o, key);
  if (!Array.isArray(v)) throw new ShapeError(`"${key}" must be an array`);
  const out: T[] = [];
  for (const x of v) {
    if (!guard(x)) throw new ShapeError(`"${key}" must hold ${what}`);
    out.push(x);
  }
  return out;
}

export function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function parseJson(text: string): unknown {
  try {
    const v: unknown = JSON.parse(text);
    return v;
  } catch (err: unknown) {
    throw new ShapeError(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
