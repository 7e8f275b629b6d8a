/**
 * Per-router audit log: every non-empty line a router received, in order, with its outcome.
 * Kept in memory (for `LabRouter.audit()`) and, with a state dir, appended to
 * `<stateDir>/audit/<router>.jsonl` (one JSON object per line; flushed every 100 ms and on close).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface AuditEntry {
  /** ISO-8601 time the line was received. */
  at: string;
  router: string;
  /** Session number on that router, from 1. */
  session: number;
  command: string;
  /** The line ran and changed device state (an aborted or rejected command never did). */
  stateChanging: boolean;
  /** ok: ran; error: rejected by the CLI (% Invalid input, ...); aborted: `[confirm]` declined or session ended. */
  outcome?: 'ok' | 'error' | 'aborted';
  /** Keys that answered the line's dialogs, in order: `y`, `\\n` (Enter), `^C`, ... */
  answers?: string[];
}

const FLUSH_MS = 100;

export class AuditSink {
  private readonly pending = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly dir: string | undefined;

  constructor(stateDir: string | undefined) {
    this.dir = stateDir === undefined ? undefined : join(stateDir, 'audit');
    if (this.dir) mkdirSync(this.dir, { recursive: true });
  }

  fileOf(router: string): string | undefined {
    return this.dir === undefined ? undefined : join(this.dir, `${router}.jsonl`);
  }

  write(entry: AuditEntry): void {
    if (this.dir === undefined) return;
    this.pending.set(entry.router, `${this.pending.get(entry.router) ?? ''}${JSON.stringify(entry)}\n`);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [router, text] of this.pending) appendFileSync(this.fileOf(router)!, text);
    this.pending.clear();
  }
}
