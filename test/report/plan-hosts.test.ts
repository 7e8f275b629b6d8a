/** `runbook plan -i/--limit/--host/--list-hosts` and `exec --list-hosts`: the ticket names the devices. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const RB = 'runbooks/recover-inv-spi.yaml';
const INV = 'examples/inventory/lab.yml';

describe('plan for an inventory', () => {
  it('--list-hosts prints the hosts --limit matches and exits 0, without a plan', async () => {
    const r = await runCli(['plan', RB, '-i', INV, '--limit', 'region_east', '--list-hosts']);
    expect(r.code).toBe(0);
    const hosts = r.stdout
      .split('\n')
      .filter((l) => /^ {4}\S/.test(l))
      .map((l) => l.trim());
    expect(hosts).toEqual(['edge01', 'edge02']);
    expect(r.stdout).toContain('hosts (2):');
    expect(r.stdout).not.toContain('Steps');
  });

  it('the plan lists the hosts of the change with their addresses (text and markdown)', async () => {
    const t = await runCli(['plan', RB, '-i', INV, '--limit', 'all:!edge02']);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('Hosts (2):');
    expect(t.stdout).toMatch(/^ {2}edge01 {2}127\.0\.0\.1:2222 {2}cisco-iosxe$/m);
    expect(t.stdout).toMatch(/^ {2}edge03 {2}127\.0\.0\.1:2224 {2}cisco-iosxe$/m);
    expect(t.stdout).not.toMatch(/edge02/);
    const md = await runCli(['plan', RB, '--host', 'edge9:2200,edge7', '--format', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('## Hosts (2)');
    expect(md.stdout).toContain('| edge9:2200 | `edge9:2200` |');
    expect(md.stdout).toContain('| edge7 | `edge7:22` |');
    const json = JSON.parse((await runCli(['plan', RB, '-i', INV, '--format', 'json'])).stdout);
    expect(json.hosts.map((h: { name: string }) => h.name)).toEqual(['edge01', 'edge02', 'edge03']);
  });

  it('a --limit that matches nothing, or --list-hosts without targets, is a usage error', async () => {
    const none = await runCli(['plan', RB, '-i', INV, '--limit', 'nosuch', '--list-hosts']);
    expect(none.code).toBe(2);
    const bare = await runCli(['plan', RB, '--list-hosts']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('hint: add -i INVENTORY');
  });

  it('exec --list-hosts prints the hosts and exits 0 without connecting or recording a run', async () => {
    const r = await runCli([
      'exec',
      RB,
      '-i',
      INV,
      '--limit',
      'region_west',
      '--list-hosts',
      '--state-dir',
      '/nonexistent/x',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hosts (1):\n    edge03\n');
  });
});

describe('the plan reads like a procedure', () => {
  it('numbers a person can say (at most three parts), names first, set bindings folded in <details>', async () => {
    const r = await runCli(['plan', RB, '--format', 'markdown']);
    expect(r.code).toBe(0);
    const numbers = [...r.stdout.matchAll(/^\s*- \*\*([\w.]+)\*\*/gm)].map((m) => m[1]!);
    expect(numbers.length).toBeGreaterThan(10);
    for (const n of numbers) expect(n).toMatch(/^\d+(\.\d+(\.[a-z]+)?)?$/);
    expect(r.stdout).toContain(
      '**1** Find the invalid-SPI events (every peer once, newest first) (`find-events`)',
    );
    // a `set` shows its names; the CEL is folded away
    expect(r.stdout).toMatch(/`judge`: set `enc1`, `dec1`/);
    expect(r.stdout).toContain('<details><summary>bindings</summary>');
    const outside = r.stdout.replace(/<details>[\s\S]*?<\/details>/g, '');
    expect(outside).not.toContain('has_sa && size(w_enc) > 0');
    // a condition in the author's words
    expect(r.stdout).toContain('only if the actions before did not recover the peer');
  });
});
