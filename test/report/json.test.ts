import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { createJsonCollector, stringifyResult } from '../../src/report/json.js';
import { recoveryEvents, T0 } from './scenario.js';

const collector = (hosts = ['edge-1', 'edge-2']) => {
  let t = T0;
  const c = createJsonCollector({
    runId: '20261127-154501-ab12',
    runbook: { name: 'recover-inv-spi', path: '/abs/recover.yaml', contentHash: 'f'.repeat(64) },
    mode: 'exec',
    hosts,
    now: () => (t += 1000),
  });
  return c;
};

describe('JSON result document', () => {
  it('has one entry per host with outcome, steps, commands, captures and disruptive commands', () => {
    const c = collector();
    recoveryEvents().forEach(c.report);
    c.addMessage('edge-1: took over a stale lock of run x (pid 1 is gone)');
    const doc = c.document();
    expect(doc).toMatchObject({
      version: 1,
      runId: '20261127-154501-ab12',
      runbook: { name: 'recover-inv-spi', path: '/abs/recover.yaml' },
      mode: 'exec',
      outcome: 'failed',
      messages: ['edge-1: took over a stale lock of run x (pid 1 is gone)'],
    });
    expect(doc.hosts.map((h) => [h.host, h.outcome])).toEqual([
      ['edge-1', 'ok'],
      ['edge-2', 'unreachable'],
    ]);
    const [e1, e2] = doc.hosts;
    expect(e1!.address).toBe('127.0.0.1');
    expect(e1!.port).toBe(2201);
    expect(e1!.disruptive).toEqual(['clear crypto sa peer 10.0.0.2']);
    expect(e1!.steps.map((s) => [s.key, s.outcome, s.durationMs])).toEqual([
      ['find-events', 'ok', 1200],
      ['clear-sa', 'ok', 3000],
      ['verify-sa', 'ok', 5600],
    ]);
    expect(e1!.steps[2]!.commands).toHaveLength(2);
    expect(e1!.steps[2]!.captures).toEqual({ decaps: { n: 42n } });
    expect(e1!.steps[1]).toMatchObject({ id: 'clear-sa', title: 'Clear the SA', disruptive: true });
    expect(e1!.approvals).toEqual([
      {
        key: 'clear-sa',
        stepId: 'clear-sa',
        command: 'clear crypto sa peer 10.0.0.2',
        impact: 'renegotiates the SA with 10.0.0.2',
        approved: true,
        at: expect.any(Number),
      },
    ]);
    expect(e2!.message).toBe('connection refused by 127.0.0.1:2202');
    expect(e2!.steps).toEqual([]);
  });

  it('serialises ints exactly, even beyond 2^53, and parses as JSON', () => {
    const c = collector(['edge-1']);
    const events: EngineEvent[] = [
      { host: 'edge-1', at: T0, kind: 'host-start', runbook: 'rb', dryRun: false },
      { host: 'edge-1', at: T0, kind: 'step-start', key: 's', stepId: 's', title: 's', disruptive: false },
      {
        host: 'edge-1',
        at: T0,
        kind: 'step-end',
        key: 's',
        stepId: 's',
        outcome: 'ok',
        durationMs: 1,
        commands: [],
        captures: { big: 9007199254740993n, small: 7n, nan: Number.NaN },
        scope: {},
      },
    ];
    events.forEach(c.report);
    const text = stringifyResult(c.document());
    expect(text).toContain('"big": 9007199254740993');
    const parsed = JSON.parse(text) as { hosts: { steps: { captures: Record<string, unknown> }[] }[] };
    expect(parsed.hosts[0]!.steps[0]!.captures).toEqual({ big: 9007199254740992, small: 7, nan: 'NaN' });
  });

  it('dry run: would-run items with their evidence', () => {
    const c = collector(['edge-1']);
    const evidence = [
      {
        stepId: 'find-events',
        captures: { events: [{ peer: '10.0.0.2' }] },
        lines: ['%CRYPTO-4-RECVD_PKT_INV_SPI: srcaddr=10.0.0.2'],
        conditions: ['size(events) > 0'],
      },
    ];
    c.report({
      host: 'edge-1',
      at: T0,
      kind: 'would-run',
      key: 'clear-sa',
      stepId: 'clear-sa',
      command: 'clear crypto sa peer 10.0.0.2',
      impact: 'renegotiates',
      evidence,
    });
    expect(c.document().hosts[0]!.wouldRun).toEqual([
      {
        key: 'clear-sa',
        stepId: 'clear-sa',
        command: 'clear crypto sa peer 10.0.0.2',
        impact: 'renegotiates',
        evidence,
      },
    ]);
  });

  it('a host that started and never ended is interrupted at its running step; one never started is pending', () => {
    const c = collector(['edge-1', 'edge-2']);
    const e = recoveryEvents().slice(0, 11); // edge-1 stops right after clear-sa started
    e.forEach(c.report);
    const doc = c.document();
    expect(doc.hosts[0]).toMatchObject({ outcome: 'interrupted', stoppedAt: 'clear-sa' });
    expect(doc.hosts[0]!.steps[1]).toMatchObject({ key: 'clear-sa', outcome: 'running' });
    const fresh = collector(['edge-9']);
    expect(fresh.document()).toMatchObject({
      outcome: 'interrupted',
      hosts: [{ host: 'edge-9', outcome: 'pending' }],
    });
  });
});
