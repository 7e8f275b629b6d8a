import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { SourcePos } from '../../src/errors.js';
import { runCaptures } from '../../src/match/capture.js';
import type { CaptureSpec } from '../../src/runbook/model.js';
import { compileRunbookSource } from '../../src/runbook/load.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/recover-inv-spi/${name}`, import.meta.url), 'utf8');
const pos: SourcePos = { file: 'rb.yaml', line: 3, col: 5 };
const all = (regex: string, extra: Partial<CaptureSpec> = {}): CaptureSpec => ({
  name: 'ev',
  regex,
  flags: 'm',
  mode: 'all',
  types: {},
  optional: false,
  pos,
  ...extra,
});

const classic = fixture('syslog-crypto-4-recvd-pkt-inv-spi__1.txt').trim();
const sdwan = fixture('syslog-crypto-4-recvd-pkt-inv-spi__2.txt').trim();
/** A log buffer, oldest first: classic, sdwan, classic again (newest), as `show logging | include` prints it. */
const buffer = [
  classic,
  sdwan,
  classic.replace('15:00:23.723', '15:00:53.723').replace('0x215EBFF1(605998893)', '0x215EBFF2(559857650)'),
].join('\n');
const EVENT = 'spi=(?<spi>0x[0-9A-Fa-f]+)\\((?<spi_dec>\\d+)\\), srcaddr=(?<peer>[0-9.]+)';

describe('capture order options for match: all', () => {
  it('reverse lists the newest log line first', () => {
    const { values } = runCaptures([all(EVENT, { reverse: true })], buffer);
    expect((values['ev'] as { spi: string }[]).map((e) => e.spi)).toEqual([
      '0x215EBFF2',
      '0x241BBFF1',
      '0x215EBFF1',
    ]);
  });

  it('unique keeps the first match per peer, in output order without reverse', () => {
    const { values } = runCaptures([all(EVENT, { unique: 'peer', types: { peer: 'ipv4' } })], buffer);
    expect(values['ev']).toEqual([
      { spi: '0x215EBFF1', spi_dec: '605998893', peer: '10.40.40.1' },
      { spi: '0x241BBFF1', spi_dec: '605913993', peer: '10.20.20.1' },
    ]);
  });

  it('reverse + unique gives every peer once, newest event first', () => {
    const { values, lines } = runCaptures(
      [all(EVENT, { reverse: true, unique: 'peer', types: { spi_dec: 'int' } })],
      buffer,
    );
    expect(values['ev']).toEqual([
      { spi: '0x215EBFF2', spi_dec: 559857650n, peer: '10.40.40.1' },
      { spi: '0x241BBFF1', spi_dec: 605913993n, peer: '10.20.20.1' },
    ]);
    // evidence: the lines of the kept matches only, in output order
    expect(lines).toEqual([sdwan, buffer.split('\n')[2]]);
  });

  it('a group that did not match counts as one value for unique', () => {
    const re = 'srcaddr=(?<peer>[0-9.]+)(?:, input interface=(?<iface>\\S+))?';
    const { values } = runCaptures([all(re, { reverse: true, unique: 'iface' })], buffer);
    expect(values['ev']).toEqual([
      { peer: '10.40.40.1', iface: null },
      { peer: '10.20.20.1', iface: 'Tunnel10001' },
    ]);
  });

  it('no match is an empty list whatever the options', () => {
    expect(
      runCaptures([all(EVENT, { reverse: true, unique: 'peer' })], 'Log Buffer (102400 bytes):\n').values[
        'ev'
      ],
    ).toEqual([]);
  });
});

describe('reverse and unique in a runbook', () => {
  const book = (capture: string) => `runbook: t
platform: cisco-iosxe
steps:
  - id: log
    run: show logging
    capture:
      ev: ${capture}
`;
  const diagnostics = (text: string): string[] => {
    try {
      compileRunbookSource(text, 'rb.yaml');
    } catch (err) {
      if (err instanceof ValidationError)
        return err.diagnostics.map((d) => `${d.pos.line}:${d.pos.col} ${d.message}`);
      throw err;
    }
    return [];
  };

  it('compiles them into the capture spec', () => {
    const rb = compileRunbookSource(
      book(`{regex: 'srcaddr=(?<peer>[0-9.]+)', match: all, reverse: true, unique: peer}`),
      'rb.yaml',
    );
    const step = rb.steps[0]!;
    expect(step.kind === 'command' && step.captures[0]).toMatchObject({
      mode: 'all',
      reverse: true,
      unique: 'peer',
    });
  });

  it('refuses them outside match: all, and a unique group the regex does not have', () => {
    expect(diagnostics(book(`{regex: 'srcaddr=(?<peer>[0-9.]+)', reverse: true}`))).toEqual([
      "7:47 'reverse' of capture 'ev' of step 'log' only applies to 'match: all' (this capture keeps the first match)",
    ]);
    expect(diagnostics(book(`{regex: 'srcaddr=(?<peer>[0-9.]+)', match: all, unique: iface}`))).toEqual([
      "7:67 capture 'ev' of step 'log' is unique by group 'iface', which its regex does not have (groups: peer)",
    ]);
  });

  it('the schema refuses a unique that is not a name', () => {
    expect(
      diagnostics(book(`{regex: 'srcaddr=(?<peer>[0-9.]+)', match: all, unique: '1x'}`)).join('\n'),
    ).toMatch(/unique/);
  });
});
