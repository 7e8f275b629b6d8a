import { describe, expect, it } from 'vitest';
import type { ResultDocument, ResultHost } from '../../src/report/json.js';
import { formatSummary } from '../../src/report/summary.js';

const host = (h: Partial<ResultHost> & Pick<ResultHost, 'host' | 'outcome'>): ResultHost => ({
  message: '',
  steps: [],
  disruptive: [],
  wouldRun: [],
  approvals: [],
  messages: [],
  results: [],
  resultColumns: [],
  ...h,
});

const doc = (hosts: ResultHost[], mode: ResultDocument['mode'] = 'exec'): ResultDocument => ({
  version: 1,
  runId: '20261127-154501-ab12',
  runbook: { name: 'recover-inv-spi', path: '/abs/recover.yaml', contentHash: 'f'.repeat(64) },
  mode,
  startedAt: '2026-11-27T15:45:01.000Z',
  finishedAt: '2026-11-27T15:46:01.000Z',
  outcome: 'failed',
  hosts,
  messages: [],
});

describe('final summary', () => {
  it('per host outcome, duration and disruptive actions, with resume and retry commands; a multi-line message goes below its host', () => {
    const text = formatSummary(
      doc([
        host({
          host: 'edge-1',
          outcome: 'ok',
          durationMs: 10_100,
          message: 'recovered',
          disruptive: ['clear crypto sa peer 10.0.0.2'],
        }),
        host({
          host: 'edge-22',
          outcome: 'failed',
          durationMs: 61_000,
          stoppedAt: 'verify-sa',
          message: 'decaps stayed 0\nmore detail',
        }),
        host({
          host: 'edge-3',
          outcome: 'interrupted',
          durationMs: 2_000,
          stoppedAt: 'clear-sa',
          message: 'interrupted by SIGINT',
        }),
      ]),
      {
        resumeCommand: 'runbook resume 20261127-154501-ab12',
        retryCommand:
          'runbook exec recover.yaml -i hosts.yaml --limit @.runbook/runs/20261127-154501-ab12/retry',
      },
    );
    expect(text).toBe(
      [
        'Run 20261127-154501-ab12: recover-inv-spi, 3 hosts: 1 ok, 1 failed, 1 interrupted',
        '  edge-1   ok           10.1s  recovered',
        '      disruptive: clear crypto sa peer 10.0.0.2',
        '  edge-22  failed       1m01s  at verify-sa',
        '      decaps stayed 0',
        '      more detail',
        '  edge-3   interrupted  2.0s   at clear-sa: interrupted by SIGINT',
        'To continue edge-3: runbook resume 20261127-154501-ab12',
        'To retry edge-22: runbook exec recover.yaml -i hosts.yaml --limit @.runbook/runs/20261127-154501-ab12/retry',
        '',
      ].join('\n'),
    );
  });

  it('a fleet gets one line per host: multi-line messages are cut to their first line', () => {
    const hosts = Array.from({ length: 6 }, (_, i) =>
      host({
        host: `edge-${i + 1}`,
        outcome: 'ok',
        durationMs: 5000,
        message: 'peer 10.0.0.2 (classic IKE): invalid SPI now\n  did: clear\n  before: a\n  after: b',
      }),
    );
    const text = formatSummary(doc(hosts));
    expect(text.split('\n')[1]).toBe(
      '  edge-1  ok  5.0s  peer 10.0.0.2 (classic IKE): invalid SPI now (+3 lines)',
    );
    expect(text).not.toContain('did: clear');
    expect(text.trimEnd().split('\n')).toHaveLength(7);
  });

  it('all ok: no resume or retry line', () => {
    const text = formatSummary(doc([host({ host: 'edge-1', outcome: 'ok', durationMs: 1000 })]), {
      resumeCommand: 'runbook resume x',
      retryCommand: 'runbook exec y',
    });
    expect(text).toBe('Run 20261127-154501-ab12: recover-inv-spi, 1 host: 1 ok\n  edge-1  ok  1.0s\n');
  });

  it('dry run lists what would run, never a resume command', () => {
    const text = formatSummary(
      doc(
        [
          host({
            host: 'edge-1',
            outcome: 'awaiting-approval',
            wouldRun: [
              {
                key: 'clear-sa',
                stepId: 'clear-sa',
                command: 'clear crypto sa peer 10.0.0.2',
                impact: 'renegotiates',
                evidence: [],
              },
            ],
          }),
        ],
        'dry-run',
      ),
      { resumeCommand: 'runbook resume x' },
    );
    expect(text).toContain('recover-inv-spi (dry run)');
    expect(text).toContain('      would run: clear crypto sa peer 10.0.0.2 [renegotiates] (clear-sa)');
    expect(text).not.toContain('runbook resume');
  });
});
