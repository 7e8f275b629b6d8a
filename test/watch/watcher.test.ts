/**
 * The watcher's decisions with a scripted launcher (no SSH): throttling, the per-host lock, the
 * global concurrency limit, typed vars, unknown senders, and a restart that starts or resumes
 * what the queue file kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import type { InventoryHost } from '../../src/fleet/inventory.js';
import type { Sender } from '../../src/watch/listen.js';
import { EventQueue } from '../../src/watch/queue.js';
import { commandLineRule, type Rule } from '../../src/watch/rules.js';
import type { LaunchRequest, LaunchResult } from '../../src/watch/trigger.js';
import { Watcher } from '../../src/watch/watcher.js';

const host = (name: string, address: string): InventoryHost => ({
  name,
  address,
  vars: {},
  groups: ['all'],
  pos: { file: 'inv', line: 1, col: 1 },
});
const HOSTS = [host('edge1', '127.0.0.2'), host('edge2', '127.0.0.3'), host('edge3', '127.0.0.4')];
const from = (address: string): Sender => ({ transport: 'udp', address, port: 514 });
const line = (peer: string, name = 'edge1'): Buffer =>
  Buffer.from(
    `<188>1: ${name}: *Dec  1 20:10:40.476 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10.30.30.1, prot=50, spi=0x1(1), srcaddr=${peer}`,
  );

/** A launcher whose runs finish when the test says so. */
function scripted(): {
  launch: (r: LaunchRequest) => Promise<LaunchResult>;
  calls: LaunchRequest[];
  finish(i: number, outcome?: string): void;
  running(): string[];
} {
  const calls: LaunchRequest[] = [];
  const resolvers: ((r: LaunchResult) => void)[] = [];
  const open = new Set<number>();
  return {
    calls,
    launch: (req) => {
      const i = calls.push(req) - 1;
      const runId = req.resumeRunId ?? `run-${i}`;
      req.onRunCreated(runId);
      open.add(i);
      return new Promise<LaunchResult>((res) => {
        resolvers[i] = (r) => {
          open.delete(i);
          res(r);
        };
        req.signal.addEventListener('abort', () =>
          resolvers[i]?.({ runId, outcome: 'interrupted', message: '' }),
        );
      });
    },
    finish: (i, outcome = 'ok') => resolvers[i]!({ runId: `run-${i}`, outcome, message: '' }),
    running: () => [...open].map((i) => calls[i]!.host.name),
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('Watcher', () => {
  let dir: string;
  let rule: Rule;
  let clock: number;
  let lines: string[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-watcher-'));
    rule = await commandLineRule({
      on: 'RECVD_PKT_INV_SPI.*srcaddr=(?<peer>\\S+)',
      runbook: 'test/watch/fixtures/clear-peer.yaml',
      vars: [],
      approval: 'auto',
      onceWithinMs: 60_000,
    });
    clock = 1_000_000;
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const watcher = (launch: (r: LaunchRequest) => Promise<LaunchResult>, maxConcurrent = 4): Watcher =>
    new Watcher({
      rules: [rule],
      hosts: HOSTS,
      stateDir: dir,
      maxConcurrent,
      launch,
      log: (l) => lines.push(l),
      now: () => clock,
      lockedRetryMs: 10,
    });

  it('a burst from one host is one run with the typed peer; a second burst inside once_within starts none', async () => {
    const s = scripted();
    const w = watcher(s.launch);
    w.start();
    for (let i = 0; i < 5; i++) w.receive(line('10.40.40.1'), from('127.0.0.2'));
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]!.vars).toMatchObject({ peer: '10.40.40.1' });
    expect(w.stats.get('throttled')).toBe(4);
    s.finish(0);
    await w.idle();
    clock += 30_000;
    w.receive(line('10.40.40.1'), from('127.0.0.2'));
    expect(s.calls).toHaveLength(1);
    expect(lines.at(-1)).toMatch(
      /^throttled: rule command-line host edge1: a run already happened \(once_within, 30s left\)/,
    );
    clock += 30_001;
    w.receive(line('10.40.40.1'), from('127.0.0.2'));
    expect(s.calls).toHaveLength(2);
    expect(lines).toContainEqual(expect.stringMatching(/^finished run run-0 on edge1: ok/));
  });

  it('unknown senders, bad var values and malformed messages start nothing and are counted', async () => {
    const s = scripted();
    const w = watcher(s.launch);
    w.receive(line('10.40.40.1'), from('127.0.0.99'));
    w.receive(line('10.40.40.1;reload'), from('127.0.0.2'));
    w.receive(Buffer.from('<300>nonsense'), from('127.0.0.2'));
    w.drop('oversized', from('127.0.0.2'), '9000 bytes > 8192');
    expect(s.calls).toEqual([]);
    expect(w.stats.snapshot()).toMatchObject({
      'unknown-host': 1,
      rejected: 1,
      malformed: 1,
      oversized: 1,
      received: 4,
    });
    expect(lines[0]).toMatch(/^unknown host: .*127\.0\.0\.99.*ignored$/);
    expect(lines[1]).toMatch(/^rejected: rule command-line host edge1: .*not an IPv4 address/);
  });

  it('a flood of garbage from one sender is counted in full but logs a few lines a minute', async () => {
    const w = watcher(scripted().launch);
    for (let i = 0; i < 1000; i++) w.receive(Buffer.from('garbage'), from('127.0.0.66'));
    expect(w.stats.get('malformed')).toBe(1000);
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatch(/^more from 127\.0\.0\.66 this minute is counted, not logged/);
    clock += 60_000;
    w.receive(Buffer.from('garbage'), from('127.0.0.66'));
    expect(lines).toHaveLength(7);
    expect(w.stats.line(w.counts())).toMatch(/malformed=1001 .*\(no-pri=1001\)/);
  });

  it('one run per host at a time, and at most maxConcurrent runs in all', async () => {
    const s = scripted();
    const other = await commandLineRule({
      on: 'RECVD_PKT_INV_SPI.*srcaddr=(?<peer>\\S+)',
      runbook: 'test/watch/fixtures/clear-peer.yaml',
      vars: [],
      approval: 'auto',
    });
    rule = { ...rule };
    const w = new Watcher({
      rules: [rule, { ...other, name: 'second' }],
      hosts: HOSTS,
      stateDir: dir,
      maxConcurrent: 2,
      launch: s.launch,
      log: (l) => lines.push(l),
      now: () => clock,
    });
    // two rules match edge1 (two events, one host): the second waits for the first
    w.receive(line('10.40.40.1'), from('127.0.0.2'));
    w.receive(line('10.40.40.1'), from('127.0.0.3'));
    w.receive(line('10.40.40.1'), from('127.0.0.4'));
    expect(s.running()).toEqual(['edge1', 'edge2']);
    expect(w.counts()).toEqual({ running: 2, queued: 4 });
    s.finish(0);
    await tick();
    // the slot goes to the oldest startable event: edge1's second rule is blocked by nothing now
    expect(s.running().sort()).toEqual(['edge1', 'edge2']);
    s.finish(1);
    await tick();
    s.finish(2);
    await tick();
    s.finish(3);
    await tick();
    s.finish(4);
    await tick();
    s.finish(5);
    await w.idle();
    expect(s.calls.map((c) => `${c.rule.name}@${c.host.name}`).sort()).toEqual([
      'command-line@edge1',
      'command-line@edge2',
      'command-line@edge3',
      'second@edge1',
      'second@edge2',
      'second@edge3',
    ]);
  });

  it('a host locked by another process: the event waits and starts later', async () => {
    let attempts = 0;
    const s = scripted();
    const w = watcher(async (req) => {
      if (++attempts === 1) throw new RunbookError('E_LOCKED', 'host edge1 is locked by run x');
      return s.launch(req);
    });
    w.receive(line('10.40.40.1'), from('127.0.0.2'));
    for (let i = 0; i < 100 && s.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(s.calls).toHaveLength(1);
    expect(lines).toContainEqual(expect.stringMatching(/host edge1 is locked by another run .*retrying/));
    s.finish(0);
    await w.idle();
  });

  it('stop checkpoints running runs; a restart resumes them and starts what was queued, once', async () => {
    const s1 = scripted();
    const w1 = watcher(s1.launch, 1);
    w1.receive(line('10.40.40.1'), from('127.0.0.2'));
    w1.receive(line('10.40.40.2'), from('127.0.0.3'));
    expect(s1.running()).toEqual(['edge1']);
    await w1.stop();
    const kept = new EventQueue(dir).events();
    expect(kept.map((e) => [e.host, e.state, e.runId])).toEqual([
      ['edge1', 'running', 'run-0'],
      ['edge2', 'queued', undefined],
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^interrupted run run-0 on edge1: checkpointed/));

    const s2 = scripted();
    const w2 = watcher(s2.launch, 4);
    w2.start();
    expect(s2.calls.map((c) => [c.host.name, c.resumeRunId, c.vars.peer])).toEqual([
      ['edge1', 'run-0', '10.40.40.1'],
      ['edge2', undefined, '10.40.40.2'],
    ]);
    // the throttle window survived the restart
    w2.receive(line('10.40.40.1'), from('127.0.0.2'));
    expect(s2.calls).toHaveLength(2);
    s2.finish(0);
    s2.finish(1);
    await w2.idle();
    expect(new EventQueue(dir).events()).toEqual([]);
  });
});
