/**
 * The linux profile over exec channels against OpenSSH's sshd on loopback: exit codes, stderr apart,
 * key and agent auth, known_hosts under each policy, ProxyJump through a second sshd.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile } from '../../src/platforms/index.js';
import { createSshTransport, type SshOptions } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/types.js';
import { keygen, SSHD, startAgent, startSshd, tempDir, type Sshd } from '../helpers/sshd.js';
import { caught } from '../helpers/errors.js';
import { needTool } from '../helpers/tools.js';

const user = execFileSync('id', ['-un']).toString().trim();

function sshFingerprint(pubLine: string, dir: string): string {
  const f = join(dir, 'fp.pub');
  writeFileSync(f, pubLine + '\n');
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', f]).toString().split(' ')[1]!;
}

describe.runIf(needTool(SSHD, 'OpenSSH sshd (apt-get install openssh-server)'))(
  'ssh exec transport against OpenSSH sshd',
  () => {
    let sshd: Sshd;
    let jump: Sshd;
    let dir: string;
    let key: string;
    let otherKey: string;
    const open: Transport[] = [];

    beforeAll(async () => {
      dir = tempDir();
      key = keygen(join(dir, 'id_ed25519'));
      otherKey = keygen(join(dir, 'id_other'));
      sshd = await startSshd();
      jump = await startSshd();
      sshd.authorize(`${key}.pub`);
      jump.authorize(`${key}.pub`);
    });

    afterAll(async () => {
      for (const t of open) await t.close();
      await sshd?.stop();
      await jump?.stop();
    });

    function knownHosts(content: string): string {
      const f = join(tempDir(), 'known_hosts');
      writeFileSync(f, content);
      return f;
    }

    function transport(over: Partial<SshOptions> = {}, target: Sshd = sshd): Transport {
      const t = createSshTransport({
        target: { name: 'srv', address: target.host, port: target.port, platform: 'linux' },
        profile: getProfile('linux'),
        user,
        identityFiles: [key],
        agent: false,
        sshConfigFile: false,
        knownHostsFile: knownHosts(`[127.0.0.1]:${target.port} ${target.hostKeyLine}\n`),
        timeouts: { connectMs: 5_000, authMs: 5_000 },
        ...over,
      });
      open.push(t);
      return t;
    }

    it('returns stdout, stderr and the exit status apart, over one connection', async () => {
      const t = transport();
      await t.open();
      const r = await t.run('echo out; echo err >&2; exit 3');
      expect(r).toMatchObject({ output: 'out\n', stderr: 'err\n', exitCode: 3, disconnected: false });
      const a = await t.run('echo $SSH_CONNECTION');
      const b = await t.run('echo $SSH_CONNECTION');
      expect(a.exitCode).toBe(0);
      expect(a.output).toBe(b.output);
      await t.close();
    });

    it('stops a command that prints without end at the output limit (E_OUTPUT_LIMIT)', async () => {
      const t = transport();
      await t.open();
      let e: unknown;
      try {
        await t.run('yes endless', { maxOutputBytes: 1_000_000, stepId: 'flood' });
      } catch (err) {
        e = err;
      }
      expect((e as { code?: string }).code).toBe('E_OUTPUT_LIMIT');
      expect((e as Error).message).toContain('in step flood: "yes endless" printed more than 1000000 bytes');
      expect((await t.run('echo still here')).output).toBe('still here\n');
      await t.close();
    });

    it('reports a signal-killed command as 128 + signal', async () => {
      const t = transport();
      await t.open();
      const r = await t.run('kill -TERM $$');
      expect(r.exitCode).toBe(143);
      await t.close();
    });

    it('refuses a wrong key with E_AUTH naming the methods tried', async () => {
      const t = transport({ identityFiles: [otherKey] });
      const e = await caught(t.open());
      expect(e.code).toBe('E_AUTH');
      expect(e.message).toContain(
        `authentication failed for ${user}@srv (127.0.0.1:${sshd.port}): tried publickey ${otherKey}`,
      );
      expect(e.message).toContain('the server accepts: publickey');
      expect(e.hint).toContain('--identity FILE');
    });

    it('opens an encrypted identity file with the passphrase, asking when none is given', async () => {
      const enc = keygen(join(dir, 'id_enc'), { passphrase: 'pass phrase 42' });
      sshd.authorize(`${enc}.pub`);
      const t1 = transport({ identityFiles: [enc], passphrase: 'pass phrase 42' });
      await t1.open();
      expect((await t1.run('true')).exitCode).toBe(0);
      await t1.close();
      const asked: string[] = [];
      const t2 = transport({
        identityFiles: [enc],
        askPassword: async (p) => (asked.push(p), 'pass phrase 42'),
      });
      await t2.open();
      expect(asked).toEqual([`Enter passphrase for key '${enc}': `]);
      await t2.close();
      const e = await caught(transport({ identityFiles: [enc], passphrase: 'wrong' }).open());
      expect(e.code).toBe('E_AUTH');
      expect(e.message).toContain(`cannot use identity file ${enc}: wrong passphrase`);
      expect(e.message).not.toContain('wrong;');
    });

    it('authenticates with keys from ssh-agent', async (ctx) => {
      const agent = await startAgent();
      if (!needTool(agent, 'ssh-agent (apt-get install openssh-client)') || !agent) return ctx.skip();
      try {
        agent.add(key);
        const t = transport({ identityFiles: [], agent: agent.sock });
        await t.open();
        expect((await t.run('echo via-agent')).output).toBe('via-agent\n');
        await t.close();
      } finally {
        agent.stop();
      }
    });

    it('goes on to identity files when the agent socket is dead', async () => {
      const t = transport({ agent: join(dir, 'no-agent.sock') });
      await t.open();
      expect((await t.run('echo ok')).output).toBe('ok\n');
      await t.close();
      const e = await caught(
        transport({ agent: join(dir, 'no-agent.sock'), identityFiles: [otherKey] }).open(),
      );
      expect(e.message).toContain(`tried agent (${join(dir, 'no-agent.sock')}), publickey ${otherKey}`);
      expect(e.message).toContain(`ssh-agent ${join(dir, 'no-agent.sock')} could not be used`);
    });

    describe('known_hosts', () => {
      it('strict: an unknown key stops with its SHA256 fingerprint and the exact fix', async () => {
        const file = knownHosts('');
        const e = await caught(transport({ knownHostsFile: file }).open());
        const fp = sshFingerprint(sshd.hostKeyLine, dir);
        expect(e.code).toBe('E_HOSTKEY_UNKNOWN');
        expect(e.message).toBe(
          `host key for srv (127.0.0.1:${sshd.port}) is not known: the server offered ssh-ed25519 key ${fp}, which is not in ${file}`,
        );
        expect(e.hint).toContain('--host-key-policy accept-new');
        expect(e.hint).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${file}`);
        expect(readFileSync(file, 'utf8')).toBe('');
      });

      it('accept-new: records an unknown key like OpenSSH, then strict accepts it', async () => {
        const file = join(tempDir(), 'sub', 'known_hosts');
        const t = transport({ knownHostsFile: file, hostKeyPolicy: 'accept-new' });
        await t.open();
        await t.close();
        expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
        const t2 = transport({ knownHostsFile: file });
        await t2.open();
        await t2.close();
        expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(2);
      });

      it('accepts a key known under a hashed [host]:port entry', async () => {
        const file = knownHosts(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
        execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
        expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
        const t = transport({ knownHostsFile: file });
        await t.open();
        await t.close();
      });

      it('does not take a plain-host entry for a non-22 port', async () => {
        const e = await caught(
          transport({ knownHostsFile: knownHosts(`127.0.0.1 ${sshd.hostKeyLine}\n`) }).open(),
        );
        expect(e.code).toBe('E_HOSTKEY_UNKNOWN');
      });

      it.each(['strict', 'accept-new'] as const)(
        '%s: a changed key is refused naming the known_hosts line',
        async (policy) => {
          const old = readFileSync(`${keygen(join(tempDir(), 'old'))}.pub`, 'utf8')
            .split(' ')
            .slice(0, 2)
            .join(' ');
          const file = knownHosts(`# comment\nother.example ${old}\n[127.0.0.1]:${sshd.port} ${old}\n`);
          const e = await caught(transport({ knownHostsFile: file, hostKeyPolicy: policy }).open());
          expect(e.code).toBe('E_HOSTKEY_CHANGED');
          expect(e.message).toContain(`HOST KEY CHANGED for srv (127.0.0.1:${sshd.port})`);
          expect(e.message).toContain(`${file}:3 holds a different ssh-ed25519 key`);
          expect(e.hint).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${file}`);
          expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(4);
        },
      );

      it('off: connects whatever the key, writing nothing', async () => {
        const old = readFileSync(`${keygen(join(tempDir(), 'old'))}.pub`, 'utf8')
          .split(' ')
          .slice(0, 2)
          .join(' ');
        const file = knownHosts(`[127.0.0.1]:${sshd.port} ${old}\n`);
        const t = transport({ knownHostsFile: file, hostKeyPolicy: 'off' });
        await t.open();
        await t.close();
        expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${old}\n`);
        const missing = join(tempDir(), 'none');
        const t2 = transport({ knownHostsFile: missing, hostKeyPolicy: 'off' });
        await t2.open();
        await t2.close();
        expect(existsSync(missing)).toBe(false);
      });

      it('refuses a key marked @revoked', async () => {
        const file = knownHosts(
          `@revoked [127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`,
        );
        const e = await caught(transport({ knownHostsFile: file, hostKeyPolicy: 'accept-new' }).open());
        expect(e.code).toBe('E_HOSTKEY_CHANGED');
        expect(e.message).toContain(`marked @revoked at ${file}:1`);
      });
    });

    describe('ssh config', () => {
      it('follows HostName, Port, User, IdentityFile and a two-hop ProxyJump', async () => {
        const cfgDir = tempDir();
        const cfg = join(cfgDir, 'config');
        writeFileSync(
          cfg,
          [
            'Host target',
            '  HostName 127.0.0.1',
            `  Port ${sshd.port}`,
            '  ProxyJump jump,jump',
            'Host jump',
            '  HostName 127.0.0.1',
            `  Port ${jump.port}`,
            'Host *',
            `  User ${user}`,
            `  IdentityFile ${key}`,
            '',
          ].join('\n'),
        );
        const known = knownHosts(
          `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n[127.0.0.1]:${jump.port} ${jump.hostKeyLine}\n`,
        );
        const before = (jump.log().match(/Accepted publickey/g) ?? []).length;
        const t = createSshTransport({
          target: { name: 'target', address: 'target', port: 22, platform: 'linux' },
          profile: getProfile('linux'),
          agent: false,
          sshConfigFile: cfg,
          knownHostsFile: known,
        });
        open.push(t);
        await t.open();
        const r = await t.run('echo hello from $USER');
        expect(r).toMatchObject({ output: `hello from ${user}\n`, exitCode: 0 });
        await t.close();
        await new Promise((r) => setTimeout(r, 100));
        expect((jump.log().match(/Accepted publickey/g) ?? []).length - before).toBe(2);
      });

      it('honours UserKnownHostsFile and StrictHostKeyChecking for the host; flags win over them', async () => {
        const cfgDir = tempDir();
        const known = join(cfgDir, 'lab_known_hosts');
        const cfg = join(cfgDir, 'config');
        const write = (strict: string): void =>
          writeFileSync(
            cfg,
            [
              'Host srv',
              '  HostName 127.0.0.1',
              `  Port ${sshd.port}`,
              `  UserKnownHostsFile ${known}`,
              `  StrictHostKeyChecking ${strict}`,
              '',
            ].join('\n'),
          );
        const viaConfig = (over: Partial<SshOptions> = {}): Transport => {
          const t = createSshTransport({
            target: { name: 'srv', address: 'srv', port: 22, platform: 'linux' },
            profile: getProfile('linux'),
            user,
            identityFiles: [key],
            agent: false,
            sshConfigFile: cfg,
            ...over,
          });
          open.push(t);
          return t;
        };
        // StrictHostKeyChecking yes + an empty UserKnownHostsFile: unknown, naming that file
        write('yes');
        writeFileSync(known, '');
        const unknown = await caught(viaConfig().open());
        expect(unknown.code).toBe('E_HOSTKEY_UNKNOWN');
        expect(unknown.message).toContain(known);
        // accept-new: learns the key into the config's file, as OpenSSH does
        write('accept-new');
        const t = viaConfig();
        await t.open();
        await t.close();
        expect(readFileSync(known, 'utf8')).toContain(sshd.hostKeyLine.split(' ')[1]!);
        // an explicit policy beats the config: strict against a fresh file refuses
        writeFileSync(known, '');
        expect((await caught(viaConfig({ hostKeyPolicy: 'strict' }).open())).code).toBe('E_HOSTKEY_UNKNOWN');
      });

      it('reports a missing -F file as a usage error', async () => {
        const e = await caught(transport({ sshConfigFile: join(dir, 'nope') }).open());
        expect(e.code).toBe('E_USAGE');
        expect(e.message).toBe(`ssh config file ${join(dir, 'nope')} does not exist`);
      });
    });

    describe('drops and timeouts', () => {
      it('reports a drop as disconnected when expected, then reconnects', async () => {
        const t = transport();
        await t.open();
        const r = await t.run('kill -9 $PPID', { expectDisconnect: true });
        expect(r.disconnected).toBe(true);
        await t.reconnect();
        expect((await t.run('echo back')).output).toBe('back\n');
        const e = await caught(t.run('kill -9 $PPID', { stepId: 'drop' }));
        expect(e.code).toBe('E_DISCONNECTED');
        expect(e.message).toContain('closed in step drop while running "kill -9 $PPID"');
        await t.close();
      });

      it('times out a silent command (inactivity) and a chatty one (total), naming the phase', async () => {
        const t = transport();
        await t.open();
        const a = await caught(t.run('echo started; sleep 5', { stepId: 's1', inactivityTimeoutMs: 1_500 }));
        expect(a.code).toBe('E_TIMEOUT');
        expect(a.message).toBe(
          `inactivity timeout on srv (127.0.0.1:${sshd.port}) in step s1 running "echo started; sleep 5": no data for 1500 ms waiting for the command to exit; last bytes received: "started\\n"`,
        );
        const b = await caught(
          t.run('while true; do echo tick; sleep 0.05; done', {
            totalTimeoutMs: 1_500,
            inactivityTimeoutMs: 5_000,
          }),
        );
        expect(b.code).toBe('E_TIMEOUT');
        expect(b.message).toMatch(
          /^total timeout on srv .* 1500 ms waiting for the command to exit; last bytes received: .*tick\\n"$/,
        );
        expect((await t.run('echo still-usable')).output).toBe('still-usable\n');
        await t.close();
      });

      it('refused connection is E_CONNECT', async () => {
        const { freePort } = await import('../helpers/sshd.js');
        const port = await freePort();
        const e = await caught(
          transport({ target: { name: 'srv', address: '127.0.0.1', port, platform: 'linux' } }).open(),
        );
        expect(e.code).toBe('E_CONNECT');
        expect(e.message).toBe(`cannot connect to srv (127.0.0.1:${port}): connection refused`);
      });
    });
  },
);
