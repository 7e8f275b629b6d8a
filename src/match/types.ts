/** Capture and matcher specs of a command step, as compiled (the runbook model names them too). */
import type { SourcePos } from '../errors.js';
import type { CompiledExpr, ScalarType, Value } from '../expr/types.js';
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
  /**
   * What no match gives in first/last mode: false fails the step (regex default), true gives null
   * (textfsm default), unless `fallback` is set, which is then the value.
   */
  optional: boolean;
  /** `required: true`: no match (in mode all: an empty list) fails the step with the output shown. */
  required?: boolean;
  /** `default:`: the record a first/last capture gives when nothing matched (fields typed like the groups). */
  fallback?: Record<string, Value>;
  /** Mode all: last match first (log buffers are oldest first, so this is newest first). */
  reverse?: boolean;
  /** Mode all: keep only the first match (after `reverse`) per distinct value of this named group. */
  unique?: string;
  /**
   * A TextFSM capture (then `regex` is ''): the output parsed with these template files (absolute
   * paths, found at validate time) into records with these columns (mode all: the list; first/last:
   * one record); `types` is by column name.
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
