/**
 * A platform added from a user's dir, without code: `--platforms DIR` or `$RUNBOOK_PLATFORMS` make
 * validate, plan and exec know it; its read-only rules, error patterns and ansible_network_os come
 * from its YAML; a broken platform file is exit 2 at file:line:col.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { parseInventory } from '../../src/fleet/inventory.js';
import { configurePlatforms, getProfile } from '../../src/platforms/index.js';
import { isReadOnlyCommand } from '../../src/platforms/readonly.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { runCli } from '../helpers/cli.js';
import { run } from '../engine/harness.js';

const root = mkdtempSync(join(tmpdir(), 'runbook-user-platforms-'));
const dir = join(root, 'platforms');
mkdirSync(dir);
writeFileSync(
  join(dir, 'vyos.yaml'),
  `# yaml-language-server: $schema=../schemas/platform.schema.json
platform: vyos
description: VyOS router (operational mode)
session: shell
ntc_platform: vyos
ansible_network_os: [vyos.vyos.vyos, vyos]
prompts:
  any: '(?:^|[\\r\\n])[\\w.\\-]+@[\\w.\\-]+:[~\\w/]*[$#]\\s*$'
  config: ['\\[edit[^\\]]*\\]']
paging:
  commands: ['set terminal length 0']
errors:
  - { pattern: '^\\s*Invalid command:', message: 'VyOS rejected the command' }
read_only:
  style: cli
  abbreviations: false
  commands:
    - { word: show }
    - word: set
      sub: [{ word: terminal, sub: [{ word: length, args: '\\d+' }] }]
  pipe_reads: [{ word: match, regex: true }, { word: no-more }]
  pipe_writes: [tee, save]
values:
  unsafe: '[|;&<>$\`]'
  leading_dash: refuse
`,
);
// a profile that starts from a shipped one: its own error line, everything else IOS XE's
writeFileSync(
  join(dir, 'acme-ios.yaml'),
  `platform: acme-ios
extends: cisco-iosxe
description: ACME's IOS XE image
ansible_network_os: [acme.ios]
errors:
  - { pattern: '^% Invalid input detected', message: 'the device rejected the command (% Invalid input)' }
  - { pattern: '^ACME-ERR', message: 'the ACME image reported an error' }
`,
);
const vyosRunbook = `runbook: vyos-check
platform: vyos
steps:
  - id: interfaces
    run: show interfaces | match eth
  - id: version
    run: show version
`;
const books = join(root, 'books');
mkdirSync(books);
writeFileSync(join(books, 'vyos.yaml'), vyosRunbook);
writeFileSync(join(books, 'vyos-reboot.yaml'), `${vyosRunbook}  - id: reboot\n    run: reboot now\n`);
writeFileSync(
  join(books, 'acme.yaml'),
  'runbook: acme-check\nplatform: acme-ios\nsteps:\n  - id: version\n    run: sh ver\n    expect: {contains: Cisco}\n',
);

afterAll(() => configurePlatforms({ dirs: [] }));

describe('runbook CLI with a platform from a user dir', () => {
  it('validate does not know the platform without the dir', async () => {
    const r = await runCli(['validate', join(books, 'vyos.yaml')], { RUNBOOK_PLATFORMS: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("vyos.yaml:2:11: platform 'vyos' is not a known platform");
    expect(r.stderr).toContain('--platforms DIR');
  });

  it('validate knows it with --platforms DIR or $RUNBOOK_PLATFORMS, and applies its read-only rules', async () => {
    const flag = await runCli(['validate', '--platforms', dir, join(books, 'vyos.yaml')]);
    expect(flag.stderr).toBe('');
    expect(flag.code).toBe(0);
    const env = await runCli(['validate', join(books, 'vyos.yaml')], { RUNBOOK_PLATFORMS: dir });
    expect(env.code).toBe(0);
    const reboot = await runCli(['validate', '--platforms', dir, join(books, 'vyos-reboot.yaml')]);
    expect(reboot.code).toBe(2);
    expect(reboot.stderr).toContain(
      "step 'reboot' runs 'reboot now', which is not a read-only command for platform vyos",
    );
  });

  it('plan and exec (against the lab) run a runbook on a platform that extends a shipped one', async () => {
    const plan = await runCli(['plan', '--platforms', dir, join(books, 'acme.yaml')]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('sh ver');
    const exec = await runCli([
      'exec',
      join(books, 'acme.yaml'),
      '--lab',
      '--platforms',
      dir,
      '--state-dir',
      join(root, 'state'),
      '--json',
    ]);
    expect(exec.stderr).toBe('');
    expect(exec.code).toBe(0);
    expect(JSON.parse(exec.stdout)).toMatchObject({ hosts: [{ outcome: 'ok' }] });
  });

  it('a broken platform file stops every command with exit 2 at its file:line:col', async () => {
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeFileSync(
      join(bad, 'broken.yaml'),
      "platform: broken\ndescription: x\nsession: shell\nprompts:\n  any: '[unclosed'\nread_only: {style: cli, commands: [], colour: red}\nvalues: {}\n",
    );
    writeFileSync(
      join(bad, 'again.yaml'),
      'platform: cisco-iosxe\nextends: linux\ndescription: a second IOS XE\n',
    );
    const r = await runCli(['validate', '--platforms', bad, join(books, 'vyos.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(bad, 'broken.yaml')}:6:39: read_only has an unknown field 'colour'`);
    expect(r.stderr).toContain(`${join(bad, 'again.yaml')}:1:11: platform cisco-iosxe is already defined by`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const regex = join(root, 'regex');
    mkdirSync(regex);
    writeFileSync(
      join(regex, 'r.yaml'),
      "platform: r\ndescription: x\nsession: shell\nprompts:\n  any: '[unclosed'\nread_only: {style: cli, commands: []}\nvalues: {}\n",
    );
    const rr = await runCli(['plan', '--platforms', regex, join(books, 'vyos.yaml')]);
    expect(rr.code).toBe(2);
    expect(rr.stderr).toMatch(/r\.yaml:5:8: prompts\.any is not a valid regular expression/);
  });
});

describe('a user platform in process (memory transport)', () => {
  it('its read-only rules, error patterns and ansible_network_os are data', async () => {
    configurePlatforms({ dirs: [dir] });
    const vyos = getProfile('vyos');
    expect(vyos.ntcPlatform).toBe('vyos');
    expect(isReadOnlyCommand(vyos, 'show interfaces | match eth')).toBe(true);
    expect(isReadOnlyCommand(vyos, 'sh interfaces')).toBe(false); // abbreviations: false
    expect(isReadOnlyCommand(vyos, 'show configuration | tee /tmp/x')).toBe(false);
    expect(isReadOnlyCommand(vyos, 'set terminal length 0')).toBe(true);
    expect(isReadOnlyCommand(vyos, 'set system host-name x')).toBe(false);

    const rb = compileRunbookSource(vyosRunbook, 'vyos.yaml');
    const r = await run(rb, {
      'show interfaces | match eth': 'eth0  10.0.0.1/24  u/u\n',
      'show version': '\n  Invalid command: show [version]\n',
    });
    expect(r.transport.sent).toEqual(['show interfaces | match eth', 'show version']);
    expect(r.end('version').message).toContain('VyOS rejected the command: Invalid command: show [version]');

    const inv = parseInventory('[routers]\nvy1 ansible_network_os=vyos.vyos.vyos\n', 'hosts.ini');
    expect(inv.hosts[0]!.platform).toBe('vyos');
  });

  it('an unknown platform name is refused with the loaded ones', () => {
    configurePlatforms({ dirs: [dir] });
    expect(() =>
      compileRunbookSource('runbook: r\nplatform: vyoss\nsteps: [{id: a, run: show x}]\n', 'r.yaml'),
    ).toThrow(ValidationError);
    expect(() =>
      compileRunbookSource('runbook: r\nplatform: vyoss\nsteps: [{id: a, run: show x}]\n', 'r.yaml'),
    ).toThrow(/did you mean 'vyos'/);
  });
});
