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
  it('writes one line per event with time, host and step', () => {
    expect(render(recoveryEvents(), 'normal')).toEqual([
      '16:45:01 edge-1 starting recover-inv-spi',
      '16:45:01 edge-1 connecting to 127.0.0.1:2201',
      '16:45:01 edge-2 starting recover-inv-spi',
      '16:45:01 edge-2 connecting to 127.0.0.1:2202',
      '16:45:01 edge-1 connected',
      '16:45:01 edge-1 find-events: started',
      '16:45:01 edge-1 find-events: sent: show logging | include RECVD_PKT_INV_SPI',
      '16:45:02 edge-1 find-events: ok (1.2s)',
      '16:45:03 edge-2 unreachable: connection refused by 127.0.0.1:2202 (2.0s)',
      '16:45:02 edge-1 clear-sa: started',
      '16:45:02 edge-1 clear-sa: awaiting approval: clear crypto sa peer 10.0.0.2 [renegotiates the SA with 10.0.0.2]',
      '16:45:05 edge-1 clear-sa: approved',
      '16:45:05 edge-1 clear-sa: sent [disruptive]: clear crypto sa peer 10.0.0.2',
      '16:45:05 edge-1 clear-sa: ok (3.0s)',
      '16:45:05 edge-1 verify-sa: started',
      '16:45:05 edge-1 verify-sa: sent: show crypto ipsec sa peer 10.0.0.2',
      '16:45:05 edge-1 verify-sa: retry 2/12 in 5.0s: decaps.n > 0 is false',
      '16:45:10 edge-1 verify-sa: sent: show crypto ipsec sa peer 10.0.0.2 (attempt 2)',
      '16:45:11 edge-1 verify-sa: ok (5.6s)',
      '16:45:11 edge-1 ok: recovered (10.1s)',
    ]);
  });

  it('--verbose also streams device output, indented', () => {
    const lines = render(recoveryEvents(), 'verbose');
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
      '16:45:01 edge-1 per-peer[0]/clear-sa: started',
      '16:45:01 edge-1 per-peer[0]/clear-sa: would run: clear crypto sa peer 10.0.0.2 [renegotiates]',
      '16:45:01 edge-1 per-peer[0]/clear-sa: not run (dry run)',
      '16:45:01 edge-1 reload: reconnecting (attempt 2) in 3.0s',
    ]);
  });
});
