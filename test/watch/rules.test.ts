import { describe, expect, it } from 'vitest';
import { formatDiagnostic, RunbookError, ValidationError } from '../../src/errors.js';
import type { InventoryHost } from '../../src/fleet/inventory.js';
import { findHost, matchRule } from '../../src/watch/match.js';
import { commandLineRule, eventVars, loadRules } from '../../src/watch/rules.js';
import { parseSyslog } from '../../src/watch/syslog.js';
import type { SyslogMessage } from '../../src/watch/syslog-types.js';

const dir = 'test/watch/fixtures';

async function diagnostics(file: string): Promise<string[]> {
  try {
    await loadRules(file);
  } catch (err) {
    if (err instanceof ValidationError) return err.diagnostics.map(formatDiagnostic);
    throw err;
  }
  throw new Error('expected a ValidationError');
}

function msg(line: string): SyslogMessage {
  const r = parseSyslog(line);
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

const INV_SPI = (peer: string): string =>
  `<189>12: edge1: *Dec  1 20:10:40.476 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10.30.30.1, prot=50, spi=0x215EBFF1(559857649), srcaddr=${peer}`;

describe('rules file', () => {
  it('compiles a valid file: matchers, fixed vars, durations, policies, inventory path', async () => {
    const f = await loadRules(`${dir}/good.rules.yaml`);
    expect(f.inventory).toMatch(/test\/watch\/fixtures\/hosts\.yml$/);
    const [spi, cfg] = f.rules;
    expect(spi).toMatchObject({
      name: 'inv-spi',
      match: { mnemonics: ['RECVD_PKT_INV_SPI'], facility: 'CRYPTO', maxSeverity: 4 },
      vars: { mode: 'hard' },
      groups: ['peer'],
      hostBy: 'address',
      onceWithinMs: 300_000,
      approval: 'auto',
      pos: { line: 4 },
    });
    expect(cfg).toMatchObject({
      hostBy: 'hostname',
      approval: 'ask',
      approvalTimeoutMs: 90_000,
      onceWithinMs: 600_000,
    });
    expect(cfg!.vars).toEqual({ peer: '10.9.9.9', mode: 'soft' });
  });

  it('schema errors: every one at once with file:line:col and a hint', async () => {
    const d = await diagnostics(`${dir}/bad.rules.yaml`);
    expect(d).toEqual([
      expect.stringMatching(
        /^test\/watch\/fixtures\/bad\.rules\.yaml:11:18: 'rules\.1\.once_within' has the wrong form\n  hint: a duration like 90s/,
      ),
      expect.stringMatching(
        /^test\/watch\/fixtures\/bad\.rules\.yaml:12:5: unknown field 'aproval' in 'rules\.1' \(did you mean 'approval'\?\)/,
      ),
      expect.stringMatching(
        /^test\/watch\/fixtures\/bad\.rules\.yaml:14:23: 'rules\.2\.match\.severity' has the wrong form\n  hint: a number 0-7 or one of emergency/,
      ),
    ]);
  });

  it('semantic errors: unknown group var, bad var value, duplicate name, missing runbook', async () => {
    const d = await diagnostics(`${dir}/bad-semantic.rules.yaml`);
    expect(d.join('\n')).toContain(
      "bad-semantic.rules.yaml:5:14: rule inv-spi: named group 'peeer' is not a variable of runbook 'clear-peer' (did you mean 'peer'?)",
    );
    expect(d.join('\n')).toMatch(/bad-semantic\.rules\.yaml:7:18: rule inv-spi: .*medium/);
    expect(d.join('\n')).toContain("bad-semantic.rules.yaml:8:11: rule name 'inv-spi' is used twice");
    expect(d.join('\n')).toMatch(
      /bad-semantic\.rules\.yaml:10:14: rule inv-spi: runbook 'clear-peer' needs 'peer' \(ipv4\)/,
    );
    expect(d.join('\n')).toMatch(
      /bad-semantic\.rules\.yaml:13:14: rule missing-runbook: cannot read runbook/,
    );
  });

  it('a missing file is a read error with a hint', async () => {
    await expect(loadRules(`${dir}/nope.rules.yaml`)).rejects.toMatchObject({ code: 'E_RUNBOOK_READ' });
  });
});

describe('command-line rule', () => {
  it('--on with a named group for a required var, --var for the rest', async () => {
    const r = await commandLineRule({
      on: 'srcaddr=(?<peer>\\S+)',
      runbook: `${dir}/clear-peer.yaml`,
      vars: ['mode=hard'],
      approval: 'dry-run',
    });
    expect(r).toMatchObject({ groups: ['peer'], vars: { mode: 'hard' }, approval: 'dry-run' });
  });

  it('a group that is no var of the runbook is a usage error', async () => {
    await expect(
      commandLineRule({ on: '(?<who>x)', runbook: `${dir}/clear-peer.yaml`, vars: [], approval: 'auto' }),
    ).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining("'who'") });
  });
});

describe('matching and typed vars', () => {
  it('mnemonic, whole tag, facility, severity and regex', async () => {
    const [spi, cfg] = (await loadRules(`${dir}/good.rules.yaml`)).rules as [never, never];
    expect(matchRule(spi, msg(INV_SPI('10.40.40.1')))).toEqual({ peer: '10.40.40.1' });
    expect(matchRule(spi, msg('<189>1: %CRYPTO-6-OTHER: srcaddr=1.2.3.4'))).toBeUndefined();
    expect(matchRule(spi, msg('<189>1: %IKE-4-RECVD_PKT_INV_SPI: srcaddr=1.2.3.4'))).toBeUndefined();
    // severity 4 matches "warning or more severe"; a 5 would not
    expect(matchRule(cfg, msg('<189>1: %SYS-5-CONFIG_I: Configured from console'))).toEqual({});
    expect(matchRule(cfg, msg('<189>1: %OTHER-5-CONFIG: x'))).toEqual({});
    expect(matchRule(cfg, msg('<189>1: %SYS-6-CONFIG_I: x'))).toBeUndefined();
    expect(matchRule(cfg, msg('<13>Oct 11 22:14:15 host su: CONFIG'))).toBeUndefined();
  });

  it('a group reaches the run only as its typed var: a non-IPv4 value or an injection is refused', async () => {
    const rule = await commandLineRule({
      on: 'srcaddr=(?<peer>\\S+)',
      runbook: `${dir}/clear-peer.yaml`,
      vars: [],
      approval: 'auto',
    });
    expect(eventVars(rule, { peer: '10.40.40.1' })).toEqual({ peer: '10.40.40.1', mode: 'soft' });
    for (const bad of ['10.40.40.300', '10.40.40.1;reload', '10.40.40.1|include', '$(reload)']) {
      const groups = matchRule(rule, msg(INV_SPI(bad)))!;
      expect(() => eventVars(rule, groups)).toThrow(RunbookError);
    }
    expect(() => eventVars(rule, {})).toThrow(/gave no 'peer'/);
  });

  it('sender to host: by address, by hostname, unknown and ambiguous never guess', () => {
    const host = (name: string, address: string): InventoryHost => ({
      name,
      address,
      vars: {},
      groups: ['all'],
      pos: { file: 'x', line: 1, col: 1 },
    });
    const hosts = [
      host('edge1', '127.0.0.2'),
      host('edge2', '127.0.0.3'),
      host('twin-a', '127.0.0.9'),
      host('twin-b', '127.0.0.9'),
    ];
    const m = msg(INV_SPI('10.40.40.1'));
    expect(findHost(hosts, 'address', { address: '127.0.0.3' }, m)).toMatchObject({
      ok: true,
      host: { name: 'edge2' },
    });
    expect(findHost(hosts, 'hostname', { address: '127.0.0.3' }, m)).toMatchObject({
      ok: true,
      host: { name: 'edge1' },
    });
    expect(findHost(hosts, 'address', { address: '127.0.0.50' }, m)).toMatchObject({
      ok: false,
      reason: 'unknown',
    });
    expect(findHost(hosts, 'address', { address: '127.0.0.9' }, m)).toMatchObject({
      ok: false,
      reason: 'ambiguous',
    });
    expect(
      findHost(hosts, 'hostname', { address: '127.0.0.3' }, msg('<189>1: %SYS-5-CONFIG_I: x')),
    ).toMatchObject({
      ok: false,
      reason: 'no-hostname',
    });
  });
});
