/**
 * Journal integrity: a cut line, a garbage line, an edited record, and a journal that vanished or
 * was emptied although its host started are all found, by line; files are 0600 in 0700 directories
 * whatever the umask, and a journal path that is a symlink is refused, never followed.
 */
import {
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, readJournal, readJournalFile } from '../../src/store/journal.js';
import { type JournalRecord } from '../../src/store/journal-record.js';
import { resumeState } from '../../src/store/resume.js';
import { RunStore } from '../../src/store/runs.js';
import { caught } from '../helpers/errors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'runbook-integrity-'));

const RECORDS: JournalRecord[] = [
  { type: 'host-start', at: 1, runbook: 'rb', dryRun: false },
  { type: 'step-start', at: 2, key: 'clear', stepId: 'clear', title: 'Clear', disruptive: true },
  { type: 'command', at: 3, key: 'clear', stepId: 'clear', command: 'clear crypto sa', attempt: 1 },
  {
    type: 'step-end',
    at: 4,
    key: 'clear',
    stepId: 'clear',
    outcome: 'ok',
    durationMs: 1,
    commands: ['clear crypto sa'],
    captures: {},
    scope: { n: 5n },
  },
];

function written(): { path: string; lines: string[] } {
  const path = join(tmp(), 'hosts', 'edge1.jsonl');
  const j = new Journal(path);
  for (const r of RECORDS) j.append(r);
  j.close();
  return { path, lines: readFileSync(path, 'utf8').trimEnd().split('\n') };
}

const umask = process.umask();
afterEach(() => void process.umask(umask));

describe('journal integrity', () => {
  it('every line carries a checksum, and reads back whole', () => {
    const { path, lines } = written();
    for (const l of lines) expect(l).toMatch(/,"sum":"[0-9a-f]{16}"\}$/);
    expect(readJournalFile(path)).toEqual({ records: RECORDS, problems: [] });
  });

  it('an edited record is found by its checksum, with file:line', async () => {
    const { path, lines } = written();
    lines[2] = lines[2]!.replace('clear crypto sa', 'clear crypto sb');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const { records, problems } = readJournalFile(path);
    expect(problems.map((p) => [p.line, p.kind])).toEqual([[3, 'checksum']]);
    expect(records).toHaveLength(3);
    const e = await caught(Promise.resolve().then(() => readJournal(path)));
    expect(e.code).toBe('E_RUN_CORRUPT');
    expect(e.message).toContain(`${path}:3: the record was changed after it was written`);
  });

  it('a line cut in the middle and a garbage line are problems of their own kind', () => {
    const { path, lines } = written();
    lines[1] = lines[1]!.slice(0, 30);
    lines.splice(3, 0, 'rm -rf / # not a record');
    writeFileSync(path, `${lines.join('\n')}\n`);
    expect(readJournalFile(path).problems.map((p) => [p.line, p.kind])).toEqual([
      [2, 'garbage'],
      [4, 'garbage'],
    ]);
  });

  it('a torn last line puts the open disruptive step in doubt, even without its command record', () => {
    const { path, lines } = written();
    writeFileSync(path, `${lines.slice(0, 2).join('\n')}\n${lines[2]!.slice(0, 40)}`);
    const { records, problems } = readJournalFile(path);
    expect(problems.map((p) => p.kind)).toEqual(['torn']);
    expect(resumeState(records).inDoubt.size).toBe(0);
    expect([...resumeState(records, 'edge1', { tornTail: true }).inDoubt]).toEqual(['clear']);
  });

  it('a journal emptied or deleted after its host started is refused', async () => {
    const { path } = written();
    truncateSync(path, 0);
    expect(readJournalFile(path).problems.map((p) => p.message)).toEqual([
      `${path}: the journal is empty, yet its host started in this run`,
    ]);
    unlinkSync(path);
    const e = await caught(Promise.resolve().then(() => readJournal(path)));
    expect(e.code).toBe('E_RUN_CORRUPT');
    expect(e.message).toBe(`${path}: the journal is missing, yet its host started in this run`);
    // a host that never started has no journal, and that is fine
    expect(readJournal(join(tmp(), 'hosts', 'never.jsonl'))).toEqual([]);
  });
});

describe('state files', () => {
  it('directories are 0700 and files 0600 even with umask 000', async () => {
    process.umask(0o000);
    const state = join(tmp(), 'state');
    const run = await new RunStore(state).create({
      runbookPath: '/x.yaml',
      runbookName: 'x',
      contentHash: 'h',
      vars: {},
      targets: [{ name: 'edge1', address: '127.0.0.1', port: 22, platform: 'cisco-iosxe' }],
      mode: 'exec',
      argv: [],
    });
    run.journal('edge1').append(RECORDS[0]!);
    const retry = run.writeRetryFile(['edge1']);
    for (const d of [state, join(state, 'runs'), run.dir, join(run.dir, 'hosts')])
      expect(statSync(d).mode & 0o777, d).toBe(0o700);
    for (const f of [join(run.dir, 'meta.json'), join(run.dir, 'hosts', 'edge1.jsonl'), retry])
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
  });

  it('a journal that is a symlink is refused with a clear error, the target untouched', async () => {
    const dir = tmp();
    const target = join(dir, 'victim');
    writeFileSync(target, 'precious\n');
    const path = join(dir, 'edge1.jsonl');
    symlinkSync(target, path);
    const e = await caught(Promise.resolve().then(() => new Journal(path).append(RECORDS[0]!)));
    expect(e.code).toBe('E_STATE');
    expect(e.message).toContain(
      `cannot write the journal ${path}: it is a symbolic link, which runbook never follows`,
    );
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('a retry file planted as a symlink is replaced, never written through', async () => {
    const state = join(tmp(), 'state');
    const run = await new RunStore(state).create({
      runbookPath: '/x.yaml',
      runbookName: 'x',
      contentHash: 'h',
      vars: {},
      targets: [],
      mode: 'exec',
      argv: [],
    });
    const victim = join(tmp(), 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(run.dir, 'retry'));
    run.writeRetryFile(['edge1']);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(join(run.dir, 'retry'), 'utf8')).toBe('edge1\n');
  });

  it('an unusable state dir is a clear E_STATE before anything runs, not an internal error', async () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, '');
    const e = await caught(
      new RunStore(join(file, 'state')).create({
        runbookPath: '/x.yaml',
        runbookName: 'x',
        contentHash: 'h',
        vars: {},
        targets: [],
        mode: 'exec',
        argv: [],
      }),
    );
    expect(e.code).toBe('E_STATE');
    expect(e.message).toBe(
      `cannot write the state directory ${join(file, 'state')}: a part of the path is not a directory (ENOTDIR)`,
    );
    expect(e.hint).toBe('point --state-dir at a directory');
  });
});

describe('runs list', () => {
  it('a run whose meta.json is damaged is listed as corrupt, not hidden', async () => {
    const state = join(tmp(), 'state');
    const store = new RunStore(state);
    const run = await store.create({
      runbookPath: '/x.yaml',
      runbookName: 'x',
      contentHash: 'h',
      vars: {},
      targets: [],
      mode: 'exec',
      argv: [],
    });
    writeFileSync(join(run.dir, 'meta.json'), '{"id": "oops",');
    const list = await store.list();
    expect(list.map((r) => [r.id, r.outcome])).toEqual([[run.meta.id, 'corrupt']]);
    expect(list[0]!.problem).toContain('meta.json: cannot read the run record');
    // valid JSON of the wrong shape is corrupt too (not a crash later)
    writeFileSync(join(run.dir, 'meta.json'), '{"id": "x", "targets": 3}');
    const again = await store.list();
    expect(again[0]!.outcome).toBe('corrupt');
    expect(again[0]!.problem).toContain('field createdAt is missing or not a string');
  });
});
