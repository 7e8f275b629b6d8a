/**
 * Opening the store a command names: `--store URL` (or `$RUNBOOK_STORE`) is a PostgreSQL URL
 * (`postgres://` or `postgresql://`); otherwise the run records live in the state directory
 * (`--state-dir`, default `.runbook`). `storeFlag` is what a printed command needs to reach the
 * same store again (`--store <masked url>` or `--state-dir DIR`, empty for the default).
 */
import { resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import { DirectoryStore } from './directory.js';
import { isPostgresUrl, maskUrl } from './url.js';
import { openPostgresStore } from './postgres.js';
import { DEFAULT_STATE_DIR } from './runs.js';
import type { Store } from './types.js';

export interface StoreChoice {
  /** `--store` as given (undefined: `$RUNBOOK_STORE`, then the state directory). */
  store?: string;
  /** `--state-dir` as given. */
  stateDir: string;
  env?: NodeJS.ProcessEnv;
}

/** The PostgreSQL URL chosen by `--store` / `$RUNBOOK_STORE`, if any (E_USAGE for anything else). */
export function storeUrl(o: StoreChoice): string | undefined {
  const value = o.store ?? (o.env ?? process.env).RUNBOOK_STORE;
  if (value === undefined || value === '') return undefined;
  if (!isPostgresUrl(value)) {
    throw new RunbookError('E_USAGE', `--store ${maskUrl(value)}: not a PostgreSQL URL`, {
      hint: 'use --store postgres://USER@HOST:PORT/DATABASE (or $RUNBOOK_STORE); a local directory is --state-dir DIR',
    });
  }
  return value;
}

export async function openStore(o: StoreChoice): Promise<Store> {
  const url = storeUrl(o);
  if (url) return openPostgresStore({ url });
  return new DirectoryStore(resolve(o.stateDir));
}

/** The flag that names this store in a printed command (no password, ever). */
export function storeFlag(o: StoreChoice): string {
  const url = storeUrl(o);
  if (url) return o.store === undefined ? '' : ` --store ${maskUrl(url)}`;
  // absolute, so the printed commands work from any directory
  return o.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${resolve(o.stateDir)}`;
}
