/** Steps' `result:` rows: recorded per run of a step, typed, masked, journaled and restored on resume. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { timelineOf } from '../../src/engine/timeline.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { Journal, readJournal } from '../../src/store/journal.js';
import { recordToEvent, toRecord } from '../../src/store/journal-record.js';
import { journalTimeline, resumeState } from '../../src/store/resume.js';
import type { DeviceFn } from '../../src/transport/memory.js';
import { run } from './harness.js';

const BOOK = `
runbook: results-mini
platform: cisco-iosxe
vars:
  token: {type: string, secret: true, default: s3cret-token}
  pick: {type: int, default: 0}
steps:
  - id: find
    run: show logging | include RECVD_PKT_INV_SPI
    capture:
      events: {regex: 'srcaddr=(?<peer>[0-9.]+)(?:, input interface=(?<iface>\\S+))?', match: all, types: {peer: ipv4}}
    result: {found: size(events)}
  - id: per-peer
    for_each: events
    as: ev
    steps:
      - id: before
        run: show crypto ipsec sa peer {{ ev.peer }}
        capture: {before: {regex: '#pkts decaps: (?<n>\\d+)', types: {n: int}}}
      - id: clear
        run: clear crypto sa peer {{ ev.peer }}
        changes: Renegotiates the SA with {{ ev.peer }}
      - id: after
        run: show crypto ipsec sa peer {{ ev.peer }}
        capture: {after: {regex: '#pkts decaps: (?<n>\\d+)', types: {n: int}}}
    result:
      peer: ev.peer
      kind: 'has(ev.iface) ? "sdwan" : "classic"'
      did: '["clear"]'
      before: before.n
      after: after.n
      ok: after.n > before.n
  - id: never
    when: size(events) > 5
    result: {nope: '"x"'}
  - id: summary
    result: {peers: 'events.map(e, e.peer)', rate: 'double(size(events)) / 2.0', who: token, picked: '[1, 2][pick]'}
`;

const book = () => compileRunbookSource(BOOK, 'results-mini.yaml');
const A = '10.40.40.1';
const B = '10.20.20.1';
const LOG = `srcaddr=${A}\nsrcaddr=${B}, input interface=Tunnel1`;

function edge(): DeviceFn {
  const decaps = new Map([
    [A, 100],
    [B, 200],
  ]);
  return (command) => {
    if (command.startsWith('show logging')) return LOG;
    let m = /^show crypto ipsec sa peer (\S+)$/.exec(command);
    if (m) return `#pkts decaps: ${decaps.get(m[1]!) ?? 0}`;
    m = /^clear crypto sa peer (\S+)$/.exec(command);
    if (m) decaps.set(m[1]!, (decaps.get(m[1]!) ?? 0) + 5);
    return '';
  };
}

describe('result: rows', () => {
  it('records one row per step run and per for_each iteration, in the author column order, typed', async () => {
    const r = await run(book(), edge());
    expect(r.result.outcome).toBe('ok');
    const rows = r.result.results;
    expect(rows.map((x) => x.key)).toEqual(['find', 'per-peer[0]', 'per-peer[1]', 'summary']);
    expect(rows[1]!.fields).toEqual({
      peer: A,
      kind: 'classic',
      did: ['clear'],
      before: 100,
      after: 105,
      ok: true,
    });
    expect(Object.keys(rows[1]!.fields)).toEqual(['peer', 'kind', 'did', 'before', 'after', 'ok']);
    expect(rows[2]!.fields).toMatchObject({ peer: B, kind: 'sdwan', before: 200, after: 205 });
    // the step skipped by its `when` recorded nothing; a secret reads as the mask
    expect(rows[3]!.fields).toEqual({ peers: [A, B], rate: 1, who: '********', picked: 1 });
    // the event is emitted before the step's end, with the int as a CEL int
    const ev = r.of('result').find((e) => e.key === 'per-peer[0]')!;
    expect(ev.fields.before).toBe(100n);
    const order = r.events
      .filter((e) => e.kind !== 'command-output')
      .map((e) => `${e.kind}:${'key' in e ? e.key : ''}`);
    expect(order.indexOf('result:per-peer[0]')).toBe(order.indexOf('step-end:per-peer[0]') - 1);
    expect(
      JSON.stringify(r.events, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).not.toContain('s3cret-token');
  });

  it('dry-run records rows too: steps that ran record, a would-run step does not', async () => {
    const r = await run(book(), edge(), { mode: 'dry-run' });
    expect(r.result.outcome).toBe('ok');
    expect(r.result.results.map((x) => x.key)).toEqual(['find', 'per-peer[0]', 'per-peer[1]', 'summary']);
    expect(r.result.results[1]!.fields).toMatchObject({ peer: A, before: 100, after: 100, ok: false });
  });

  it('a column that fails at run time fails the step, naming the column, the expression and the values', async () => {
    const r = await run(book(), edge(), { vars: { pick: 7n } });
    expect(r.result.outcome).toBe('failed');
    const end = r.end('summary');
    expect(end.outcome).toBe('failed');
    expect(end.error?.code).toBe('E_EXPR');
    expect(end.message).toMatch(
      /^result column 'picked' of step 'summary': .*\[1, 2\]\[pick\]: there is no item 7.*pick = 7/,
    );
    expect(r.result.results.map((x) => x.key)).toEqual(['find', 'per-peer[0]', 'per-peer[1]']);
  });

  it('resume restores the rows of finished steps and re-runs the rest without duplicating a row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'results-'));
    const journal = new Journal(join(dir, 'r1.jsonl'));
    // First session: the second peer's clear is refused.
    const first = await run(book(), edge(), { approve: async (req) => req.key !== 'per-peer[1]/clear' });
    first.events.forEach(journal.listener());
    expect(first.result.outcome).toBe('failed');
    expect(first.result.results.map((x) => x.key)).toEqual(['find', 'per-peer[0]']);

    // An interrupted-like resume: everything that ended ok is restored.
    const records = readJournal(journal.path);
    const state = resumeState(records, 'r1');
    const completed = new Map([...state.completed].filter(([, v]) => v.outcome === 'ok'));
    expect(completed.get('per-peer[0]')?.results?.map((x) => x.key)).toEqual(['per-peer[0]']);
    const second = await run(book(), edge(), { restore: { completed, inDoubt: new Set() } });
    second.events.forEach(journal.listener());
    expect(second.result.outcome).toBe('ok');
    expect(second.end('per-peer[0]').outcome).toBe('restored');
    // the live result of the resumed session has every row once, restored ones included
    expect(second.result.results.map((x) => x.key)).toEqual([
      'find',
      'per-peer[0]',
      'per-peer[1]',
      'summary',
    ]);
    expect(second.result.results[1]!.fields).toMatchObject({ peer: A, after: 105 });

    // the whole journal (both sessions) read through the one reducer: each row once
    const whole = [...journalTimeline('r1', readJournal(journal.path)).results.values()];
    expect(whole.map((x) => x.key)).toEqual(['find', 'per-peer[0]', 'per-peer[1]', 'summary']);
    expect(whole[0]!.fields).toEqual({ found: 2n });
  });

  it('the reducer drops the row of a step that runs again and records nothing', () => {
    const base = { host: 'r1', at: 1 };
    const events: EngineEvent[] = [
      { ...base, kind: 'step-start', key: 's', stepId: 's', title: 's', disruptive: false },
      { ...base, kind: 'result', key: 's', stepId: 's', fields: { a: 1n } },
      { ...base, kind: 'step-start', key: 't', stepId: 't', title: 't', disruptive: false },
      { ...base, kind: 'result', key: 't', stepId: 't', fields: { b: 'x' } },
      // the host was interrupted before t ended; on resume s is restored (rows again), t runs and is skipped
      { ...base, kind: 'step-start', key: 's', stepId: 's', title: 's', disruptive: false },
      { ...base, kind: 'result', key: 's', stepId: 's', fields: { a: 1n } },
      { ...base, kind: 'step-start', key: 't', stepId: 't', title: 't', disruptive: false },
    ];
    expect([...timelineOf('r1', events).results.values()]).toEqual([
      { key: 's', stepId: 's', fields: { a: 1n } },
    ]);
  });

  it("a step's checkpoint keeps its rows and its inner steps' rows, for a restore", () => {
    const base = { host: 'r1', at: 1 };
    const end = (key: string): EngineEvent => ({
      ...base,
      kind: 'step-end',
      key,
      stepId: key.replace(/\[\d+\].*$/, ''),
      outcome: 'ok',
      durationMs: 0,
      commands: [],
      captures: {},
      scope: {},
    });
    const row = (key: string): EngineEvent => ({
      ...base,
      kind: 'result',
      key,
      stepId: 'x',
      fields: { k: key },
    });
    const h = timelineOf('r1', [
      row('g[0]/a'),
      end('g[0]/a'),
      row('g[0]'),
      end('g[0]'),
      row('g[1]'),
      end('g[1]'),
      row('g2'),
      end('g2'),
      end('g'),
    ]);
    expect(h.done.get('g')?.results?.map((r) => r.key)).toEqual(['g[0]/a', 'g[0]', 'g[1]']);
    expect(h.done.get('g[0]')?.results?.map((r) => r.key)).toEqual(['g[0]/a', 'g[0]']);
    expect(h.done.get('g2')?.results?.map((r) => r.key)).toEqual(['g2']);
  });

  it('a result record survives the journal round trip (checksum and lossless ints)', () => {
    const e: EngineEvent = {
      host: 'r1',
      at: 5,
      kind: 'result',
      key: 'per-peer[0]',
      stepId: 'per-peer',
      fields: { peer: A, n: 12345678901234567890n, did: ['a', 'b'], ok: true, none: null },
    };
    const dir = mkdtempSync(join(tmpdir(), 'results-'));
    const j = new Journal(join(dir, 'r1.jsonl'));
    j.append(toRecord(e)!);
    const [rec] = readJournal(j.path);
    expect(recordToEvent('r1', rec!)).toEqual(e);
  });
});
