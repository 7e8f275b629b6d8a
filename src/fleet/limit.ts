/**
 * Ansible host patterns, as `--limit` takes them:
 *   `all` or `*`; a host or group name; wildcards (`edge*`, `*.example.com`, `192.0.2.*`);
 *   a regex `~(edge|core)0[1-3]` (anchored at the start, like Python's re.match);
 *   a group subscript `east[0]`, `east[-1]`, `east[1:3]` (inclusive, like Ansible);
 *   `@file`: the terms in a file, one per line (Ansible retry files);
 *   terms separated by `:` or `,`; `&term` intersects, `!term` excludes.
 * Order of operations (Ansible's): the union of the plain terms (or `all` when there is none),
 * then each `&` term, then each `!` term, whatever their order in the pattern.
 * Matching a term (Ansible's): group names matched by the term give their hosts; host names are
 * matched too when no group matched or the term has a wildcard, regex or dot.
 *
 * Stricter than Ansible, which only warns: a term that matches nothing is an error, so a typo
 * in `all:!edge07` cannot silently include edge07; so is a pattern that selects no host.
 */
import { readFileSync } from 'node:fs';
import { RunbookError } from '../errors.js';
import type { Inventory, InventoryHost } from './inventory.js';

type Op = 'union' | 'and' | 'not';

interface Term {
  op: Op;
  text: string;
}

/** Hosts selected by `pattern` (all hosts when undefined or empty), in inventory order. */
export function selectHosts(
  inv: Inventory,
  pattern: string | undefined,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): InventoryHost[] {
  if (pattern === undefined || pattern.trim() === '') return [...inv.hosts];
  const terms = expandFiles(splitPattern(pattern), readFile);
  const unions = terms.filter((t) => t.op === 'union');
  const ordered = [
    ...(unions.length > 0 ? unions : [{ op: 'union' as const, text: 'all' }]),
    ...terms.filter((t) => t.op === 'and'),
    ...terms.filter((t) => t.op === 'not'),
  ];
  let selected = new Set<string>();
  for (const term of ordered) {
    const matched = matchTerm(inv, term.text);
    if (matched.size === 0) throw nothingMatched(inv, term.text, pattern);
    if (term.op === 'union') for (const h of matched) selected.add(h);
    else if (term.op === 'and') selected = new Set([...selected].filter((h) => matched.has(h)));
    else selected = new Set([...selected].filter((h) => !matched.has(h)));
  }
  const out = inv.hosts.filter((h) => selected.has(h.name));
  if (out.length === 0) {
    throw new RunbookError('E_USAGE', `host pattern '${pattern}' selects no host of inventory ${inv.file}`, {
      hint: 'its intersections (&) and exclusions (!) remove every host; check the pattern with fewer terms',
    });
  }
  return out;
}

/** Split on `,` and `:` outside brackets; an IPv6 address (several colons, hex) stays whole. */
export function splitPattern(pattern: string): Term[] {
  const pieces: string[] = [];
  for (const part of pattern.split(',')) {
    const p = part.trim();
    if (/^[!&]?(?=[^:]*\d|.*::)[0-9a-fA-F.*]*:[0-9a-fA-F.*]*:[0-9a-fA-F:.*]*$/.test(p)) {
      pieces.push(p);
      continue;
    }
    let depth = 0;
    let cur = '';
    for (const c of p) {
      if (c === '[') depth++;
      else if (c === ']') depth = Math.max(0, depth - 1);
      if (c === ':' && depth === 0) {
        pieces.push(cur);
        cur = '';
      } else cur += c;
    }
    pieces.push(cur);
  }
  return pieces
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) =>
      p.startsWith('!')
        ? { op: 'not', text: p.slice(1) }
        : p.startsWith('&')
          ? { op: 'and', text: p.slice(1) }
          : { op: 'union', text: p },
    );
}

/** `@file` terms become the file's lines (blank lines and `#` comments skipped), with the term's op. */
function expandFiles(terms: Term[], readFile: (path: string) => string): Term[] {
  const out: Term[] = [];
  for (const t of terms) {
    if (!t.text.startsWith('@')) {
      out.push(t);
      continue;
    }
    const path = t.text.slice(1);
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new RunbookError('E_USAGE', `cannot read host list ${path} given to --limit: ${code}`, {
        hint: '--limit @FILE takes a file of host names, one per line (the failed-hosts file a fleet run writes)',
        cause: err,
      });
    }
    const lines = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.length === 0) {
      throw new RunbookError('E_USAGE', `host list ${path} given to --limit is empty`, {
        hint: 'a run with no failed host writes an empty list: there is nothing to retry',
      });
    }
    for (const line of lines) out.push({ op: t.op, text: line });
  }
  return out;
}

const SUBSCRIPT = /^(.+)\[(?:(-?\d+)|(\d+)?\s*:\s*(\d+)?)\]$/;

function matchTerm(inv: Inventory, text: string): Set<string> {
  if (text === 'all' || text === '*') return new Set(inv.hosts.map((h) => h.name));
  const sub = text.startsWith('~') ? null : SUBSCRIPT.exec(text);
  if (sub && (sub[2] !== undefined || sub[3] !== undefined || sub[4] !== undefined)) {
    // the group is matched once (per host it was quadratic: 100k hosts took minutes)
    const members = matchBase(inv, sub[1]!);
    const base = inv.hosts.filter((h) => members.has(h.name)).map((h) => h.name);
    if (sub[2] !== undefined) {
      const i = Number(sub[2]);
      const at = i < 0 ? base.length + i : i;
      return new Set(at >= 0 && at < base.length ? [base[at]!] : []);
    }
    const start = sub[3] === undefined ? 0 : Number(sub[3]);
    const end = sub[4] === undefined ? base.length - 1 : Number(sub[4]);
    return new Set(base.slice(start, end + 1));
  }
  return matchBase(inv, text);
}

function matchBase(inv: Inventory, text: string): Set<string> {
  const re = toRegExp(text);
  const out = new Set<string>();
  let groupMatched = false;
  for (const g of inv.groups.values()) {
    if (re.test(g.name)) {
      groupMatched = true;
      for (const h of g.hosts) out.add(h);
    }
  }
  if (!groupMatched || text.startsWith('~') || /[.?*[]/.test(text)) {
    for (const h of inv.hosts) if (re.test(h.name)) out.add(h.name);
  }
  return out;
}

function toRegExp(text: string): RegExp {
  if (text.startsWith('~')) {
    try {
      return new RegExp(`^(?:${text.slice(1)})`);
    } catch (err) {
      throw new RunbookError(
        'E_USAGE',
        `host pattern '${text}' is not a valid regular expression: ${(err as Error).message}`,
        {
          hint: 'after ~ write a JavaScript regular expression, e.g. ~edge0[1-5]',
        },
      );
    }
  }
  return new RegExp(`^${globToRegExpSource(text)}$`);
}

/** fnmatch: `*` any run, `?` one character, `[abc]`/`[!abc]` a class; everything else literal. */
function globToRegExpSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        let cls = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        else if (cls.startsWith('^')) cls = `\\${cls}`;
        out += `[${cls}]`;
        i = close;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

function nothingMatched(inv: Inventory, term: string, pattern: string): RunbookError {
  const groups = [...inv.groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped');
  const sample = (names: string[]): string =>
    names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ') || '(none)';
  const where = term === pattern ? `host pattern '${term}'` : `'${term}' in host pattern '${pattern}'`;
  return new RunbookError('E_USAGE', `${where} matches no host or group of inventory ${inv.file}`, {
    hint: `check the spelling; groups: ${sample(groups)}; hosts: ${sample(inv.hosts.map((h) => h.name))}`,
  });
}
