/**
 * Untrusted text never reaches a CLI: values interpolated into commands are checked against the
 * platform's unsafe characters, and commands that write (IOS `| redirect`, shell `>`) are never
 * read-only, so they cannot pass as read-only steps or slip through dry-run.
 */
import { describe, expect, it } from 'vitest';
import { getProfile } from '../../src/platforms/index.js';
import { isReadOnlyCommand } from '../../src/platforms/readonly.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { run } from '../engine/harness.js';

describe('read-only commands per platform', () => {
  const ios = getProfile('cisco-iosxe');
  const sdwan = getProfile('cisco-iosxe-sdwan');
  const linux = getProfile('linux');

  it('IOS show commands are read-only, unless piped to redirect, tee or append', () => {
    expect(isReadOnlyCommand(ios, 'show crypto ipsec sa peer 10.1.1.1')).toBe(true);
    expect(isReadOnlyCommand(ios, 'show logging | include RECVD_PKT_INV_SPI')).toBe(true);
    expect(isReadOnlyCommand(ios, 'show running-config | redirect bootflash:x.txt')).toBe(false);
    expect(isReadOnlyCommand(sdwan, 'show version | tee flash:v.txt')).toBe(false);
    expect(isReadOnlyCommand(ios, 'show tech |append nvram:x')).toBe(false);
    expect(isReadOnlyCommand(ios, 'clear crypto sa peer 10.1.1.1')).toBe(false);
  });

  it('Linux reads are read-only, but not with redirections, command lists or substitutions', () => {
    expect(isReadOnlyCommand(linux, 'df -P /')).toBe(true);
    expect(isReadOnlyCommand(linux, 'cat /etc/hostname')).toBe(true);
    expect(isReadOnlyCommand(linux, 'cat /etc/hostname > /tmp/x')).toBe(false);
    expect(isReadOnlyCommand(linux, 'uptime; reboot')).toBe(false);
    expect(isReadOnlyCommand(linux, 'echo $(reboot)')).toBe(false);
    expect(isReadOnlyCommand(linux, 'cat /etc/passwd | tee /tmp/p')).toBe(false);
    expect(isReadOnlyCommand(linux, 'rm -rf /tmp/x')).toBe(false);
  });

  it('validation refuses a read-only-looking command that writes, unless it declares changes', () => {
    const src = [
      'runbook: r',
      'platform: cisco-iosxe',
      'steps:',
      '  - id: save',
      '    run: show running-config | redirect bootflash:cfg.txt',
      '',
    ].join('\n');
    expect(() => compileRunbookSource(src, 'r.yaml')).toThrow(/not a read-only command/);
  });
});

describe('interpolated values', () => {
  const iosRunbook = compileRunbookSource(
    [
      'runbook: r',
      'platform: cisco-iosxe',
      'vars:',
      '  name: {type: string, required: true}',
      'steps:',
      '  - id: show',
      '    run: show interfaces {{ name }}',
      '',
    ].join('\n'),
    'r.yaml',
  );
  const linuxRunbook = compileRunbookSource(
    [
      'runbook: r',
      'platform: linux',
      'vars:',
      '  path: {type: string, required: true}',
      'steps:',
      '  - id: ls',
      '    run: ls -l {{ path }}',
      '',
    ].join('\n'),
    'r.yaml',
  );

  it('an IOS value with a pipe is refused before anything is sent', async () => {
    const ran = await run(
      iosRunbook,
      { 'show interfaces Gi1 | redirect flash:x': 'x' },
      { vars: { name: 'Gi1 | redirect flash:x' } },
    );
    expect(ran.transport.sent).toEqual([]);
    expect(ran.result.outcome).toBe('failed');
    expect(ran.end('show').error?.code).toBe('E_TEMPLATE');
    expect(ran.end('show').error?.message).toMatch(/does not allow/);
  });

  it('a plain IOS value goes through', async () => {
    const ran = await run(
      iosRunbook,
      { 'show interfaces GigabitEthernet0/0/1': 'GigabitEthernet0/0/1 is up, line protocol is up' },
      { vars: { name: 'GigabitEthernet0/0/1' } },
    );
    expect(ran.transport.sent).toEqual(['show interfaces GigabitEthernet0/0/1']);
    expect(ran.result.outcome).toBe('ok');
  });

  it('a Linux value with shell operators or spaces is refused before anything is sent', async () => {
    for (const bad of ['/tmp; reboot', '/tmp && reboot', '$(reboot)', '`reboot`', '/tmp /etc', "/tmp'x"]) {
      const ran = await run(linuxRunbook, {}, { vars: { path: bad } });
      expect(ran.transport.sent, bad).toEqual([]);
      expect(ran.end('ls').error?.code, bad).toBe('E_TEMPLATE');
    }
  });

  it('a plain Linux path goes through', async () => {
    const ran = await run(
      linuxRunbook,
      { 'ls -l /var/log/syslog.1': '-rw-r----- 1 root adm 10 syslog.1' },
      { vars: { path: '/var/log/syslog.1' } },
    );
    expect(ran.transport.sent).toEqual(['ls -l /var/log/syslog.1']);
  });
});
