/**
 * An IOS-like router for shell-transport tests: the mock device model
 * test/testing/fixtures/ios-shell.yaml served over SSH by the lab (password and keyboard-interactive
 * login, PTY shell with echo, paging, dialogs, slow and hanging commands, drops), with knobs for
 * the failure cases expressed as model changes. Also a TCP server that never speaks.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { parseDeviceModel } from '../../src/lab/device-model-load.js';
import type { DeviceModel } from '../../src/lab/device-model.js';
import { startLab, type LabRouter } from '../../src/lab/index.js';

const MODEL = new URL('../testing/fixtures/ios-shell.yaml', import.meta.url).pathname;

export interface IosDeviceOptions {
  /** `terminal length 0` is refused (SD-WAN images); `screen-length 0` works. */
  refuseTerminalLength?: boolean;
  /** Login lands in configuration mode. */
  configModeAtLogin?: boolean;
  /** The prompt only shows after a newline is sent. */
  promptOnEnter?: boolean;
  /** No prompt at all after login. */
  noPrompt?: boolean;
  /** Never answer authentication requests. */
  hangAuth?: boolean;
  /** Login password of user admin (default cisco123). */
  password?: string;
}

export interface IosDevice {
  port: number;
  /** `ssh-ed25519 AAAA...` */
  hostKeyLine: string;
  /** Non-empty lines received, in order, across sessions. */
  readonly commands: string[];
  /** Keys that answered dialogs (`y`, `\\n`, `^C`). */
  readonly answers: string[];
  /** Sessions that sent something. */
  readonly logins: number;
  dropSessions(): void;
  close(): Promise<void>;
}

export function iosModel(o: IosDeviceOptions = {}): DeviceModel {
  const m = parseDeviceModel(readFileSync(MODEL, 'utf8'), MODEL);
  const login = { ...m.login };
  if (o.configModeAtLogin) login.mode = 'config';
  if (o.promptOnEnter) login.prompt = 'on-enter';
  if (o.noPrompt) login.prompt = 'never';
  const refuse = parseDeviceModel(
    'device: R1\ncommands:\n  - {command: terminal length 0, error: invalid}\n',
    'refuse',
  );
  return { ...m, login, commands: [...(o.refuseTerminalLength ? refuse.commands : []), ...m.commands] };
}

export async function startIosDevice(o: IosDeviceOptions = {}): Promise<IosDevice> {
  const lab = await startLab({
    model: iosModel(o),
    port: 0,
    user: 'admin',
    password: o.password ?? 'cisco123',
    ...(o.hangAuth ? { hangAuth: true } : {}),
  });
  const r: LabRouter = lab.routers[0]!;
  return {
    port: r.port,
    hostKeyLine: r.hostKey.trim().split(/\s+/).slice(0, 2).join(' '),
    get commands() {
      return r.audit().map((a) => a.command);
    },
    get answers() {
      return r.audit().flatMap((a) => a.answers ?? []);
    },
    get logins() {
      return new Set(r.audit().map((a) => a.session)).size;
    },
    dropSessions: () => r.dropSessions(),
    close: () => lab.close(),
  };
}

/** A TCP server that accepts connections and never says a word (connect-phase timeouts). */
export async function startSilentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: NetServer = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}
