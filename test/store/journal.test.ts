import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { RunbookError } from '../../src/errors.js';
import { decode, encode } from '../../src/store/codec.js';
import { Journal, readJournal } from '../../src/store/journal.js';
import { signedLine, type JournalRecord } from '../../src/store/journal-record.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'runbook-journal-'));

const stepEnd = (key: string, scope: Record<string, unknown>): JournalRecord =>
  ({
    type: 'step-end',
    at: 2,
    key,
    stepId: key,
    outcome: 'ok',
    durationMs: 5,
    commands: ['show x'],
    captures: scope,
    scope,
  }) as JournalRecord;

describe('value codec', () => {
  it('round-trips bigint, non-finite doubles, nested values and $-prefixed keys', () => {
    const v = {
      n: 42n,
      big: 123456789012345678901234567890n,
      neg: -7n,
      d: 1.5,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      list: [1n, 'a', [true, null, { deep: 3n }]],
      tricky: { $int: 'not an int', $map: 1n },
      s: '{"$int":"1"}',
    };
    const back = decode(JSON.parse(JSON.stringify(encode(v))));
    expect(back).toEqual(v);
    expect(typeof (back as { n: unknown }).n).toBe('bigint');
  });
});

describe('Journal', () => {
  it('appends records that read back identically, ints as bigint', () => {
    const path = join(tmp(), 'hosts', 'edge-1.jsonl');
    const j = new Journal(path);
    const scope = {
      peer: '10.0.0.2',
      events: [{ peer: '10.0.0.2', count: 3n }],
      decaps: { n: 9007199254740993n },
    };
    j.append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
    j.append({
      type: 'step-start',
      at: 1,
      key: 'per-peer[0]/clear-sa',
      stepId: 'clear-sa',
      title: 'Clear',
      disruptive: true,
      item: { peer: '10.0.0.2' },
    });
    j.append(stepEnd('per-peer[0]/clear-sa', scope));
    j.close();
    const recs = readJournal(path);
    expect(recs).toHaveLength(3);
    expect(recs[2]).toEqual(stepEnd('per-peer[0]/clear-sa', scope));
    const end = recs[2] as Extract<JournalRecord, { type: 'step-end' }>;
    expect((end.scope.decaps as { n: bigint }).n).toBe(9007199254740993n);
    // one record per line, newline-terminated
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(4);
  });

  it('journals what resume and reports need from engine events (output included) and no live-only event', () => {
    const path = join(tmp(), 'j.jsonl');
    const j = new Journal(path);
    const on = j.listener();
    const base = { host: 'edge-1', at: 10 };
    const events: EngineEvent[] = [
      { ...base, kind: 'host-start', runbook: 'rb', dryRun: false },
      { ...base, kind: 'connecting', address: '127.0.0.1', port: 22 },
      { ...base, kind: 'connected' },
      { ...base, kind: 'step-start', key: 'a', stepId: 'a', title: 'A', disruptive: false },
      {
        ...base,
        kind: 'command-sent',
        key: 'a',
        stepId: 'a',
        command: 'show a',
        disruptive: false,
        attempt: 1,
      },
      { ...base, kind: 'command-output', key: 'a', stepId: 'a', output: 'x' },
      {
        ...base,
        kind: 'step-end',
        key: 'a',
        stepId: 'a',
        outcome: 'ok',
        durationMs: 3,
        commands: ['show a'],
        captures: { c: 1n },
        scope: { c: 1n },
      },
      { ...base, kind: 'step-start', key: 'b', stepId: 'b', title: 'B', disruptive: true },
      { ...base, kind: 'approval-request', key: 'b', stepId: 'b', command: 'clear b', impact: 'drops b' },
      { ...base, kind: 'approval-result', key: 'b', stepId: 'b', approved: true },
      {
        ...base,
        kind: 'command-sent',
        key: 'b',
        stepId: 'b',
        command: 'clear b',
        disruptive: true,
        attempt: 1,
      },
      {
        ...base,
        kind: 'host-end',
        outcome: 'interrupted',
        message: 'stopped',
        durationMs: 50,
        disruptive: ['clear b'],
        stoppedAt: 'b',
      },
    ];
    events.forEach(on);
    j.close();
    expect(readJournal(path).map((r) => r.type)).toEqual([
      'host-start',
      'step-start',
      'output',
      'step-end',
      'step-start',
      'approval',
      'command',
      'host-end',
    ]);
    const cmd = readJournal(path)[6];
    expect(cmd).toEqual({ type: 'command', at: 10, key: 'b', stepId: 'b', command: 'clear b', attempt: 1 });
  });

  it('ignores a torn last line, and cuts it off before appending again', () => {
    const path = join(tmp(), 'j.jsonl');
    const j = new Journal(path);
    j.append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
    j.append({ type: 'step-start', at: 2, key: 'a', stepId: 'a', title: 'A', disruptive: true });
    j.close();
    appendFileSync(path, '{"type":"step-end","at":3,"key":"a","outc');
    expect(readJournal(path).map((r) => r.type)).toEqual(['host-start', 'step-start']);

    const again = new Journal(path);
    again.append({ type: 'host-end', at: 4, outcome: 'ok', message: '', durationMs: 3, disruptive: [] });
    again.close();
    expect(readJournal(path).map((r) => r.type)).toEqual(['host-start', 'step-start', 'host-end']);
    expect(readFileSync(path, 'utf8')).not.toContain('"key":"a","outc');
  });

  it('keeps a complete last record that lost only its newline', () => {
    const path = join(tmp(), 'j.jsonl');
    writeFileSync(path, signedLine({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false }));
    const j = new Journal(path);
    j.append({ type: 'host-end', at: 2, outcome: 'ok', message: '', durationMs: 1, disruptive: [] });
    j.close();
    expect(readJournal(path).map((r) => r.type)).toEqual(['host-start', 'host-end']);
  });

  it('reports a damaged line in the middle with file:line', () => {
    const path = join(tmp(), 'j.jsonl');
    writeFileSync(
      path,
      [
        '{"type":"host-start","at":1,"runbook":"rb","dryRun":false}',
        '{"type":"step-st',
        '{"type":"host-end","at":2,"outcome":"ok","message":"","durationMs":1,"disruptive":[]}',
        '',
      ].join('\n'),
    );
    let err: unknown;
    try {
      readJournal(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).code).toBe('E_RUN_CORRUPT');
    expect((err as RunbookError).message).toContain(`${path}:2:`);
  });

  it('treats a missing journal as empty', () => {
    expect(readJournal(join(tmp(), 'nope.jsonl'))).toEqual([]);
  });
});
