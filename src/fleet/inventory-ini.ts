/**
 * Ansible's INI inventory format into a RawInventory, with positions:
 *
 *   edge00                                   # before any section: group 'ungrouped'
 *   [east]
 *   edge[01:09] ansible_network_os=cisco.ios.ios
 *   lab1:2222 ansible_host=127.0.0.1 note="two words"
 *   [east:vars]
 *   ansible_user=admin
 *   [region:children]
 *   east
 *
 * As Ansible documents: inline host values are Python-like literals (42, True, None, quoted
 * strings; anything else is a string); `[g:vars]` values are strings. `[g:vars]` of a group that
 * is never declared and `[g:children]` naming an undeclared group are errors. Lines starting with
 * `#` or `;` are comments; `#` also starts a comment on host lines.
 */
import type { SourcePos } from '../errors.js';
import { expandHostRange, parseHostToken } from './host-range.js';
import {
  ALL,
  addChild,
  addHost,
  group,
  newRawInventory,
  report,
  setVar,
  type Located,
  type RawInventory,
} from './inventory-raw.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:[#;].*)?$/;

type State = 'hosts' | 'vars' | 'children';

interface Token {
  text: string;
  col: number;
  /** Index in `text` of the first `=` outside quotes, or -1. */
  eq: number;
  /** Part of the value after `=` was quoted. */
  quotedValue: boolean;
}

export function parseIniInventory(text: string, file: string): RawInventory {
  const inv = newRawInventory(file);
  let groupName = 'ungrouped';
  let state: State = 'hosts';
  /** Groups referenced by `[g:vars]` or in `[p:children]` before being declared, with where. */
  const pending = new Map<string, { pos: SourcePos; message: string; hint: string }>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const indent = line.length - line.trimStart().length;
    const pos = (col: number): SourcePos => ({ file, line: i + 1, col });
    if (trimmed.startsWith('[') && !/^\[[^\]]*\][^\s#;]/.test(trimmed)) {
      const m = SECTION.exec(trimmed);
      if (!m) {
        report(
          inv,
          pos(indent + 1),
          `invalid section header '${trimmed}'`,
          'write [group], [group:vars] or [group:children] with no spaces in the group name',
        );
        state = 'hosts';
        groupName = '';
        continue;
      }
      const name = m[1]!;
      const kind = m[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        report(
          inv,
          pos(indent + 2 + name.length + 1),
          `section [${name}:${kind}] has an unknown type '${kind}'`,
          'the section types are [group], [group:vars] and [group:children]',
        );
        state = 'hosts';
        groupName = '';
        continue;
      }
      groupName = name;
      state = kind;
      if (state === 'vars') {
        group(inv, name, pos(indent + 1), false);
        if (!inv.groups.get(name)!.declared && !pending.has(name)) {
          pending.set(name, {
            pos: pos(indent + 1),
            message: `section [${name}:vars] is for a group '${name}' that is never declared`,
            hint: `declare the group with a [${name}] or [${name}:children] section, or fix the name`,
          });
        }
      } else {
        group(inv, name, pos(indent + 1));
        pending.delete(name);
      }
      continue;
    }
    if (groupName === '') continue; // lines under an invalid header were already reported
    if (state === 'hosts') parseHostLine(inv, groupName, line, i + 1);
    else if (state === 'vars') parseVarLine(inv, groupName, line, i + 1);
    else {
      const m = GROUP_NAME.exec(trimmed);
      if (!m) {
        report(
          inv,
          pos(indent + 1),
          `expected a group name in [${groupName}:children], got '${trimmed}'`,
          'list one child group name per line; hosts go in a [group] section',
        );
        continue;
      }
      const child = m[1]!;
      if (child === ALL) {
        report(
          inv,
          pos(indent + 1),
          `group 'all' cannot be a child of '${groupName}'`,
          "'all' is the root that holds every group",
        );
        continue;
      }
      addChild(inv, groupName, child, pos(indent + 1));
      const known = inv.groups.get(child);
      if (!known || !known.declared) {
        group(inv, child, pos(indent + 1), false);
        if (!pending.has(child)) {
          pending.set(child, {
            pos: pos(indent + 1),
            message: `section [${groupName}:children] includes a group '${child}' that is never declared`,
            hint: `declare it with a [${child}] section (it may be empty), or fix the name`,
          });
        }
      }
    }
  }
  for (const p of pending.values()) report(inv, p.pos, p.message, p.hint);
  return inv;
}

function parseHostLine(inv: RawInventory, groupName: string, line: string, lineNo: number): void {
  const pos = (col: number): SourcePos => ({ file: inv.file, line: lineNo, col });
  const tokens = tokenize(inv, line, lineNo);
  if (!tokens || tokens.length === 0) return;
  const [first, ...rest] = tokens as [Token, ...Token[]];
  if (first.eq >= 0) {
    report(
      inv,
      pos(first.col),
      `expected a host name, got '${first.text}'`,
      `a host line starts with the host name: 'HOST ${first.text}'; group variables go in a [${groupName}:vars] section`,
    );
    return;
  }
  const parsed = parseHostToken(first.text);
  if ('error' in parsed) {
    report(inv, pos(first.col), parsed.error, parsed.hint);
    return;
  }
  const expanded = expandHostRange(parsed.pattern);
  if ('error' in expanded) {
    report(inv, pos(first.col), expanded.error, expanded.hint);
    return;
  }
  const vars: [string, Located][] = [];
  if (parsed.port !== undefined) vars.push(['ansible_port', { value: parsed.port, pos: pos(first.col) }]);
  for (const t of rest) {
    if (t.eq <= 0) {
      report(
        inv,
        pos(t.col),
        `expected key=value after the host name, got '${t.text}'`,
        'write variables as key=value (quote values with spaces: key="a b"); one host per line',
      );
      return;
    }
    const key = t.text.slice(0, t.eq);
    const raw = t.text.slice(t.eq + 1);
    vars.push([key, { value: t.quotedValue ? raw : literal(raw), pos: pos(t.col + t.eq + 1) }]);
  }
  for (const name of expanded.names) addHost(inv, groupName, name, pos(first.col), vars);
}

function parseVarLine(inv: RawInventory, groupName: string, line: string, lineNo: number): void {
  const trimmed = line.trim();
  const pos = (col: number): SourcePos => ({ file: inv.file, line: lineNo, col });
  const start = line.length - line.trimStart().length + 1;
  const eq = line.indexOf('=');
  const key = eq < 0 ? '' : line.slice(0, eq).trim();
  if (key === '') {
    report(
      inv,
      pos(start),
      `expected key=value in [${groupName}:vars], got '${trimmed}'`,
      `write one variable per line as key=value; hosts go in a [${groupName}] section`,
    );
    return;
  }
  if (/\s/.test(key)) {
    report(
      inv,
      pos(start),
      `variable name '${key}' contains whitespace`,
      'write key=value with a single-word key',
    );
    return;
  }
  const after = line.slice(eq + 1);
  const valueCol = eq + 2 + (after.length - after.trimStart().length);
  let value = after.trim();
  if (value.length >= 2 && /^(["']).*\1$/.test(value)) value = value.slice(1, -1);
  const g = group(inv, groupName, pos(start), false);
  setVar(inv, g.vars, key, { value, pos: pos(valueCol) }, `group '${groupName}'`);
}

/** Split a host line into whitespace-separated tokens (quotes group, `#` at a token start ends the line). */
function tokenize(inv: RawInventory, line: string, lineNo: number): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length || line[i] === '#') break;
    const col = i + 1;
    let text = '';
    let eq = -1;
    let quotedValue = false;
    while (i < line.length && !/\s/.test(line[i]!)) {
      const c = line[i]!;
      if (c === '"' || c === "'") {
        const start = i;
        i++;
        while (i < line.length && line[i] !== c) {
          if (c === '"' && line[i] === '\\' && i + 1 < line.length) i++;
          text += line[i];
          i++;
        }
        if (i >= line.length) {
          report(
            inv,
            { file: inv.file, line: lineNo, col: start + 1 },
            'unterminated quoted value',
            `close the quote with ${c}`,
          );
          return undefined;
        }
        i++;
        if (eq >= 0) quotedValue = true;
        continue;
      }
      if (c === '=' && eq < 0) eq = text.length;
      text += c;
      i++;
    }
    tokens.push({ text, col, eq, quotedValue });
  }
  return tokens;
}

/** Python-literal reading of an unquoted inline value, as Ansible's INI plugin does for host lines. */
function literal(raw: string): unknown {
  if (/^[-+]?\d+$/.test(raw)) return Number(raw);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'True') return true;
  if (raw === 'False') return false;
  if (raw === 'None') return null;
  return raw;
}
