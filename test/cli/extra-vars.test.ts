/**
 * `-e @file.yml` / `-e @file.json` as ansible-playbook reads them: typed against the runbook's vars
 * with the same checks as `--var`, applied in order with pairs (later wins), every problem at
 * FILE:line:col; a vaulted value makes its var secret.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveExtraVars } from '../../src/cli/extra-vars.js';
import { ValidationError } from '../../src/errors.js';
import { VaultKeyring } from '../../src/fleet/vault.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { Vault } from 'ansible-vault';

const rb = compileRunbookSource(
  `runbook: extra-vars
platform: cisco-iosxe
vars:
  peer: {type: ipv4, required: true}
  count: {type: int, default: 3}
  color: {type: enum, values: [mpls, lte, "3g"]}
  peers: {type: list, items: {type: ipv4}}
  asn: {type: string, pattern: '[0-9]+'}
  force: {type: bool, default: false}
  token: {type: string, pattern: '[A-Za-z0-9-]+'}
steps:
  - id: a
    run: show version
`,
  'extra-vars.yaml',
);

const dir = mkdtempSync(join(tmpdir(), 'runbook-extra-vars-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const none = new VaultKeyring();

function problems(args: string[]): string[] {
  try {
    resolveExtraVars(rb, args, none);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).code).toBe('E_VAR_INVALID');
    return (e as ValidationError).message.split('\n').filter((l) => !l.startsWith('  hint:'));
  }
  throw new Error('no error');
}

describe('-e @file', () => {
  it('reads typed values from YAML; a plain scalar for a string or enum var is taken as written', () => {
    const f = file(
      'ok.yml',
      'peer: 10.0.0.1\ncount: 7\npeers: [10.0.0.2, 10.0.0.3]\nasn: 65000\ncolor: 3g\nforce: yes\n',
    );
    const { vars, runbook } = resolveExtraVars(rb, [`@${f}`], none);
    expect(vars).toEqual({
      peer: '10.0.0.1',
      count: 7n,
      peers: ['10.0.0.2', '10.0.0.3'],
      asn: '65000',
      color: '3g',
      force: true,
    });
    expect(runbook).toBe(rb);
  });

  it('reads JSON, and applies files and pairs in order (later wins)', () => {
    const f = file('v.json', '{"peer": "10.0.0.1", "count": 5}');
    expect(resolveExtraVars(rb, [`@${f}`, 'count=9'], none).vars.count).toBe(9n);
    expect(resolveExtraVars(rb, ['count=9', `@${f}`], none).vars.count).toBe(5n);
    expect(resolveExtraVars(rb, ['peer=10.9.9.9', `@${f}`], none).vars.peer).toBe('10.0.0.1');
  });

  it('reports every problem at once, at file:line:col, with did-you-mean for unknown names', () => {
    const f = file('bad.yml', 'peer: 10.0.0.256\ncuont: 4\npeers: [10.0.0.1, nope]\ntoken: "a b"\n');
    expect(problems([`@${f}`])).toEqual([
      `${f}:1:7: variable 'peer': '10.0.0.256' is not an IPv4 address`,
      `${f}:2:1: runbook 'extra-vars' has no variable 'cuont' (did you mean 'count'?)`,
      `${f}:3:8: variable 'peers' item 2: 'nope' is not an IPv4 address`,
      `${f}:4:8: variable 'token': 'a b' does not match the pattern /[A-Za-z0-9-]+/`,
    ]);
  });

  it('a YAML syntax error, a non-mapping file and a missing file are reported', () => {
    expect(problems([`@${file('syntax.yml', 'peer: [1\n')}`])[0]).toMatch(
      /syntax\.yml:\d+:\d+: YAML syntax error/,
    );
    expect(problems([`@${file('list.yml', '- a\n')}`])[0]).toContain('must be a mapping');
    expect(() => resolveExtraVars(rb, [`@${join(dir, 'missing.yml')}`], none)).toThrow(
      /cannot read the file: ENOENT/,
    );
  });

  it('an inline !vault value is decrypted and makes its var secret; errors never show it', () => {
    const vault = new VaultKeyring([{ label: 'default', password: 'pw-1', source: 'test' }]);
    const enc = new Vault({ password: 'pw-1' }).encryptSync('Tok-3a9f', '');
    const f = file('vaulted.yml', `peer: 10.0.0.1\ntoken: !vault |\n  ${enc.split('\n').join('\n  ')}\n`);
    const { vars, runbook } = resolveExtraVars(rb, [`@${f}`], vault);
    expect(vars.token).toBe('Tok-3a9f');
    expect(runbook.vars.find((d) => d.name === 'token')!.secret).toBe(true);
    expect(runbook.vars.find((d) => d.name === 'peer')!.secret).toBe(false);
    expect(vault.revealed).toContain('Tok-3a9f');

    const bad = new Vault({ password: 'pw-1' }).encryptSync('has space', '');
    const g = file('vaulted-bad.yml', `peer: 10.0.0.1\ntoken: !vault |\n  ${bad.split('\n').join('\n  ')}\n`);
    let message = '';
    try {
      resolveExtraVars(rb, [`@${g}`], vault);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`${g}:2:8: variable 'token'`);
    expect(message).not.toContain('has space');
  });

  it('a vaulted file: every var it sets is secret; a wrong password is E_VAULT naming the file', () => {
    const enc = new Vault({ password: 'pw-2' }).encryptSync('peer: 10.0.0.7\ntoken: Tok-77\n', 'ops');
    const f = file('whole.yml', enc);
    const vault = new VaultKeyring([{ label: 'ops', password: 'pw-2', source: 'test' }]);
    const { vars, runbook } = resolveExtraVars(rb, [`@${f}`], vault);
    expect(vars).toMatchObject({ peer: '10.0.0.7', token: 'Tok-77' });
    expect(runbook.vars.filter((d) => d.secret).map((d) => d.name)).toEqual(['peer', 'token']);
    const wrong = new VaultKeyring([{ label: 'ops', password: 'nope', source: '/etc/pw' }]);
    let err: unknown;
    try {
      resolveExtraVars(rb, [`@${f}`], wrong);
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('E_VAULT');
    expect((err as Error).message).toBe(
      `${f}: cannot decrypt with the vault password given (ops@/etc/pw): wrong vault password for vault id ops?`,
    );
  });
});
