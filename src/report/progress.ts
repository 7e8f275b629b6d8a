/**
 * Live progress on a terminal, drawn by listr2 (the only module that imports it).
 *
 * One listr2 task per host; its title shows the host and where it is (connecting, the running step,
 * the outcome and duration at the end) and its output shows one line per step: state, elapsed time
 * and what the step waits for (the command being run, a retry's next poll, an approval). The engine
 * drives events, not listr2 tasks, so each host task is a promise that settles on `host-end`.
 *
 * The screen belongs to the renderer while it runs. Anything else that must reach the terminal goes
 * through this object:
 *  - `prompt(question)` stops drawing, asks on the terminal, and draws again after the answer
 *    (concurrent prompts are asked one after another);
 *  - `note(text)` prints lines above the live area;
 *  - `pause()` / `resume()` hand the terminal over for anything else (nesting is counted).
 * Writes to process.stdout/stderr from elsewhere while drawing would be overwritten.
 *
 * Use it only when the output is a terminal; otherwise use the line log (src/report/log.ts).
 */
import { askLine } from './ask.js';
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, type ListrTaskWrapper } from 'listr2';
import type { EngineEvent, HostOutcome, Reporter, StepOutcome } from '../engine/events.js';
import { applyEvent, newHostTimeline, type HostTimeline, type TimelineStep } from '../engine/timeline.js';
import { formatDuration, withImpact } from './format.js';
import { itemLabel, notableSkip, stepLabel } from './step-label.js';

export interface ProgressOptions {
  /** Every target host, in display order: one line each. Events for other hosts are ignored. */
  hosts: readonly string[];
  /** Terminal to draw on. Default process.stdout. */
  stream?: NodeJS.WriteStream;
  /** Where `prompt` reads answers. Default process.stdin. */
  input?: NodeJS.ReadableStream;
  /** Show the last line of command output under the running step. Default false. */
  verbose?: boolean;
  /** Redraw only when an event arrives (no spinner, no ticking clocks). Default false; for tests. */
  lazy?: boolean;
  /** Step lines kept per running host (older ones are counted in one line); 0: the host line only. Default 8. */
  maxStepLines?: number;
  /** Clock, ms since epoch. Default Date.now. */
  now?: () => number;
}

export interface ProgressReporter {
  report: Reporter;
  /** Ask a question on the terminal with drawing stopped; resolves with the answer line (trimmed). Ctrl-C rejects with E_INTERRUPTED and re-raises SIGINT. */
  prompt(question: string): Promise<string>;
  /** Print text above the live area. */
  note(text: string): void;
  /** Stop drawing and clear the live area; the terminal is the caller's until `resume()`. */
  pause(): void;
  /** Draw again (after as many `resume()` as `pause()` calls). */
  resume(): void;
  /** Close hosts that never ended (as not finished) and wait for the renderer to print its last frame. */
  done(): Promise<void>;
}

type StepState = StepOutcome | 'running' | 'in-doubt';

interface HostView {
  name: string;
  /** The host's state, from the one reducer. */
  tl: HostTimeline;
  task?: ListrTaskWrapper<unknown, typeof LiveRenderer, typeof LiveRenderer>;
  settle?: (outcome: HostOutcome, message: string) => void;
  /** What the host does now (display only). */
  status: string;
  ended?: {
    outcome: HostOutcome;
    message: string;
    durationMs: number;
    disruptive: string[];
    stoppedAt?: string;
  };
}

/** The default renderer, declared usable without a TTY check: the caller decides it is a terminal. */
class LiveRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

const ICON: Record<StepState, string> = {
  running: '▸',
  ok: '✔',
  failed: '✖',
  skipped: '↓',
  'would-run': '◇',
  ended: '■',
  restored: '↺',
  'in-doubt': '?',
};
const ERASE = (lines: number) => (lines > 0 ? `${'\x1b[2K\x1b[1A'.repeat(lines - 1)}\x1b[2K\x1b[G` : '');
const ERASE_ONLY = /^(?:\x1b\[2K|\x1b\[1A|\x1b\[G)*$/u;

/**
 * What listr2 writes goes through this gate. It remembers the last frame (log-update writes each
 * frame as one chunk ending in a newline), so pausing can erase it and resuming can draw it again
 * exactly where the renderer expects it.
 */
class Gate {
  private paused = 0;
  private closed = false;
  private lastFrame = '';
  constructor(private readonly target: NodeJS.WriteStream) {}

  stream(): NodeJS.WriteStream {
    const write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      this.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      cb?.();
      return true;
    };
    const s = { write, isTTY: true, columns: this.target.columns || 80, rows: this.target.rows || 24 };
    return s as unknown as NodeJS.WriteStream;
  }

  private write(chunk: string): void {
    if (chunk.includes('\n')) this.lastFrame = chunk.replace(/^(?:\x1b\[2K|\x1b\[1A|\x1b\[G)+/u, '');
    else if (ERASE_ONLY.test(chunk) && chunk !== '') this.lastFrame = '';
    if (this.paused === 0) this.target.write(chunk);
  }

  /** The renderer has printed its last frame: from now on pausing has nothing to erase. */
  close(): void {
    if (this.paused > 0 && !this.closed) this.target.write(`\x1b[?25l${this.lastFrame}\x1b[?25h`);
    this.closed = true;
    this.paused = 0;
  }

  pause(): void {
    if (this.closed || this.paused++ > 0) return;
    this.target.write(`${ERASE(this.lastFrame === '' ? 0 : this.lastFrame.split('\n').length)}\x1b[?25h`);
  }

  resume(): void {
    if (this.closed || this.paused === 0 || --this.paused > 0) return;
    this.target.write(`\x1b[?25l${this.lastFrame}`);
  }
}

export function createProgressReporter(opts: ProgressOptions): ProgressReporter {
  const now = opts.now ?? Date.now;
  const target = opts.stream ?? process.stdout;
  const maxLines = opts.maxStepLines ?? 8;
  const gate = new Gate(target);
  const hosts = new Map<string, HostView>(
    opts.hosts.map((name) => [name, { name, status: 'waiting', tl: newHostTimeline(name) }]),
  );

  const logger = new ListrLogger({
    useIcons: true,
    processOutput: new ProcessOutput(gate.stream(), gate.stream(), { leaveEmptyLine: false }),
  });
  const listr = new Listr<unknown, typeof LiveRenderer, typeof LiveRenderer>(
    [...hosts.values()].map((h) => ({
      title: h.name,
      task: (_ctx: unknown, task: ListrTaskWrapper<unknown, typeof LiveRenderer, typeof LiveRenderer>) =>
        new Promise<void>((resolve, reject) => {
          h.task = task;
          h.settle = (outcome, message) => {
            h.settle = undefined;
            if (outcome === 'ok') resolve();
            else if (outcome === 'failed' || outcome === 'unreachable') reject(new Error(message));
            else {
              task.skip(message);
              resolve();
            }
          };
          if (h.ended) finish(h);
          else draw(h);
        }),
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: LiveRenderer,
      fallbackRenderer: LiveRenderer,
      rendererOptions: {
        logger,
        lazy: opts.lazy ?? false,
        formatOutput: 'truncate',
        showErrorMessage: false,
        showSkipMessage: false,
        collapseSubtasks: false,
      },
    },
  );
  const running = listr.run().then(
    () => undefined,
    () => undefined,
  );
  const ticker = opts.lazy
    ? undefined
    : setInterval(() => hosts.forEach((h) => h.task && !h.ended && draw(h)), 1000);
  ticker?.unref();

  /**
   * The host's task title is its whole block: the host line, then one line per step (listr2 indents
   * the lines after the first under the host's icon).
   */
  function draw(h: HostView): void {
    if (!h.task) return;
    const t = now();
    const head = h.ended
      ? `${h.name}  ${h.ended.outcome}${h.ended.stoppedAt && h.ended.outcome !== 'ok' ? ` at ${h.ended.stoppedAt}` : ''}  ${formatDuration(h.ended.durationMs)}`
      : `${h.name}  ${h.status}${h.tl.startedAt === undefined ? '' : `  ${formatDuration(t - h.tl.startedAt)}`}`;
    const title = [head, ...(h.ended ? endLines(h) : stepLines(h, t))].join('\n');
    if (h.task.title !== title) h.task.title = title;
  }

  /** Draw the host's last state and settle its task (once listr2 has started it). */
  function finish(h: HostView): void {
    const e = h.ended!;
    draw(h);
    h.settle?.(e.outcome, `${h.name}: ${e.outcome}${e.message ? `: ${e.message}` : ''}`);
  }

  function stepLines(h: HostView, t: number): string[] {
    if (maxLines <= 0) return [];
    const steps = h.tl.steps.filter((s) => !structural(h, s));
    const shown = steps.slice(-maxLines);
    const lines = steps.length > shown.length ? [`… ${steps.length - shown.length} earlier steps`] : [];
    for (const s of shown) {
      lines.push(stepLine(h, s, t));
      if (opts.verbose && s.outcome === 'running' && s.lastOutput) lines.push(`  │ ${s.lastOutput}`);
    }
    return lines;
  }

  function stepLine(h: HostView, s: TimelineStep, t: number): string {
    const state: StepState = s.outcome;
    const icon = ICON[state];
    if (state === 'running') {
      const w = s.wait;
      const wait = w
        ? `  ${w.text}${w.until === undefined ? '' : ` in ${formatDuration(Math.max(0, w.until - t))}`}${w.reason ? ` (${w.reason})` : ''}`
        : '';
      return `${icon} ${labelOf(h, s)}  ${formatDuration(t - s.startedAt)}${wait}`;
    }
    const dur = s.durationMs === undefined || state === 'skipped' ? '' : `  ${formatDuration(s.durationMs)}`;
    const detail = stepDetail(h, s);
    return `${icon} ${labelOf(h, s)}  ${state}${dur}${detail ? `: ${detail}` : ''}`;
  }

  /** The step's name and loop items (`Clear the SA [10.40.40.1]`), as the line log names it. */
  function labelOf(h: HostView, s: Pick<TimelineStep, 'key' | 'stepId' | 'title'>): string {
    return stepLabel(s.title || s.stepId, s.key, (prefix) => {
      const item = h.tl.steps.findLast((x) => x.key === prefix)?.item;
      return item === undefined ? undefined : itemLabel(item);
    });
  }

  /**
   * Groups, loops, choices, bindings and steps whose `when` did not hold: the steps inside them (or
   * after them) say what happened, so the live display leaves them out, as the line log does. A
   * running step is a group when a step inside it has started.
   */
  function structural(h: HostView, s: TimelineStep): boolean {
    if (s.kind === 'group' || s.kind === 'choose' || s.kind === 'set') return true;
    if (s.outcome === 'skipped' && !opts.verbose && !notableSkip(s.message)) return true;
    // a loop's iterations are `key[0]`, `key[1]`, ...; a group's steps `key/...`
    const inside = [`${s.key}/`, `${s.key}[`];
    return s.outcome === 'running' && h.tl.steps.some((x) => inside.some((p) => x.key.startsWith(p)));
  }

  /** A finished step's note: what a dry-run would run, else the first line of its message. */
  function stepDetail(h: HostView, s: TimelineStep): string | undefined {
    if (s.outcome === 'would-run') {
      const w = h.tl.wouldRun.findLast((x) => x.key === s.key);
      return w ? `would run: ${withImpact(w.command, w.impact)}` : undefined;
    }
    const msg = s.error?.message ?? s.message;
    return msg ? msg.split('\n')[0] : undefined;
  }

  function endLines(h: HostView): string[] {
    const e = h.ended!;
    const lines: string[] = [];
    if (e.message) lines.push(e.message.split('\n')[0]!);
    for (const s of h.tl.steps)
      if (s.outcome === 'failed' || s.outcome === 'would-run') lines.push(stepLine(h, s, now()));
    for (const c of e.disruptive) lines.push(`disruptive: ${c}`);
    return lines;
  }

  const report: Reporter = (e: EngineEvent) => {
    const h = hosts.get(e.host);
    if (!h) return;
    applyEvent(h.tl, e);
    switch (e.kind) {
      case 'host-start':
        h.status = e.dryRun ? 'starting (dry run)' : 'starting';
        break;
      case 'connecting':
        h.status = `connecting to ${e.address}:${e.port}`;
        break;
      case 'connected':
        h.status = 'connected';
        break;
      case 'step-start':
        h.status = labelOf(h, e);
        break;
      case 'approval-request': {
        const s = h.tl.steps.findLast((x) => x.key === e.key);
        if (s) s.wait = { text: `awaiting approval: ${withImpact(e.command, e.impact)}` };
        h.status = `${s ? labelOf(h, s) : e.key}: awaiting approval`;
        break;
      }
      case 'approval-result': {
        const s = h.tl.steps.findLast((x) => x.key === e.key);
        h.status = s ? labelOf(h, s) : e.key;
        break;
      }
      case 'command-output':
        if (!opts.verbose) return;
        break;
      case 'host-end':
        h.ended = {
          outcome: e.outcome,
          message: e.message,
          durationMs: e.durationMs,
          disruptive: e.disruptive,
          ...(e.stoppedAt ? { stoppedAt: e.stoppedAt } : {}),
        };
        finish(h);
        return;
      default:
        break;
    }
    draw(h);
  };

  let prompts: Promise<unknown> = Promise.resolve();
  const prompt = (question: string): Promise<string> => {
    const asked = prompts.then(() => ask(question));
    prompts = asked.catch(() => undefined);
    return asked;
  };

  function ask(question: string): Promise<string> {
    gate.pause();
    const input = opts.input ?? process.stdin;
    const terminal = (input as { isTTY?: boolean }).isTTY === true;
    return askLine({ question, input, output: target, terminal })
      .then((answer) => {
        if (!terminal) target.write(`${answer}\n`); // a terminal echoes the answer itself
        return answer.trim();
      })
      .finally(() => gate.resume());
  }

  return {
    report,
    prompt,
    note(text) {
      gate.pause();
      target.write(text.endsWith('\n') ? text : `${text}\n`);
      gate.resume();
    },
    pause: () => gate.pause(),
    resume: () => gate.resume(),
    async done() {
      if (ticker) clearInterval(ticker);
      for (const h of hosts.values()) {
        if (h.ended) continue;
        const last = h.tl.steps.findLast((st) => st.outcome === 'running');
        const startedAt = h.tl.startedAt;
        h.ended = {
          outcome: 'interrupted',
          message: startedAt === undefined ? 'not started' : 'not finished',
          durationMs: startedAt === undefined ? 0 : now() - startedAt,
          disruptive: [],
          ...(last ? { stoppedAt: last.key } : {}),
        };
        finish(h);
      }
      await running;
      gate.close();
    },
  };
}
