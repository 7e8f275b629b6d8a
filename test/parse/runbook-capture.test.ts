/** TextFSM captures in runbooks: validated against the template's columns, typed records at run time. */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { run } from '../engine/harness.js';
import { sharedDir } from './ntc-corpus.js';

const BFD_OUTPUT = readFileSync(
  join(sharedDir(), 'fixtures', 'real-outputs', 'show-sdwan-bfd-sessions__1.txt'),
  'utf8',
);

function runbook(capture: string, when: string, extraTop = ''): string {
  return `runbook: bfd-check
platform: cisco-iosxe-sdwan
${extraTop}steps:
  - id: bfd
    run: show sdwan bfd sessions
    capture:
      bfd: ${capture}
  - id: report
    when: ${when}
    end: {status: failed, message: 'BFD down'}
  - id: fine
    end: {status: ok, message: 'all {{ size(bfd) }} sessions up, {{ bfd[0].transitions }} transitions'}
`;
}

function diagnostics(text: string, file = 'bfd.yaml'): string[] {
  try {
    compileRunbookSource(text, file);
  } catch (err) {
    if (err instanceof ValidationError)
      return err.diagnostics.map((d) => `${d.pos.line}:${d.pos.col}: ${d.message}`);
    throw err;
  }
  return [];
}

describe('textfsm captures', () => {
  it('parse the output into typed records that CEL filters by column name', async () => {
    const rb = compileRunbookSource(
      runbook('{textfsm: true, types: {transitions: int}}', "bfd.exists(r, r.state == 'down')"),
      'bfd.yaml',
    );
    const r = await run(rb, { 'show sdwan bfd sessions': BFD_OUTPUT });
    expect(r.result.outcome).toBe('ok');
    expect(r.result.message).toBe('all 4 sessions up, 0 transitions');
    const bfd = r.end('bfd').captures?.['bfd'] as Record<string, unknown>[];
    expect(bfd[2]).toMatchObject({ system_ip: '172.16.241.2', state: 'up', transitions: 2n });
  });

  it('a down session is found by the same expression', async () => {
    const rb = compileRunbookSource(
      runbook('{textfsm: true}', "bfd.exists(r, r.state == 'down')"),
      'bfd.yaml',
    );
    const down = BFD_OUTPUT.replace('30001002 up ', '30001002 down');
    const r = await run(rb, { 'show sdwan bfd sessions': down });
    expect(r.result.outcome).toBe('failed');
    expect(r.result.message).toBe('BFD down');
  });

  it('a column name typo is a validation error at its line:col', () => {
    const d = diagnostics(runbook('{textfsm: true}', "bfd.exists(r, r.stat == 'down')"));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(/^9:\d+: .*stat/);
  });

  it('a type for a column the template lacks, and a missing template, are validation errors', () => {
    expect(diagnostics(runbook('{textfsm: true, types: {transitons: int}}', 'size(bfd) < 0'))[0]).toMatch(
      /^7:\d+: .*column 'transitons', which its template does not have/,
    );
    expect(diagnostics(runbook('{textfsm: no_such.textfsm}', 'size(bfd) < 0'))[0]).toMatch(
      /^7:\d+: .*TextFSM template 'no_such.textfsm' not found/,
    );
    const none = runbook('{textfsm: true}', 'size(bfd) < 0').replace(
      'show sdwan bfd sessions',
      'show sdwan bfd summary',
    );
    expect(diagnostics(none)[0]).toMatch(
      /no TextFSM template for platform 'cisco_ios', command 'show sdwan bfd summary'/,
    );
    expect(diagnostics(runbook('{textfsm: true, regex: "x(?<a>y)"}', 'size(bfd) < 0'))[0]).toMatch(
      /exactly one of 'regex' and 'textfsm'/,
    );
  });

  it("the runbook's own templates folder comes first and a broken template is reported with its position", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-tfsm-'));
    mkdirSync(join(dir, 'tpl'));
    writeFileSync(
      join(dir, 'tpl', 'index'),
      'Template, Hostname, Platform, Command\n\nbfd.textfsm, .*, cisco_ios, sh[[ow]] sdw[[an]] bfd sess[[ions]]\n',
    );
    writeFileSync(join(dir, 'tpl', 'bfd.textfsm'), 'Value PEER (\\S+)\n\nStart\n  ^${PEER} -> Record\n');
    const file = join(dir, 'bfd.yaml');
    const own = (c: string, w: string, top: string) =>
      runbook(c, w, top).replace('{{ bfd[0].transitions }}', '{{ bfd[0].peer }}');
    const ok = diagnostics(
      own('{textfsm: true}', "bfd.exists(r, r.peer == '1.1.1.1')", 'templates: tpl\n'),
      file,
    );
    expect(ok.join('\n')).toBe('');
    const typo = diagnostics(
      own('{textfsm: true}', "bfd.exists(r, r.state == 'down')", 'templates: tpl\n'),
      file,
    );
    expect(typo[0]).toMatch(/state/);
    writeFileSync(join(dir, 'tpl', 'bfd.textfsm'), 'Value PEER (\\S+)\n\nStart\n  ^${PEERS} -> Record\n');
    const broken = diagnostics(
      own('{textfsm: bfd.textfsm}', 'size(bfd) < 0', 'templates: tpl\n'),
      join(dir, 'other.yaml'),
    );
    expect(broken[0]).toContain(`${join(dir, 'tpl', 'bfd.textfsm')}:4:4: unknown Value 'PEERS'`);
  });
});
