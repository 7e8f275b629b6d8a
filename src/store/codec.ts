/**
 * Lossless JSON encoding of runtime values for the run journal.
 * Plain JSON loses CEL ints (bigint) and non-finite doubles, so they are stored typed:
 *   bigint          -> {"$int": "123"}
 *   NaN / ±Infinity -> {"$double": "NaN" | "Infinity" | "-Infinity"}
 *   an object with a key starting with `$` -> {"$map": {...}} (so user keys never look like tags)
 * Everything else is stored as itself. `decode(encode(v))` deep-equals `v` for every Value.
 */

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function encode(value: unknown): Json {
  switch (typeof value) {
    case 'bigint':
      return { $int: value.toString() };
    case 'number':
      return Number.isFinite(value) ? value : { $double: String(value) };
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(encode);
      const out: Record<string, Json> = {};
      let tagged = false;
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        if (k.startsWith('$')) tagged = true;
        out[k] = encode(v);
      }
      return tagged ? { $map: out } : out;
    }
    default:
      throw new TypeError(`cannot store a ${typeof value} in the run journal`);
  }
}

export function decode(json: unknown): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(decode);
  const obj = json as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [k] = keys;
    const v = obj[k!];
    if (k === '$int' && typeof v === 'string') return BigInt(v);
    if (k === '$double' && typeof v === 'string') return Number(v);
    if (k === '$map' && v !== null && typeof v === 'object' && !Array.isArray(v))
      return decodeEntries(v as Record<string, unknown>);
  }
  return decodeEntries(obj);
}

function decodeEntries(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decode(v);
  return out;
}

/** One journal line (no trailing newline). */
export function stringifyLine(value: unknown): string {
  return JSON.stringify(encode(value));
}

export function parseLine(line: string): unknown {
  return decode(JSON.parse(line));
}
