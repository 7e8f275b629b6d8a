/**
 * The Store contract (src/store/types.ts), run against every backend by its own test file
 * (directory-contract.test.ts, postgres-contract.test.ts). A backend gives two independent
 * instances on the same data (two processes or machines sharing a store) and a way to plant the
 * lock of a holder that died.
 */
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import type { JournalRecord } from '../../src/store/journal-record.js';
import { resumeStateChecked } from '../../src/store/resume.js';
import type { RunMeta } from '../../src/store/runs.js';
import type { Store } from '../../src/store/types.js';

export interface Backend {
  /** A fresh, empty store (each call: new data); `twin()` opens a second instance on the same data. */
  fresh(): Promise<{ store: Store; twin(): Promise<Store> }>;
  /** Leave a lock on `host` for `runId` whose holder is dead (process gone / lease run out). */
  plantDeadLock(store: Store, host: string, runId: string): Promise<void>;
  /**
   * Damage the host's `index`-th record (0-based) as stored: `edit` changes a value in it (its
   * checksum no longer holds), `garbage` replaces it with something that is no record at all.
   */
  damageRecord(
    store: Store,
    runId: string,
    host: string,
    index: number,
    how: 'edit' | 'garbage',
  ): Promise<void>;
  /** Remove every record of the host's journal, as someone with access to the store could. */
  emptyJournal?(store: Store, runId: string, host: string): Promise<void>;
}

/** A host that ran `look` (read-only), `clear` (disruptive, ended), `verify`, then sent `fix` and died. */
export const DAMAGEABLE: JournalRecord[] = [
  { type: 'host-start', at: 1, runbook: 'rb', dryRun: false },
  { type: 'step-start', at: 2, key: 'look', stepId: 'look', title: 'Look', disruptive: false },
  stepEnd('look', 3, { n: 1n }),
  { type: 'step-start', at: 4, key: 'clear', stepId: 'clear', title: 'Clear', disruptive: true },
  { type: 'command', at: 5, key: 'clear', stepId: 'clear', command: 'clear crypto sa', attempt: 1 },
  stepEnd('clear', 6, { n: 1n }, ['clear crypto sa']),
  { type: 'step-start', at: 7, key: 'verify', stepId: 'verify', title: 'Verify', disruptive: false },
  stepEnd('verify', 8, { n: 2n }),
  { type: 'step-start', at: 9, key: 'fix', stepId: 'fix', title: 'Fix', disruptive: true },
  { type: 'command', at: 10, key: 'fix', stepId: 'fix', command: 'clear sdwan omp', attempt: 1 },
];

function stepEnd(
  key: string,
  at: number,
  scope: Record<string, bigint>,
  commands: string[] = [],
): JournalRecord {
  return {
    type: 'step-end',
    at,
    key,
    stepId: key,
    outcome: 'ok',
    durationMs: 1,
    commands,
    captures: {},
    scope,
  };
}

export const meta = (hosts: string[]): Omit<RunMeta, 'id' | 'createdAt'> => ({
  runbookPath: '/abs/runbooks/recover.yaml',
  runbookName: 'recover-inv-spi',
  contentHash: 'ab'.repeat(32),
  vars: { peer: '10.0.0.2', password: '********' },
  targets: hosts.map((name, i) => ({ name, address: '127.0.0.1', port: 2201 + i, platform: 'cisco-iosxe' })),
  mode: 'exec',
  argv: ['--forks', '5'],
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof RunbookError ? err.code : `not a RunbookError: ${String(err)}`;
}

export function storeContract(name: string, backend: Backend): void {
  describe(`Store contract: ${name}`, () => {
    it('records runs with sortable unique ids and lists them newest first on every instance', async () => {
      const { store, twin } = await backend.fresh();
      const a = await store.createRun(meta(['edge-1']));
      const b = await store.createRun(meta(['edge-1', 'edge-2']));
      expect(a.meta.id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
      expect(a.meta.id).not.toBe(b.meta.id);
      const other = await twin();
      expect((await other.openRun(a.meta.id)).meta).toEqual(a.meta);
      const list = await other.listRuns();
      expect(list.map((r) => r.id)).toEqual([b.meta.id, a.meta.id]);
      expect(list[0]).toMatchObject({
        runbookName: 'recover-inv-spi',
        hosts: ['edge-1', 'edge-2'],
        outcome: 'interrupted',
      });
      await other.close();
      await store.close();
    });

    it('an unknown run id is E_RUN_NOT_FOUND with a hint naming runbook runs', async () => {
      const { store } = await backend.fresh();
      const err = await store.openRun('20990101-000000-dead').catch((e: unknown) => e);
      expect((err as RunbookError).code).toBe('E_RUN_NOT_FOUND');
      expect((err as RunbookError).hint).toContain('runbook runs');
      await store.close();
    });

    it('journals keep records in order per host, losslessly, readable from another instance', async () => {
      const { store, twin } = await backend.fresh();
      const run = await store.createRun(meta(['edge-1', 'edge/2']));
      const j = run.journal('edge/2');
      j.append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
      for (let i = 0; i < 50; i++)
        j.append({
          type: 'step-end',
          at: 2 + i,
          key: `s${i}`,
          stepId: `s${i}`,
          outcome: 'ok',
          durationMs: 1,
          commands: [],
          captures: { n: BigInt(i), big: 2n ** 70n },
          scope: { peers: ['10.0.0.1'], inf: Number.POSITIVE_INFINITY },
        });
      const row = { peer: '10.0.0.1', did: ['clear-sa'], n: 2n ** 70n, ok: true, none: null };
      j.append({ type: 'result', at: 52, key: 'per-peer[0]', stepId: 'per-peer', fields: row });
      await j.flush();
      const other = await twin();
      const records = await (await other.openRun(run.meta.id)).readJournal('edge/2');
      expect(records).toHaveLength(52);
      expect(records.map((r) => r.at)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
      expect(records[51]).toEqual({
        type: 'result',
        at: 52,
        key: 'per-peer[0]',
        stepId: 'per-peer',
        fields: row,
      });
      const last = records[50]!;
      expect(last.type === 'step-end' && last.captures).toEqual({ n: 49n, big: 2n ** 70n });
      expect(last.type === 'step-end' && last.scope.inf).toBe(Number.POSITIVE_INFINITY);
      expect(await run.readJournal('edge-1')).toEqual([]);
      await run.close();
      await other.close();
      await store.close();
    });

    it('host states come from the journals: pending, interrupted, outcome, running while the run holds the lock', async () => {
      const { store } = await backend.fresh();
      const run = await store.createRun(meta(['a', 'b', 'c', 'd']));
      run.journal('b').append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
      run.journal('c').append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
      run
        .journal('c')
        .append({ type: 'host-end', at: 2, outcome: 'ok', message: 'done', durationMs: 1, disruptive: [] });
      run.journal('d').append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
      await Promise.all(['b', 'c', 'd'].map((h) => run.journal(h).flush()));
      const lock = await store.lockHost('d', run.meta.id);
      expect(await run.status()).toEqual({
        outcome: 'running',
        hostStates: { a: 'pending', b: 'interrupted', c: 'ok', d: 'running' },
      });
      await lock.release();
      expect((await run.status()).outcome).toBe('interrupted');
      await run.close();
      await store.close();
    });

    it('a host lock taken through one instance holds on another until released', async () => {
      const { store, twin } = await backend.fresh();
      const other = await twin();
      const lock = await store.lockHost('edge-1', 'run-a');
      expect(lock.info.runId).toBe('run-a');
      expect(await codeOf(other.lockHost('edge-1', 'run-b'))).toBe('E_LOCKED');
      const err = (await other.lockHost('edge-1', 'run-b').catch((e: unknown) => e)) as RunbookError;
      expect(err.message).toContain('run-a');
      expect(err.hint).toContain('runbook runs run-a');
      expect((await other.lockHolder('edge-1'))?.runId).toBe('run-a');
      // another host is free
      await (await other.lockHost('edge-2', 'run-b')).release();
      await lock.release();
      await lock.release(); // idempotent
      expect(await other.lockHolder('edge-1')).toBeUndefined();
      const b = await other.lockHost('edge-1', 'run-b');
      expect(b.tookOverStale).toBeUndefined();
      await b.release();
      await other.close();
      await store.close();
    });

    it('several locks are taken all or nothing', async () => {
      const { store, twin } = await backend.fresh();
      const other = await twin();
      const held = await other.lockHost('b', 'run-other');
      expect(await codeOf(store.lockHosts(['a', 'b', 'c'], 'run-mine'))).toBe('E_LOCKED');
      expect(await other.lockHolder('a')).toBeUndefined();
      expect(await other.lockHolder('c')).toBeUndefined();
      await held.release();
      const all = await store.lockHosts(['a', 'b', 'c'], 'run-mine');
      expect(all.map((l) => l.host)).toEqual(['a', 'b', 'c']);
      expect((await other.lockHolder('b'))?.runId).toBe('run-mine');
      for (const l of all) await l.release();
      expect(await other.lockHolder('b')).toBeUndefined();
      await other.close();
      await store.close();
    });

    it('the lock of a holder that died is taken over and reported', async () => {
      const { store } = await backend.fresh();
      await backend.plantDeadLock(store, 'edge-1', 'run-dead');
      expect(await store.lockHolder('edge-1')).toBeUndefined();
      const lock = await store.lockHost('edge-1', 'run-new');
      expect(lock.tookOverStale?.runId).toBe('run-dead');
      await lock.release();
      await store.close();
    });

    it('approvals: asked once per step attempt, the first decision wins, seen by every instance', async () => {
      const { store, twin } = await backend.fresh();
      const run = await store.createRun(meta(['edge-1']));
      const ask = {
        host: 'edge-1',
        key: 'clear-sa',
        stepId: 'clear-sa',
        command: 'clear crypto sa peer 10.0.0.2',
        impact: 'Renegotiates one SA',
        inDoubt: false,
        question: 'edge-1: step clear-sa wants to run ... Run it? [y/N]',
        // captured CEL ints are bigints, doubles may be non-finite: the evidence must survive the store
        evidence: [
          { stepId: 'sa', captures: { decaps: 13098240n, spi: '0x100', rate: Number.NaN, peers: [1n, 2n] } },
        ],
      };
      const id = await run.requestApproval(ask);
      expect(await run.requestApproval(ask)).toBe(id);
      const id2 = await run.requestApproval({ ...ask, attempt: 1, inDoubt: true });
      expect(id2).not.toBe(id);
      const other = await twin();
      const theirs = await other.openRun(run.meta.id);
      const pending = await theirs.approvals();
      expect(pending.map((a) => [a.id, a.decision])).toEqual([
        [id, undefined],
        [id2, undefined],
      ]);
      expect(pending[0]).toMatchObject({ command: ask.command, impact: ask.impact, question: ask.question });
      expect(pending[0]!.evidence).toEqual(ask.evidence);
      const d = await theirs.decideApproval(id, { approved: true, by: 'alice' });
      expect(d.decision).toMatchObject({ approved: true, by: 'alice' });
      const late = await run.decideApproval(id, { approved: false, by: 'bob' });
      expect(late.decision).toMatchObject({ approved: true, by: 'alice' });
      expect((await run.approvals()).find((a) => a.id === id)?.decision?.approved).toBe(true);
      await other.close();
      await store.close();
    });

    it('resume leaves an edited record out and puts only its step in doubt; the rest resumes', async () => {
      const { store, twin } = await backend.fresh();
      const run = await store.createRun(meta(['edge-1']));
      const j = run.journal('edge-1');
      for (const r of DAMAGEABLE) j.append(r);
      await j.flush();
      // the step-end of `clear` (a disruptive step that finished) is edited
      await backend.damageRecord(store, run.meta.id, 'edge-1', 5, 'edit');
      const other = await (await twin()).openRun(run.meta.id);
      expect(await codeOf(other.readJournal('edge-1'))).toBe('E_RUN_CORRUPT');
      expect((await other.status()).hostStates['edge-1']).toBe('corrupt');
      const checked = await other.readJournalChecked('edge-1');
      expect(checked.damage.map((d) => d.kind)).toEqual(['checksum']);
      expect(checked.records).toHaveLength(DAMAGEABLE.length - 1);
      const st = resumeStateChecked('edge-1', checked);
      expect([...st.completed.keys()].sort()).toEqual(['look', 'verify']);
      expect([...st.inDoubt].sort()).toEqual(['clear', 'fix']);
      expect(st.inDoubtSteps.get('clear')?.commandsSent).toEqual(['clear crypto sa']);
      expect(st.damage).toHaveLength(1);
      expect(st.damage[0]!.inDoubt).toBe('clear');
      expect(st.started).toBe(true);
      await other.close();
      await run.close();
      await store.close();
    });

    it('a garbage record in place of a step-start still puts that step in doubt (its command was journaled)', async () => {
      const { store } = await backend.fresh();
      const run = await store.createRun(meta(['edge-1']));
      const j = run.journal('edge-1');
      for (const r of DAMAGEABLE) j.append(r);
      await j.flush();
      await backend.damageRecord(store, run.meta.id, 'edge-1', 8, 'garbage');
      const checked = await run.readJournalChecked('edge-1');
      expect(checked.damage.map((d) => d.kind)).toEqual(['garbage']);
      const st = resumeStateChecked('edge-1', checked);
      expect([...st.completed.keys()].sort()).toEqual(['clear', 'look', 'verify']);
      expect([...st.inDoubt]).toEqual(['fix']);
      expect(st.damage[0]!.inDoubt).toBe('fix');
      await run.close();
      await store.close();
    });

    it('a damaged record of a finished step puts nothing in doubt', async () => {
      const { store } = await backend.fresh();
      const run = await store.createRun(meta(['edge-1']));
      const j = run.journal('edge-1');
      for (const r of DAMAGEABLE.slice(0, 8)) j.append(r);
      await j.flush();
      // the command record of `clear`, whose step-end is intact
      await backend.damageRecord(store, run.meta.id, 'edge-1', 4, 'edit');
      const st = resumeStateChecked('edge-1', await run.readJournalChecked('edge-1'));
      expect([...st.completed.keys()].sort()).toEqual(['clear', 'look', 'verify']);
      expect(st.inDoubt.size).toBe(0);
      expect(st.damage).toHaveLength(1);
      expect(st.damage[0]!.inDoubt).toBeUndefined();
      await run.close();
      await store.close();
    });

    it.skipIf(!backend.emptyJournal)('an emptied journal of a host that started is refused', async () => {
      const { store } = await backend.fresh();
      const run = await store.createRun(meta(['edge-1', 'edge-2']));
      const j = run.journal('edge-1');
      for (const r of DAMAGEABLE) j.append(r);
      await j.flush();
      await backend.emptyJournal!(store, run.meta.id, 'edge-1');
      expect(await codeOf(run.readJournalChecked('edge-1'))).toBe('E_RUN_CORRUPT');
      expect(await codeOf(run.readJournal('edge-1'))).toBe('E_RUN_CORRUPT');
      expect((await run.status()).hostStates['edge-1']).toBe('corrupt');
      // a host that never started has no journal, and that is fine
      expect(await run.readJournalChecked('edge-2')).toEqual({ records: [], damage: [] });
      await run.close();
      await store.close();
    });

    it('a deleted run is gone', async () => {
      const { store } = await backend.fresh();
      const run = await store.createRun(meta(['edge-1']));
      await store.deleteRun(run.meta.id);
      expect(await codeOf(store.openRun(run.meta.id))).toBe('E_RUN_NOT_FOUND');
      expect(await store.listRuns()).toEqual([]);
      await store.close();
    });
  });
}
