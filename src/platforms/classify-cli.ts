/**
 * Read-only classification for network CLIs (IOS, NX-OS, IOS-XR, EOS, Junos), driven by a
 * profile's `read_only` data. Words resolve the way these CLIs parse them: case-insensitive and, with
 * `abbreviations`, by any prefix at least `min` long that fits one rule only (`sh` = `show`). Output
 * pipes are judged stage by stage: any prefix of a write (`| r`, `| red`, `|REDIRECT`) is a write; a
 * stage must otherwise be a known read (`| include`), or text following a regex stage (`include a|b`
 * is alternation on IOS, so it is read as the regex unless it could be a write). Anything unknown is
 * not read-only: the rules list what is safe, never what is dangerous.
 */
import type { CliReadOnly, CliWord } from './types.js';
import { READ_ONLY, notReadOnly, re, type Verdict } from './verdict.js';

export function classifyCli(rules: CliReadOnly, command: string): Verdict {
  const c = command.replace(/\t/g, ' ').trim();
  for (const p of rules.never) {
    if (re(p, 'i').test(c)) return notReadOnly(`it matches /${p}/, which is never read-only`);
  }
  let segments = [c];
  for (const sep of rules.separators) segments = segments.flatMap((s) => s.split(sep));
  if (segments.length > 1 && segments.some((s) => s.trim() === ''))
    return notReadOnly('it has an empty command between separators');
  for (const segment of segments) {
    const v = classifySegment(rules, segment);
    if (!v.readOnly) return v;
  }
  return READ_ONLY;
}

function words(text: string): string[] {
  return text.trim().split(/ +/).filter(Boolean);
}

function classifySegment(rules: CliReadOnly, segment: string): Verdict {
  const [head = '', ...pipes] = segment.split('|');
  const first = classifyWords(rules, rules.commands, words(head), []);
  if (!first.readOnly) return first;
  let afterRegex = false;
  for (const stage of pipes) {
    const w = (words(stage)[0] ?? '').toLowerCase();
    if (w !== '') {
      const exact = rules.pipeReads.find((p) => p.word === w);
      const write = exact ? undefined : rules.pipeWrites.find((p) => p.startsWith(w) || w.startsWith(p));
      if (write) return notReadOnly(`its output pipe \`| ${w}\` is \`| ${write}\`, which writes`);
      const read = resolve(rules.abbreviations, rules.pipeReads, w);
      if (read.kind === 'one') {
        afterRegex = read.rule.regex;
        continue;
      }
      if (read.kind === 'many')
        return notReadOnly(`its output pipe \`| ${w}\` is ambiguous (${read.words.join(', ')})`);
    }
    // text after `| include x` is part of the regex (`include a|b`); elsewhere an unknown pipe
    if (!afterRegex)
      return notReadOnly(
        w === ''
          ? 'it has an empty output pipe'
          : `its output pipe \`| ${w}\` is not a known read-only filter`,
      );
  }
  return READ_ONLY;
}

type Resolved<T> = { kind: 'none' } | { kind: 'one'; rule: T } | { kind: 'many'; words: string[] };

/** The rule a (lower-case) word stands for: an exact word wins, else the one rule it abbreviates. */
function resolve<T extends { word: string; min: number }>(
  abbreviations: boolean,
  list: readonly T[],
  w: string,
): Resolved<T> {
  const exact = list.find((r) => r.word === w);
  if (exact) return { kind: 'one', rule: exact };
  if (!abbreviations) return { kind: 'none' };
  const matches = list.filter((r) => w.length >= r.min && r.word.startsWith(w));
  if (matches.length === 1) return { kind: 'one', rule: matches[0]! };
  if (matches.length > 1) return { kind: 'many', words: matches.map((r) => r.word) };
  return { kind: 'none' };
}

function classifyWords(rules: CliReadOnly, list: CliWord[], ws: string[], seen: string[]): Verdict {
  const [raw, ...rest] = ws;
  if (raw === undefined) {
    return notReadOnly(
      seen.length === 0
        ? 'it is empty'
        : `\`${seen.join(' ')}\` needs one of ${list.map((r) => r.word).join(', ')} to be read-only`,
    );
  }
  const w = raw.toLowerCase();
  const r = resolve(rules.abbreviations, list, w);
  const said = [...seen, raw].join(' ');
  if (r.kind === 'many') return notReadOnly(`\`${said}\` is ambiguous (${r.words.join(', ')})`);
  if (r.kind === 'none')
    return notReadOnly(
      seen.length === 0
        ? `\`${raw}\` is not a read-only command`
        : `\`${said}\` is not a read-only command (read-only forms: ${list.map((x) => `${seen.join(' ')} ${x.word}`).join(', ')})`,
    );
  const rule = r.rule;
  if (rule.sub) return classifyWords(rules, rule.sub, rest, [...seen, rule.word]);
  const args = rest.join(' ');
  for (const d of rule.deny) {
    if (re(d, 'i').test(args))
      return notReadOnly(
        `\`${[...seen, rule.word].join(' ')} ${args}\` matches /${d}/, which is not read-only`,
      );
  }
  if (rule.args !== undefined && !re(`^(?:${rule.args})$`, 'i').test(args))
    return notReadOnly(
      `the arguments \`${args}\` of \`${[...seen, rule.word].join(' ')}\` are not read-only ones`,
    );
  return READ_ONLY;
}
