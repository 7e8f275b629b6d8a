/** `runbook watch` refuses bad input before it listens: exit 2, what and how to fix, no stack. Needs dist/. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'runbook-watch-cli-'));
const inventory = join(dir, 'hosts.yml');
writeFileSync(inventory, 'all:\n  hosts:\n    edge1: {ansible_host: 127.0.0.2}\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUN = ['--run', 'test/watch/fixtures/clear-peer.yaml'];

describe('runbook watch usage errors', () => {
  it.each([
    [[], /no rules: say what to watch for/, /--rules FILE, or --on REGEX --run RUNBOOK/],
    [['--on', 'srcaddr=(?<peer>\\S+)', ...RUN], /no inventory/, /-i INVENTORY/],
    [
      ['--on', 'srcaddr=(?<peer>\\S+)', ...RUN, '-i', inventory, '--listen', 'udp://edge1:514'],
      /--listen udp:\/\/edge1:514/,
      /udp:\/\/127\.0\.0\.1:5514/,
    ],
    [
      ['--on', 'srcaddr=(?<peer>\\S+)', ...RUN, '-i', inventory, '--yes', '--dry-run'],
      /--yes and --dry-run cannot be combined/,
      /pick one/,
    ],
    [['--on', '(?<nope>x)', ...RUN, '-i', inventory], /named group 'nope' is not a variable/, /peer, mode/],
    [['--on', 'x', ...RUN, '-i', inventory], /needs variable 'peer'/, /--var peer=<ipv4>/],
    [['--on', 'x(', ...RUN, '-i', inventory], /--on x\(: /, /JavaScript regular expression/],
    [
      ['--on', 'srcaddr=(?<peer>\\S+)', ...RUN, '-i', inventory, '--max-concurrent', '0'],
      /--max-concurrent 0/,
      /e\.g\. --max-concurrent 4/,
    ],
    [
      ['--rules', 'test/watch/fixtures/bad.rules.yaml'],
      /bad\.rules\.yaml:12:5: unknown field 'aproval'/,
      /allowed fields/,
    ],
    [
      ['--rules', 'test/watch/fixtures/good.rules.yaml', '--yes'],
      /--yes, --dry-run and --var belong to an --on rule/,
      /approval:/,
    ],
  ])('%j', async (args, message, hint) => {
    const r = await runCli(['watch', ...args, '--state-dir', join(dir, 'state')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(hint);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toMatch(/listening on/);
  });
});
