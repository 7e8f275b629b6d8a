/**
 * The watcher: syslog messages in, runs out. Per message: parse (malformed: counted, dropped),
 * match every rule, find the sending host in the inventory (unknown: logged, ignored, never
 * connected to), type the regex groups as the runbook's vars (invalid: rejected), throttle per
 * rule and host (`once_within`: a burst becomes one event), then queue the event durably.
 * The scheduler starts queued events with at most one run per host and `maxConcurrent` runs in
 * all. `stop()` (SIGTERM) lets running runs checkpoint; queued and interrupted events stay in the
 * queue file, and `start()` with the same state dir starts or resumes them.
 */
import { setMaxListeners } from 'node:events';
import { RunbookError } from '../errors.js';
import type { InventoryHost } from '../fleet/inventory.js';
import type { DropReason, Sender } from './listen.js';
import { excerpt, formatSender, Stats } from './decisions.js';
import { findHost, matchRule } from './match.js';
import { EventQueue, type WatchEvent } from './queue.js';
import { eventVars, type Rule } from './rules.js';
import { parseSyslog } from './syslog.js';
import type { Launcher } from './trigger.js';

export interface WatcherOptions {
  rules: Rule[];
  hosts: InventoryHost[];
  stateDir: string;
  /** Runs at once across all hosts (>= 1). */
  maxConcurrent: number;
  launch: Launcher;
  /** One line per decision (no trailing newline). */
  log(line: string): void;
  /** Retry delay for an event whose host another process has locked (default 5 s). */
  lockedRetryMs?: number;
  now?: () => number;
}

/** Lines a minute about one sender's malformed, oversized or unknown-host traffic. */
const NOISY_LINES = 5;

/** Outcomes after which an event stays queued to be resumed by the next start (nothing is lost). */
const RESUMABLE = new Set(['interrupted', 'not-run']);

export class Watcher {
  readonly stats = new Stats();
  private readonly queue: EventQueue;
  private readonly running = new Map<string, Promise<void>>();
  private readonly busyHosts = new Set<string>();
  private readonly stopCtl = new AbortController();
  private readonly hardCtl = new AbortController();
  private retryTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;
  /** Per sender address: lines logged about its drops and unknown-host matches in the current minute. */
  private readonly noisy = new Map<string, { since: number; lines: number }>();

  constructor(private readonly o: WatcherOptions) {
    this.queue = new EventQueue(o.stateDir);
    this.now = o.now ?? Date.now;
    setMaxListeners(0, this.stopCtl.signal, this.hardCtl.signal);
  }

  /** Start or resume what the queue file holds from an earlier watcher. */
  start(): void {
    const left = this.queue.events();
    if (left.length > 0)
      this.o.log(
        `resuming ${left.length} accepted event${left.length === 1 ? '' : 's'} from ${this.queue.path}`,
      );
    for (const e of [...left]) {
      if (!this.o.rules.some((r) => r.name === e.rule)) {
        this.o.log(`event ${e.id}: rule ${e.rule} is no longer in the rules; dropped`);
        this.queue.remove(e.id);
      }
    }
    this.schedule();
  }

  /** Listener callback: one message from a sender. Never throws. */
  receive(bytes: Buffer, from: Sender): void {
    try {
      this.handle(bytes, from);
    } catch (err) {
      // a bug must not stop the listener; the message is counted as rejected
      this.stats.add('rejected');
      this.o.log(`error handling a message from ${formatSender(from)}: ${(err as Error).message}`);
    }
  }

  /** Listener callback: a message the listener could not frame or that was too big. */
  drop(reason: DropReason, from: Sender, detail: string): void {
    if (reason === 'connection-error' || reason === 'too-many-connections') {
      // not a message: a TCP connection that broke or was refused
      this.stats.add('connection-errors');
    } else {
      this.stats.add('received');
      this.stats.add(reason === 'oversized' ? 'oversized' : 'malformed');
    }
    this.stats.addMalformed(reason);
    this.logNoisy(from, `dropped ${reason} from ${formatSender(from)}: ${detail}`);
  }

  /**
   * Log a line about a sender's bad or unknown traffic, at most NOISY_LINES a minute per sender
   * address (then one line saying the rest is only counted): a flood cannot flood the log.
   */
  private logNoisy(from: Sender, line: string): void {
    const now = this.now();
    let n = this.noisy.get(from.address);
    if (!n || now - n.since >= 60_000) {
      if (this.noisy.size > 10_000) this.noisy.clear();
      n = { since: now, lines: 0 };
      this.noisy.set(from.address, n);
    }
    n.lines += 1;
    if (n.lines <= NOISY_LINES) this.o.log(line);
    else if (n.lines === NOISY_LINES + 1)
      this.o.log(`more from ${from.address} this minute is counted, not logged (see the stats line)`);
  }

  private handle(bytes: Buffer, from: Sender): void {
    this.stats.add('received');
    const parsed = parseSyslog(bytes);
    if (!parsed.ok) {
      this.stats.add('malformed');
      this.stats.addMalformed(parsed.error.code);
      this.logNoisy(
        from,
        `dropped malformed message from ${formatSender(from)}: ${parsed.error.code}: ${parsed.error.message}`,
      );
      return;
    }
    const msg = parsed.message;
    const text = bytes.toString('utf8').replace(/[\r\n\0]+$/u, '');
    let any = false;
    let accepted = false;
    for (const rule of this.o.rules) {
      const groups = matchRule(rule, msg);
      if (!groups) continue;
      any = true;
      const found = findHost(this.o.hosts, rule.hostBy, from, msg);
      if (!found.ok) {
        this.stats.add('unknown-host');
        this.logNoisy(
          from,
          `unknown host: rule ${rule.name} matched a message from ${formatSender(from)} but ${found.detail}; ignored`,
        );
        continue;
      }
      const host = found.host.name;
      try {
        eventVars(rule, groups);
      } catch (err) {
        if (!(err instanceof RunbookError)) throw err;
        this.stats.add('rejected');
        this.o.log(`rejected: rule ${rule.name} host ${host}: ${err.message}; no run started`);
        continue;
      }
      const now = this.now();
      const last = this.queue.lastAccepted(rule.name, host);
      if (last !== undefined && now - last < rule.onceWithinMs) {
        this.stats.add('throttled');
        const into = this.queue.events().find((e) => e.rule === rule.name && e.host === host);
        if (into) this.queue.bump(into.id);
        const left = Math.ceil((rule.onceWithinMs - (now - last)) / 1000);
        this.o.log(
          `throttled: rule ${rule.name} host ${host}: ${into ? `coalesced into event ${into.id}${into.runId ? ` (run ${into.runId})` : ''}` : 'a run already happened'} (once_within, ${left}s left)`,
        );
        continue;
      }
      const event: WatchEvent = {
        id: `ev-${now}-${++this.seq}`,
        rule: rule.name,
        host,
        sender: from,
        message: text,
        receivedAt: new Date(now).toISOString(),
        groups: Object.fromEntries(
          Object.entries(groups).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        coalesced: 0,
        state: 'queued',
      };
      this.queue.add(event, now);
      accepted = true;
      this.stats.add('matched');
      this.o.log(
        `matched: rule ${rule.name} host ${host} from ${formatSender(from)}: event ${event.id} queued: ${excerpt(msg.text)}`,
      );
    }
    if (!any) this.stats.add('unmatched');
    if (accepted) this.schedule();
  }

  /** Start queued events while run slots are free, one run per host. */
  private schedule(): void {
    if (this.stopCtl.signal.aborted) return;
    for (const e of this.queue.events()) {
      if (this.running.size >= this.o.maxConcurrent) break;
      if (this.running.has(e.id) || this.busyHosts.has(e.host)) continue;
      if (e.state === 'queued' || e.runId !== undefined) this.startEvent(e);
    }
    this.checkIdle();
  }

  private startEvent(e: WatchEvent): void {
    const rule = this.o.rules.find((r) => r.name === e.rule)!;
    const host = this.o.hosts.find((h) => h.name === e.host);
    if (!host) {
      this.o.log(`event ${e.id}: host ${e.host} is no longer in the inventory; dropped`);
      this.queue.remove(e.id);
      return;
    }
    let vars;
    try {
      vars = eventVars(rule, e.groups);
    } catch (err) {
      this.o.log(`event ${e.id}: ${(err as Error).message}; dropped`);
      this.queue.remove(e.id);
      return;
    }
    this.busyHosts.add(e.host);
    const resumeRunId = e.runId;
    const done = this.o
      .launch({
        event: e,
        rule,
        host,
        vars,
        ...(resumeRunId ? { resumeRunId } : {}),
        signal: this.stopCtl.signal,
        commandSignal: this.hardCtl.signal,
        onRunCreated: (runId) => {
          this.queue.update(e.id, { state: 'running', runId });
          this.stats.add('started');
          this.o.log(
            `${resumeRunId ? 'resumed' : 'started'} run ${runId}: ${rule.runbook.name} on ${e.host} for event ${e.id} (rule ${rule.name}, approval ${rule.approval}${e.coalesced ? `, ${e.coalesced} more coalesced` : ''})`,
          );
        },
      })
      .then(
        (r) => {
          if (RESUMABLE.has(r.outcome) && this.stopCtl.signal.aborted) {
            this.o.log(
              `interrupted run ${r.runId} on ${e.host}: checkpointed; a restart with this state dir resumes it`,
            );
            return;
          }
          this.stats.add('finished');
          this.o.log(
            `finished run ${r.runId} on ${e.host}: ${r.outcome}${r.message ? `: ${r.message}` : ''}`,
          );
          this.queue.remove(e.id);
        },
        (err: unknown) => {
          if (err instanceof RunbookError && err.code === 'E_LOCKED') {
            this.o.log(`event ${e.id}: host ${e.host} is locked by another run (${err.message}); retrying`);
            this.queue.update(e.id, { state: e.runId ? 'running' : 'queued' });
            this.retryLater();
            return;
          }
          this.stats.add('failed');
          const hint = err instanceof RunbookError && err.hint ? ` (${err.hint})` : '';
          this.o.log(
            `event ${e.id}: the run could not start on ${e.host}: ${(err as Error).message}${hint}; dropped`,
          );
          this.queue.remove(e.id);
        },
      )
      .finally(() => {
        this.running.delete(e.id);
        this.busyHosts.delete(e.host);
        this.schedule();
      });
    this.running.set(e.id, done);
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopCtl.signal.aborted) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, this.o.lockedRetryMs ?? 5000);
    this.retryTimer.unref();
  }

  /** Events queued or running. */
  counts(): { running: number; queued: number } {
    const running = this.running.size;
    return { running, queued: this.queue.events().length - running };
  }

  /** Resolves when nothing is running and nothing startable is queued (tests, `--exit-when-idle`). */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.running.size > 0 || (this.queue.events().length > 0 && !this.stopCtl.signal.aborted)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Stop: no new runs; running ones stop between steps (`hard`: the running command is aborted
   * too) and checkpoint. Resolves when every run has returned; the queue file keeps the rest.
   */
  async stop(o: { hard?: boolean } = {}): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopCtl.abort(new RunbookError('E_INTERRUPTED', 'runbook watch is stopping'));
    if (o.hard) this.hardCtl.abort(new RunbookError('E_INTERRUPTED', 'runbook watch is stopping now'));
    await Promise.all([...this.running.values()]);
  }
}
