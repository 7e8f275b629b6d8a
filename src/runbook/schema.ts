/**
 * Validate a runbook document against schemas/runbook.schema.json (ajv, allErrors) and turn ajv's
 * errors into one clear diagnostic per problem, at the line:col of the offending key or value.
 */
import { Ajv, type ErrorObject } from 'ajv';
import schema from '../../schemas/runbook.schema.json' with { type: 'json' };
import type { Diagnostic } from '../errors.js';
import type { DocPath, SourceDoc } from './source.js';
import { closest, orList } from '../suggest.js';
import { describeWhere, subject } from './where.js';

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true });
const validateDoc = ajv.compile(schema);
/** A part file (`use:`) is checked against the schema's `part` definition. */
const validatePart = ajv.compile({
  $id: schema.$id.replace(/\.schema\.json$/, '.part.schema.json'),
  definitions: schema.definitions,
  $ref: '#/definitions/part',
});

/** Every subschema object -> its location key, e.g. `step/properties/changes/then` (root: `root/...`). */
const schemaKeys = new Map<unknown, string>();
(function index(node: unknown, key: string): void {
  if (node === null || typeof node !== 'object') return;
  if (!Array.isArray(node)) schemaKeys.set(node, key);
  for (const [k, v] of Object.entries(node)) {
    const child = key === 'root' && k === 'definitions' ? '' : key === '' ? k : `${key}/${k}`;
    index(v, child);
  }
})(schema, 'root');

export const STEP_KINDS = ['run', 'steps', 'choose', 'end', 'assert', 'set', 'use', 'actions'] as const;
const MATCHER_KINDS = ['contains', 'not_contains', 'regex', 'expression', 'all', 'any'];

export interface SchemaResult {
  diagnostics: Diagnostic[];
  /** Instance paths (JSON pointers) that had schema errors; the compiler skips checks under them. */
  brokenPaths: string[];
}

/** Schema-check a runbook document, or with `part` a part file's. */
export function checkSchema(doc: SourceDoc, kind: 'runbook' | 'part' = 'runbook'): SchemaResult {
  const validate = kind === 'part' ? validatePart : validateDoc;
  if (validate(doc.data)) return { diagnostics: [], brokenPaths: [] };
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const diagnostics = explain(errors, doc);
  diagnostics.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
  return { diagnostics, brokenPaths: [...new Set(errors.map((e) => e.instancePath))] };
}

/** Split a JSON pointer into path segments (array indexes as numbers). */
export function pointerPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(cur) ? Number(seg) : seg;
    out.push(key);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

function explain(errors: ErrorObject[], doc: SourceDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const emit = (key: string, d: Diagnostic): void => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push(d);
  };
  // an object with a misspelt field: its "missing" field is most likely that typo; say it once
  const typos = new Map<string, Set<string>>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const guess = closest(
      String((e.params as { additionalProperty: string }).additionalProperty),
      allowedFields(e),
    );
    if (!typos.has(e.instancePath)) typos.set(e.instancePath, new Set());
    if (guess) typos.get(e.instancePath)!.add(guess);
  }
  const typoFor = (e: ErrorObject, field: string): boolean => typos.get(e.instancePath)?.has(field) ?? false;
  const oneOfPaths = errors
    .filter((e) => e.keyword === 'oneOf')
    .map((e) => `${e.instancePath}|${e.schemaPath}/`);
  for (const e of errors) {
    if (oneOfPaths.some((p) => `${e.instancePath}|${e.schemaPath}`.startsWith(p))) continue;
    const path = pointerPath(e.instancePath, doc.data);
    const value = valueAt(doc.data, path);
    const where = describeWhere(path, doc.data);
    switch (e.keyword) {
      case 'additionalProperties': {
        const field = String((e.params as { additionalProperty: string }).additionalProperty);
        const allowed = allowedFields(e);
        const guess = closest(field, allowed);
        const moved = MOVED[`${keyOf(e)}.${field}`];
        // `{message: a, b}` or `{until: x.all(s, s.ok)}`: a bare comma in a flow mapping split the value
        const flow = guess ? undefined : doc.flowKeyBefore(path, field);
        const fieldValue = isObject(value) ? (value as Record<string, unknown>)[field] : undefined;
        if (flow?.before !== undefined && fieldValue === null) {
          const expr = /[()=<>!&|.]/.test(field);
          emit(`${e.instancePath}/${field}|add`, {
            pos: doc.keyPos([...path, field]),
            message: `'${flow.before}' ${where} is cut at a comma: in a {...} mapping a bare comma starts a new field ('${field}')`,
            hint: `${expr ? 'quote this expression' : 'quote the value'}: ${flow.before}: "... , ${field}" (or write the mapping on separate lines)`,
          });
          break;
        }
        emit(`${e.instancePath}/${field}|add`, {
          pos: doc.keyPos([...path, field]),
          message: `unknown field '${field}' ${where}${guess ? ` (did you mean '${guess}'?)` : ''}`,
          hint: moved ?? `allowed fields ${where}: ${allowed.join(', ')}`,
        });
        break;
      }
      case 'required': {
        const prop = (e.params as { missingProperty: string }).missingProperty;
        if (typoFor(e, prop)) break;
        if (keyOf(e) === 'step' && prop === 'id') {
          emit(`${e.instancePath}|id`, {
            pos: doc.valuePos(path),
            message: `${subject(path, doc.data)} has no 'id'`,
            hint: 'give every step a unique id of lowercase letters, digits, _ and -, e.g. `id: check-disk`',
          });
          break;
        }
        emit(`${e.instancePath}|req|${prop}`, {
          pos: doc.valuePos(path),
          message: `${path.length === 0 ? 'the runbook' : subject(path, doc.data)} is missing '${prop}'`,
          hint: REQUIRED_HINTS[prop] ?? `add '${prop}'`,
        });
        break;
      }
      case 'oneOf': {
        if (!isObject(value)) break; // reported by its type error
        if (keyOf(e) === 'step') {
          const present = STEP_KINDS.filter((k) => isObject(value) && k in value);
          if (present.length === 0 && STEP_KINDS.some((k) => typoFor(e, k))) break;
          // a record step (only `result`) with a misspelt field: the unknown field says it
          if (present.length === 0 && 'result' in value) break;
          emit(`${e.instancePath}|kind`, {
            pos: present.length > 1 ? doc.keyPos([...path, present[1]!]) : doc.valuePos(path),
            message: `${subject(path, doc.data)} must have exactly one of ${STEP_KINDS.join(', ')}`,
            hint:
              present.length > 1
                ? `it has ${orList(present).replace(/ or /, ' and ')}; split it into separate steps (or nest them under 'steps')`
                : 'add `run: <command>`, `steps: [...]` (a group), `choose: [...]`, `end: {status, message}`, `assert: <expression>`, `set: {name: <expression>}` or `use: <part file>`; a step with only `result: {column: <expression>}` records a row',
          });
        } else {
          const present = MATCHER_KINDS.filter((k) => isObject(value) && k in value);
          if (present.length === 0 && MATCHER_KINDS.some((k) => typoFor(e, k))) break;
          emit(`${e.instancePath}|matcher`, {
            pos: present.length > 1 ? doc.keyPos([...path, present[1]!]) : doc.valuePos(path),
            message: `${subject(path, doc.data)} must have exactly one of ${MATCHER_KINDS.join(', ')}`,
            hint: 'combine several conditions with `all: [...]` or `any: [...]`, or give a list of matchers (all must hold)',
          });
        }
        break;
      }
      case 'dependencies': {
        const { property, missingProperty } = e.params as { property: string; missingProperty: string };
        if (typoFor(e, missingProperty)) break;
        const owner = DEPENDENCY_OWNER[property] ?? `'${missingProperty}'`;
        emit(`${e.instancePath}|dep|${property}`, {
          pos: doc.keyPos([...path, property]),
          message: `'${property}' is only allowed ${owner} (${subject(path, doc.data)})`,
          hint: `remove '${property}', or add '${missingProperty}'`,
        });
        break;
      }
      case 'propertyNames': {
        const name = (e.params as { propertyName: string }).propertyName;
        emit(`${e.instancePath}|name|${name}`, {
          pos: doc.keyPos([...path, name]),
          message: `${NAME_KIND[String(path[path.length - 1])] ?? 'name'} '${name}'${path.length > 1 ? ` ${where}` : ''} is not valid`,
          hint: 'names are used in expressions: letters, digits and _, not starting with a digit (e.g. `peer_addr`)',
        });
        break;
      }
      default: {
        if (e.propertyName !== undefined) break; // reported by its propertyNames error
        if (path.length === 0) {
          const empty = value === undefined || value === null;
          emit('|root', {
            pos: empty ? { file: doc.file, line: 1, col: 1 } : doc.valuePos(path),
            message: empty
              ? 'the file is empty'
              : `the runbook must be a mapping with 'runbook', 'platform' and 'steps', not ${Array.isArray(value) ? 'a list' : 'a single value'}`,
            hint: 'start with `runbook: <name>`, `platform: <platform>` and `steps:` (see examples/)',
          });
          break;
        }
        const stepId = keyOf(e) === 'step/properties/id' && e.keyword === 'pattern';
        emit(`${e.instancePath}|value`, {
          pos: doc.valuePos(path),
          message: stepId
            ? `step id '${String(value)}' is not valid`
            : `${subject(path, doc.data)} must be ${expected(e)}${value === null ? ' (it is empty)' : ''}`,
          hint: stepId
            ? 'use lowercase letters, digits, _ and -, starting with a letter or digit, e.g. `check-disk`'
            : valueHint(e),
        });
      }
    }
  }
  return out;
}

const REQUIRED_HINTS: Record<string, string> = {
  runbook: 'start the file with `runbook: <name>`, e.g. `runbook: check-interfaces`',
  platform:
    'add `platform: cisco-iosxe`, `platform: cisco-iosxe-sdwan`, `platform: linux` or another platform (docs/platforms.md)',
  steps: 'add `steps:` with a list of steps',
  type: 'add `type:` one of string, int, bool, ipv4, ipv6, enum, list',
  values: 'type enum needs its allowed values, e.g. `values: [a, b]`',
  items: 'type list needs the type of its items, e.g. `items: {type: ipv4}`',
  regex: 'a capture needs a regex with named groups, e.g. `regex: "decaps: (?<n>\\d+)"`',
  times: 'give the total number of attempts, e.g. `times: 5`',
  prompt: 'give the regex of the question, e.g. `prompt: "\\[confirm\\]"`',
  answer: "give the text to send, e.g. `answer: y` (or `answer: ''` to just press Enter)",
  status: 'add `status: ok` or `status: failed`',
  message: 'add `message: <why the run ends>`',
};

/** Fields people put in the wrong place (e.g. from older sketches of the format). */
const MOVED: Record<string, string> = {
  'step.until': '`until` belongs in retry: `retry: {times: 5, delay: 2s, until: <expression>}`',
  'step.delay': '`delay` belongs in retry: `retry: {times: 5, delay: 2s}`',
  'step.times': '`times` belongs in retry: `retry: {times: 5, delay: 2s}`',
  'step.otherwise': 'in a `choose`, the otherwise branch is the last branch, written without `when`',
  'step.command': 'a command step is written `run: <command>`',
  'step.impact': 'the impact of a state-changing command is written `changes: <impact>`',
  'capture.all': 'write `match: all` (or first, last)',
  'capture.type': 'give group types as `types: {group: int}`',
};

const NAME_KIND: Record<string, string> = {
  vars: 'var name',
  capture: 'capture name',
  set: 'name',
  types: 'group name',
  result: 'column',
};

const DEPENDENCY_OWNER: Record<string, string> = {
  changes: "on a 'run' step",
  expect: "on a 'run' step",
  capture: "on a 'run' step",
  retry: "on a 'run' step",
  dialog: "on a 'run' step",
  expect_disconnect: "on a 'run' step",
  ok_exit_codes: "on a 'run' step",
  for_each: "on a group ('steps') step",
  as: "with 'for_each'",
  message: "on an 'assert' step ('end' has its own message)",
  flags: "with 'regex'",
};

/** What a value must be, by the schema location of the failing keyword. */
const EXPECTED: Record<string, string> = {
  name: 'a name of letters, digits and _, not starting with a digit',
  expression: 'a CEL expression (text)',
  template: 'non-empty text',
  regex: 'a regular expression (text)',
  flags: 'regex flags: any of i, m, s, u, each at most once',
  duration: "a duration such as '30s', '500ms' or '2m', or a number of seconds",
  scalarType: 'one of string, int, bool, ipv4, ipv6',
  steps: 'a non-empty list of steps',
  step: "a step: a mapping with 'id' and one of run, steps, choose, end, assert, set, use",
  matcher: 'a matcher mapping (contains, not_contains, regex, expression, all or any) or a list of matchers',
  capture:
    "a mapping with 'regex' (and optionally match, types, optional, flags) or 'textfsm' (and optionally types)",
  retry: 'a mapping like {times: 5, delay: 2s, until: <expression>}',
  dialogAnswer: "a mapping like {prompt: '\\[confirm\\]', answer: ''}",
  chooseBranch: "a mapping with 'steps' (and 'when', except on the last branch)",
  end: 'a mapping like {status: ok, message: <text>}',
  var: "a mapping with 'type' (string, int, bool, ipv4, ipv6, enum or list)",
  itemSpec: "a mapping with 'type' (string, int, bool, ipv4, ipv6 or enum)",
  'root/properties/vars': 'a mapping of variable names to {type: ...}',
  'root/properties/runbook': 'a non-empty name',
  'step/properties/changes': 'a description of the impact (text), or false',
  'step/properties/on_failure': 'abort, continue, or a list of recovery steps',
  'step/properties/capture': 'a mapping of capture names to {regex: ...} or {textfsm: true}',
  'capture/properties/textfsm': 'true (the index finds the template) or a template file name',
  'step/properties/set': 'a mapping of names to CEL expressions',
  'step/properties/set/additionalProperties': 'a CEL expression (text, a number or true/false)',
  'step/properties/result': 'a mapping of column names to CEL expressions',
  'step/properties/result/additionalProperties': 'a CEL expression (text, a number or true/false)',
  'step/properties/dialog': 'a list of {prompt, answer}',
  'step/properties/choose': 'a list of branches {when, steps}',
  'step/properties/ok_exit_codes': 'a list of distinct exit codes',
  'step/properties/ok_exit_codes/items': 'an exit code (an integer between 0 and 255)',
  'capture/properties/types': 'a mapping of group names to types (string, int, bool, ipv4, ipv6)',
  'var/properties/values': 'a non-empty list of distinct values',
  'itemSpec/properties/values': 'a non-empty list of distinct values',
};

/** Location key of the schema that failed, without if/then/allOf steps: `step/properties/changes`. */
function keyOf(e: ErrorObject): string {
  const raw = schemaKeys.get(e.parentSchema) ?? '';
  const parts = raw.split('/');
  const kept: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === 'then' || p === 'if') continue;
    if ((p === 'allOf' || p === 'oneOf' || p === 'anyOf') && /^\d+$/.test(parts[i + 1] ?? '')) {
      i++;
      continue;
    }
    kept.push(p);
  }
  return kept.join('/');
}

function expected(e: ErrorObject): string {
  const key = keyOf(e);
  const known = EXPECTED[key];
  if (known) return known;
  const node = schemaNode(key);
  return describeSchema(node);
}

function schemaNode(key: string): Record<string, unknown> {
  const parts = key.split('/');
  let node: unknown = parts[0] === 'root' ? schema : (schema.definitions as Record<string, unknown>);
  for (const p of parts[0] === 'root' ? parts.slice(1) : parts) {
    node = isObject(node) ? node[p] : undefined;
  }
  return isObject(node) ? node : {};
}

function describeSchema(node: Record<string, unknown>): string {
  if (Array.isArray(node.enum)) return `one of ${(node.enum as string[]).join(', ')}`;
  const type = node.type;
  const min = node.minimum as number | undefined;
  const max = node.maximum as number | undefined;
  if (type === 'integer' || type === 'number') {
    const noun = type === 'integer' ? 'an integer' : 'a number';
    if (min !== undefined && max !== undefined) return `${noun} between ${min} and ${max}`;
    if (min !== undefined) return `${noun} >= ${min}`;
    return noun;
  }
  if (type === 'boolean') return 'true or false';
  if (type === 'string') return node.minLength ? 'non-empty text' : 'text';
  if (type === 'array') return node.minItems ? 'a non-empty list' : 'a list';
  if (type === 'object') return 'a mapping';
  return 'valid';
}

function valueHint(e: ErrorObject): string | undefined {
  const key = keyOf(e);
  if (key === 'duration')
    return 'write e.g. `timeout: 30s`, `delay: 500ms`, `timeout: 2m`, or a number of seconds';
  if (key === 'step/properties/changes')
    return 'write `changes: <what it disrupts>` for a state-changing command, or `changes: false`';
  if (key === 'expression' || key === 'template' || key === 'regex')
    return 'quote it if YAML reads it as a number, boolean or mapping';
  if (e.keyword === 'uniqueItems') return 'remove the repeated item';
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
    const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
    return guess ? `did you mean '${guess}'?` : `'${String(e.data)}' is not one of them`;
  }
  return undefined;
}

function allowedFields(e: ErrorObject): string[] {
  const node = schemaNode(keyOf(e));
  return Object.keys((node.properties as Record<string, unknown> | undefined) ?? {});
}

function valueAt(data: unknown, path: DocPath): unknown {
  let cur = data;
  for (const seg of path)
    cur = isObject(cur) || Array.isArray(cur) ? (cur as Record<string | number, unknown>)[seg] : undefined;
  return cur;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
