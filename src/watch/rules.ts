/**
 * Watch rules: a rules file (YAML checked against schemas/rules.schema.json, every problem at once
 * as file:line:col) or one rule from the command line (`--on REGEX --run RUNBOOK`), compiled to
 * `Rule`s whose runbooks are loaded and whose vars are checked before anything listens.
 *
 * Invariant: a regex named group is a declared var of the rule's runbook, and every required var
 * is given by a group, the rule's `vars` or a default; a group's text reaches a run only through
 * `eventVars` (its var's type and value gates).
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import schema from '../../schemas/rules.schema.json' with { type: 'json' };
import { RunbookError, ValidationError, type Diagnostic, type SourcePos } from '../errors.js';
import type { Value } from '../expr/types.js';
import { checkVarValue, parseVarValue } from '../expr/values.js';
import { durationMs } from '../runbook/duration.js';
import { loadRunbook } from '../runbook/load.js';
import type { Runbook, VarDecl } from '../runbook/model.js';
import { pointerPath } from '../runbook/schema.js';
import { parseSource, type SourceDoc } from '../runbook/source.js';
import { closest } from '../suggest.js';
import { resolveVars } from '../runbook/vars.js';
import { FACILITY_NAMES, SEVERITY_NAMES } from './syslog-types.js';

export type Approval = 'auto' | 'dry-run' | 'ask';
export type HostBy = 'address' | 'hostname';

export interface RuleMatch {
  /** Mnemonics (`RECVD_PKT_INV_SPI`) or whole tags (`CRYPTO-4-RECVD_PKT_INV_SPI`); any matches. */
  mnemonics?: string[];
  /** Cisco facility (`CRYPTO`) or syslog facility name (`local7`), compared case-insensitively. */
  facility?: string;
  /** Matches severities 0..maxSeverity. */
  maxSeverity?: number;
  regex?: RegExp;
}

export interface Rule {
  name: string;
  match: RuleMatch;
  runbook: Runbook;
  /** Fixed vars (typed), before the event's groups. */
  vars: Record<string, Value>;
  /** Named groups of `match.regex` (each a declared var of the runbook). */
  groups: string[];
  hostBy: HostBy;
  onceWithinMs: number;
  approval: Approval;
  approvalTimeoutMs: number;
  pos: SourcePos;
}

export interface RulesFile {
  rules: Rule[];
  /** Absolute path of the file's `inventory`, when it names one. */
  inventory?: string;
}

const DEFAULT_ONCE_WITHIN_MS = 10 * 60_000;
const DEFAULT_APPROVAL_TIMEOUT_MS = 15 * 60_000;

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true });
const validate = ajv.compile(schema);

/** Read, validate and compile a rules file. Throws ValidationError (all problems) or E_RUNBOOK_READ. */
export async function loadRules(file: string): Promise<RulesFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RunbookError(
      'E_RUNBOOK_READ',
      `cannot read rules file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      {
        hint: 'check the path given to --rules (examples/inv-spi.rules.yaml is one to copy)',
        cause: err,
      },
    );
  }
  const parsed = parseSource(text.replace(/^\uFEFF/u, ''), file);
  if (!parsed.ok) throw new ValidationError(parsed.diagnostics);
  const doc = parsed.doc;
  if (!validate(doc.data)) throw new ValidationError(explain(validate.errors ?? [], doc));
  const data = doc.data as unknown as RawRules;
  const base = dirname(resolve(file));
  const diagnostics: Diagnostic[] = [];
  const rules: Rule[] = [];
  const names = new Set<string>();
  for (const [i, raw] of data.rules.entries()) {
    const at = (...path: (string | number)[]): SourcePos => doc.valuePos(['rules', i, ...path]);
    if (names.has(raw.name)) {
      diagnostics.push({
        pos: at('name'),
        message: `rule name '${raw.name}' is used twice`,
        hint: 'give every rule a unique name (throttling and run records use it)',
      });
    }
    names.add(raw.name);
    const rule = await compileRule(raw, { base, at, diagnostics });
    if (rule) rules.push(rule);
  }
  diagnostics.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  if (diagnostics.length > 0) throw new ValidationError(diagnostics);
  return { rules, ...(data.inventory ? { inventory: resolve(base, data.inventory) } : {}) };
}

/** The rule of `--on REGEX --run RUNBOOK [--var k=v]... [--yes|--dry-run]`. Throws RunbookError. */
export async function commandLineRule(o: {
  on: string;
  runbook: string;
  vars: string[];
  approval: Approval;
  onceWithinMs?: number;
  approvalTimeoutMs?: number;
  hostBy?: HostBy;
}): Promise<Rule> {
  const runbook = await loadRunbook(o.runbook);
  const regex = compileRegex(o.on);
  if (typeof regex === 'string')
    throw new RunbookError('E_USAGE', `--on ${o.on}: ${regex}`, {
      hint: 'give a JavaScript regular expression',
    });
  const groups = groupNames(regex);
  const decls = new Map(runbook.vars.map((v) => [v.name, v]));
  for (const g of groups) {
    if (!decls.has(g))
      throw new RunbookError(
        'E_USAGE',
        `--on: named group '${g}' is not a variable of runbook '${runbook.name}'`,
        {
          hint: `name groups after its variables: ${runbook.vars.map((v) => v.name).join(', ') || '(it declares none)'}`,
        },
      );
  }
  // vars the groups supply count as given: resolve the rest as `exec --var` would
  const placeholders = groups.flatMap((g) => (decls.get(g)!.required ? [g] : []));
  const fixed = resolveVars(
    { ...runbook, vars: runbook.vars.filter((v) => !placeholders.includes(v.name)) },
    o.vars,
  );
  return {
    name: 'command-line',
    match: { regex },
    runbook,
    vars: fixed,
    groups,
    hostBy: o.hostBy ?? 'address',
    onceWithinMs: o.onceWithinMs ?? DEFAULT_ONCE_WITHIN_MS,
    approval: o.approval,
    approvalTimeoutMs: o.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
    pos: { file: '<command line>', line: 1, col: 1 },
  };
}

/**
 * The vars of one run: the rule's fixed vars, then each named group that matched, parsed by its
 * var's type (ipv4, pattern, enum, ...). Throws RunbookError E_VAR_INVALID naming the group.
 */
export function eventVars(rule: Rule, groups: Record<string, string | undefined>): Record<string, Value> {
  const out: Record<string, Value> = { ...rule.vars };
  for (const g of rule.groups) {
    const raw = groups[g];
    if (raw === undefined) continue;
    const decl = rule.runbook.vars.find((v) => v.name === g)!;
    try {
      out[g] = parseVarValue(decl, raw);
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      throw new RunbookError(
        'E_VAR_INVALID',
        `group '${g}' of rule ${rule.name}: ${err.message.replace(/^--var \S+: /u, '')}`,
        {
          hint: `the message's '${g}' is not a valid ${decl.type}; no run was started`,
        },
      );
    }
  }
  const missing = rule.runbook.vars.filter((v) => v.required && out[v.name] === undefined);
  if (missing.length > 0)
    throw new RunbookError(
      'E_VAR_INVALID',
      `rule ${rule.name}: the message gave no ${missing.map((v) => `'${v.name}'`).join(', ')}`,
      {
        hint: 'make the group non-optional in the regex, or give the var a value in the rule',
      },
    );
  return out;
}

// ---------- compiling one rule of a file ----------

interface RawRule {
  name: string;
  match: { mnemonic?: string | string[]; facility?: string; severity?: number | string; regex?: string };
  runbook: string;
  vars?: Record<string, unknown>;
  host?: HostBy;
  once_within?: string | number;
  approval?: Approval;
  approval_timeout?: string | number;
}

interface RawRules {
  inventory?: string;
  rules: RawRule[];
}

async function compileRule(
  raw: RawRule,
  c: { base: string; at: (...path: (string | number)[]) => SourcePos; diagnostics: Diagnostic[] },
): Promise<Rule | undefined> {
  const problem = (pos: SourcePos, message: string, hint: string): undefined => {
    c.diagnostics.push({ pos, message: `rule ${raw.name}: ${message}`, hint });
    return undefined;
  };
  let runbook: Runbook;
  try {
    runbook = await loadRunbook(relative(process.cwd(), resolve(c.base, raw.runbook)));
  } catch (err) {
    if (err instanceof ValidationError) {
      c.diagnostics.push(...err.diagnostics);
      return problem(
        c.at('runbook'),
        `runbook ${raw.runbook} is invalid (errors above)`,
        'fix the runbook; `runbook validate` shows the same',
      );
    }
    if (err instanceof RunbookError)
      return problem(c.at('runbook'), err.message, err.hint ?? 'check the path (relative to the rules file)');
    throw err;
  }
  const facility = raw.match.facility;
  let regex: RegExp | undefined;
  if (raw.match.regex !== undefined) {
    const r = compileRegex(raw.match.regex);
    if (typeof r === 'string')
      return problem(
        c.at('match', 'regex'),
        `bad regex: ${r}`,
        'write a JavaScript regular expression; quote it in single quotes in YAML',
      );
    regex = r;
  }
  const groups = regex ? groupNames(regex) : [];
  const decls = new Map(runbook.vars.map((v) => [v.name, v]));
  let ok = true;
  for (const g of groups) {
    if (decls.has(g)) continue;
    const guess = closest(g, decls.keys());
    problem(
      c.at('match', 'regex'),
      `named group '${g}' is not a variable of runbook '${runbook.name}'${guess ? ` (did you mean '${guess}'?)` : ''}`,
      `a group becomes the var of the same name; its variables: ${[...decls.keys()].join(', ') || '(none)'}`,
    );
    ok = false;
  }
  const vars: Record<string, Value> = {};
  for (const [name, value] of Object.entries(raw.vars ?? {})) {
    const decl = decls.get(name);
    if (!decl) {
      const guess = closest(name, decls.keys());
      problem(
        c.at('vars', name),
        `runbook '${runbook.name}' has no variable '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}`,
        `its variables: ${[...decls.keys()].join(', ') || '(none)'}`,
      );
      ok = false;
      continue;
    }
    try {
      vars[name] = checkVarValue(decl, value);
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      problem(c.at('vars', name), err.message, err.hint ?? `give a ${decl.type}`);
      ok = false;
    }
  }
  for (const decl of runbook.vars) {
    if (decl.default !== undefined && vars[decl.name] === undefined) vars[decl.name] = decl.default;
  }
  const unset = runbook.vars.filter(
    (d: VarDecl) => d.required && vars[d.name] === undefined && !groups.includes(d.name),
  );
  if (unset.length > 0 && ok) {
    problem(
      c.at('runbook'),
      `runbook '${runbook.name}' needs ${unset.map((d) => `'${d.name}' (${d.type})`).join(', ')}, which neither vars nor a regex group give`,
      `add a named group (?<${unset[0]!.name}>...) to match.regex, or vars: {${unset[0]!.name}: ...}`,
    );
    ok = false;
  }
  if (!ok) return undefined;
  const severity = raw.match.severity;
  return {
    name: raw.name,
    match: {
      ...(raw.match.mnemonic !== undefined ? { mnemonics: [raw.match.mnemonic].flat() } : {}),
      ...(facility !== undefined ? { facility } : {}),
      ...(severity !== undefined
        ? {
            maxSeverity:
              typeof severity === 'number'
                ? severity
                : SEVERITY_NAMES.indexOf(severity as (typeof SEVERITY_NAMES)[number]),
          }
        : {}),
      ...(regex ? { regex } : {}),
    },
    runbook,
    vars,
    groups,
    hostBy: raw.host ?? 'address',
    onceWithinMs: raw.once_within === undefined ? DEFAULT_ONCE_WITHIN_MS : durationMs(raw.once_within)!,
    approval: raw.approval ?? 'ask',
    approvalTimeoutMs:
      raw.approval_timeout === undefined ? DEFAULT_APPROVAL_TIMEOUT_MS : durationMs(raw.approval_timeout)!,
    pos: c.at(),
  };
}

function compileRegex(source: string): RegExp | string {
  try {
    return new RegExp(source, 'u');
  } catch (err) {
    return (err as Error).message.replace(/^Invalid regular expression: /u, '');
  }
}

/** Named groups of a regex, in order (from a match of an empty-capable probe of its source). */
function groupNames(regex: RegExp): string[] {
  return [...regex.source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/gu)].map((m) => m[1]!);
}

/** Is `name` a syslog facility keyword (`local7`) rather than a Cisco facility? */
export function isSyslogFacilityName(name: string): boolean {
  return (FACILITY_NAMES as readonly string[]).includes(name.toLowerCase());
}

// ---------- schema errors with positions ----------

function explain(errors: ErrorObject[], doc: SourceDoc): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  // a oneOf whose branches all failed: report the oneOf once, not every branch
  const oneOf = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && oneOf.includes(e.instancePath) && e.schemaPath.includes('oneOf')) continue;
    const path = pointerPath(e.instancePath, doc.data);
    const where = e.instancePath === '' ? 'the rules file' : `'${path.join('.')}'`;
    let d: Diagnostic;
    if (e.keyword === 'additionalProperties') {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const guess = closest(field, allowed);
      d = {
        pos: doc.keyPos([...path, field]),
        message: `unknown field '${field}' in ${where}${guess ? ` (did you mean '${guess}'?)` : ''}`,
        hint: `allowed fields: ${allowed.join(', ')}`,
      };
    } else if (e.keyword === 'required') {
      const field = (e.params as { missingProperty: string }).missingProperty;
      d = { pos: doc.valuePos(path), message: `${where} is missing '${field}'`, hint: `add '${field}'` };
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      d = {
        pos: doc.valuePos(path),
        message: `${where} must be one of ${allowed.join(', ')}`,
        hint: `use one of: ${allowed.join(', ')}`,
      };
    } else if (e.keyword === 'oneOf') {
      d = { pos: doc.valuePos(path), message: `${where} has the wrong form`, hint: hintFor(path) };
    } else {
      d = { pos: doc.valuePos(path), message: `${where} ${e.message ?? 'is invalid'}`, hint: hintFor(path) };
    }
    out.set(`${e.instancePath}|${d.message}`, d);
  }
  return [...out.values()].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
}

function hintFor(path: (string | number)[]): string {
  const last = String(path.at(-1));
  if (last === 'once_within' || last === 'approval_timeout') return 'a duration like 90s, 10m or 1h';
  if (last === 'severity') return `a number 0-7 or one of ${SEVERITY_NAMES.join(', ')}`;
  if (last === 'mnemonic' || path.at(-2) === 'mnemonic')
    return 'e.g. RECVD_PKT_INV_SPI or CRYPTO-4-RECVD_PKT_INV_SPI (or a list of them)';
  if (last === 'name') return 'lowercase letters, digits, _ and -, e.g. recover-inv-spi';
  return 'see docs/watch.md for the rules format';
}
