/**
 * Load a mock device model or a cassette (YAML or JSON, schemas/device.schema.json) into a
 * DeviceModel, with every problem reported at once as file:line:col (ValidationError
 * E_DEVICE_INVALID). A cassette's interactions also become commands (each command's outputs in
 * the order recorded, the last repeating), so a cassette serves as a mock device too.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import schema from '../../schemas/device.schema.json' with { type: 'json' };
import { RunbookError, ValidationError, type Diagnostic } from '../errors.js';
import type { PlatformName } from '../platforms/types.js';
import { explainSchemaErrors } from '../runbook/schema-errors.js';
import { parseSource, type DocPath, type SourceDoc } from '../runbook/source.js';
import type { CliMode, DeviceErrorKind, LoginBehaviour } from './behaviour.js';
import type { DeviceModel, Interaction, ModelCommand, ModelResponse, StateValue } from './device-model.js';
import type { Scenario } from './topology.js';

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true });
const validate = ajv.compile(schema);

type Raw = Record<string, unknown>;
const TEMPLATE = /\{\{\s*(state\.)?([A-Za-z_]\w*)\s*\}\}/g;

/** Read and compile a device model or cassette file. */
export function loadDeviceModel(file: string): DeviceModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RunbookError('E_USAGE', `cannot read device file ${file}: ${(err as Error).message}`, {
      hint: 'give the path of a device model or cassette (YAML or JSON)',
      cause: err,
    });
  }
  return { ...parseDeviceModel(text, file), file: resolve(file) };
}

/** Compile device model text (no I/O); `file` names it in diagnostics. */
export function parseDeviceModel(text: string, file: string): DeviceModel {
  const parsed = parseSource(text.replace(/^\uFEFF/, ''), file);
  if (!parsed.ok) throw new ValidationError(parsed.diagnostics, 'E_DEVICE_INVALID');
  const doc = parsed.doc;
  if (!validate(doc.data)) {
    throw new ValidationError(
      explainSchemaErrors(validate.errors ?? [], doc, 'the device model'),
      'E_DEVICE_INVALID',
    );
  }
  const diagnostics: Diagnostic[] = [];
  const model = compile(doc, diagnostics);
  if (diagnostics.length > 0) throw new ValidationError(diagnostics, 'E_DEVICE_INVALID');
  return model;
}

function compile(doc: SourceDoc, diagnostics: Diagnostic[]): DeviceModel {
  const d = doc.data as Raw;
  const hostname = String(d.device);
  const platform = (d.platform as PlatformName | undefined) ?? 'cisco-iosxe';
  const prompts = (d.prompts ?? {}) as Partial<Record<CliMode, string>>;
  const state = { ...((d.state ?? {}) as Record<string, StateValue>) };
  const interactions = (d.interactions as Raw[] | undefined)?.map((r, i) =>
    interaction(r, doc, ['interactions', i]),
  );
  const model: DeviceModel = {
    hostname,
    platform,
    prompts: {
      user: prompts.user ?? `${hostname}>`,
      exec: prompts.exec ?? `${hostname}#`,
      config: prompts.config ?? `${hostname}(config)#`,
    },
    pager: (d.pager as boolean | undefined) ?? true,
    abbreviations: (d.abbreviations as boolean | undefined) ?? (platform !== 'linux' && !interactions),
    ...(d.login ? { login: d.login as LoginBehaviour } : {}),
    state,
    commands: ((d.commands ?? []) as Raw[]).map((c, i) =>
      command(c, doc, ['commands', i], state, diagnostics),
    ),
  };
  if (interactions) {
    model.interactions = interactions;
    model.commands.push(...fromInteractions(interactions));
  }
  if (d.outcome) model.outcome = d.outcome as DeviceModel['outcome'];
  const plugin = (d.plugin as { inv_spi?: Raw } | undefined)?.inv_spi;
  if (plugin) {
    model.plugin = {
      kind: 'inv-spi',
      scenario: plugin.scenario as Scenario,
      confirm: (plugin.confirm as boolean | undefined) ?? false,
      bfdDelayMs: (plugin.bfd_delay as number | undefined) ?? 3000,
    };
  }
  return model;
}

function dialogs(v: unknown): string[] {
  return v === undefined ? [] : [v].flat().map(String);
}

function response(v: unknown): ModelResponse {
  if (typeof v === 'string') return { output: v, disconnect: false };
  const r = v as Raw;
  const out: ModelResponse = {
    output: (r.output as string | undefined) ?? '',
    disconnect: r.disconnect === true,
  };
  if (r.exit_code !== undefined) out.exitCode = r.exit_code as number;
  if (r.stderr !== undefined) out.stderr = r.stderr as string;
  if (r.later !== undefined) {
    out.later = (r.later as { after_ms: number; output: string }[]).map((l) => ({
      afterMs: l.after_ms,
      output: l.output,
    }));
  }
  if (r.repeat !== undefined) {
    const rep = r.repeat as { every_ms: number; output: string };
    out.repeat = { everyMs: rep.every_ms, output: rep.output };
  }
  if (r.until_interrupt === true) out.untilInterrupt = true;
  return out;
}

function command(
  c: Raw,
  doc: SourceDoc,
  path: DocPath,
  state: Record<string, StateValue>,
  diagnostics: Diagnostic[],
): ModelCommand {
  const problem = (at: DocPath, message: string, hint: string): void => {
    diagnostics.push({ pos: doc.valuePos(at), message, hint });
  };
  const has = (k: string): boolean => c[k] !== undefined;
  if (has('command') === has('regex')) {
    problem(
      path,
      `command #${Number(path[1]) + 1} needs exactly one of 'command' or 'regex'`,
      "add `command: <exact text>` or `regex: '<pattern>'`",
    );
  }
  const answers = ['output', 'outputs', 'error'].filter(has);
  if (answers.length > 1) {
    problem(
      [...path, answers[1]!],
      `command #${Number(path[1]) + 1} has both '${answers[0]}' and '${answers[1]}'`,
      'give one of output, outputs (a sequence for polls) or error',
    );
  }
  let groups: string[] = [];
  if (typeof c.regex === 'string') {
    try {
      new RegExp(c.regex);
      groups = [...c.regex.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((m) => m[1]!);
    } catch (err) {
      problem(
        [...path, 'regex'],
        `invalid regex: ${(err as Error).message}`,
        'write a JavaScript regular expression; named groups (?<peer>...) fill templates',
      );
    }
  }
  const single = response(c);
  const responses = has('outputs')
    ? (c.outputs as unknown[]).map((r) => {
        const out = response(r);
        if (c.disconnect === true) out.disconnect = true;
        return out;
      })
    : [single];
  const checkTemplate = (text: string, at: DocPath): void => {
    for (const m of text.matchAll(TEMPLATE)) {
      const name = m[2]!;
      const ok = m[1] ? name in state : groups.includes(name) || name in state;
      if (!ok) {
        problem(
          at,
          `unknown template value '{{ ${m[1] ?? ''}${name} }}'`,
          `use a named group of the regex (${groups.join(', ') || 'none'}) or a state value declared under 'state:' (${Object.keys(state).join(', ') || 'none'})`,
        );
      }
    }
  };
  responses.forEach((r, i) => {
    if (r.stderr !== undefined)
      checkTemplate(r.stderr, has('outputs') ? [...path, 'outputs', i] : [...path, 'stderr']);
  });
  responses.forEach((r, i) =>
    checkTemplate(r.output, has('outputs') ? [...path, 'outputs', i] : [...path, 'output']),
  );
  const when = (c.when ?? {}) as Record<string, StateValue>;
  const set = (c.set ?? {}) as Record<string, StateValue>;
  for (const [what, map] of [
    ['when', when],
    ['set', set],
  ] as const) {
    for (const [k, v] of Object.entries(map)) {
      if (!(k in state))
        diagnostics.push({
          pos: doc.keyPos([...path, what, k]),
          message: `'${what}' names '${k}', which is not in the device state`,
          hint: `declare it with its initial value under 'state:' (declared: ${Object.keys(state).join(', ') || 'none'})`,
        });
      if (what === 'set' && typeof v === 'string') checkTemplate(v, [...path, 'set', k]);
    }
  }
  const dl = dialogs(c.dialog);
  dl.forEach((q) => checkTemplate(q, [...path, 'dialog']));
  const entry: ModelCommand = {
    mode: (c.mode as CliMode | undefined) ?? 'exec',
    when,
    responses,
    dialogs: dl,
    set,
    changes: (c.changes as boolean | undefined) ?? Object.keys(set).length > 0,
    exit: c.exit === true,
    pos: doc.keyPos(path),
  };
  if (typeof c.command === 'string') entry.command = c.command;
  if (typeof c.regex === 'string') entry.regex = c.regex;
  if (c.error !== undefined) entry.error = c.error as DeviceErrorKind;
  if (c.enter !== undefined) entry.enter = c.enter as CliMode;
  return entry;
}

function interaction(r: Raw, doc: SourceDoc, path: DocPath): Interaction {
  const out: Interaction = {
    command: String(r.command),
    output: (r.output as string | undefined) ?? '',
    dialogs: dialogs(r.dialog),
    disconnected: r.disconnected === true,
    pos: doc.keyPos(path),
  };
  if (r.step !== undefined) out.step = String(r.step);
  if (r.exit_code !== undefined) out.exitCode = r.exit_code as number;
  if (r.stderr !== undefined) out.stderr = r.stderr as string;
  return out;
}

/** Each distinct command of a recording, answering with its recorded outputs in order. */
function fromInteractions(list: Interaction[]): ModelCommand[] {
  const byCommand = new Map<string, ModelCommand>();
  for (const i of list) {
    let entry = byCommand.get(i.command);
    if (!entry) {
      entry = {
        command: i.command,
        mode: 'exec',
        when: {},
        responses: [],
        dialogs: i.dialogs,
        set: {},
        changes: false,
        exit: false,
        pos: i.pos,
      };
      byCommand.set(i.command, entry);
    }
    const r: ModelResponse = { output: i.output, disconnect: i.disconnected };
    if (i.exitCode !== undefined) r.exitCode = i.exitCode;
    if (i.stderr !== undefined) r.stderr = i.stderr;
    entry.responses.push(r);
  }
  return [...byCommand.values()];
}
