/** The report renderers escape everything they are given: device output and recorded values are untrusted. */
import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../src/report/change.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { renderMarkdownReport } from '../../src/report/markdown.js';

const EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>`|**';

function record(): ChangeRecord {
  return {
    meta: {
      id: '20261201-000000-abcd',
      createdAt: '2026-12-01T00:00:00.000Z',
      runbookPath: '/rb/x.yaml',
      runbookName: 'x',
      contentHash: 'ab'.repeat(32),
      vars: { peer: EVIL },
      targets: [{ name: 'edge1', address: '127.0.0.1', port: 22, platform: 'cisco-iosxe' }],
      mode: 'exec',
      argv: [],
      operator: { user: 'ops', host: 'jump', tool: 'runbook 0.1.0' },
      change: 'CHG1',
    },
    outcome: 'failed',
    hosts: [
      {
        result: {
          host: 'edge1',
          outcome: 'failed',
          message: EVIL,
          steps: [
            {
              key: 'show',
              id: 'show',
              title: EVIL,
              outcome: 'failed',
              disruptive: false,
              startedAt: '2026-12-01T00:00:00.000Z',
              commands: [`show ${EVIL}`],
              captures: { x: EVIL },
              message: EVIL,
            },
          ],
          disruptive: [EVIL],
          wouldRun: [],
          approvals: [
            {
              key: 'k',
              stepId: 'k',
              command: EVIL,
              impact: EVIL,
              approved: false,
              how: 'interactive',
              answer: 'no',
              evidence: [{ stepId: 's', lines: [EVIL] }],
            },
          ],
          messages: [],
          results: [{ step: 'show', key: 'show', fields: { x: EVIL, n: 1n, l: [EVIL] } }],
          resultColumns: ['x', 'n', 'l'],
        },
        state: 'failed',
        target: { name: 'edge1', address: '127.0.0.1', port: 22, platform: 'cisco-iosxe' },
        sessions: 1,
        startedAt: 0,
        endedAt: 1000,
        outputs: [[{ output: `${EVIL}\n</pre></details><b>x</b>` }]],
        sent: [{ at: 500, key: 'k', command: EVIL }],
        batch: 1,
      },
    ],
  };
}

describe('report escaping', () => {
  it('HTML: no recorded value becomes markup', () => {
    const html = renderHtmlReport(record(), { now: 0 });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>x</b>');
    expect(html.match(/<script>/g)).toHaveLength(1); // the page's own script only
    expect(html).toContain('&#60;img src=x onerror=&#34;alert(1)&#34;&#62;');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('interactive: no');
  });

  it('markdown: recorded values cannot open HTML or break out of code', () => {
    const md = renderMarkdownReport(record());
    // outside fenced blocks and code spans (literal in markdown) nothing is markup
    const prose = md
      .replace(/^( *)(`{3,})text\n[\s\S]*?\n\1\2$/gm, '')
      .replace(/(`+) [\s\S]*? \1|(`+)[^`\n]*\2/g, '');
    expect(prose).toContain('\\<img');
    expect(prose).not.toMatch(/(^|[^\\])<(img|script|b)\b/m);
    expect(md).toContain('```text\n<img');
  });
});
