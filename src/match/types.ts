/** Capture and matcher specs of a command step, as compiled (the runbook model names them too). */
import type { SourcePos } from '../errors.js';
import type { CompiledExpr, ScalarType } from '../expr/types.js';
import type { TextfsmColumn } from '../parse/records.js';

/** Which match(es) of a capture regex to keep. */
export type CaptureMode = 'first' | 'last' | 'all';

export interface CaptureSpec {
  name: string;
  /** JavaScript regex source with named groups. */
  regex: string;
  flags: string;
  mode: CaptureMode;
  /** Type per named group; groups not listed are strings. */
  types: Record<string, ScalarType>;
  /** Allowed values per group typed `enum` (a group typed enum without values accepts none). */
  enumValues?: Record<string, string[]>;
  /** When false (default), no match in first/last mode fails the step; when true the value is null. */
  optional: boolean;
  /** Mode all: last match first (log buffers are oldest first, so this is newest first). */
  reverse?: boolean;
  /** Mode all: keep only the first match (after `reverse`) per distinct value of this named group. */
  unique?: string;
  /**
   * A TextFSM capture (then `regex` is '' and mode 'all'): the output parsed with these template
   * files (absolute paths, found at validate time) into a list of records with these columns;
   * `types` is by column name.
   */
  textfsm?: { templates: string[]; columns: TextfsmColumn[] };
  pos: SourcePos;
}

export type Matcher =
  | { kind: 'contains'; text: string; pos: SourcePos }
  | { kind: 'not_contains'; text: string; pos: SourcePos }
  | { kind: 'regex'; regex: string; flags: string; pos: SourcePos }
  | { kind: 'expression'; expr: CompiledExpr; pos: SourcePos }
  | { kind: 'all'; of: Matcher[]; pos: SourcePos }
  | { kind: 'any'; of: Matcher[]; pos: SourcePos };
