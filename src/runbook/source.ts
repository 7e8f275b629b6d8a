/**
 * A YAML document with source positions: parse once, then map JSON-pointer-like paths to
 * file:line:col of a key or a value. YAML syntax errors become diagnostics with their position.
 *
 * Limits (each a diagnostic with file:line:col, so exit 2, never a crash or an OOM): a file of at
 * most MAX_SOURCE_CHARS characters, nesting at most MAX_DEPTH deep (flow `[`/`{` and block
 * indentation alike, checked before the YAML parser sees the text), and at most MAX_ALIASES alias
 * expansions (`*name`: the "billion laughs").
 */
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { Diagnostic, SourcePos } from '../errors.js';

/** A path into the document: map keys and sequence indexes. */
export type DocPath = readonly (string | number)[];

export interface SourceDoc {
  file: string;
  /** The plain JS value of the document (undefined when the file is empty). */
  data: unknown;
  /** Position of the key at `path` (the value's position for sequence items and the root). */
  keyPos(path: DocPath): SourcePos;
  /** Position of the value at `path`; falls back to the nearest existing ancestor. */
  valuePos(path: DocPath): SourcePos;
  /** Position of the first character of a string value's content (after an opening quote). */
  textPos(path: DocPath): SourcePos;
  /**
   * When the map at `path` is a flow mapping (`{a: 1, b: 2}`): the key written just before `key`
   * (undefined when `key` is first), so a bare comma that split a value can be named.
   */
  flowKeyBefore(path: DocPath, key: string): { before?: string } | undefined;
}

export type ParseResult = { ok: true; doc: SourceDoc } | { ok: false; diagnostics: Diagnostic[] };

/** A runbook is a page of YAML, not a data dump: 4 Mi characters. */
export const MAX_SOURCE_CHARS = 4 * 1024 * 1024;
/** Nesting depth of mappings and sequences. */
export const MAX_DEPTH = 64;
/** Alias expansions when the document is turned into values. */
export const MAX_ALIASES = 100;

export function parseSource(text: string, file: string): ParseResult {
  const limit = sourceLimitProblem(text, file);
  if (limit) return { ok: false, diagnostics: [limit] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      diagnostics: doc.errors.map((e) => ({
        pos: at(e.code === 'MISSING_CHAR' ? (unclosedQuote(text, e.message) ?? e.pos[0]) : e.pos[0]),
        message: `YAML syntax error: ${yamlMessage(e.message)}`,
        hint: yamlHint(e.code),
      })),
    };
  }
  const start = firstContentOffset(text);
  try {
    return { ok: true, doc: new PositionedDoc(doc, text, file, at, at(start)) };
  } catch (err) {
    if (!(err instanceof ReferenceError) || !/alias/i.test(err.message)) throw err;
    let first = 0;
    visit(doc, {
      Alias(_k, node) {
        if (node.range) first = node.range[0];
        return visit.BREAK;
      },
    });
    return {
      ok: false,
      diagnostics: [
        {
          pos: at(first),
          message: `YAML aliases expand to more than ${MAX_ALIASES} copies (an alias bomb?)`,
          hint: 'write the values out, or use fewer aliases (`*name`); runbook parts (`use:`) are the way to share steps',
        },
      ],
    };
  }
}

/** File size and nesting depth, found by a linear scan before parsing (the parser itself is not bounded). */
function sourceLimitProblem(text: string, file: string): Diagnostic | undefined {
  const pos = (offset: number): SourcePos => {
    let line = 1;
    let lineStart = 0;
    for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { file, line, col: offset - lineStart + 1 };
  };
  if (text.length > MAX_SOURCE_CHARS)
    return {
      pos: { file, line: 1, col: 1 },
      message: `the file has ${text.length} characters; a runbook may have at most ${MAX_SOURCE_CHARS}`,
      hint: 'split it into parts (`use:`), or check that this is the runbook you meant',
    };
  let flow = 0;
  let quote: string | undefined;
  let comment = false;
  let atLineStart = true;
  let indent = 0;
  /** Block indentation levels open at this point (strictly increasing columns). */
  const levels: number[] = [];
  const level = (col: number): boolean => {
    while (levels.length > 0 && levels[levels.length - 1]! >= col) levels.pop();
    levels.push(col);
    return levels.length + flow > MAX_DEPTH;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      comment = false;
      atLineStart = true;
      indent = 0;
      continue;
    }
    if (atLineStart && flow === 0 && quote === undefined) {
      if (c === ' ') {
        indent++;
        continue;
      }
      if ((c === '-' || c === '?') && (text[i + 1] === ' ' || text[i + 1] === '\n')) {
        if (level(indent)) return depthProblem(pos(i));
        indent += 2;
        i++;
        continue;
      }
      atLineStart = false;
      if (c !== '#' && c !== '\r' && level(indent)) return depthProblem(pos(i));
    }
    atLineStart = false;
    if (comment) continue;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '"' || c === "'") {
      const prev = text[i - 1];
      if (prev === undefined || /[\s\[{,:]/.test(prev)) quote = c;
    } else if (c === '[' || c === '{') {
      if (++flow + levels.length > MAX_DEPTH) return depthProblem(pos(i));
    } else if ((c === ']' || c === '}') && flow > 0) flow--;
  }
  return undefined;
}

function depthProblem(pos: SourcePos): Diagnostic {
  return {
    pos,
    message: `the YAML nests more than ${MAX_DEPTH} levels deep here`,
    hint: 'a runbook needs a few levels of steps and groups: flatten this structure',
  };
}

class PositionedDoc implements SourceDoc {
  readonly data: unknown;
  constructor(
    private readonly doc: Document,
    private readonly text: string,
    readonly file: string,
    private readonly at: (offset: number) => SourcePos,
    private readonly startPos: SourcePos,
  ) {
    this.data = doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? undefined;
  }

  keyPos(path: DocPath): SourcePos {
    const found = this.walk(path);
    if (found.complete && found.pairKey?.range) return this.at(found.pairKey.range[0]);
    return this.posOf(found.node);
  }

  valuePos(path: DocPath): SourcePos {
    const found = this.walk(path);
    if (!found.complete && found.pairKey?.range) return this.at(found.pairKey.range[0]);
    return this.posOf(found.node);
  }

  textPos(path: DocPath): SourcePos {
    const found = this.walk(path);
    const node = found.node;
    const pos = this.posOf(node);
    if (
      found.complete &&
      isScalar(node) &&
      (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)
    ) {
      return { ...pos, col: pos.col + 1 };
    }
    if (
      found.complete &&
      isScalar(node) &&
      (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED)
    ) {
      // content starts on the line after the `|` or `>` header, at its indentation
      const nl = this.text.indexOf('\n', node.range![0]);
      if (nl >= 0) {
        const indent = /^[ \t]*/.exec(this.text.slice(nl + 1))?.[0].length ?? 0;
        return this.at(nl + 1 + indent);
      }
    }
    return pos;
  }

  flowKeyBefore(path: DocPath, key: string): { before?: string } | undefined {
    const found = this.walk(path);
    const node = found.node;
    if (!found.complete || !isMap(node) || !node.flow) return undefined;
    const keys = node.items.map((p) => (isPair(p) ? keyString(p.key) : undefined));
    const i = keys.indexOf(key);
    if (i < 0) return undefined;
    const before = i > 0 ? keys[i - 1] : undefined;
    return before === undefined ? {} : { before };
  }

  private posOf(node: Node | null | undefined): SourcePos {
    if (node?.range) return this.at(node.range[0]);
    return this.startPos;
  }

  /** Walk as far as the path exists; `complete` when the whole path resolved. */
  private walk(path: DocPath): { node: Node | null | undefined; pairKey?: Node; complete: boolean } {
    let node = this.doc.contents as Node | null;
    let pairKey: Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
        if (!pair) return { node, pairKey, complete: false };
        pairKey = isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? (pair.key as Node) : undefined;
        node = (pair.value as Node | null) ?? (pairKey as Node);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (item === undefined) return { node, pairKey, complete: false };
        pairKey = undefined;
        node = item;
      } else {
        return { node, pairKey, complete: false };
      }
    }
    return { node, pairKey, complete: true };
  }
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/**
 * yaml reports an unclosed quote at the end of the file; point at the quote that opened it instead:
 * the first quote character on a non-comment line that leaves an odd number of them.
 */
function unclosedQuote(text: string, message: string): number | undefined {
  const q = /"quote/.test(message) ? '"' : /'quote/.test(message) ? "'" : undefined;
  if (!q) return undefined;
  let offset = 0;
  for (const line of text.split('\n')) {
    const body = line.replace(/\\./g, '__');
    if (!body.trimStart().startsWith('#') && (body.split(q).length - 1) % 2 === 1)
      return offset + body.lastIndexOf(q);
    offset += line.length + 1;
  }
  return undefined;
}

/** Offset of the first character that is not blank or a comment (where the document starts). */
function firstContentOffset(text: string): number {
  const m = /^(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*/.exec(text);
  return m ? Math.min(m[0].length, text.length) : 0;
}

/** yaml's messages sometimes end with a position or code frame; keep the first sentence. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '');
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key may appear once in a mapping; remove or rename the duplicate';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'check the indentation and the `key: value` syntax on this line and the one before it';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a value containing ": " or starting with a special character must be quoted';
    case 'TAB_AS_INDENT':
      return 'YAML indentation uses spaces, not tabs';
    default:
      return 'fix the YAML syntax; values containing ": ", " #", or starting with {, [, *, & or @ must be quoted';
  }
}
