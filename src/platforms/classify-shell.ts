/**
 * Read-only classification for POSIX shells (Linux over exec channels), driven by a profile's
 * `read_only` data. A command is read-only when it is a pipeline of known commands (`df`, `ip`,
 * `grep`, ...) whose arguments pass their rules, with nothing else the shell would act on: no
 * command lists (`;`, `&&`, `||`, `&`), substitutions (`$(...)`, backticks, `$VAR`), subshells,
 * here-docs or redirections (only `>/dev/null`, `2>/dev/null` and `2>&1` are allowed), no
 * backslashes and no `#` comments. Whitespace (tabs, runs of spaces) separates words; quotes are
 * removed before arguments are judged, so `'-delete'` is `-delete`.
 */
import type { ShellCommand, ShellReadOnly } from './types.js';
import { READ_ONLY, notReadOnly, re, type Verdict } from './verdict.js';

export function classifyShell(rules: ShellReadOnly, command: string): Verdict {
  for (const p of rules.never) {
    if (re(p).test(command)) return notReadOnly(`it matches /${p}/, which is never read-only`);
  }
  const parsed = tokenize(command);
  if ('reason' in parsed) return notReadOnly(parsed.reason);
  for (const stage of parsed.stages) {
    const v = classifyStage(rules.commands, stage);
    if (!v.readOnly) return v;
  }
  return READ_ONLY;
}

function classifyStage(commands: ShellCommand[], stage: string[]): Verdict {
  const [name = '', ...args] = stage;
  const rule = commands.find((c) => c.name === name);
  if (!rule) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(name))
      return notReadOnly(`it sets an environment variable (\`${name}\`)`);
    return notReadOnly(`\`${name}\` is not a known read-only command`);
  }
  for (const a of args) {
    for (const d of rule.deny) {
      if (re(d).test(a)) return notReadOnly(`\`${name}\` with \`${a}\` is not read-only`);
    }
  }
  // one word per argument: spaces inside a quoted argument become \x1f, which `\S` matches
  const joined = args.map((a) => a.replace(/\s/g, '\x1f')).join(' ');
  if (rule.args !== undefined && !re(`^(?:${rule.args})$`).test(joined))
    return notReadOnly(`the arguments \`${args.join(' ')}\` of \`${name}\` are not read-only ones`);
  return READ_ONLY;
}

type Tokens = { stages: string[][] } | { reason: string };

const REFUSED: Record<string, string> = {
  ';': 'it runs a command list (`;`)',
  '&': 'it runs commands in the background or in a list (`&`, `&&`)',
  '(': 'it starts a subshell (`(`)',
  ')': 'it has a subshell (`)`)',
  '<': 'it reads a redirection or here-doc (`<`)',
  '`': 'it has a command substitution (backticks)',
  $: 'it expands `$` (a variable or `$(...)` substitution)',
  '\\': 'it has a backslash escape',
};

/** Split a command into pipeline stages of unquoted words, or say why the shell would do more. */
function tokenize(command: string): Tokens {
  const stages: string[][] = [];
  let words: string[] = [];
  let cur: string | undefined;
  const endWord = (): void => {
    if (cur !== undefined) words.push(cur);
    cur = undefined;
  };
  let i = 0;
  const n = command.length;
  while (i < n) {
    const ch = command[i]!;
    if (ch === ' ' || ch === '\t') {
      endWord();
      i++;
    } else if (ch === "'") {
      const close = command.indexOf("'", i + 1);
      if (close < 0) return { reason: 'it has an unterminated quote' };
      cur = (cur ?? '') + command.slice(i + 1, close);
      i = close + 1;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < n && command[j] !== '"') {
        if ('$`\\'.includes(command[j]!)) return { reason: REFUSED[command[j]!]! };
        j++;
      }
      if (j >= n) return { reason: 'it has an unterminated quote' };
      cur = (cur ?? '') + command.slice(i + 1, j);
      i = j + 1;
    } else if (ch === '|') {
      if (command[i + 1] === '|') return { reason: 'it runs a command list (`||`)' };
      if (command[i + 1] === '&') return { reason: 'it pipes stderr (`|&`)' };
      endWord();
      if (words.length === 0) return { reason: 'it has an empty pipeline stage' };
      stages.push(words);
      words = [];
      i++;
    } else if (ch === '>') {
      // a file-descriptor number just before `>` belongs to the redirection
      if (cur !== undefined && /^\d$/.test(cur)) cur = undefined;
      endWord();
      const next = harmlessRedirection(command, i);
      if (next < 0) return { reason: 'it redirects output to a file (`>`)' };
      i = next;
    } else if (ch === '#' && cur === undefined) {
      return { reason: 'it has a `#` comment' };
    } else if (REFUSED[ch]) {
      return { reason: REFUSED[ch]! };
    } else {
      cur = (cur ?? '') + ch;
      i++;
    }
  }
  endWord();
  if (words.length === 0) return { reason: stages.length ? 'it ends with a pipe' : 'it is empty' };
  stages.push(words);
  return { stages };
}

/** After the `>` at `at`: the offset past `/dev/null` or `&1`/`&2`, or -1 for any other target. */
function harmlessRedirection(command: string, at: number): number {
  let j = at + 1;
  if (command[j] === '&') {
    const m = /^&[12](?=[\s|]|$)/.exec(command.slice(j));
    return m ? j + m[0].length : -1;
  }
  while (command[j] === ' ' || command[j] === '\t') j++;
  const m = /^\/dev\/null(?=[\s|]|$)/.exec(command.slice(j));
  return m ? j + m[0].length : -1;
}
