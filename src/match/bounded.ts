/**
 * Regex matching over device output that cannot hold the process hostage: the matches are computed
 * in a worker thread, so the event loop stays free (timers, Ctrl-C, other hosts), and a regex still
 * running at the deadline or on abort is stopped by terminating the worker. JavaScript regex
 * semantics are kept (lookarounds, named groups), unlike a linear-time engine. One worker serves all
 * calls in turn and does not keep the process alive; a terminated one is replaced on the next call.
 */
import { Worker } from 'node:worker_threads';
import { RunbookError } from '../errors.js';

/** A match as the callers need it: offset, matched text, named groups. */
export interface Found {
  index: number;
  0: string;
  groups?: Record<string, string | undefined>;
}

export interface BoundedOptions {
  /** Give up (E_STEP_FAILED) after this long. */
  deadlineMs: number;
  signal?: AbortSignal;
  /** For messages, e.g. `capture 'events'`. */
  what: string;
}

/** Worker body: `{id, patterns: [{source, flags}], text}` -> `{id, found: Found[][]}` or `{id, error}`. */
const WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, patterns, text }) => {
  try {
    const found = patterns.map(({ source, flags }) => {
      const out = [];
      for (const m of text.matchAll(new RegExp(source, flags))) out.push({ index: m.index, 0: m[0], groups: m.groups });
      return out;
    });
    parentPort.postMessage({ id, found });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

let worker: Worker | undefined;
let nextId = 1;
let queue: Promise<unknown> = Promise.resolve();

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(WORKER, { eval: true });
    worker.unref();
    const w = worker;
    w.on('error', () => {
      if (worker === w) worker = undefined;
    });
    w.on('exit', () => {
      if (worker === w) worker = undefined;
    });
  }
  return worker;
}

/**
 * Every match of each pattern (flags must include `g`) in `text`, computed off the event loop.
 * Calls are served one at a time. Throws E_STEP_FAILED when the deadline passes (the regex may
 * backtrack catastrophically on this output) and E_INTERRUPTED on abort.
 */
export function matchAllBounded(
  patterns: readonly { source: string; flags: string }[],
  text: string,
  o: BoundedOptions,
): Promise<Found[][]> {
  const run = queue.then(() => matchOnce(patterns, text, o));
  queue = run.catch(() => undefined);
  return run;
}

function matchOnce(
  patterns: readonly { source: string; flags: string }[],
  text: string,
  o: BoundedOptions,
): Promise<Found[][]> {
  if (patterns.length === 0) return Promise.resolve([]);
  return new Promise<Found[][]>((resolve, reject) => {
    const w = getWorker();
    const id = nextId++;
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', onExit);
      o.signal?.removeEventListener('abort', onAbort);
      w.unref();
    };
    const stop = (err: RunbookError): void => {
      done();
      if (worker === w) worker = undefined;
      void w.terminate();
      reject(err);
    };
    const onMessage = (m: { id: number; found?: Found[][]; error?: string }): void => {
      if (m.id !== id) return;
      done();
      if (m.error !== undefined)
        reject(new RunbookError('E_STEP_FAILED', `${o.what}: the regex failed: ${m.error}`));
      else resolve(m.found ?? []);
    };
    const onExit = (): void => {
      done();
      reject(new RunbookError('E_STEP_FAILED', `${o.what}: the regex worker stopped unexpectedly`));
    };
    const onAbort = (): void =>
      stop(new RunbookError('E_INTERRUPTED', `${o.what}: interrupted while matching the output`));
    w.on('message', onMessage);
    w.on('exit', onExit);
    w.ref();
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(
      () =>
        stop(
          new RunbookError(
            'E_STEP_FAILED',
            `${o.what}: the regex ran for more than ${o.deadlineMs} ms on ${text.length} characters of output and was stopped (it may backtrack catastrophically on this output)`,
            {
              hint: 'make the regex more specific (anchor it, avoid nested or overlapping repeats such as (a|a)* or (.*,)*), or narrow the command output',
            },
          ),
        ),
      o.deadlineMs,
    );
    w.postMessage({ id, patterns, text });
  });
}
