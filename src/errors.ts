/**
 * Error classes with stable codes. Messages say what happened, where, and what to do next.
 * Only the CLI turns an error into output and an exit code (see `exitCodeFor`).
 */

/** Stable error codes; tests and the JSON output rely on them. */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_RUNBOOK_INVALID'
  | 'E_RUNBOOK_READ'
  | 'E_VAR_INVALID'
  | 'E_TEMPLATE'
  | 'E_TEXTFSM_TEMPLATE'
  | 'E_TEXTFSM_NO_TEMPLATE'
  | 'E_TEXTFSM_ERROR'
  | 'E_EXPR'
  | 'E_CONNECT'
  | 'E_AUTH'
  | 'E_HOSTKEY_UNKNOWN'
  | 'E_HOSTKEY_CHANGED'
  | 'E_TIMEOUT'
  | 'E_DISCONNECTED'
  | 'E_UNEXPECTED_PROMPT'
  | 'E_MODE_CHANGED'
  | 'E_OUTPUT_LIMIT'
  | 'E_STATE'
  | 'E_DEVICE_ERROR'
  | 'E_APPROVAL_REQUIRED'
  | 'E_INTERRUPTED'
  | 'E_LOCKED'
  | 'E_RUN_NOT_FOUND'
  | 'E_RUN_CORRUPT'
  | 'E_RUNBOOK_CHANGED'
  | 'E_INVENTORY'
  | 'E_DEVICE_INVALID'
  | 'E_TEST_INVALID'
  | 'E_REPLAY_DIVERGED'
  | 'E_STORE_CONNECT'
  | 'E_STORE_AUTH'
  | 'E_STORE_SCHEMA'
  | 'E_PLATFORM_INVALID'
  | 'E_STEP_FAILED'
  | 'E_PRIVILEGE'
  | 'E_VAULT'
  | 'E_INTERNAL';

/** Exit codes of the CLI (DESIGN.md): 0 ok, 1 runbook failed, 2 usage/validation, 3 connection/auth, 4 approval/interrupted. */
/** 5: `exec --dry-run --detailed-exitcode` found changes that would run (as Terraform's plan's 2). */
export type ExitCode = 0 | 1 | 2 | 3 | 4 | 5;

/** A source position in a runbook or inventory file; line and col are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

/** Base class of every error a user can cause or fix. `hint` says what to do next. */
export class RunbookError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RunbookError';
    this.code = code;
    this.hint = opts.hint;
  }
}

/** One validation problem, pointing at the file position. */
export interface Diagnostic {
  pos: SourcePos;
  message: string;
  hint?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${formatPos(d.pos)}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ''}`;
}

/** A runbook (or inventory) that failed validation: every problem at once. */
export class ValidationError extends RunbookError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[], code: ErrorCode = 'E_RUNBOOK_INVALID') {
    super(code, diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'ValidationError';
    this.diagnostics = diagnostics;
  }
}

const EXIT: Record<ErrorCode, ExitCode> = {
  E_USAGE: 2,
  E_RUNBOOK_INVALID: 2,
  E_RUNBOOK_READ: 2,
  E_VAR_INVALID: 2,
  E_TEMPLATE: 1,
  E_TEXTFSM_TEMPLATE: 2,
  E_TEXTFSM_NO_TEMPLATE: 2,
  E_TEXTFSM_ERROR: 1,
  E_EXPR: 1,
  E_CONNECT: 3,
  E_AUTH: 3,
  E_HOSTKEY_UNKNOWN: 3,
  E_HOSTKEY_CHANGED: 3,
  E_TIMEOUT: 1,
  E_DISCONNECTED: 3,
  E_UNEXPECTED_PROMPT: 1,
  E_MODE_CHANGED: 1,
  E_OUTPUT_LIMIT: 1,
  E_STATE: 2,
  E_DEVICE_ERROR: 1,
  E_APPROVAL_REQUIRED: 4,
  E_INTERRUPTED: 4,
  E_LOCKED: 2,
  E_RUN_NOT_FOUND: 2,
  E_RUN_CORRUPT: 2,
  E_RUNBOOK_CHANGED: 2,
  E_INVENTORY: 2,
  E_DEVICE_INVALID: 2,
  E_TEST_INVALID: 2,
  E_REPLAY_DIVERGED: 1,
  E_STORE_CONNECT: 3,
  E_STORE_AUTH: 3,
  E_STORE_SCHEMA: 2,
  E_PLATFORM_INVALID: 2,
  E_STEP_FAILED: 1,
  /** `enable` failed: wrong or missing enable secret, privilege not reached. */
  E_PRIVILEGE: 3,
  /** A vaulted file or value could not be decrypted (wrong or missing vault password). */
  E_VAULT: 2,
  E_INTERNAL: 1,
};

export function exitCodeFor(code: ErrorCode): ExitCode {
  return EXIT[code];
}
