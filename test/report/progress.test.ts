import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { createProgressReporter } from '../../src/report/progress.js';
import { recoveryEvents, T0 } from './scenario.js';
import { FakeTerminal } from './terminal.js';

const tick = () => new Promise((r) => setTimeout(r, 20));
/** Wait until the screen satisfies the check (listr2 starts rendering asynchronously). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 3000, interval: 10 });

function setup(hosts = ['edge-1', 'edge-2'], extra: { verbose?: boolean; maxStepLines?: number } = {}) {
  const term = new FakeTerminal();
  const input = new PassThrough();
  let now = T0;
  const p = createProgressReporter({
    hosts,
    stream: term as unknown as NodeJS.WriteStream,
    input,
    lazy: true,
    now: () => now,
    ...extra,
  });
  const feed = (events: EngineEvent[]) =>
    events.forEach((e) => {
      now = e.at;
      p.report(e);
    });
  return { term, input, p, feed, setNow: (t: number) => (now = t) };
}

describe('listr2 live progress', () => {
  it('shows a line per host and per step, with the wait of the running step', async () => {
    const { term, p, feed } = setup();
    await tick();
    const events = recoveryEvents();
    feed(events.slice(0, 18)); // edge-1 polling verify-sa, edge-2 unreachable
    await eventually(() =>
      expect(term.screen()).toBe(
        [
          '❯ edge-1  verify-sa  4.8s',
          '  ✔ find-events  ok  1.2s',
          '  ✔ Clear the SA  ok  3.0s',
          '  ▸ verify-sa  0.3s  retry 2/12 in 5.0s (decaps.n > 0 is false)',
          '✖ edge-2  unreachable  2.0s',
          '  connection refused by 127.0.0.1:2202',
        ].join('\n'),
      ),
    );
    feed(events.slice(18));
    await p.done();
    expect(term.screen()).toBe(
      [
        '✔ edge-1  ok  10.1s',
        '  recovered',
        '  disruptive: clear crypto sa peer 10.0.0.2',
        '✖ edge-2  unreachable  2.0s',
        '  connection refused by 127.0.0.1:2202',
      ].join('\n'),
    );
  });

  it('a fleet (maxStepLines 0) gets one line per host: where it is and what it waits for', async () => {
    const { term, feed } = setup(['edge-1', 'edge-2'], { maxStepLines: 0 });
    await tick();
    feed(recoveryEvents().slice(0, 18));
    await eventually(() =>
      expect(term.screen()).toBe(
        [
          '❯ edge-1  verify-sa  4.8s',
          '✖ edge-2  unreachable  2.0s',
          '  connection refused by 127.0.0.1:2202',
        ].join('\n'),
      ),
    );
  });

  it('shows an approval wait and the command being run', async () => {
    const { term, p, feed } = setup(['edge-1']);
    await tick();
    feed(
      recoveryEvents()
        .filter((e) => e.host === 'edge-1')
        .slice(0, 9),
    );
    // (lines are cut at the terminal width)
    await eventually(() =>
      expect(term.screen()).toContain(
        '  ▸ Clear the SA  0ms  awaiting approval: clear crypto sa peer 10.0.0.2 [re',
      ),
    );
    expect(term.screen()).toContain('edge-1  Clear the SA: awaiting approval');
    feed(
      recoveryEvents()
        .filter((e) => e.host === 'edge-1')
        .slice(9, 11),
    );
    await eventually(() =>
      expect(term.screen()).toContain('  ▸ Clear the SA  2.5s  [disruptive] clear crypto sa peer 10.0.0.2'),
    );
    await p.done();
  });

  it('prompt() stops drawing while asking and draws again below the answer', async () => {
    const { term, input, p, feed } = setup(['edge-1']);
    await tick();
    feed(
      recoveryEvents()
        .filter((e) => e.host === 'edge-1')
        .slice(0, 8),
    );
    await eventually(() => expect(term.screen()).toContain('Clear the SA'));
    const answer = p.prompt('edge-1: run clear crypto sa peer 10.0.0.2? [y/N] ');
    await tick();
    // the live area is erased; only the question is on screen
    expect(term.screen()).toBe('edge-1: run clear crypto sa peer 10.0.0.2? [y/N]');
    // events while asking change nothing on screen
    feed(
      recoveryEvents()
        .filter((e) => e.host === 'edge-1')
        .slice(8, 10),
    );
    await tick();
    expect(term.screen()).toBe('edge-1: run clear crypto sa peer 10.0.0.2? [y/N]');
    input.write('y\n');
    expect(await answer).toBe('y');
    await tick();
    const lines = term.screen().split('\n');
    expect(lines[0]).toBe('edge-1: run clear crypto sa peer 10.0.0.2? [y/N] y');
    expect(lines.slice(1)).toEqual([
      '❯ edge-1  Clear the SA  4.0s',
      '  ✔ find-events  ok  1.2s',
      '  ▸ Clear the SA  2.5s  approved',
    ]);
    // the next frame replaces the redrawn one in place: nothing duplicated
    feed(
      recoveryEvents()
        .filter((e) => e.host === 'edge-1')
        .slice(10),
    );
    await p.done();
    expect(term.screen()).toBe(
      [
        'edge-1: run clear crypto sa peer 10.0.0.2? [y/N] y',
        '✔ edge-1  ok  10.1s',
        '  recovered',
        '  disruptive: clear crypto sa peer 10.0.0.2',
      ].join('\n'),
    );
  });

  it('concurrent prompts are asked one after the other', async () => {
    const { term, input, p } = setup(['edge-1']);
    await eventually(() => expect(term.screen()).toContain('edge-1'));
    const a = p.prompt('first? ');
    const b = p.prompt('second? ');
    await tick();
    expect(term.screen()).toContain('first?');
    expect(term.screen()).not.toContain('second?');
    input.write('1\n');
    expect(await a).toBe('1');
    await tick();
    input.write('2\n');
    expect(await b).toBe('2');
    await p.done();
  });

  it('note() prints above the live area', async () => {
    const { term, p, feed } = setup(['edge-1']);
    await tick();
    feed(recoveryEvents().slice(0, 2));
    await eventually(() => expect(term.screen()).toContain('connecting'));
    p.note('edge-1: took over a stale lock of run x');
    expect(term.screen().split('\n')).toEqual([
      'edge-1: took over a stale lock of run x',
      '❯ edge-1  connecting to 127.0.0.1:2201  0ms',
    ]);
    await p.done();
  });

  it('done() closes hosts that never ended as interrupted at their running step, and unstarted ones', async () => {
    const { term, p, feed, setNow } = setup(['edge-1', 'edge-2']);
    await tick();
    feed(
      recoveryEvents()
        .filter((e) => e.host === 'edge-1')
        .slice(0, 6),
    );
    setNow(T0 + 3000);
    await p.done();
    expect(term.screen()).toBe(
      [
        '↓ edge-1  interrupted at find-events  3.0s',
        '  not finished',
        '↓ edge-2  interrupted  0ms',
        '  not started',
      ].join('\n'),
    );
  });

  it('verbose shows the last line of device output under the running step', async () => {
    const { term, p, feed } = setup(['edge-1'], { verbose: true });
    await tick();
    feed(
      recoveryEvents()
        .filter((e) => e.host === 'edge-1')
        .slice(0, 6),
    );
    await eventually(() =>
      expect(term.screen()).toContain('  │ %CRYPTO-4-RECVD_PKT_INV_SPI: srcaddr=10.0.0.2'),
    );
    await p.done();
  });

  it('animated mode (spinner, ticking clocks) ends with the same final frame', async () => {
    const term = new FakeTerminal();
    const p = createProgressReporter({
      hosts: ['edge-1', 'edge-2'],
      stream: term as unknown as NodeJS.WriteStream,
    });
    recoveryEvents().forEach(p.report);
    await p.done();
    expect(term.screen()).toBe(
      [
        '✔ edge-1  ok  10.1s',
        '  recovered',
        '  disruptive: clear crypto sa peer 10.0.0.2',
        '✖ edge-2  unreachable  2.0s',
        '  connection refused by 127.0.0.1:2202',
      ].join('\n'),
    );
  });
  it('names steps as the log does (name and loop items) and leaves out groups and bindings', async () => {
    const { term, feed } = setup(['edge-1']);
    await tick();
    const base = { host: 'edge-1', commands: [], captures: {}, scope: {} };
    feed([
      { host: 'edge-1', at: T0, kind: 'host-start', runbook: 'rb', dryRun: false },
      { host: 'edge-1', at: T0, kind: 'connected' },
      {
        host: 'edge-1',
        at: T0,
        kind: 'step-start',
        key: 'per-peer[0]',
        stepId: 'per-peer',
        title: 'Each peer',
        disruptive: false,
        item: '10.20.20.1',
      },
      {
        host: 'edge-1',
        at: T0,
        kind: 'step-start',
        key: 'per-peer[0]/judge',
        stepId: 'judge',
        title: 'judge',
        disruptive: false,
      },
      {
        ...base,
        at: T0 + 1,
        kind: 'step-end',
        key: 'per-peer[0]/judge',
        stepId: 'judge',
        outcome: 'ok',
        durationMs: 1,
        stepKind: 'set',
      },
      {
        host: 'edge-1',
        at: T0 + 2,
        kind: 'step-start',
        key: 'per-peer[0]/clear-sa',
        stepId: 'clear-sa',
        title: 'Clear the SA',
        disruptive: true,
      },
    ]);
    await eventually(() =>
      expect(term.screen().split('\n')).toEqual([
        '❯ edge-1  Clear the SA [10.20.20.1]  2ms',
        '  ▸ Clear the SA [10.20.20.1]  0ms',
      ]),
    );
  });
});
