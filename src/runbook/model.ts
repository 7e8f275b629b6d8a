/**
 * The compiled Runbook model: what validation produces and the executor walks.
 * Plain data plus compiled expressions; read-only after compile; defaults filled once.
 */
import type { SourcePos } from '../errors.js';
import type { CompiledExpr, Template } from '../expr/types.js';
import type { PlatformName } from '../platforms/types.js';

// Value types (expr/) and capture/matcher specs (match/) live below the runbook layer; named here too.
export type { ScalarType, VarType, ScalarSpec, VarDecl } from '../expr/types.js';
export type { CaptureMode, CaptureSpec, Matcher } from '../match/types.js';
import type { VarDecl } from '../expr/types.js';
import type { CaptureSpec, Matcher } from '../match/types.js';

export interface DialogAnswer {
  /** Regex source of the device's prompt text, e.g. `\[confirm\]`. */
  prompt: string;
  /** Text sent (followed by a newline unless `newline: false`). */
  answer: string;
  newline: boolean;
  /** Answered each time it is asked (absent or false: once per command). */
  repeat?: boolean;
}

export interface RetrySpec {
  /** Total attempts, including the first (>= 1). */
  times: number;
  delayMs: number;
  /** Polling stops as soon as `until` holds; when absent, retry until the step succeeds. */
  until?: CompiledExpr;
}

/** abort: the host's run fails; continue: mark failed and go on; steps: run recovery steps, then abort unless they `end`. */
export type OnFailure = { kind: 'abort' } | { kind: 'continue' } | { kind: 'steps'; steps: Step[] };

export type EndStatus = 'ok' | 'failed';

/**
 * One column of a step's `result:`: a CEL expression typed at validate time as a scalar (string,
 * int, double, bool; ipv4/ipv6/enum are strings) or a list of scalars. `type` is its CEL type.
 */
export interface ResultColumn {
  name: string;
  expr: CompiledExpr;
  type: string;
  /** The expression reads a secret name: the value is recorded as the mask. */
  secret: boolean;
}

interface StepBase {
  id: string;
  /**
   * The step's name under its parent in keys (journals, resume, reports): a part's step is `id`
   * `<use id>/<own id>` (unique, for --start-at) and keyed by its own id under the use group.
   * Default: `id`.
   */
  localId?: string;
  /** Human title; defaults to the id. */
  name: string;
  /** The name when it has `{{ }}` parts (`BFD sessions on {{ color }} up`): rendered at step start for display. */
  title?: Template;
  /** The author's words for what the step does or why (plans show it instead of the CEL). */
  description?: string;
  when?: CompiledExpr;
  timeoutMs?: number;
  onFailure: OnFailure;
  /**
   * `result:` columns, in the author's order: evaluated when the step ran (ended ok, failed or by an
   * `end`; a for_each group once per iteration), each evaluation one row of the host's results.
   */
  result?: ResultColumn[];
  pos: SourcePos;
}

export interface CommandStep extends StepBase {
  kind: 'command';
  run: Template;
  /** Disruptive steps need approval and are never sent by dry-run. */
  disruptive: boolean;
  /** Blast radius, when disruptive. */
  impact?: Template;
  expect?: Matcher;
  captures: CaptureSpec[];
  retry?: RetrySpec;
  dialogs: DialogAnswer[];
  /** The session may drop during this command; the engine reconnects and carries on. */
  expectDisconnect: boolean;
  /** Exit codes that count as success (exec transports); default [0]. */
  okExitCodes: number[];
  /** Most output bytes the command may print (`max_output`); the transport default when absent. */
  maxOutputBytes?: number;
}

export interface GroupStep extends StepBase {
  kind: 'group';
  steps: Step[];
  /**
   * Iterate the group over a list; each iteration binds `as` and is journaled with the item.
   * `init` names are bound (and journaled with the group) before the first item; once `until`
   * holds after an item, the items left are not run. Both come from action tables.
   */
  forEach?: {
    items: CompiledExpr;
    as: string;
    init?: { name: string; expr: CompiledExpr }[];
    until?: CompiledExpr;
  };
  /** Set when the group is an action table (`actions:`) compiled into ordinary steps: what plans show. */
  table?: ActionTable;
}

/**
 * An action table as written, for plans: its steps run as the group's `steps` (per action tried,
 * `attempt` > `act` (a choose on the action) > the action's command, then `verify`). The actions'
 * commands and the verify steps are the same objects as in the group's steps.
 */
export interface ActionTable {
  /** Name of the table's record ({fixed, by, tried, did}). */
  as: string;
  /** CEL source of `order`, when given (default: the actions as written). */
  order?: string;
  /** The actions, as written; `when` is judged when the table starts. */
  actions: { step: CommandStep; when?: CompiledExpr }[];
  verify: Step[];
}

export interface ChooseStep extends StepBase {
  kind: 'choose';
  /** First branch whose `when` holds runs; a branch without `when` is the otherwise branch (last). */
  branches: { when?: CompiledExpr; steps: Step[]; pos: SourcePos }[];
}

export interface EndStep extends StepBase {
  kind: 'end';
  status: EndStatus;
  message: Template;
}

export interface AssertStep extends StepBase {
  kind: 'assert';
  that: CompiledExpr;
  message?: Template;
}

export interface SetStep extends StepBase {
  kind: 'set';
  values: { name: string; expr: CompiledExpr }[];
}

export type Step = CommandStep | GroupStep | ChooseStep | EndStep | AssertStep | SetStep;
export type StepKind = Step['kind'];

export interface Runbook {
  /** `runbook:` name. */
  name: string;
  description: string;
  platform: PlatformName;
  vars: VarDecl[];
  steps: Step[];
  /** Absolute path of the file it was loaded from. */
  file: string;
  /** sha256 of the file's bytes, hex. */
  contentHash: string;
}
