/** Await a promise that must reject with a RunbookError, and return that error. */
import { RunbookError } from '../../src/errors.js';

export async function caught(p: Promise<unknown>): Promise<RunbookError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RunbookError) return e;
    throw e;
  }
  throw new Error('expected a RunbookError');
}
