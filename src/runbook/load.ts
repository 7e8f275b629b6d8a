/**
 * Load a runbook: YAML with positions -> schema check -> semantic checks and compile -> Runbook.
 * Every problem is reported at once as a ValidationError of file:line:col diagnostics.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RunbookError, ValidationError } from '../errors.js';
import { compileDocument } from './compile.js';
import type { Runbook } from './model.js';
import { checkSchema } from './schema.js';
import { MAX_SOURCE_CHARS, parseSource } from './source.js';

/**
 * Read and compile a runbook file. Diagnostics name the file as given (relative stays relative).
 * Throws ValidationError (E_RUNBOOK_INVALID, all diagnostics) or RunbookError E_RUNBOOK_READ.
 */
export async function loadRunbook(file: string): Promise<Runbook> {
  let bytes: Buffer;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_SOURCE_CHARS * 4) {
      throw new ValidationError([
        {
          pos: { file, line: 1, col: 1 },
          message: `the file has ${size} bytes; a runbook may have at most ${MAX_SOURCE_CHARS} characters`,
          hint: 'split it into parts (`use:`), or check that this is the runbook you meant',
        },
      ]);
    }
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new RunbookError('E_RUNBOOK_READ', `cannot read runbook ${file}: ${why}`, {
      hint:
        code === 'ENOENT'
          ? 'check the path; shipped runbooks are in runbooks/, examples in examples/'
          : 'give the path of a runbook YAML file',
      cause: err,
    });
  }
  const bad = invalidUtf8Offset(bytes);
  if (bad !== undefined) {
    const before = bytes.subarray(0, bad).toString('utf8');
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    throw new ValidationError([
      {
        pos: { file, line, col },
        message: `the file is not valid UTF-8: byte offset ${bad} (0x${bytes[bad]!.toString(16).padStart(2, '0')})`,
        hint: 'save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)',
      },
    ]);
  }
  return compileRunbook(bytes.toString('utf8'), file, sha256(bytes));
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence, or undefined. */
export function invalidUtf8Offset(b: Uint8Array): number | undefined {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const n =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
    }
    if (n === 2) {
      const x = b[i + 1]!;
      if ((c === 0xe0 && x < 0xa0) || (c === 0xed && x > 0x9f)) return i; // overlong or surrogate
    }
    if (n === 3) {
      const x = b[i + 1]!;
      if ((c === 0xf0 && x < 0x90) || (c === 0xf4 && x > 0x8f)) return i;
    }
    i += n + 1;
  }
  return undefined;
}

/** Compile runbook text (no I/O); `file` is the name used in diagnostics. Throws ValidationError. */
export function compileRunbookSource(text: string, file: string): Runbook {
  return compileRunbook(text, file, sha256(Buffer.from(text, 'utf8')));
}

function compileRunbook(text: string, file: string, contentHash: string): Runbook {
  const parsed = parseSource(text.replace(/^\uFEFF/, ''), file);
  if (!parsed.ok) throw new ValidationError(parsed.diagnostics);
  const schema = checkSchema(parsed.doc);
  const body = compileDocument(parsed.doc, schema.diagnostics, schema.brokenPaths);
  return { ...body, file: resolve(file), contentHash };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
