import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { acquireHostLock, releaseAllHostLocks } from '../../src/store/lock.js';
import { RunStore, runOutcome, type RunMeta } from '../../src/store/runs.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'runbook-runs-'));
const meta = (hosts: string[]): Omit<RunMeta, 'id' | 'createdAt'> => ({
  runbookPath: '/abs/runbooks/recover.yaml',
  runbookName: 'recover-inv-spi',
  contentHash: 'ab'.repeat(32),
  vars: { peer: '10.0.0.2', password: '<redacted>' },
  targets: hosts.map((name, i) => ({ name, address: '127.0.0.1', port: 2201 + i, platform: 'cisco-iosxe' })),
  mode: 'exec',
  argv: ['--lab', 'mixed'],
});

afterEach(() => releaseAllHostLocks());

describe('RunStore', () => {
  it('creates a run directory with meta.json and a sortable unique id', async () => {
    const dir = tmp();
    const store = new RunStore(dir);
    const a = await store.create(meta(['edge-1']));
    const b = await store.create(meta(['edge-1']));
    expect(a.meta.id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(a.meta.id).not.toBe(b.meta.id);
    expect(a.dir).toBe(join(dir, 'runs', a.meta.id));
    const onDisk = JSON.parse(readFileSync(join(a.dir, 'meta.json'), 'utf8')) as RunMeta;
    expect(onDisk).toEqual(a.meta);
    expect(onDisk.vars.password).toBe('<redacted>');
    expect((await store.open(a.meta.id)).meta).toEqual(a.meta);
  });

  it('open of an unknown id says how to list runs', async () => {
    const store = new RunStore(tmp());
    const err = await store.open('20990101-000000-dead').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunbookError);
    expect((err as RunbookError).code).toBe('E_RUN_NOT_FOUND');
    expect((err as RunbookError).hint).toContain('runbook runs --state-dir');
    const sneaky = await store.open('../../etc').catch((e: unknown) => e);
    expect((sneaky as RunbookError).code).toBe('E_RUN_NOT_FOUND');
  });

  it('journals live per host and read back through the handle', async () => {
    const store = new RunStore(tmp());
    const run = await store.create(meta(['edge-1', 'edge/2']));
    run.journal('edge/2').append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
    run.close();
    expect(readdirSync(join(run.dir, 'hosts')).sort()).toEqual(['.started', 'edge%2F2.jsonl']);
    expect(run.readJournal('edge/2')).toHaveLength(1);
    expect(run.readJournal('edge-1')).toEqual([]);
  });

  it('lists runs newest first with outcomes derived from the journals and locks', async () => {
    const dir = tmp();
    const store = new RunStore(dir);
    const ok = await store.create(meta(['edge-1']));
    ok.journal('edge-1').append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
    ok.journal('edge-1').append({
      type: 'host-end',
      at: 2,
      outcome: 'ok',
      message: '',
      durationMs: 1,
      disruptive: [],
    });
    ok.close();

    const mixed = await store.create(meta(['edge-1', 'edge-2', 'edge-3']));
    mixed.journal('edge-1').append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
    mixed
      .journal('edge-1')
      .append({ type: 'host-end', at: 2, outcome: 'failed', message: 'x', durationMs: 1, disruptive: [] });
    mixed.journal('edge-2').append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false }); // killed: no host-end
    mixed.close();

    const live = await store.create(meta(['edge-9']));
    const lock = acquireHostLock(dir, 'edge-9', live.meta.id);
    live.journal('edge-9').append({ type: 'host-start', at: 1, runbook: 'rb', dryRun: false });
    live.close();

    const list = await store.list();
    expect(list.map((r) => r.id)).toEqual([live.meta.id, mixed.meta.id, ok.meta.id]);
    const byId = new Map(list.map((r) => [r.id, r]));
    expect(byId.get(ok.meta.id)).toMatchObject({
      outcome: 'ok',
      hosts: ['edge-1'],
      runbookName: 'recover-inv-spi',
    });
    expect(byId.get(mixed.meta.id)).toMatchObject({
      outcome: 'failed',
      hostStates: { 'edge-1': 'failed', 'edge-2': 'interrupted', 'edge-3': 'pending' },
    });
    expect(byId.get(live.meta.id)).toMatchObject({ outcome: 'running', hostStates: { 'edge-9': 'running' } });
    lock.release();
    expect((await store.list()).find((r) => r.id === live.meta.id)?.outcome).toBe('interrupted');
  });

  it('an empty or missing state dir lists nothing', async () => {
    expect(await new RunStore(join(tmp(), 'nothing-here')).list()).toEqual([]);
  });

  it('writes a retry file, one host a line', async () => {
    const run = await new RunStore(tmp()).create(meta(['a', 'b']));
    const path = run.writeRetryFile(['a', 'b']);
    expect(readFileSync(path, 'utf8')).toBe('a\nb\n');
  });

  it('run outcome ranks running > failed > interrupted > awaiting-approval > ok', () => {
    expect(runOutcome(['ok', 'ok'])).toBe('ok');
    expect(runOutcome(['ok', 'awaiting-approval'])).toBe('awaiting-approval');
    expect(runOutcome(['awaiting-approval', 'interrupted'])).toBe('interrupted');
    expect(runOutcome(['pending', 'ok'])).toBe('interrupted');
    expect(runOutcome(['interrupted', 'unreachable'])).toBe('failed');
    expect(runOutcome(['failed', 'running'])).toBe('running');
  });
});
