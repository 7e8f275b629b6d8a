/**
 * The directory store (the embedded default): today's files, unchanged. Runs and journals through
 * RunStore (`<state-dir>/runs/<id>/meta.json`, `hosts/<host>.jsonl`), locks through lock.ts
 * (`<state-dir>/locks/<host>.lock`), approvals as `<run-dir>/approvals.jsonl` (an `ask` line per
 * request, a `decide` line per decision; the first decision of an id wins).
 */
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { RunbookError } from '../errors.js';
import { parseLine, stringifyLine } from './codec.js';
import { type Journal } from './journal.js';
import { corruptError } from './journal-record.js';
import { acquireHostLock, isLockAlive, readHostLock } from './lock.js';
import { RunStore, type RunHandle, type RunMeta } from './runs.js';
import type { ApprovalAsk, ApprovalRecord, Store, StoreJournal, StoreLock, StoreRun } from './types.js';

export class DirectoryStore implements Store {
  readonly kind = 'directory' as const;
  readonly location: string;
  private readonly runs: RunStore;

  constructor(stateDir: string) {
    this.runs = new RunStore(stateDir);
    this.location = stateDir;
  }

  async createRun(meta: Omit<RunMeta, 'id' | 'createdAt'>): Promise<StoreRun> {
    return new DirectoryRun(await this.runs.create(meta));
  }

  async openRun(id: string): Promise<StoreRun> {
    return new DirectoryRun(await this.runs.open(id));
  }

  listRuns() {
    return this.runs.list();
  }

  async deleteRun(id: string): Promise<void> {
    if (!/^[A-Za-z0-9][\w.-]*$/u.test(id)) return;
    rmSync(join(this.runs.runsDir, id), { recursive: true, force: true });
  }

  async lockHost(host: string, runId: string): Promise<StoreLock> {
    const lock = acquireHostLock(this.location, host, runId);
    return {
      host,
      info: lock.info,
      ...(lock.tookOverStale ? { tookOverStale: { ...lock.tookOverStale, hostname: hostname() } } : {}),
      release: async () => lock.release(),
    };
  }

  async lockHosts(hosts: readonly string[], runId: string): Promise<StoreLock[]> {
    const taken: StoreLock[] = [];
    try {
      for (const h of hosts) taken.push(await this.lockHost(h, runId));
    } catch (err) {
      for (const l of taken) await l.release();
      throw err;
    }
    return taken;
  }

  async lockHolder(host: string) {
    const info = readHostLock(this.location, host);
    return info && isLockAlive(info) ? info : undefined;
  }

  async close(): Promise<void> {}
}

/** A run of the directory store; `handle` is the RunHandle the CLI used before the Store seam. */
export class DirectoryRun implements StoreRun {
  constructor(readonly handle: RunHandle) {}

  get meta() {
    return this.handle.meta;
  }

  get location() {
    return this.handle.dir;
  }

  journal(host: string): StoreJournal {
    return directoryJournal(this.handle.journal(host));
  }

  async readJournal(host: string) {
    return this.handle.readJournal(host);
  }

  async readJournalChecked(host: string) {
    const { records, problems } = this.handle.readJournalChecked(host);
    const missing = problems.filter((p) => p.kind === 'missing');
    if (missing.length > 0) throw corruptError(missing);
    return { records, damage: problems };
  }

  async status() {
    return this.handle.status();
  }

  async writeRetryFile(hosts: readonly string[]) {
    return this.handle.writeRetryFile(hosts);
  }

  private get approvalsFile(): string {
    return join(this.handle.dir, 'approvals.jsonl');
  }

  async requestApproval(req: ApprovalAsk): Promise<string> {
    const id = `${req.host}|${req.key}|${req.attempt ?? 0}`;
    if (!(await this.approvals()).some((a) => a.id === id)) {
      const rec: ApprovalRecord = { ...req, attempt: req.attempt ?? 0, id, requestedAt: Date.now() };
      appendFileSync(this.approvalsFile, `${stringifyLine({ type: 'ask', ...rec })}\n`);
    }
    return id;
  }

  async decideApproval(id: string, decision: { approved: boolean; by: string }): Promise<ApprovalRecord> {
    const before = (await this.approvals()).find((a) => a.id === id);
    if (!before) throw new RunbookError('E_INTERNAL', `run ${this.meta.id}: no approval ${id}`);
    if (before.decision) return before;
    const d = { ...decision, at: Date.now() };
    appendFileSync(this.approvalsFile, `${JSON.stringify({ type: 'decide', id, ...d })}\n`);
    return { ...before, decision: d };
  }

  async approvals(): Promise<ApprovalRecord[]> {
    if (!existsSync(this.approvalsFile)) return [];
    const byId = new Map<string, ApprovalRecord>();
    for (const line of readFileSync(this.approvalsFile, 'utf8').split('\n')) {
      let v: { type?: string; id?: string; approved?: boolean; by?: string; at?: number } & ApprovalRecord;
      try {
        v = parseLine(line) as typeof v;
      } catch {
        continue; // blank or torn line
      }
      if (v.type === 'ask' && !byId.has(v.id)) {
        const { type: _t, ...rec } = v;
        byId.set(v.id, rec);
      } else if (v.type === 'decide') {
        const a = byId.get(v.id);
        if (a && !a.decision)
          a.decision = { approved: Boolean(v.approved), by: String(v.by), at: Number(v.at) };
      }
    }
    return [...byId.values()];
  }

  async close(): Promise<void> {
    this.handle.close();
  }
}

function directoryJournal(j: Journal): StoreJournal {
  return {
    append: (rec) => j.append(rec, { sync: rec.type === 'command' }),
    listener: () => j.listener(),
    // every append is written before it returns; a command's record is fsync'd then too
    flush: async () => undefined,
    commandsDurable: async () => undefined,
    close: async () => undefined,
  };
}
