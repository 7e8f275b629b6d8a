/**
 * Ansible host ranges in inventory host names: `edge[01:50]`, `db-[a:f]`, `r[1:9:2]`, several
 * ranges in one name (`pod[1:2]-leaf[a:b]`). Numeric bounds with a leading zero keep their width
 * (both bounds must then have the same width); alphabetic bounds are single letters.
 * Returns the expanded names in order, or an error message saying what is wrong.
 */

/** More names than this from one pattern is almost certainly a typo. */
export const MAX_RANGE_HOSTS = 100_000;

export type RangeResult = { names: string[] } | { error: string; hint: string };

const RANGE = /\[([^\]]*)\]/;
const HINT =
  'write a range as [01:50] (numbers, leading zeros keep the width), [a:f] (letters) or [1:9:2] (with a step)';

export function expandHostRange(pattern: string): RangeResult {
  const m = RANGE.exec(pattern);
  if (!m) return { names: [pattern] };
  const head = pattern.slice(0, m.index);
  const tail = pattern.slice(m.index + m[0].length);
  const body = expandBracket(m[1]!);
  if ('error' in body) return body;
  const rest = expandHostRange(tail);
  if ('error' in rest) return rest;
  const total = body.names.length * rest.names.length;
  if (total > MAX_RANGE_HOSTS) {
    return {
      error: `host range '${pattern}' expands to ${total} names (at most ${MAX_RANGE_HOSTS})`,
      hint: HINT,
    };
  }
  const names: string[] = [];
  for (const b of body.names) for (const r of rest.names) names.push(head + b + r);
  return { names };
}

function expandBracket(spec: string): RangeResult {
  const parts = spec.split(':').map((p) => p.trim());
  if (parts.length < 2 || parts.length > 3) {
    return { error: `host range '[${spec}]' is not of the form [begin:end] or [begin:end:step]`, hint: HINT };
  }
  const [beg, end, stepText] = parts as [string, string, string | undefined];
  let step = 1;
  if (stepText !== undefined) {
    if (!/^[1-9]\d*$/.test(stepText))
      return { error: `host range step '${stepText}' is not a positive integer`, hint: HINT };
    step = Number(stepText);
  }
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const padded = beg.length > 1 && beg.startsWith('0');
    if (padded && beg.length !== end.length) {
      return {
        error: `host range '[${spec}]' mixes widths: '${beg}' has ${beg.length} digits, '${end}' has ${end.length}`,
        hint: 'give both bounds the same number of digits, e.g. [01:50]',
      };
    }
    const b = Number(beg);
    const e = Number(end);
    if (b > e) return { error: `host range '[${spec}]' starts after it ends`, hint: HINT };
    if ((e - b) / step + 1 > MAX_RANGE_HOSTS) {
      return { error: `host range '[${spec}]' expands to more than ${MAX_RANGE_HOSTS} names`, hint: HINT };
    }
    const names: string[] = [];
    for (let i = b; i <= e; i += step) names.push(padded ? String(i).padStart(beg.length, '0') : String(i));
    return { names };
  }
  if (/^[a-zA-Z]$/.test(beg) && /^[a-zA-Z]$/.test(end)) {
    const b = beg.charCodeAt(0);
    const e = end.charCodeAt(0);
    const sameCase = (beg === beg.toLowerCase()) === (end === end.toLowerCase());
    if (!sameCase || b > e)
      return { error: `host range '[${spec}]' is not an ascending letter range`, hint: HINT };
    const names: string[] = [];
    for (let i = b; i <= e; i += step) names.push(String.fromCharCode(i));
    return { names };
  }
  return { error: `host range '[${spec}]' must have two numbers or two letters as bounds`, hint: HINT };
}

export type HostToken = { pattern: string; port?: number } | { error: string; hint: string };

/**
 * Split an inventory host token into its name pattern and an optional `:port` suffix
 * (`edge[01:09]:2222`). Colons inside brackets belong to ranges; a token with several colons
 * outside brackets is an IPv6 address and has no port suffix.
 */
export function parseHostToken(token: string): HostToken {
  const outside: number[] = [];
  let depth = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ':' && depth === 0) outside.push(i);
  }
  if (outside.length !== 1) return { pattern: token };
  const at = outside[0]!;
  const portText = token.slice(at + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    return {
      error: `host '${token}' has an invalid port '${portText}'`,
      hint: 'write host:port with a port from 1 to 65535, or set ansible_port',
    };
  }
  return { pattern: token.slice(0, at), port };
}
