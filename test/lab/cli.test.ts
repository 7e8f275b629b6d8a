/**
 * `runbook lab` as a program (the built dist/, as `npm test` builds it first): prints each router's
 * address, credentials, fingerprint and ssh line, serves until SIGTERM, then exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execOnce } from './client.js';
import { needTool } from '../helpers/tools.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'runbook-lab-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[]): {
  p: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
} {
  const p = spawn(process.execPath, [MAIN, 'lab', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  return { p, out: () => out, err: () => err, exit };
}

async function waitFor(get: () => string, re: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(get())) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${re}: ${get()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(needTool(existsSync(MAIN), 'the built CLI (npm run build)'))('runbook lab (CLI)', () => {
  it('prints routers with credentials, fingerprint and an ssh line; SIGTERM stops it with exit 0', async () => {
    const lab = start([
      '--port',
      '0',
      '--count',
      '2',
      '--scenario',
      'classic,sdwan',
      '--state-dir',
      dir,
      '--user',
      'ops',
      '--password',
      'pw',
      '--bfd-delay',
      '100',
    ]);
    await waitFor(lab.out, /Press Ctrl-C to stop/);
    const routers = [
      ...lab
        .out()
        .matchAll(
          /^(\S+) +127\.0\.0\.1 port (\d+) +scenario (\S+) +user ops password pw +fingerprint (SHA256:\S+)$/gm,
        ),
    ];
    expect(routers.map((m) => [m[1], m[3]])).toEqual([
      ['edge1', 'classic'],
      ['edge2', 'sdwan'],
    ]);
    for (const m of routers) expect(lab.out()).toContain(`ssh -p ${m[2]} ops@127.0.0.1`);
    expect(existsSync(join(dir, 'ssh_host_ed25519_key'))).toBe(true);
    lab.p.kill('SIGTERM');
    expect(await lab.exit).toBe(0);
    expect(lab.out()).toMatch(/stopped/);
  });

  it('serves real sessions until SIGINT', async () => {
    const lab = start(['--port', '0', '--scenario', 'healthy', '--state-dir', dir]);
    await waitFor(lab.out, /Press Ctrl-C/);
    const port = Number(/port (\d+)/.exec(lab.out())![1]);
    const res = await execOnce({ host: '127.0.0.1', port }, 'show clock');
    expect(res.code).toBe(0);
    lab.p.kill('SIGINT');
    expect(await lab.exit).toBe(0);
  });

  it('bad flags are usage errors (exit 2) with a hint, no stack trace', async () => {
    for (const args of [
      ['--bind', '0.0.0.0'],
      ['--scenario', 'broken'],
      ['--count', 'x'],
    ]) {
      const lab = start(['--port', '0', '--state-dir', dir, ...args]);
      expect(await lab.exit).toBe(2);
      expect(lab.err()).toMatch(/^error: .+\nhint: .+/);
      expect(lab.err()).not.toMatch(/\n\s+at /);
    }
  });
  it('refuses --device with --scenario (exit 2), rather than serving the device and ignoring the scenario', async () => {
    const lab = start([
      '--device',
      'examples/devices/iosxe-router.yaml',
      '--scenario',
      'classic',
      '--port',
      '0',
    ]);
    expect(await lab.exit).toBe(2);
    expect(lab.err()).toMatch(/--device <file>' cannot be used with option '--scenario/);
    expect(lab.out()).not.toMatch(/port \d+/);
  });
});
