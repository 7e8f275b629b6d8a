/**
 * The change record of a 5-router lab run: `runbook runs --json` and `--host`, then `runbook report`
 * as HTML rendered in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * and checked from the DOM: every host with its outcome, the approvals and how they were given, the
 * --change ticket, the filter, and that the page fetched nothing. Markdown and a dry run's report too.
 * RUNBOOK_REPORT_SCREENSHOT=FILE also writes a screenshot of the page (docs/report.png is made so).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFleet, runCli, startFleetLab, type FleetLab } from './fleet-lab.js';

const RB = resolve('runbooks/recover-inv-spi.yaml');
const CHROMIUM = '/usr/bin/chromium';
const HOSTS = ['edge1', 'edge2', 'edge3', 'edge4', 'edge5'];

/** Headless Chromium with a fresh profile (--user-data-dir) that playwright passes to it. */
function launchChromium(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1400 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

describe('the change record of a 5-host lab run', () => {
  let f: FleetLab;
  let browser: BrowserContext;
  let profile: string;
  let runId: string;
  let dryId: string;
  const state = () => join(f.dir, 'state');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    f = await startFleetLab({ scenarios: ['sdwan', 'mixed', 'healthy', 'sdwan-cleared', 'classic'] });
    profile = mkdtempSync(join(tmpdir(), 'runbook-chromium-'));
    browser = await launchChromium(profile);
    // the dry run first: the real run below recovers the routers
    const dry = await execFleet(f, ['--dry-run', '--change', 'CHG0031337'], RB);
    expect(dry.code, dry.stderr).toBe(0);
    dryId = /^Run (\S+):/m.exec(dry.stdout)![1]!;
    const run = await execFleet(f, ['--change', 'CHG0031337', '--serial', '2'], RB);
    expect(run.code, run.stderr).toBe(0);
    runId = /^Run (\S+):/m.exec(run.stdout)![1]!;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await f?.close();
  });

  it('runs --json has the ticket, the operator, each endpoint and every approval with how', async () => {
    const r = await runCli(['runs', runId, '--json', '--state-dir', state()]);
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout);
    expect(view.meta.change).toBe('CHG0031337');
    expect(view.meta.operator.user).toBeTruthy();
    expect(view.meta.operator.tool).toMatch(/^runbook \d/);
    const edge2 = view.hosts.find((h: { host: string }) => h.host === 'edge2');
    expect(edge2.endpoint).toBe(`admin@127.0.0.1:${f.router('edge2').port}`);
    expect(
      edge2.approvals.map((a: { stepId: string; how: string; approved: boolean }) => [
        a.stepId,
        a.how,
        a.approved,
      ]),
    ).toEqual([
      ['rekey', 'yes-flag', true],
      ['clear-sa', 'yes-flag', true],
    ]);
    expect(view.hosts.find((h: { host: string }) => h.host === 'edge3').approvals).toEqual([]);
  });

  it('runs <id> --host H shows that host only', async () => {
    const r = await runCli(['runs', runId, '--host', 'edge4', '--state-dir', state()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^edge4: ok/m);
    expect(r.stdout).not.toMatch(/^edge[1235]: /m);
    expect(r.stdout).toMatch(/^ {2}approval per-peer\[0\]\/\S+\/port-hop: approved \(--yes\)/m);
    expect(r.stdout).toContain('  change   CHG0031337');
    const bad = await runCli(['runs', runId, '--host', 'edge9', '--state-dir', state()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('its hosts: edge1, edge2, edge3, edge4, edge5');
  });

  it('the HTML report shows every host, its outcome and the approvals, fetches nothing, and filters', async () => {
    const file = join(f.dir, 'report.html');
    const r = await runCli(['report', runId, '-o', file, '--state-dir', state()]);
    expect(r.code, r.stderr).toBe(0);
    const page = await browser.newPage();
    const fetched: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('file://')) fetched.push(req.url());
    });
    await page.goto(`file://${file}`);
    expect(fetched).toEqual([]);
    expect(await page.title()).toContain('CHG0031337');
    const hosts = await page.$$eval('section.host', (ss) =>
      ss.map((s) => ({
        name: s.querySelector('h2 .name')?.textContent,
        outcome: s.getAttribute('data-outcome'),
        badge: s.querySelector('h2 .badge')?.textContent,
        approvals: [...s.querySelectorAll('tr.approval')].map((tr) => [
          tr.querySelector('td code')?.textContent,
          tr.querySelector('.verdict')?.textContent?.trim(),
          tr.querySelector('.how')?.textContent,
        ]),
      })),
    );
    expect(hosts.map((h) => h.name)).toEqual(HOSTS);
    for (const h of hosts) expect([h.outcome, h.badge]).toEqual(['ok', 'ok']);
    expect(hosts.find((h) => h.name === 'edge2')!.approvals).toEqual([
      ['rekey', 'approved', '--yes'],
      ['clear-sa', 'approved', '--yes'],
    ]);
    expect(hosts.find((h) => h.name === 'edge4')!.approvals).toEqual([['port-hop', 'approved', '--yes']]);
    expect(hosts.find((h) => h.name === 'edge3')!.approvals).toEqual([]);
    const prov = await page.$eval('table.prov', (t) => t.textContent ?? '');
    expect(prov).toContain('CHG0031337');
    expect(prov).toContain(runId);
    // the timeline: one bar per host, three batches of --serial 2
    expect(await page.$$eval('.tl-row .bar', (b) => b.length)).toBe(5);
    expect(await page.$$eval('.tl-batch', (b) => [...new Set(b.map((x) => x.textContent))])).toEqual([
      'batch 1',
      'batch 2',
      'batch 3',
    ]);
    // step output is folded away
    expect(await page.$$eval('details.output[open]', (d) => d.length)).toBe(0);
    expect(await page.$$eval('details.output', (d) => d.length)).toBeGreaterThan(20);
    if (process.env.RUNBOOK_REPORT_SCREENSHOT)
      await page.screenshot({ path: process.env.RUNBOOK_REPORT_SCREENSHOT, fullPage: false });
    // the filter: edge3 (healthy) changed nothing
    await page.click('button[data-filter="changed"]');
    const visible = await page.$$eval('section.host', (ss) =>
      ss.filter((s) => !s.hasAttribute('hidden')).map((s) => s.getAttribute('data-host')),
    );
    expect(visible).toEqual(['edge1', 'edge2', 'edge4', 'edge5']);
    await page.click('button[data-filter="failed"]');
    expect(await page.$eval('.empty', (e) => e.hasAttribute('hidden'))).toBe(false);
    await page.close();
  }, 60_000);

  it('the markdown report names every host and approval, for a ticket', async () => {
    const r = await runCli(['report', runId, '--format', 'markdown', '--state-dir', state()]);
    expect(r.code).toBe(0);
    for (const h of HOSTS) expect(r.stdout).toMatch(new RegExp(`^### ${h}: ok`, 'm'));
    expect(r.stdout).toContain('| Change | `CHG0031337` |');
    expect(r.stdout).toMatch(/^\| `clear-sa` \| `clear crypto sa peer [\d.]+` \| approved \| --yes \|/m);
    expect(r.stdout).toContain('<details><summary>Steps and output</summary>');
  });

  it('a dry run has a report too: would run and may run per host, nothing sent', async () => {
    const id = dryId;
    const file = join(f.dir, 'dry.html');
    expect((await runCli(['report', id, '-o', file, '--state-dir', state()])).code).toBe(0);
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    const labels = await page.$$eval('section.host[data-host="edge1"] .wouldrun .label', (l) =>
      l.map((x) => x.textContent),
    );
    expect(labels[0]).toBe('would run');
    expect(labels.slice(1)).toContain('may run (if step rekey does not recover)');
    expect(await page.$$eval('section.host[data-host="edge3"] .wouldrun li', (l) => l.length)).toBe(0);
    // the roll-up: each command once with its hosts
    const roll = await page.$$eval('table.rollup tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(roll).toContainEqual([
      'would run',
      'request platform software sdwan security ipsec-rekey',
      'edge1, edge2 (2)',
    ]);
    expect(roll).toContainEqual([
      'may run (if step rekey does not recover)',
      'request platform software sdwan port_hop biz-internet',
      'edge1, edge2 (2)',
    ]);
    expect(readFileSync(file, 'utf8')).toContain('dry run: nothing was sent');
    await page.close();
  }, 60_000);

  it('a host reached through an ssh config alias is recorded where it really went, with its user', async () => {
    const cfg = join(f.dir, 'ssh_config');
    writeFileSync(
      cfg,
      `Host edge-alias\n  HostName 127.0.0.1\n  Port ${f.router('edge3').port}\n  User admin\n`,
    );
    const r = await runCli([
      'exec',
      RB,
      '--host',
      'edge-alias',
      '-F',
      cfg,
      '--password-env',
      'RUNBOOK_TEST_LAB_PASSWORD',
      '--known-hosts',
      f.knownHosts,
      '--dry-run',
      '--state-dir',
      state(),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const id = /^Run (\S+):/m.exec(r.stdout)![1]!;
    const view = JSON.parse((await runCli(['runs', id, '--json', '--state-dir', state()])).stdout);
    expect(view.meta.targets[0]).toMatchObject({
      name: 'edge-alias',
      address: 'edge-alias',
      resolved: { address: '127.0.0.1', port: f.router('edge3').port, user: 'admin' },
    });
    expect(view.hosts[0].endpoint).toBe(`admin@127.0.0.1:${f.router('edge3').port}`);
  }, 60_000);
});

/**
 * Results tables (steps' `result:` rows) of examples/sdwan-bfd-check.yaml over SSH against two lab
 * edges (one with BFD down on a colour, one healthy): the --json document of a dry run, the exec
 * summary, `runbook runs <id>`, the markdown report, and the HTML report in Chromium.
 * RUNBOOK_RESULTS_SCREENSHOT=FILE writes a screenshot of the first host's section.
 */
describe('results tables of a lab run', () => {
  const BFD = resolve('examples/sdwan-bfd-check.yaml');
  let f: FleetLab;
  let browser: BrowserContext;
  let profile: string;
  let runId: string;
  let summary: string;
  const state = () => join(f.dir, 'state');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    f = await startFleetLab({ scenarios: ['sdwan', 'healthy'] });
    profile = mkdtempSync(join(tmpdir(), 'runbook-chromium-'));
    browser = await launchChromium(profile);
    const run = await execFleet(f, [], BFD);
    expect(run.code, run.stderr).toBe(0);
    runId = /^Run (\S+):/m.exec(run.stdout)![1]!;
    summary = run.stdout;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await f?.close();
  });

  it('a dry run with --json gives each host its rows and the column order', async () => {
    // the real run above fixed edge1: a fresh lab edge with BFD down for the dry run
    const g = await startFleetLab({ scenarios: ['sdwan'] });
    try {
      const r = await execFleet(g, ['--dry-run', '--json'], BFD);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.hosts[0].resultColumns).toEqual(['color', 'down_before', 'did', 'up_after']);
      expect(doc.hosts[0].results).toEqual([
        {
          step: 'fix',
          key: 'fix[0]',
          fields: { color: 'biz-internet', down_before: 1, did: 'would port hop', up_after: 1 },
        },
      ]);
    } finally {
      await g.close();
    }
  }, 60_000);

  it('the exec summary shows a table below the host that recorded rows, none for the other', () => {
    const lines = summary.split('\n');
    const at = lines.findIndex((l) => /^ {2}edge1 +ok/.test(l));
    expect(at).toBeGreaterThan(0);
    const below = lines.slice(at + 1, at + 4);
    expect(below[0]).toMatch(/^ {6}disruptive: request platform software sdwan port_hop biz-internet$/);
    expect(below[1]).toMatch(/^ {6}color +down_before +did +up_after$/);
    expect(below[2]).toMatch(/^ {6}biz-internet +1 +port hopped +2$/);
    const edge2 = lines.findIndex((l) => /^ {2}edge2 +ok/.test(l));
    expect(lines[edge2 + 1] ?? '').not.toMatch(/color/);
  });

  it('runbook runs <id> shows the table per host', async () => {
    const r = await runCli(['runs', runId, '--state-dir', state()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^edge1: ok.*\n {2}results:\n {4}color +down_before +did +up_after\n {4}biz-internet +1 +port hopped +2\n/m,
    );
    expect(r.stdout).not.toMatch(/^edge2: ok.*\n {2}results:/m);
    const view = JSON.parse((await runCli(['runs', runId, '--json', '--state-dir', state()])).stdout);
    expect(view.hosts.map((h: { results: unknown[] }) => h.results.length)).toEqual([1, 0]);
  });

  it('the markdown report has the table with numbers aligned right', async () => {
    const r = await runCli(['report', runId, '--format', 'markdown', '--state-dir', state()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      '| color | down\\_before | did | up\\_after |\n|---|---:|---|---:|\n| biz-internet | 1 | port hopped | 2 |',
    );
  });

  it('the HTML report shows the table in Chromium, numbers aligned right', async () => {
    const file = join(f.dir, 'results.html');
    const r = await runCli(['report', runId, '-o', file, '--state-dir', state()]);
    expect(r.code, r.stderr).toBe(0);
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    const table = await page.$eval('section.host[data-host="edge1"] table.results', (t) => ({
      head: [...t.querySelectorAll('thead th')].map((th) => th.textContent),
      rows: [...t.querySelectorAll('tbody tr')].map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => [
          td.textContent,
          td.ownerDocument.defaultView?.getComputedStyle(td).textAlign,
        ]),
      ),
      visible: t.getBoundingClientRect().height > 0,
    }));
    expect(table.head).toEqual(['color', 'down_before', 'did', 'up_after']);
    expect(table.rows).toEqual([
      [
        ['biz-internet', 'left'],
        ['1', 'right'],
        ['port hopped', 'left'],
        ['2', 'right'],
      ],
    ]);
    expect(table.visible).toBe(true);
    expect(await page.$$eval('section.host[data-host="edge2"] table.results', (t) => t.length)).toBe(0);
    if (process.env.RUNBOOK_RESULTS_SCREENSHOT) {
      const section = await page.$('section.host[data-host="edge1"]');
      await section!.screenshot({ path: process.env.RUNBOOK_RESULTS_SCREENSHOT });
    }
    await page.close();
  }, 60_000);
});
