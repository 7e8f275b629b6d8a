/** `runbook plan`: the plan as data, its three renderings, and the CLI command. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/plan.js';
import { DISRUPTIVE_MARK, renderPlan } from '../../src/report/plan-render.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { buildPlan, type PlanCommand, type PlanGroup, type PlanStep } from '../../src/runbook/plan.js';

const FIXTURE = fileURLToPath(new URL('../engine/fixtures/inv-spi.yaml', import.meta.url));
const book = () => compileRunbookSource(readFileSync(FIXTURE, 'utf8'), 'inv-spi.yaml');

function find(steps: PlanStep[], id: string): PlanStep | undefined {
  for (const s of steps) {
    if (s.id === id) return s;
    const kids = s.kind === 'group' ? s.steps : s.kind === 'choose' ? s.branches.flatMap((b) => b.steps) : [];
    const hit = find(kids, id);
    if (hit) return hit;
  }
  return undefined;
}

describe('buildPlan', () => {
  it('is the whole tree as JSON-safe data with placeholders for device values', () => {
    const plan = buildPlan(book(), { color: 'gold' });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(plan.steps.map((s) => [s.kind, s.id])).toEqual([
      ['command', 'find-events'],
      ['end', 'nothing-to-do'],
      ['group', 'per-peer'],
      ['end', 'done'],
    ]);
    const perPeer = plan.steps[2] as PlanGroup;
    expect(perPeer.forEach).toEqual({ items: 'events', as: 'ev' });
    const clear = find(plan.steps, 'clear-sa') as PlanCommand;
    expect(clear).toMatchObject({
      key: 'per-peer[*]/fix/clear-sa',
      command: 'clear crypto sa peer <ev.peer>',
      disruptive: true,
      impact: 'Renegotiates the IKE SA with <ev.peer> only',
    });
    const hop = find(plan.steps, 'port-hop') as PlanCommand;
    expect(hop.command).toBe('request platform software sdwan port_hop gold');
    expect(hop.expectDisconnect).toBe(true);
    expect(find(plan.steps, 'verify-sa')).toMatchObject({
      disruptive: false,
      retry: { times: 5, delayMs: 5000, until: 'after.n > before.n' },
      captures: ['after'],
    });
    expect(find(plan.steps, 'nothing-to-do')).toMatchObject({
      when: 'size(events) == 0',
      status: 'ok',
      message: 'No invalid-SPI events in the log',
    });
    expect(find(plan.steps, 'done')).toMatchObject({ message: 'recovered <size(events)> peer(s)' });
    expect(plan.approvals.map((a) => [a.stepId, a.conditions])).toEqual([
      ['clear-sa', ['for each ev in events', '!has(ev.iface)']],
      ['port-hop', ['for each ev in events', 'otherwise (none of: !has(ev.iface))']],
    ]);
    expect(plan.vars).toEqual([
      {
        name: 'peer',
        type: 'ipv4',
        required: false,
        secret: false,
        description: 'Peer to recover (default every peer in the log)',
      },
      {
        name: 'color',
        type: 'string',
        required: false,
        secret: false,
        description: 'TLOC colour to port-hop',
        value: 'gold',
      },
    ]);
  });

  it('never shows a secret var value, in commands or in the vars table', () => {
    const rb = compileRunbookSource(
      'runbook: s\ndescription: s\nplatform: linux\nvars:\n  token: {type: string, secret: true}\nsteps:\n  - id: call\n    run: \'curl -H "X-Token: {{ token }}" http://127.0.0.1/reset\'\n    changes: resets the service\n',
      's.yaml',
    );
    const plan = buildPlan(rb, { token: 'hunter22' });
    const json = JSON.stringify(plan);
    expect(json).not.toContain('hunter22');
    expect(plan.approvals[0]?.command).toBe('curl -H "X-Token: <token>" http://127.0.0.1/reset');
    expect(plan.vars[0]?.value).toBe('********');
  });
});

describe('renderPlan', () => {
  const plan = () => buildPlan(book(), { color: 'biz-internet' });

  it('text: an indented, numbered tree with disruptive marks and a closing list of approvals', () => {
    const text = renderPlan(plan(), 'text');
    const lines = text.split('\n');
    expect(lines).toContain('  3. per-peer: for each ev in events');
    expect(lines).toContain('     3.1. sa-before: run show crypto ipsec sa peer <ev.peer>');
    expect(lines).toContain('          when !has(ev.iface):');
    expect(lines).toContain(
      `            3.2.a. clear-sa: run clear crypto sa peer <ev.peer>  ${DISRUPTIVE_MARK}`,
    );
    expect(lines).toContain('                   impact: Renegotiates the IKE SA with <ev.peer> only');
    expect(lines).toContain(
      '            3.2.b. port-hop: run request platform software sdwan port_hop biz-internet  [DISRUPTIVE: approval required]',
    );
    expect(lines).toContain('          poll up to 5 times every 5s until after.n > before.n');
    const summary = text.slice(text.indexOf('Disruptive commands (2)'));
    expect(summary).toContain('1. clear crypto sa peer <ev.peer>');
    expect(summary).toContain('2. request platform software sdwan port_hop biz-internet');
    expect(summary).toContain('when: for each ev in events  AND  !has(ev.iface)');
    expect(summary).toContain('step: clear-sa, at 3.2.a');
  });

  it('markdown: headings, nested list, code spans, and an approval table whose cells keep their pipes', () => {
    const md = renderPlan(plan(), 'markdown');
    expect(md).toMatch(/^# Plan: recover-inv-spi-mini\n/);
    expect(md).toContain('## Steps');
    expect(md).toContain('- **1** `find-events`: run `show logging | include RECVD_PKT_INV_SPI`');
    expect(md).toContain(
      '      - **3.2.a** `clear-sa`: run `clear crypto sa peer <ev.peer>` — **[DISRUPTIVE: approval required]**',
    );
    expect(md).toContain('        - impact: Renegotiates the IKE SA with \\<ev.peer\\> only');
    expect(md).toContain('| # | Step | Command | Impact | When |');
    expect(md).toContain(
      '| 1 | `clear-sa`, at 3.2.a | `clear crypto sa peer <ev.peer>` | Renegotiates the IKE SA with \\<ev.peer\\> only | for each ev in events and `!has(ev.iface)` |',
    );
    // every table row has the same number of unescaped cell separators
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && l.includes('3.2.'));
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.replace(/\\\|/g, '').split('|').length).toBe(7);
  });

  it('json: the plan itself', () => {
    const p = plan();
    expect(JSON.parse(renderPlan(p, 'json'))).toEqual(p);
  });

  it('a runbook without disruptive steps says no approval is needed', () => {
    const rb = compileRunbookSource(
      'runbook: r\ndescription: r\nplatform: cisco-iosxe\nsteps:\n  - id: v\n    run: show version\n',
      'r.yaml',
    );
    expect(renderPlan(buildPlan(rb, {}), 'text')).toContain('Disruptive commands: none');
    expect(renderPlan(buildPlan(rb, {}), 'markdown')).toContain('None: every command is read-only.');
  });
});

describe('runbook plan (CLI)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  async function cli(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const program = new Command('runbook').exitOverride();
    register(program);
    process.exitCode = undefined;
    await program.parseAsync(['plan', ...args], { from: 'user' });
    const code = process.exitCode as number | undefined;
    vi.restoreAllMocks();
    return { out, err, code };
  }

  it('prints the plan in the requested format, with --var values', async () => {
    const r = await cli([FIXTURE, '--var', 'color=silver', '--format', 'markdown']);
    expect(r.code ?? 0).toBe(0);
    expect(r.out).toContain('`request platform software sdwan port_hop silver`');
    const j = await cli([FIXTURE, '--format', 'json']);
    expect(JSON.parse(j.out).approvals).toHaveLength(2);
    const t = await cli([FIXTURE]);
    expect(t.out).toContain(DISRUPTIVE_MARK);
  });

  it('an unknown format is a usage error (exit 2)', async () => {
    const r = await cli([FIXTURE, '--format', 'yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: --format yaml: unknown plan format');
    expect(r.err).toContain('hint: use one of: text, markdown, json');
    expect(r.out).toBe('');
  });

  it('a bad --var value is a usage error (exit 2)', async () => {
    const r = await cli([FIXTURE, '--var', 'peer=10.0.0.300']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/peer/);
  });
});
