/**
 * Load platform profiles from YAML files: one file per platform, checked against
 * schemas/platform.schema.json (every problem at once, at file:line:col), regexes compiled,
 * `extends` resolved, then mapped to the PlatformProfile the rest of the code reads.
 * A name (or an `ansible_network_os` value) given by two files is an error: a user's profile adds a
 * platform, it never silently replaces a shipped one (copy it under a new name, or `extends:` it).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import schema from '../../schemas/platform.schema.json' with { type: 'json' };
import { ValidationError, type Diagnostic, type SourcePos } from '../errors.js';
import { mapProfile, type RawProfile } from './map.js';
import type { PlatformProfile } from './types.js';

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validateRaw = ajv.compile(schema);

interface LoadedFile {
  file: string;
  raw: RawProfile;
  /** Position of the value at `path` (of its key with `key`), or of the nearest existing ancestor. */
  pos: (path: readonly (string | number)[], key?: 'key') => SourcePos;
}

/** The YAML files of a profile dir, sorted; a missing or unreadable dir is a diagnostic. */
function profileFiles(dir: string, diagnostics: Diagnostic[]): string[] {
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    return readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    diagnostics.push({
      pos: { file: dir, line: 1, col: 1 },
      message: `cannot read platform dir ${dir}: ${code === 'ENOENT' ? 'no such directory' : (err as Error).message}`,
      hint: 'give --platforms (or $RUNBOOK_PLATFORMS) a directory of platform YAML files',
    });
    return [];
  }
}

function readProfile(file: string, diagnostics: Diagnostic[]): LoadedFile | undefined {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number): SourcePos => ({ file, ...lines.linePos(offset) });
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      diagnostics.push({
        pos: at(e.pos[0]),
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
        hint: 'fix the YAML syntax (quote regexes in single quotes)',
      });
    return undefined;
  }
  const pos = (path: readonly (string | number)[], key?: 'key'): SourcePos => {
    let node: unknown = doc.contents;
    let best = 0;
    for (const [i, seg] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
        if (!pair) break;
        best = (pair.key as Node).range?.[0] ?? best;
        node = pair.value;
        if (key && i === path.length - 1) break;
        if ((node as Node | null)?.range) best = (node as Node).range![0];
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
        node = node.items[seg];
        best = (node as Node).range?.[0] ?? best;
      } else break;
    }
    return at(best);
  };
  return { file, raw: doc.toJS() as RawProfile, pos };
}

function schemaDiagnostics(f: LoadedFile, errors: ErrorObject[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    const where = path.length ? path.join('.') : 'the profile';
    let message = `${where} ${e.message ?? 'is invalid'}`;
    let hint = 'see docs/platforms.md for the platform file format';
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      path.push(key);
      message = `${where === 'the profile' ? 'the profile' : where} has an unknown field '${key}'`;
      hint =
        path.length === 1 && ['runbook', 'steps'].includes(key)
          ? 'this looks like a runbook: keep runbooks out of the platforms dir'
          : 'remove it or fix its spelling (see docs/platforms.md)';
    } else if (e.keyword === 'enum') {
      message = `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    }
    const key = `${path.join('.')}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pos: f.pos(path, e.keyword === 'additionalProperties' ? 'key' : undefined), message, hint });
  }
  return out;
}

/** Every regex source in a raw profile with its path, to compile at load time. */
function regexes(raw: RawProfile): { path: (string | number)[]; source: string; flags: string }[] {
  const out: { path: (string | number)[]; source: string; flags: string }[] = [];
  const add = (path: (string | number)[], v: unknown, flags = ''): void => {
    if (typeof v === 'string') out.push({ path, source: v, flags });
  };
  add(['prompts', 'any'], raw.prompts?.any);
  raw.prompts?.config?.forEach((v, i) => add(['prompts', 'config', i], v));
  add(['privilege', 'unprivileged_prompt'], raw.privilege?.unprivileged_prompt);
  add(['privilege', 'password_prompt'], raw.privilege?.password_prompt);
  raw.privilege?.failure_patterns?.forEach((v, i) => add(['privilege', 'failure_patterns', i], v));
  add(['paging', 'pager'], raw.paging?.pager);
  raw.errors?.forEach((e, i) => add(['errors', i, 'pattern'], e.pattern));
  raw.dialogs?.forEach((v, i) => add(['dialogs', i], v));
  add(['values', 'unsafe'], raw.values?.unsafe);
  const ro = raw.read_only;
  ro?.never?.forEach((v, i) => add(['read_only', 'never', i], v, 'i'));
  const words = (list: unknown, path: (string | number)[]): void => {
    if (!Array.isArray(list)) return;
    list.forEach((w: Record<string, unknown>, i) => {
      add([...path, i, 'args'], w.args, 'i');
      if (Array.isArray(w.deny)) w.deny.forEach((d, j) => add([...path, i, 'deny', j], d, 'i'));
      words(w.sub, [...path, i, 'sub']);
    });
  };
  words(ro?.commands, ['read_only', 'commands']);
  return out;
}

function regexDiagnostics(f: LoadedFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of regexes(f.raw)) {
    try {
      new RegExp(r.source, r.flags);
    } catch (err) {
      out.push({
        pos: f.pos(r.path),
        message: `${r.path.join('.')} is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`,
        hint: 'regexes are JavaScript syntax; in YAML, single-quote them',
      });
    }
  }
  return out;
}

/**
 * Load every profile of `dirs` (in order: shipped first, then the user's). Throws ValidationError
 * (E_PLATFORM_INVALID) listing every problem of every file.
 */
export function loadProfiles(dirs: readonly string[]): Map<string, PlatformProfile> {
  const diagnostics: Diagnostic[] = [];
  const files: LoadedFile[] = [];
  for (const dir of dirs) {
    for (const file of profileFiles(dir, diagnostics)) {
      const f = readProfile(file, diagnostics);
      if (!f) continue;
      if (!validateRaw(f.raw)) {
        diagnostics.push(...schemaDiagnostics(f, validateRaw.errors ?? []));
        continue;
      }
      const bad = regexDiagnostics(f);
      if (bad.length) diagnostics.push(...bad);
      else files.push(f);
    }
  }
  const byName = new Map<string, LoadedFile>();
  for (const f of files) {
    const other = byName.get(f.raw.platform);
    if (other) {
      diagnostics.push({
        pos: f.pos(['platform']),
        message: `platform ${f.raw.platform} is already defined by ${other.file}`,
        hint: `give this profile another name (it may start from the other with 'extends: ${f.raw.platform}')`,
      });
    } else byName.set(f.raw.platform, f);
  }
  const profiles = new Map<string, PlatformProfile>();
  const osOwner = new Map<string, string>();
  for (const f of byName.values()) {
    const merged = resolveExtends(f, byName, diagnostics);
    if (!merged) continue;
    for (const [i, os] of (merged.ansible_network_os ?? []).entries()) {
      const owner = osOwner.get(os);
      if (owner && owner !== f.raw.platform) {
        diagnostics.push({
          pos: f.pos(['ansible_network_os', i]),
          message: `ansible_network_os ${os} already selects platform ${owner}`,
          hint: 'an inventory name can select one platform only; remove it from one of the files',
        });
      } else osOwner.set(os, f.raw.platform);
    }
    profiles.set(f.raw.platform, mapProfile(merged, f.file));
  }
  if (diagnostics.length > 0) throw new ValidationError(diagnostics, 'E_PLATFORM_INVALID');
  return profiles;
}

/** The file's sections over its `extends` chain's (top-level sections replace, they do not merge). */
function resolveExtends(
  f: LoadedFile,
  byName: Map<string, LoadedFile>,
  diagnostics: Diagnostic[],
): RawProfile | undefined {
  const chain: LoadedFile[] = [f];
  let cur = f;
  while (cur.raw.extends !== undefined) {
    const parent = byName.get(cur.raw.extends);
    if (!parent || chain.includes(parent)) {
      diagnostics.push({
        pos: cur.pos(['extends']),
        message: parent
          ? `extends ${cur.raw.extends} makes a cycle (${chain.map((c) => c.raw.platform).join(' -> ')})`
          : `extends ${cur.raw.extends}, which is not a loaded platform (${[...byName.keys()].join(', ')})`,
        hint: 'name a platform defined by a shipped file or one in your platforms dir',
      });
      return undefined;
    }
    chain.push(parent);
    cur = parent;
  }
  const merged: RawProfile = { platform: f.raw.platform, description: f.raw.description };
  for (const c of chain.reverse()) Object.assign(merged, c.raw);
  delete merged.extends;
  merged.platform = f.raw.platform;
  return merged;
}
