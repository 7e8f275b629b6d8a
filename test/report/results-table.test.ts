/** Results tables as text cells: the summary's aligned lines, cells made safe for a terminal. */
import { describe, expect, it } from 'vitest';
import { formatResultsText, resultsTable } from '../../src/report/results-table.js';
import { formatSummary } from '../../src/report/summary.js';
import type { ResultDocument, ResultHost } from '../../src/report/json.js';

const rows = (results: ResultHost['results'], resultColumns: string[]) => ({ results, resultColumns });

describe('resultsTable', () => {
  it('no row, no table', () => {
    expect(resultsTable(rows([], []))).toBeUndefined();
  });

  it('lists are joined, null and missing columns are empty, ints are digits, numbers flagged', () => {
    const t = resultsTable(
      rows(
        [
          {
            step: 'per-peer',
            key: 'per-peer[0]',
            fields: { peer: '10.0.0.1', did: ['clear', 'hop'], n: 5n },
          },
          { step: 'per-peer', key: 'per-peer[1]', fields: { peer: '10.0.0.2', did: [], n: null, ok: true } },
        ],
        ['peer', 'did', 'n', 'ok'],
      ),
    )!;
    expect(t.columns).toEqual(['peer', 'did', 'n', 'ok']);
    expect(t.rows).toEqual([
      ['10.0.0.1', 'clear, hop', '5', ''],
      ['10.0.0.2', '', '', 'true'],
    ]);
    expect(t.numeric).toEqual([false, false, true, false]);
  });

  it('names the step key in a first column when rows come from several steps', () => {
    const t = resultsTable(
      rows(
        [
          { step: 'find', key: 'find', fields: { found: 2n } },
          { step: 'fix', key: 'fix[0]', fields: { color: 'mpls' } },
        ],
        ['found', 'color'],
      ),
    )!;
    expect(t.columns).toEqual(['step', 'found', 'color']);
    expect(t.rows).toEqual([
      ['find', '2', ''],
      ['fix[0]', '', 'mpls'],
    ]);
  });

  it('a device cannot reach the terminal with escape sequences or break a line', () => {
    const t = resultsTable(
      rows([{ step: 's', key: 's', fields: { x: 'a\u001b[31mred\nnext\u0007' } }], ['x']),
    )!;
    expect(t.rows[0]![0]).toBe('a\uFFFD[31mred next\uFFFD');
  });
});

describe('the summary', () => {
  it('aligns the table below the host, numbers to the right, long cells cut', () => {
    const host: ResultHost = {
      host: 'edge1',
      outcome: 'ok',
      message: 'done',
      steps: [],
      disruptive: [],
      wouldRun: [],
      approvals: [],
      messages: [],
      results: [
        { step: 'p', key: 'p[0]', fields: { peer: '10.0.0.1', before: 100n, note: 'x'.repeat(60) } },
        { step: 'p', key: 'p[1]', fields: { peer: '10.0.0.22', before: 7n, note: 'short' } },
      ],
      resultColumns: ['peer', 'before', 'note'],
    };
    const doc: ResultDocument = {
      version: 1,
      runId: 'r1',
      runbook: { name: 'rb', path: 'rb.yaml', contentHash: 'h' },
      mode: 'exec',
      startedAt: '',
      finishedAt: '',
      outcome: 'ok',
      hosts: [host],
      messages: [],
    };
    expect(formatSummary(doc).split('\n').slice(1, 5)).toEqual([
      '  edge1  ok    done',
      `      peer       before  note`,
      `      10.0.0.1      100  ${'x'.repeat(47)}…`,
      `      10.0.0.22       7  short`,
    ]);
    expect(formatResultsText(resultsTable(host)!, '', 10)[1]).toBe('10.0.0.1      100  xxxxxxxxx…');
  });

  it('a table wider than the width is shown a row at a time, values whole, empty cells left out', () => {
    const long = 'inbound SPI 0x100, encaps 13674005->13674020, decaps 13098240->13098240, BFD down';
    const t = resultsTable({
      results: [
        {
          step: 'per-peer',
          key: 'per-peer[0]',
          fields: { peer: '10.20.20.1', kind: 'SD-WAN', before: long },
        },
        {
          step: 'per-peer',
          key: 'per-peer[1]',
          fields: { peer: '10.40.40.1', kind: 'classic IKE', before: null },
        },
      ],
      resultColumns: ['peer', 'kind', 'before'],
    })!;
    expect(formatResultsText(t, '  ', undefined, 60)).toEqual([
      '  peer 10.20.20.1',
      '    kind    SD-WAN',
      `    before  ${long}`,
      '  peer 10.40.40.1',
      '    kind    classic IKE',
    ]);
    // within the width: columns, as before
    expect(formatResultsText(t, '  ', undefined, 200)[0]).toBe(`  peer        kind         before`);
  });
});
