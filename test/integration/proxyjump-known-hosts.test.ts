/**
 * A ProxyJump host's key is checked against ITS OWN ssh config UserKnownHostsFile and
 * StrictHostKeyChecking (as OpenSSH does), not the target's or ~/.ssh/known_hosts: OpenSSH's sshd is
 * the jump host, the lab emulator the target behind it. HOME is a temp dir whose known_hosts is
 * empty, so a lookup in the wrong file fails the test.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.js';
import { getProfile } from '../../src/platforms/index.js';
import { createSshTransport } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/types.js';
import { caught } from '../helpers/errors.js';
import { keygen, SSHD, startSshd, tempDir, type Sshd } from '../helpers/sshd.js';
import { needTool } from '../helpers/tools.js';

const user = execFileSync('id', ['-un']).toString().trim();

describe.runIf(needTool(SSHD, 'sshd (apt-get install openssh-server)'))(
  'ProxyJump hosts use their own known_hosts settings',
  () => {
    let jump: Sshd;
    let lab: Lab;
    let dir: string;
    let key: string;
    const home = process.env.HOME;
    const open: Transport[] = [];

    beforeAll(async () => {
      dir = tempDir('runbook-jump-kh-');
      mkdirSync(join(dir, 'home', '.ssh'), { recursive: true });
      writeFileSync(join(dir, 'home', '.ssh', 'known_hosts'), '');
      process.env.HOME = join(dir, 'home');
      key = keygen(join(dir, 'id_ed25519'));
      jump = await startSshd();
      jump.authorize(`${key}.pub`);
      lab = await startLab({ port: 0, user: 'admin', password: 'lab-pw', scenario: 'healthy' });
    });

    afterAll(async () => {
      for (const t of open) await t.close();
      process.env.HOME = home;
      await jump?.stop();
      await lab?.close();
    });

    /** ssh config: jump with its own known_hosts file and policy; the edge behind it with another file. */
    function config(name: string, jumpStrict: string, jumpKnown: string): { cfg: string; edgeKnown: string } {
      const r = lab.routers[0]!;
      const edgeKnown = join(dir, `${name}.edge_known`);
      writeFileSync(edgeKnown, `[127.0.0.1]:${r.port} ${r.hostKey}\n`);
      const cfg = join(dir, `${name}.config`);
      writeFileSync(
        cfg,
        [
          'Host jump',
          '  HostName 127.0.0.1',
          `  Port ${jump.port}`,
          `  User ${user}`,
          `  IdentityFile ${key}`,
          `  UserKnownHostsFile ${jumpKnown}`,
          `  StrictHostKeyChecking ${jumpStrict}`,
          'Host edge',
          '  HostName 127.0.0.1',
          `  Port ${r.port}`,
          '  User admin',
          '  ProxyJump jump',
          `  UserKnownHostsFile ${edgeKnown}`,
          '  StrictHostKeyChecking yes',
          '',
        ].join('\n'),
      );
      return { cfg, edgeKnown };
    }

    function transport(cfg: string): Transport {
      const t = createSshTransport({
        target: { name: 'edge', address: 'edge', port: 22, platform: 'cisco-iosxe' },
        profile: getProfile('cisco-iosxe'),
        password: 'lab-pw',
        agent: false,
        sshConfigFile: cfg,
        timeouts: { connectMs: 5_000, authMs: 5_000, promptMs: 5_000 },
      });
      open.push(t);
      return t;
    }

    it('strict: the jump key is found in the jump host UserKnownHostsFile', async () => {
      const jumpKnown = join(dir, 'strict.jump_known');
      writeFileSync(jumpKnown, `[127.0.0.1]:${jump.port} ${jump.hostKeyLine}\n`);
      const t = transport(config('strict', 'yes', jumpKnown).cfg);
      await t.open();
      expect((await t.run('show version')).output).toContain('Cisco IOS XE Software');
      await t.close();
      expect(readFileSync(join(dir, 'home', '.ssh', 'known_hosts'), 'utf8')).toBe('');
    });

    it('accept-new on the jump host records its key in its own file, not in the target one', async () => {
      const jumpKnown = join(dir, 'new.jump_known');
      writeFileSync(jumpKnown, '');
      const { cfg, edgeKnown } = config('new', 'accept-new', jumpKnown);
      const t = transport(cfg);
      await t.open();
      await t.close();
      expect(readFileSync(jumpKnown, 'utf8')).toContain(jump.hostKeyLine.split(' ')[1]!);
      expect(readFileSync(edgeKnown, 'utf8')).not.toContain(jump.hostKeyLine.split(' ')[1]!);
      expect(readFileSync(join(dir, 'home', '.ssh', 'known_hosts'), 'utf8')).toBe('');
    });

    it('a different key in the jump host file is refused, naming that file', async () => {
      const jumpKnown = join(dir, 'changed.jump_known');
      const other = keygen(join(dir, 'other_host'));
      const otherLine = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
      writeFileSync(jumpKnown, `[127.0.0.1]:${jump.port} ${otherLine}\n`);
      const e = await caught(transport(config('changed', 'yes', jumpKnown).cfg).open());
      expect(e.code).toBe('E_HOSTKEY_CHANGED');
      expect(e.message).toContain(`${jumpKnown}:1`);
    });
  },
);
