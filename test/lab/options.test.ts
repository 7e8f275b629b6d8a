import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { startLab, type Lab, type LabOptions } from '../../src/lab/index.js';
import { Shell, connect, execOnce } from './client.js';

const labs: Lab[] = [];
const shells: Shell[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of shells.splice(0)) s.close();
  await Promise.all(labs.splice(0).map((l) => l.close()));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function lab(opts: LabOptions = {}): Promise<Lab> {
  const l = await startLab({ port: 0, ...opts });
  labs.push(l);
  return l;
}

async function shell(l: Lab, i = 0): Promise<Shell> {
  const s = await Shell.open(l.routers[i]!);
  shells.push(s);
  return s;
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'runbook-lab-'));
  dirs.push(d);
  return d;
}

describe('device options', () => {
  it('confirm: n aborts (nothing changes), Enter runs, and the audit log says which', async () => {
    const l = await lab({ scenario: 'classic', device: { confirm: true } });
    const r = l.routers[0]!;
    const s = await shell(l);
    s.write('clear crypto sa peer 10.40.40.1\r');
    expect(await s.until(/\[confirm\]$/)).toMatch(/Clear crypto SAs for peer 10\.40\.40\.1 \[confirm\]$/);
    s.write('n');
    await s.until(/edge1#$/);
    expect(r.state().peers[0]!.sa).toBe('invalid-spi');
    s.write('clear crypto sa peer 10.40.40.1\r');
    await s.until(/\[confirm\]$/);
    s.write('\r');
    await s.until(/edge1#$/);
    expect(r.state().peers[0]!.sa).toBe('ok');
    expect(r.audit().map((a) => [a.command, a.outcome, a.stateChanging])).toEqual([
      ['clear crypto sa peer 10.40.40.1', 'aborted', false],
      ['clear crypto sa peer 10.40.40.1', 'ok', true],
    ]);
  });

  it('confirm over an exec channel reads the answer from stdin', async () => {
    const l = await lab({ scenario: 'sdwan', device: { confirm: true, bfdDelayMs: 0 } });
    const r = l.routers[0]!;
    const res = await execOnce(r, 'request platform software sdwan security ipsec-rekey', 'y\n');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/\[confirm\]/);
    expect(r.state().peers.find((p) => p.peer === '10.20.20.1')!.sa).toBe('ok');
  });

  it('without confirm, clear crypto sa peer prints nothing and asks nothing (as on IOS XE)', async () => {
    const l = await lab({ scenario: 'classic' });
    const s = await shell(l);
    expect(await s.run('clear crypto sa peer 10.40.40.1')).toBe('clear crypto sa peer 10.40.40.1\nedge1#');
  });

  it('pager: --More-- after 23 lines, space pages on, q stops; terminal length 0 turns it off', async () => {
    const l = await lab({ scenario: 'healthy' });
    const s = await shell(l);
    s.write('show version\r');
    const first = (await s.until(/ --More-- $/)).replace(/\r/g, '');
    expect(first.split('\n')).toHaveLength(1 + 23 + 1); // echo line, 23 lines, the --More-- line
    s.write('\r');
    const oneLine = (await s.until(/ --More-- $/)).replace(/\r/g, '');
    expect(oneLine.replace(/^\x08{9} {9}\x08{9}/, '').split('\n')).toHaveLength(2); // Enter: one more line
    s.write(' ');
    const second = await s.until(/ --More-- $/);
    expect(second).toMatch(/^\x08{9} {9}\x08{9}/);
    expect(second.replace(/\r/g, '').split('\n')).toHaveLength(24);
    s.write('q');
    await s.until(/edge1#$/);
    const all = await s.run('terminal length 0');
    expect(all).not.toMatch(/More/);
    const version = await s.run('show version');
    expect(version).not.toMatch(/--More--/);
    expect(version).toMatch(/Configuration register is 0x2102\nedge1#$/);
  });

  it('pager off by option: long output comes at once', async () => {
    const l = await lab({ scenario: 'healthy', device: { pager: false } });
    const s = await shell(l);
    expect(await s.run('show version')).not.toMatch(/--More--/);
  });

  it('an image that refuses terminal length: % Invalid input under `length`, then screen-length 0 works', async () => {
    const l = await lab({ scenario: 'healthy', device: { refuseTerminalLength: true } });
    const s = await shell(l);
    const out = (await s.run('terminal length 0')).split('\n');
    expect(out[1]!.indexOf('^')).toBe('edge1#terminal '.length);
    expect(out[2]).toBe("% Invalid input detected at '^' marker.");
    await s.run('screen-length 0');
    expect(await s.run('show version')).not.toMatch(/--More--/);
  });

  it('dropOnControlClear: clear sdwan control connections drops the SSH session; dropSessions() too', async () => {
    const l = await lab({ scenario: 'sdwan', count: 2, device: { dropOnControlClear: true } });
    const s = await shell(l);
    s.write('clear sdwan control connections\r');
    await s.gone();
    expect(l.routers[0]!.state().controlConnections.every((c) => c.state === 'connect')).toBe(true);
    const s2 = await shell(l, 1);
    l.routers[1]!.dropSessions();
    await s2.gone();
  });

  it('several routers: distinct ports, scenarios cycled, state kept apart', async () => {
    const l = await lab({ count: 3, scenario: ['classic', 'sdwan'], device: { hostname: 'cedge' } });
    expect(l.routers.map((r) => r.name)).toEqual(['cedge1', 'cedge2', 'cedge3']);
    expect(l.routers.map((r) => r.scenario)).toEqual(['classic', 'sdwan', 'classic']);
    expect(new Set(l.routers.map((r) => r.port)).size).toBe(3);
    await execOnce(l.routers[0]!, 'clear crypto sa peer 10.40.40.1');
    expect(l.routers[0]!.state().peers[0]!.sa).toBe('ok');
    expect(l.routers[2]!.state().peers[0]!.sa).toBe('invalid-spi');
    expect(l.routers[2]!.audit()).toEqual([]);
    const s = await Shell.open(l.routers[1]!);
    shells.push(s);
    expect(await s.run('show clock')).toMatch(/\ncedge2#$/);
  });
});

describe('CLI behaviour', () => {
  it('echo, backspace and Ctrl-C line editing', async () => {
    const l = await lab({ scenario: 'healthy' });
    const s = await shell(l);
    s.write('show clpck\x7f\x7f\x7fock\r');
    const out = await s.until(/edge1#$/);
    expect(out).toContain('\b \b');
    expect(out).toMatch(/\d\d:\d\d:\d\d\.\d{3} UTC \w{3} \w{3} \d+ \d{4}/);
    s.write('show ver\x03');
    expect(await s.until(/edge1#$/)).toMatch(/show ver\^C\r\nedge1#$/);
    expect(l.routers[0]!.audit().map((a) => a.command)).toEqual(['show clock']);
  });

  it('invalid, incomplete and ambiguous input get the IOS messages; abbreviations work', async () => {
    const l = await lab({ scenario: 'healthy' });
    const s = await shell(l);
    const bad = (await s.run('show sdwan bfd sesions')).split('\n');
    expect(bad[1]).toBe(`${' '.repeat('edge1#show sdwan bfd '.length)}^`);
    expect(bad[2]).toBe("% Invalid input detected at '^' marker.");
    expect(await s.cmd('show crypto ipsec')).toMatch(/^% Incomplete command\.$/m);
    expect(await s.cmd('sh c')).toBe('% Ambiguous command: "sh c"');
    expect(await s.cmd('sh sdw bfd sess')).toMatch(/SYSTEM IP/);
    expect(await s.cmd('show logging | include no-such-text')).toBe('');
    expect(await s.cmd('show sdwan omp peers | exclude vsmart|routes|^$')).not.toMatch(/vsmart/);
    expect(await s.cmd('show version | begin Configuration register')).toBe(
      'Configuration register is 0x2102',
    );
  });

  it('config-transaction enters config mode minimally; end leaves it', async () => {
    const l = await lab({ scenario: 'healthy' });
    const s = await shell(l);
    expect(await s.run('config-transaction')).toMatch(/edge1\(config\)#$/);
    expect(await s.run('hostname x')).toMatch(/% Invalid input/);
    expect(await s.run('end')).toMatch(/\nedge1#$/);
  });

  it('exec channel: output then exit status 0 and close, like `ssh host show version`', async () => {
    const l = await lab({ scenario: 'healthy' });
    const res = await execOnce(l.routers[0]!, 'show version');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^Cisco IOS XE Software, Version/);
    expect(res.out).not.toMatch(/--More--|edge1#/);
    const bad = await execOnce(l.routers[0]!, 'show nothing');
    expect(bad.out).toMatch(/^ {5}\^\r\n% Invalid input detected at '\^' marker\./);
  });
});

describe('SSH server', () => {
  it('rejects a wrong password and accepts the configured one', async () => {
    const l = await lab({ user: 'netops', password: 's3cret' });
    await expect(connect(l.routers[0]!, { username: 'netops', password: 'wrong' })).rejects.toThrow(
      /authentication/i,
    );
    await expect(connect(l.routers[0]!, { username: 'admin', password: 's3cret' })).rejects.toThrow(
      /authentication/i,
    );
    const c = await connect(l.routers[0]!, { username: 'netops', password: 's3cret' });
    c.end();
  });

  it('public-key auth accepts an authorized key and refuses another', async () => {
    const good = ssh2.utils.generateKeyPairSync('ed25519');
    const other = ssh2.utils.generateKeyPairSync('ed25519');
    const l = await lab({ authorizedKeys: [good.public] });
    const c = await connect(l.routers[0]!, { privateKey: good.private });
    c.end();
    await expect(connect(l.routers[0]!, { privateKey: other.private })).rejects.toThrow(/authentication/i);
  });

  it('the host key is generated once per state dir and survives a restart; audit logs are JSON lines there', async () => {
    const dir = tmp();
    const first = await startLab({ port: 0, stateDir: dir, scenario: 'classic' });
    const fp = first.routers[0]!.fingerprint;
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    await execOnce(first.routers[0]!, 'clear crypto sa peer 10.40.40.1');
    await execOnce(first.routers[0]!, 'show clock');
    await first.close();
    const second = await lab({ port: 0, stateDir: dir });
    expect(second.routers[0]!.fingerprint).toBe(fp);
    expect(second.routers[0]!.hostKey).toBe(first.routers[0]!.hostKey);
    // the client sees that very key
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const c = new ssh2.Client();
      c.on('ready', () => {
        c.end();
        resolve();
      }).on('error', reject);
      c.connect({
        host: '127.0.0.1',
        port: second.routers[0]!.port,
        username: 'admin',
        password: 'admin',
        hostVerifier: (key: Buffer) => {
          seen = key.toString('base64');
          return true;
        },
      });
    });
    expect(second.routers[0]!.hostKey).toBe(`ssh-ed25519 ${seen}`);
    const lines = readFileSync(join(dir, 'audit', 'edge1.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x));
    expect(lines).toMatchObject([
      { router: 'edge1', session: 1, command: 'clear crypto sa peer 10.40.40.1', stateChanging: true },
      { router: 'edge1', session: 2, command: 'show clock', stateChanging: false },
    ]);
    expect(Number.isNaN(Date.parse(lines[0].at))).toBe(false);
    const other = await lab({ port: 0, stateDir: tmp() });
    expect(other.routers[0]!.fingerprint).not.toBe(fp);
  });

  it('refuses to listen beyond loopback and reports a port in use', async () => {
    for (const bind of ['0.0.0.0', '192.168.1.10', 'example.com', '::']) {
      await expect(startLab({ port: 0, bind })).rejects.toMatchObject({
        code: 'E_USAGE',
        message: expect.stringMatching(/loopback/),
      });
    }
    await expect(startLab({ port: 0, scenario: 'nope' as never })).rejects.toBeInstanceOf(RunbookError);
    const l = await lab();
    await expect(startLab({ port: l.routers[0]!.port })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/in use/),
    });
    const alt = await lab({ bind: '127.0.0.2' });
    expect(alt.routers[0]!.host).toBe('127.0.0.2');
    expect((await execOnce(alt.routers[0]!, 'show clock')).code).toBe(0);
  });
});

describe('enable secret (privilege 1 at login)', () => {
  const SECRET = 'Lab-En4ble-7';

  it('starts at edge1>, refuses privileged commands, and enable asks for the secret without echo', async () => {
    const l = await lab({ scenario: 'classic', device: { enableSecret: SECRET } });
    const r = l.routers[0]!;
    const s = await shell(l);
    expect(await s.run('show logging', /edge1>$/)).toContain('% Invalid input detected');
    await s.run('terminal length 0', /edge1>$/);
    expect(await s.run('show version', /edge1>$/)).toContain('Cisco IOS XE Software');
    s.write('enable\r');
    await s.until(/Password: $/);
    s.write('nope\r');
    expect(await s.until(/Password: $/)).not.toContain('nope');
    s.write(`${SECRET}\r`);
    const after = await s.until(/edge1[>#]$/);
    expect(after).toMatch(/edge1#$/);
    expect(after).not.toContain(SECRET);
    expect(await s.run('show logging')).toContain('RECVD_PKT_INV_SPI');
    expect(await s.run('disable', /edge1>$/)).toMatch(/edge1>$/);
    expect(r.audit().map((a) => a.command)).not.toContain(SECRET);
  });

  it('three wrong secrets end with % Bad secrets; with AAA one gets % Access denied', async () => {
    const local = await shell(await lab({ device: { enableSecret: SECRET } }));
    local.write('enable\r');
    for (let i = 0; i < 3; i++) {
      await local.until(/Password: $/);
      local.write('wrong\r');
    }
    expect((await local.until(/edge1>$/)).replace(/\r/g, '')).toContain('% Bad secrets');
    const aaa = await shell(await lab({ device: { enableSecret: SECRET, enableFailure: 'access-denied' } }));
    aaa.write('enable\r');
    await aaa.until(/Password: $/);
    aaa.write('wrong\r');
    expect((await aaa.until(/edge1>$/)).replace(/\r/g, '')).toContain('% Access denied');
  });

  it('runbook lab --enable-secret / --enable-aaa map to the device options', async () => {
    const { labOptions } = await import('../../src/cli/lab.js');
    const flags = {
      scenario: 'sdwan',
      count: '1',
      port: '0',
      bind: '127.0.0.1',
      stateDir: tmp(),
      user: 'admin',
      password: 'admin',
      pager: true,
      bfdDelay: '0',
    };
    expect(labOptions({ ...flags, enableSecret: SECRET, enableAaa: true }).device).toMatchObject({
      enableSecret: SECRET,
      enableFailure: 'access-denied',
    });
    expect(labOptions(flags).device!.enableSecret).toBeUndefined();
    await expect(lab({ device: { enableSecret: 'has space' } })).rejects.toThrow(/printable characters/);
  });
});
