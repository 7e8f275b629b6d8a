import { expect } from 'vitest';
import { RunbookError } from '../../src/errors.js';

/** Await a promise that must reject with a RunbookError, and return that error. */
export async function caught(p: Promise<unknown>): Promise<RunbookError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RunbookError) return e;
    throw e;
  }
  throw new Error('expected a RunbookError');
}

/** Run `f`, which must throw an E_EXPR RunbookError (an expression failing at run time), and return it. */
export function exprError(f: () => unknown): RunbookError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).code).toBe('E_EXPR');
    return err as RunbookError;
  }
  throw new Error('expected an E_EXPR error');
}
