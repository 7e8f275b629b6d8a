import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { createLogReporter, type LogLevel } from '../../src/report/log.js';
import { recoveryEvents, T0 } from './scenario.js';

function render(events: EngineEvent[], level: LogLevel): string[] {
  let text = '';
  const report = createLogReporter({ out: { write: (s: string) => (text += s) }, level });
  events.forEach(report);
  return text.split('\n').slice(0, -1);
}

describe('line log reporter', () => {
  it('writes one line per step outcome, named as the runbook names it, polls summarised', () => {
    expect(render(recoveryEvents(), 'normal')).toEqual([
      '16:45:01 edge-1 starting recover-inv-spi',
      '16:45:01 edge-1 connecting to 127.0.0.1:2201',
      '16:45:01 edge-2 starting recover-inv-spi',
      '16:45:01 edge-2 connecting to 127.0.0.1:2202',
      '16:45:01 edge-1 connected',
      '16:45:02 edge-1 find-events: ok (1.2s)',
      '16:45:03 edge-2 unreachable: connection refused by 127.0.0.1:2202 (2.0s)',
      '16:45:02 edge-1 Clear the SA: awaiting approval: clear crypto sa peer 10.0.0.2 [renegotiates the SA with 10.0.0.2]',
      '16:45:05 edge-1 Clear the SA: approved',
      '16:45:05 edge-1 Clear the SA: sent [disruptive]: clear crypto sa peer 10.0.0.2',
      '16:45:05 edge-1 Clear the SA: ok (3.0s)',
      '16:45:11 edge-1 verify-sa: ok (5.6s)',
      '16:45:11 edge-1 ok: recovered (10.1s)',
    ]);
  });

  it('--verbose also streams device output, indented', () => {
    const lines = render(recoveryEvents(), 'verbose');
    expect(lines).toContain('16:45:05 edge-1 verify-sa: retry 2/12 in 5.0s: decaps.n > 0 is false');
    expect(lines.slice(6, 9)).toEqual([
      '16:45:01 edge-1 find-events: sent: show logging | include RECVD_PKT_INV_SPI',
      '    %CRYPTO-4-RECVD_PKT_INV_SPI: srcaddr=10.0.0.2',
      '16:45:02 edge-1 find-events: ok (1.2s)',
    ]);
    expect(lines).toContain('        #pkts decaps: 42');
  });

  it('--quiet prints only errors', () => {
    const failing: EngineEvent[] = [
      {
        host: 'edge-3',
        at: T0,
        kind: 'step-start',
        key: 'verify-sa',
        stepId: 'verify-sa',
        title: 'verify-sa',
        disruptive: false,
      },
      {
        host: 'edge-3',
        at: T0 + 60_000,
        kind: 'step-end',
        key: 'verify-sa',
        stepId: 'verify-sa',
        outcome: 'failed',
        durationMs: 60_000,
        commands: [],
        captures: {},
        scope: {},
        error: { code: 'E_STEP_FAILED', message: 'decaps.n > 0 still false after 12 attempts' },
      },
      {
        host: 'edge-3',
        at: T0 + 60_000,
        kind: 'host-end',
        outcome: 'failed',
        message: 'verify-sa failed',
        durationMs: 61_000,
        disruptive: [],
        stoppedAt: 'verify-sa',
      },
    ];
    expect(render([...recoveryEvents(), ...failing], 'quiet')).toEqual([
      '16:45:03 edge-2 unreachable: connection refused by 127.0.0.1:2202 (2.0s)',
      '16:46:01 edge-3 verify-sa: failed: decaps.n > 0 still false after 12 attempts (1m00s)',
      '16:46:01 edge-3 failed at verify-sa: verify-sa failed (1m01s)',
    ]);
  });

  it('dry run: would-run lines carry command and impact', () => {
    const e: EngineEvent[] = [
      { host: 'edge-1', at: T0, kind: 'host-start', runbook: 'rb', dryRun: true },
      {
        host: 'edge-1',
        at: T0,
        kind: 'step-start',
        key: 'per-peer[0]/clear-sa',
        stepId: 'clear-sa',
        title: 'clear-sa',
        disruptive: true,
      },
      {
        host: 'edge-1',
        at: T0,
        kind: 'would-run',
        key: 'per-peer[0]/clear-sa',
        stepId: 'clear-sa',
        command: 'clear crypto sa peer 10.0.0.2',
        impact: 'renegotiates',
        evidence: [],
      },
      {
        host: 'edge-1',
        at: T0,
        kind: 'step-end',
        key: 'per-peer[0]/clear-sa',
        stepId: 'clear-sa',
        outcome: 'would-run',
        durationMs: 0,
        commands: [],
        captures: {},
        scope: {},
      },
      { host: 'edge-1', at: T0, kind: 'reconnecting', key: 'reload', attempt: 2, delayMs: 3000 },
    ];
    expect(render(e, 'normal')).toEqual([
      '16:45:01 edge-1 starting rb (dry run)',
      '16:45:01 edge-1 clear-sa: would run: clear crypto sa peer 10.0.0.2 [renegotiates]',
      '16:45:01 edge-1 reload: reconnecting (attempt 2) in 3.0s',
    ]);
  });

  it('names loop items, summarises polls, says may run, and prints the final message once', () => {
    const at = T0;
    const base = { host: 'edge-1', at, commands: [], captures: {}, scope: {} };
    const e: EngineEvent[] = [
      {
        host: 'edge-1',
        at,
        kind: 'step-start',
        key: 'per-peer[0]',
        stepId: 'per-peer',
        title: 'Each peer',
        disruptive: false,
        item: '10.20.20.1',
      },
      {
        host: 'edge-1',
        at,
        kind: 'step-start',
        key: 'per-peer[0]/bfd',
        stepId: 'bfd',
        title: 'verify BFD',
        disruptive: false,
      },
      {
        host: 'edge-1',
        at,
        kind: 'retry-wait',
        key: 'per-peer[0]/bfd',
        stepId: 'bfd',
        attempt: 2,
        of: 9,
        delayMs: 250,
        reason: 'down',
      },
      {
        ...base,
        kind: 'step-end',
        key: 'per-peer[0]/bfd',
        stepId: 'bfd',
        outcome: 'ok',
        durationMs: 1800,
        attempts: 7,
        stepKind: 'command',
      },
      {
        ...base,
        kind: 'step-end',
        key: 'per-peer[0]/judge',
        stepId: 'judge',
        outcome: 'ok',
        durationMs: 0,
        stepKind: 'set',
      },
      {
        ...base,
        kind: 'step-end',
        key: 'per-peer[0]/skip',
        stepId: 'skip',
        outcome: 'skipped',
        durationMs: 0,
        message: 'condition is false',
      },
      {
        host: 'edge-1',
        at,
        kind: 'would-run',
        key: 'per-peer[0]/omp',
        stepId: 'omp',
        command: 'clear sdwan omp all',
        impact: '',
        evidence: [],
        hingesOn: { key: 'per-peer[0]/rekey', stepId: 'rekey', title: 'Rekey', command: 'rekey' },
      },
      {
        ...base,
        kind: 'step-end',
        key: 'per-peer[0]',
        stepId: 'per-peer',
        outcome: 'ok',
        durationMs: 2000,
        stepKind: 'group',
      },
      {
        ...base,
        kind: 'step-end',
        key: 'done',
        stepId: 'done',
        outcome: 'ended',
        durationMs: 0,
        message: 'ok: peer 10.20.20.1 recovered\n  after: BFD up',
      },
      {
        host: 'edge-1',
        at,
        kind: 'host-end',
        outcome: 'ok',
        message: 'peer 10.20.20.1 recovered\n  after: BFD up',
        durationMs: 2000,
        disruptive: [],
      },
    ];
    const lines = render(e, 'normal');
    expect(lines).toEqual([
      '16:45:01 edge-1 verify BFD [10.20.20.1]: ok after 7 polls, 1.8s',
      '16:45:01 edge-1 omp [10.20.20.1]: may run (if step rekey does not recover): clear sdwan omp all',
      '16:45:01 edge-1 done: ended (ok)',
      '16:45:01 edge-1 ok: peer 10.20.20.1 recovered',
      '      after: BFD up (2.0s)',
    ]);
    expect(lines.join('\n').match(/after: BFD up/g)).toHaveLength(1);
  });
});
