/**
 * Values that would turn a read-only command into a write are refused at render time, in exec and
 * dry-run alike, and the device never receives the command; value gates (length, controls, bidi,
 * look-alikes, leading dash) refuse bad `--var` values before anything connects; a host whose
 * platform is laxer than the runbook's never weakens the runbook's gates.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { runHost } from '../../src/engine/executor.js';
import { RunbookError } from '../../src/errors.js';
import { getProfile } from '../../src/platforms/index.js';
import type { PlatformProfile } from '../../src/platforms/types.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { resolveVars } from '../../src/runbook/vars.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { runCli } from '../helpers/cli.js';
import { run } from '../engine/harness.js';

const dateFromFile = compileRunbookSource(
  [
    'runbook: set-clock-by-accident',
    'platform: linux',
    'steps:',
    '  - id: read',
    '    run: cat /etc/wanted-date',
    "    capture: {v: {regex: '^(?<s>\\S+)$'}}",
    '  - id: show-date',
    '    run: date {{ v.s }}',
    '    changes: false',
    '  - id: show-format',
    '    run: date +{{ v.s }}',
    '',
  ].join('\n'),
  'date.yaml',
);
const device = { 'cat /etc/wanted-date': '--set=2000-01-01\n', 'date +--set=2000-01-01': 'x' };

describe('render-time gates and re-classification', () => {
  for (const mode of ['exec', 'dry-run'] as const) {
    it(`a captured --set=2000-01-01 never reaches \`date\` (${mode})`, async () => {
      const r = await run(dateFromFile, device, { mode });
      expect(r.transport.sent).toEqual(['cat /etc/wanted-date']);
      expect(r.result.outcome).toBe('failed');
      expect(r.end('show-date').message).toMatch(/starts with '-'.*read it as an option.*nothing was sent/);
    });
  }

  it('an IOS value that adds a second command is refused, never sent', async () => {
    const rb = compileRunbookSource(
      [
        'runbook: r',
        'platform: cisco-iosxe',
        'steps:',
        '  - id: find',
        '    run: show logging | include IFACE',
        "    capture: {i: {regex: 'IFACE (?<name>.+)$'}}",
        '  - id: show',
        '    run: show interfaces {{ i.name }}',
        '',
      ].join('\n'),
      'r.yaml',
    );
    for (const mode of ['exec', 'dry-run'] as const) {
      const r = await run(rb, { 'show logging | include IFACE': 'IFACE Gi1 ; reload\n' }, { mode });
      expect(r.transport.sent).toEqual(['show logging | include IFACE']);
      expect(r.end('show').message).toMatch(
        /refused to send `show interfaces Gi1 ; reload`: the rendered command is not read-only/,
      );
    }
  });

  it('a pipe, a bidi control or a look-alike from device output is refused on IOS', async () => {
    const rb = compileRunbookSource(
      [
        'runbook: r',
        'platform: cisco-iosxe',
        'steps:',
        '  - id: find',
        '    run: show clock',
        "    capture: {c: {regex: '^(?<x>.+)$'}}",
        '  - id: use',
        '    run: show interfaces {{ c.x }}',
        '',
      ].join('\n'),
      'r.yaml',
    );
    for (const [value, why] of [
      ['Gi1 | redirect flash:x', /does not allow/],
      ['Gi1\u202e', /bidi or invisible character U\+202E/],
      ['G\u0456gabitEthernet1', /not ASCII/],
      ['x'.repeat(300), /300 characters long, over the limit of 256/],
    ] as const) {
      const r = await run(rb, { 'show clock': `${value}\n` });
      expect(r.transport.sent, value).toEqual(['show clock']);
      expect(r.end('use').message, value).toMatch(why);
    }
  });

  it("a host platform laxer than the runbook's does not weaken its gates or rules", async () => {
    const lax: PlatformProfile = {
      ...getProfile('linux'),
      name: 'lax-linux',
      unsafeValue: '',
      asciiOnly: false,
      refuseLeadingDash: false,
      readOnly: {
        style: 'shell',
        commands: [
          { name: 'cat', deny: [] },
          { name: 'date', deny: [] },
        ],
        never: [],
      },
    };
    const transport = new MemoryTransport({ profile: lax, device });
    const events: EngineEvent[] = [];
    const result = await runHost({
      runbook: dateFromFile,
      host: { name: 'h1', address: '127.0.0.1', port: 22, platform: 'lax-linux' },
      transport,
      vars: {},
      mode: 'exec',
      approve: async () => true,
      emit: (e) => events.push(e),
    });
    expect(transport.sent).toEqual(['cat /etc/wanted-date']);
    expect(result.outcome).toBe('failed');
  });
});

describe("a host platform stricter than the runbook's", () => {
  it("a command read-only on the runbook's platform but not on the host's is refused", async () => {
    const rb = compileRunbookSource(
      'runbook: r\nplatform: linux\nsteps:\n  - id: names\n    run: hostname -f\n',
      'r.yaml',
    );
    const strict: PlatformProfile = {
      ...getProfile('linux'),
      name: 'strict-linux',
      readOnly: { style: 'shell', commands: [{ name: 'uptime', deny: [] }], never: [] },
    };
    const transport = new MemoryTransport({ profile: strict, device: { 'hostname -f': 'h1.lab' } });
    const events: EngineEvent[] = [];
    const result = await runHost({
      runbook: rb,
      host: { name: 'h1', address: '127.0.0.1', port: 22, platform: 'strict-linux' },
      transport,
      vars: {},
      mode: 'dry-run',
      approve: async () => true,
      emit: (e) => events.push(e),
    });
    expect(transport.sent).toEqual([]);
    expect(result.outcome).toBe('failed');
    expect(JSON.stringify(events)).toMatch(/not read-only for linux and strict-linux/);
  });
});

describe('value gates on --var, before anything connects', () => {
  const rb = compileRunbookSource(
    [
      'runbook: r',
      'platform: linux',
      'vars:',
      '  mount: {type: string}',
      '  opt: {type: string, allow_leading_dash: true}',
      '  short: {type: string, max_length: 8}',
      'steps:',
      '  - id: df',
      '    run: df -P {{ mount }}',
      '',
    ].join('\n'),
    'r.yaml',
  );
  const refused = (pair: string): RunbookError => {
    try {
      resolveVars(rb, [pair]);
    } catch (err) {
      if (err instanceof RunbookError) return err;
      throw err;
    }
    throw new Error(`${pair} was accepted`);
  };

  it('a leading dash is refused unless the var allows it', () => {
    const err = refused('mount=--help');
    expect(err.code).toBe('E_VAR_INVALID');
    expect(err.message).toMatch(/--var mount: '--help' starts with '-'/);
    expect(err.hint).toMatch(/allow_leading_dash: true/);
    expect(resolveVars(rb, ['opt=-h'])).toMatchObject({ opt: '-h' });
  });

  it('the length limit: 256 by default, max_length when the var sets it', () => {
    expect(refused(`mount=/${'a'.repeat(256)}`).message).toMatch(
      /257 characters long, over the limit of 256/,
    );
    expect(resolveVars(rb, [`mount=/${'a'.repeat(255)}`])).toBeTruthy();
    expect(refused('short=123456789').message).toMatch(/over the limit of 8/);
  });

  it('controls, C1, line separators, bidi and zero-width characters are refused', () => {
    for (const ch of ['\u0085', '\u2028', '\u2029', '\u202e', '\u2066', '\u200b', '\ufeff', '\t']) {
      expect(refused(`opt=a${ch}b`).code, JSON.stringify(ch)).toBe('E_VAR_INVALID');
    }
  });

  it('an IOS runbook refuses a non-ASCII look-alike in --var', () => {
    const ios = compileRunbookSource(
      'runbook: r\nplatform: cisco-iosxe\nvars:\n  name: {type: string}\nsteps:\n  - id: s\n    run: show interfaces {{ name }}\n',
      'r.yaml',
    );
    expect(() => resolveVars(ios, ['name=G\u0456gabitEthernet1'])).toThrow(/not ASCII/);
    expect(resolveVars(ios, ['name=GigabitEthernet1'])).toMatchObject({ name: 'GigabitEthernet1' });
  });

  it('a default that fails the gates is a validation error at its line', () => {
    expect(() =>
      compileRunbookSource(
        'runbook: r\nplatform: linux\nvars:\n  m: {type: string, default: -rf}\nsteps:\n  - id: s\n    run: df {{ m }}\n',
        'r.yaml',
      ),
    ).toThrow(/r\.yaml:4:\d+: default of var 'm' is invalid: '-rf' starts with '-'/);
  });

  it('plan and exec refuse such a --var with exit 2 before connecting', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'runbook-gates-')), 'df.yaml');
    writeFileSync(
      file,
      'runbook: df\nplatform: linux\nvars:\n  mount: {type: string}\nsteps:\n  - id: df\n    run: df -P {{ mount }}\n',
    );
    for (const cmd of [
      ['plan', file, '--var', 'mount=--help'],
      ['exec', file, '--host', '127.0.0.1:1', '--var', 'mount=--help'],
    ]) {
      const r = await runCli(cmd);
      expect(r.code, cmd[0]).toBe(2);
      expect(r.stderr).toContain("--var mount: '--help' starts with '-'");
      expect(r.stderr).not.toMatch(/connect/i);
    }
  });
});
