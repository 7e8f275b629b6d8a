import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import type { SourcePos } from '../../src/errors.js';
import { ExprEnv } from '../../src/expr/env.js';
import { captureDeclType, namedGroups, runCaptures } from '../../src/match/capture.js';
import type { CaptureSpec } from '../../src/runbook/model.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const pos: SourcePos = { file: 'rb.yaml', line: 20, col: 11 };

function cap(name: string, regex: string, extra: Partial<CaptureSpec> = {}): CaptureSpec {
  return { name, regex, flags: '', mode: 'first', types: {}, optional: false, pos, ...extra };
}

function stepFailed(f: () => unknown): RunbookError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).code).toBe('E_STEP_FAILED');
    return err as RunbookError;
  }
  throw new Error('expected E_STEP_FAILED');
}

const INV_SPI = 'srcaddr=(?<peer>[0-9.]+)(?:, input interface=(?<iface>\\S+))?';
const syslog =
  fixture('syslog-crypto-4-recvd-pkt-inv-spi__1.txt') + fixture('syslog-crypto-4-recvd-pkt-inv-spi__2.txt');

describe('namedGroups', () => {
  it('reads (?<name>...) groups, not lookbehinds, escapes or classes', () => {
    expect(namedGroups(INV_SPI)).toEqual(['peer', 'iface']);
    expect(namedGroups('(?<=x)(?<!y)\\(?<no>)[(?<no2>)](?<yes>a)')).toEqual(['yes']);
  });
});

describe('runCaptures on real IOS XE output', () => {
  it('all mode lists every INV_SPI event in log order, the optional interface null when absent', () => {
    const { values, lines } = runCaptures(
      [cap('events', INV_SPI, { mode: 'all', types: { peer: 'ipv4' } })],
      syslog,
    );
    expect(values['events']).toEqual([
      { peer: '10.40.40.1', iface: null },
      { peer: '10.20.20.1', iface: 'Tunnel10001' },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('%CRYPTO-4-RECVD_PKT_INV_SPI');
  });

  it('first and last pick the first and the last match', () => {
    const first = runCaptures([cap('ev', INV_SPI, { types: { peer: 'ipv4' } })], syslog).values['ev'];
    const last = runCaptures([cap('ev', INV_SPI, { mode: 'last', types: { peer: 'ipv4' } })], syslog).values[
      'ev'
    ];
    expect(first).toEqual({ peer: '10.40.40.1', iface: null });
    expect(last).toEqual({ peer: '10.20.20.1', iface: 'Tunnel10001' });
  });

  it('captures #pkts decaps as an int from show crypto ipsec sa', () => {
    const out = fixture('show-crypto-ipsec-sa__1.txt');
    const { values, lines } = runCaptures(
      [
        cap('decaps', '#pkts decaps: (?<n>\\d+)', { types: { n: 'int' } }),
        cap('all', '#pkts decaps: (?<n>\\d+)', { mode: 'all', types: { n: 'int' } }),
      ],
      out,
    );
    expect(values['decaps']).toEqual({ n: 4n });
    expect(values['all']).toEqual([{ n: 4n }, { n: 0n }, { n: 0n }]);
    expect(lines[0]).toBe('#pkts decaps: 4, #pkts decrypt: 4, #pkts verify: 4');
  });

  it('captures an enum session status and a bool', () => {
    const out = fixture('show-crypto-session__1.txt');
    const spec = cap('session', 'Session status: (?<status>[A-Z-]+)', {
      types: { status: 'enum' },
      enumValues: { status: ['UP-ACTIVE', 'DOWN', 'DOWN-NEGOTIATING'] },
    });
    expect(runCaptures([spec], out).values['session']).toEqual({ status: 'UP-ACTIVE' });
    const bad = { ...spec, enumValues: { status: ['DOWN'] } };
    expect(stepFailed(() => runCaptures([bad], out)).message).toBe(
      "rb.yaml:20:11: capture 'session': group 'status' captured 'UP-ACTIVE', which is not a valid enum: 'UP-ACTIVE' is not one of DOWN",
    );
    const flag = cap('flag', 'replay detection support: (?<on>[YN])', { types: { on: 'bool' } });
    expect(stepFailed(() => runCaptures([flag], fixture('show-crypto-ipsec-sa__1.txt'))).message).toContain(
      "group 'on' captured 'Y', which is not a valid bool",
    );
    expect(
      runCaptures([cap('up', 'BFD (?<on>\\w+)', { types: { on: 'bool' } })], 'BFD yes').values['up'],
    ).toEqual({ on: true });
  });

  it('captures SD-WAN BFD sessions as a typed table', () => {
    const re =
      '^\\s*(?<system_ip>\\d+\\.\\d+\\.\\d+\\.\\d+)\\s+(?<site>\\d+)\\s+(?<state>up|down)\\s+(?<color>\\S+)';
    const { values } = runCaptures(
      [
        cap('bfd', re, {
          mode: 'all',
          types: { system_ip: 'ipv4', site: 'int', state: 'enum' },
          enumValues: { state: ['up', 'down'] },
        }),
      ],
      fixture('show-sdwan-bfd-sessions__1.txt'),
    );
    const rows = values['bfd'] as { system_ip: string; site: bigint; state: string; color: string }[];
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({ system_ip: '172.16.241.1', site: 30001001n, state: 'up', color: 'mpls' });
    expect(rows[1]!.color).toBe('private1');
  });

  it('captures an IPv6 group', () => {
    const { values } = runCaptures(
      [cap('nbr', 'neighbor (?<addr>[0-9a-fA-F:]+)', { types: { addr: 'ipv6' } })],
      'BGP neighbor 2001:db8::2 is up',
    );
    expect(values['nbr']).toEqual({ addr: '2001:db8::2' });
    expect(
      stepFailed(() =>
        runCaptures(
          [cap('nbr', 'neighbor (?<addr>[0-9a-fA-F:]+)', { types: { addr: 'ipv6' } })],
          'neighbor 2001::db8::2',
        ),
      ).message,
    ).toContain("group 'addr' captured '2001::db8::2'");
  });
});

describe('runCaptures failures and options', () => {
  it('a required capture that matches nothing fails the step, naming it', () => {
    const err = stepFailed(() => runCaptures([cap('decaps', '#pkts decaps: (?<n>\\d+)')], 'no SAs'));
    expect(err.message).toBe(
      "rb.yaml:20:11: capture 'decaps': /#pkts decaps: (?<n>\\d+)/ matched nothing in the output:\n  | no SAs",
    );
    expect(err.hint).toContain('optional');
  });

  it('an optional capture that matches nothing is null', () => {
    expect(
      runCaptures([cap('decaps', '#pkts decaps: (?<n>\\d+)', { optional: true })], 'no SAs').values['decaps'],
    ).toBeNull();
  });

  it('all mode with no match is an empty list, not a failure', () => {
    expect(runCaptures([cap('events', INV_SPI, { mode: 'all' })], 'clean log').values['events']).toEqual([]);
  });

  it('an ipv4 group that captured garbage fails with the offending text', () => {
    const err = stepFailed(() =>
      runCaptures([cap('ev', INV_SPI, { types: { peer: 'ipv4' } })], 'srcaddr=10.40.40.300'),
    );
    expect(err.message).toBe(
      "rb.yaml:20:11: capture 'ev': group 'peer' captured '10.40.40.300', which is not a valid ipv4: '10.40.40.300' is not an IPv4 address",
    );
  });

  it('an int group that captured text fails', () => {
    expect(
      stepFailed(() => runCaptures([cap('c', 'count: (?<n>\\S+)', { types: { n: 'int' } })], 'count: many'))
        .message,
    ).toContain("group 'n' captured 'many'");
  });

  it('a string group holding a control character fails', () => {
    expect(() => runCaptures([cap('c', 'name: (?<n>.+)')], 'name: a\x1b[31mb')).toThrow(/control character/);
  });

  it('^ and $ anchor lines (m flag), CRLF output included; flags such as i apply', () => {
    const out = 'Status: active\r\nstatus: DOWN\r\n';
    expect(
      runCaptures([cap('s', '^status: (?<v>\\w+)$', { flags: 'i', mode: 'all' })], out).values['s'],
    ).toEqual([{ v: 'active' }, { v: 'DOWN' }]);
  });
});

describe('captureDeclType', () => {
  it('first/last: a record of typed groups; all: a list of them; optional: nullable', () => {
    const spec = cap('events', INV_SPI, { types: { peer: 'ipv4' } });
    const rec = {
      kind: 'map',
      fields: {
        peer: { kind: 'scalar', spec: { type: 'ipv4' } },
        iface: { kind: 'scalar', spec: { type: 'string' } },
      },
    };
    expect(captureDeclType(spec)).toEqual(rec);
    expect(captureDeclType({ ...spec, mode: 'all' })).toEqual({ kind: 'list', items: rec });
    expect(captureDeclType({ ...spec, optional: true })).toEqual({ ...rec, nullable: true });
  });

  it('makes captured fields type-checked in expressions', () => {
    const decaps = cap('decaps', '#pkts decaps: (?<n>\\d+)', { types: { n: 'int' } });
    const env = new ExprEnv([{ name: 'decaps', type: captureDeclType(decaps) }]);
    const until = env.compile('decaps.n > 0', pos);
    expect(until.evaluate(runCaptures([decaps], fixture('show-crypto-ipsec-sa__1.txt')).values)).toBe(true);
    expect(() => env.compile('decaps.nn > 0', pos)).toThrow(/unknown field 'nn'/);
    expect(() => env.compile('decaps.n == "4"', pos)).toThrow(/no such overload/);
  });
});
