/** `runbook parse` as a user runs it: the built CLI, files and templates on disk. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { corpusAvailable, NTC_TEMPLATES, NTC_TESTS, sharedDir } from './ntc-corpus.js';

const BFD = join(sharedDir(), 'fixtures', 'real-outputs', 'show-sdwan-bfd-sessions__1.txt');
const ARP = join(NTC_TESTS, 'cisco_ios', 'show_ip_arp', 'cisco_ios_show_ip_arp.raw');
const env = { NTC_TEMPLATES_DIR: '' };

describe('runbook parse', () => {
  it('finds the shipped template from the built package and prints a JSON array', async () => {
    const r = await runCli(
      ['parse', '--platform', 'cisco-iosxe-sdwan', '--command', 'show sdwan bfd sessions', BFD],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const records = JSON.parse(r.stdout) as Record<string, string>[];
    expect(records).toHaveLength(4);
    expect(records[0]).toMatchObject({ system_ip: '172.16.241.1', state: 'up', source_tloc_color: 'mpls' });
  });

  it.runIf(corpusAvailable())('looks up ntc-templates with --templates and prints a table', async () => {
    const r = await runCli(
      [
        'parse',
        '--platform',
        'cisco_ios',
        '--command',
        'sh ip arp',
        '--templates',
        NTC_TEMPLATES,
        '--format',
        'table',
        ARP,
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^PROTOCOL\s+IP_ADDRESS\s+AGE\s+MAC_ADDRESS\s+TYPE\s+INTERFACE$/);
  });

  it('no template for the command: exit 2 naming platform, command and the folders searched', async () => {
    const r = await runCli(['parse', '--platform', 'linux', '--command', 'show nothing', BFD], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("platform 'linux', command 'show nothing'");
    expect(r.stderr).toContain('searched: ');
    expect(r.stderr).toContain(join('dist', 'src', 'parse', 'templates'));
  });

  it('a template that hits Error: exit 1 with the template line and the input line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-parse-'));
    const tpl = join(dir, 'strict.textfsm');
    writeFileSync(tpl, 'Value X (\\d+)\n\nStart\n  ^x ${X} -> Record\n  ^.* -> Error "unexpected"\n');
    const input = join(dir, 'in.txt');
    writeFileSync(input, 'x 1\nsurprise\n');
    const r = await runCli(['parse', '--template', tpl, input], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${tpl}:5:3`);
    expect(r.stderr).toContain('input line 2: "surprise"');
  });

  it('an invalid template: exit 2 with file:line:col and a hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-parse-'));
    const tpl = join(dir, 'bad.textfsm');
    writeFileSync(tpl, 'Value X (\\d+)\n\nStart\n  ^x ${Y}\n');
    const r = await runCli(['parse', '--template', tpl, BFD], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${tpl}:4:6: unknown Value 'Y'`);
    expect(r.stderr).toContain('hint: ');
  });
});
