import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandPath, parseProxyJump, resolveHostConfig } from '../../src/transport/sshconfig.js';

function config(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sshcfg-'));
  const f = join(dir, 'config');
  writeFileSync(f, text);
  return f;
}

describe('ssh config', () => {
  it('applies Host patterns first-match-wins, with IdentityFile accumulating', () => {
    const f = config(
      [
        'Host r1 r2',
        '  HostName 10.0.0.1',
        '  Port 2222',
        '  IdentityFile ~/.ssh/lab',
        'Host r*',
        '  User netops',
        '  Port 22',
        '  IdentityFile %d/.ssh/%r-%h',
        'Host *',
        '  User nobody',
        '',
      ].join('\n'),
    );
    expect(resolveHostConfig('r1', f)).toEqual({
      hostName: '10.0.0.1',
      port: 2222,
      user: 'netops',
      identityFiles: ['~/.ssh/lab', '%d/.ssh/%r-%h'],
      identitiesOnly: false,
      proxyJump: [],
    });
    expect(resolveHostConfig('x', f)).toEqual({
      user: 'nobody',
      identityFiles: [],
      identitiesOnly: false,
      proxyJump: [],
    });
  });

  it('reads ProxyJump hops and Include files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sshcfg-'));
    writeFileSync(join(dir, 'a.conf'), 'Host edge\n  ProxyJump ops@bastion:2200,ssh://jump2\n');
    const f = config(`Include ${dir}/*.conf\nHost *\n  IdentitiesOnly yes\n`);
    const c = resolveHostConfig('edge', f);
    expect(c.proxyJump).toEqual([{ host: 'bastion', user: 'ops', port: 2200 }, { host: 'jump2' }]);
    expect(c.identitiesOnly).toBe(true);
    expect(parseProxyJump('none')).toEqual([]);
  });

  it('refuses ProxyCommand and a missing -F file; a missing default file is empty', () => {
    expect(() => resolveHostConfig('r1', config('Host r1\n  ProxyCommand nc %h %p\n'))).toThrow(
      /ProxyCommand for r1 is not supported/,
    );
    expect(() => resolveHostConfig('r1', '/nonexistent/config')).toThrow(
      'ssh config file /nonexistent/config does not exist',
    );
    expect(resolveHostConfig('r1', false).proxyJump).toEqual([]);
  });

  it('expands ~ and % tokens in identity paths', () => {
    expect(expandPath('~/.ssh/%r@%h:%p%%', { host: 'r1', port: 22, user: 'ops' })).toBe(
      `${homedir()}/.ssh/ops@r1:22%`,
    );
  });
});
