/**
 * Load a runbook: YAML with positions -> schema check -> semantic checks and compile -> Runbook.
 * Every problem is reported at once as a ValidationError of file:line:col diagnostics.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RunbookError, ValidationError } from '../errors.js';
import { compileDocument } from './compile.js';
import type { Runbook } from './model.js';
import { checkSchema } from './schema.js';
import { parseSource } from './source.js';

/**
 * Read and compile a runbook file. Diagnostics name the file as given (relative stays relative).
 * Throws ValidationError (E_RUNBOOK_INVALID, all diagnostics) or RunbookError E_RUNBOOK_READ.
 */
export async function loadRunbook(file: string): Promise<Runbook> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
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
  return compileRunbook(bytes.toString('utf8'), file, sha256(bytes));
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
