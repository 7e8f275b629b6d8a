import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/store/journal-record.js';
import { resumeState } from '../../src/store/resume.js';

const hostStart = (at: number): JournalRecord => ({ type: 'host-start', at, runbook: 'rb', dryRun: false });
const start = (key: string, disruptive = false, at = 1): JournalRecord => ({
  type: 'step-start',
  at,
  key,
  stepId: key.split('/').pop()!,
  title: key,
  disruptive,
});
const end = (
  key: string,
  scope: Record<string, unknown> = {},
  outcome: 'ok' | 'failed' | 'skipped' | 'restored' = 'ok',
): JournalRecord =>
  ({
    type: 'step-end',
    at: 2,
    key,
    stepId: key.split('/').pop()!,
    outcome,
    durationMs: 1,
    commands: [],
    captures: {},
    scope,
  }) as JournalRecord;
const hostEnd = (
  outcome: 'ok' | 'failed' | 'interrupted' | 'awaiting-approval' | 'unreachable',
): JournalRecord => ({ type: 'host-end', at: 9, outcome, message: '', durationMs: 8, disruptive: [] });

describe('resumeState', () => {
  it('a host killed mid-way: completed steps with their scope, the disruptive step in doubt', () => {
    const s = resumeState([
      hostStart(0),
      start('find-events'),
      end('find-events', { events: [{ peer: '10.0.0.2' }], n: 1n }),
      start('per-peer[0]/clear-sa', true),
      {
        type: 'command',
        at: 3,
        key: 'per-peer[0]/clear-sa',
        stepId: 'clear-sa',
        command: 'clear crypto sa peer 10.0.0.2',
        attempt: 1,
      },
    ]);
    expect(s.finished).toBe(false);
    expect(s.outcome).toBeUndefined();
    expect([...s.completed.keys()]).toEqual(['find-events']);
    expect(s.completed.get('find-events')).toEqual({
      outcome: 'ok',
      scope: { events: [{ peer: '10.0.0.2' }], n: 1n },
    });
    expect(s.lastKey).toBe('find-events');
    expect([...s.inDoubt]).toEqual(['per-peer[0]/clear-sa']);
    expect(s.inDoubtSteps.get('per-peer[0]/clear-sa')?.commandsSent).toEqual([
      'clear crypto sa peer 10.0.0.2',
    ]);
  });

  it('a read-only step that started and never ended is simply not completed (not in doubt)', () => {
    const s = resumeState([hostStart(0), start('verify-sa')]);
    expect(s.completed.size).toBe(0);
    expect(s.inDoubt.size).toBe(0);
  });

  it('hosts that ended ok or failed are finished; interrupted, awaiting approval and unreachable are not', () => {
    expect(resumeState([hostStart(0), start('a'), end('a'), hostEnd('ok')])).toMatchObject({
      finished: true,
      outcome: 'ok',
    });
    expect(resumeState([hostStart(0), start('a'), end('a', {}, 'failed'), hostEnd('failed')])).toMatchObject({
      finished: true,
      outcome: 'failed',
    });
    for (const o of ['interrupted', 'awaiting-approval', 'unreachable'] as const) {
      expect(resumeState([hostStart(0), hostEnd(o)])).toMatchObject({ finished: false, outcome: o });
    }
  });

  it('replays resumed sessions: the in-doubt step run again and ended is no longer in doubt', () => {
    const s = resumeState([
      hostStart(0),
      start('a'),
      end('a', { x: 1n }),
      start('b', true),
      hostStart(10), // resumed after a crash
      end('a', { x: 1n }, 'restored'),
      start('b', true),
      end('b', { x: 2n }),
      start('c'),
      end('c', { x: 3n }),
      hostEnd('ok'),
    ]);
    expect(s.finished).toBe(true);
    expect(s.inDoubt.size).toBe(0);
    expect(s.completed.get('a')?.outcome).toBe('ok'); // a restored step keeps its real outcome
    expect(s.lastKey).toBe('c');
    expect(s.completed.get('c')?.scope).toEqual({ x: 3n });
  });

  it('a second interruption after resume leaves the host unfinished again', () => {
    const sent: JournalRecord = {
      type: 'command',
      at: 6,
      key: 'b',
      stepId: 'b',
      command: 'clear sdwan omp all',
      attempt: 1,
    } as JournalRecord;
    const s = resumeState([
      hostStart(0),
      start('a'),
      end('a'),
      hostEnd('interrupted'),
      hostStart(5),
      start('b', true),
      sent,
    ]);
    expect(s.finished).toBe(false);
    expect(s.outcome).toBeUndefined();
    expect([...s.inDoubt]).toEqual(['b']);
  });

  it('a disruptive step stopped before sending (awaiting approval) is not in doubt: it simply runs again', () => {
    const s = resumeState([
      hostStart(0),
      start('a'),
      end('a'),
      start('b', true),
      hostEnd('awaiting-approval'),
    ]);
    expect(s.inDoubt.size).toBe(0);
    expect(s.completed.has('b')).toBe(false);
    expect(s.finished).toBe(false);
  });
});
