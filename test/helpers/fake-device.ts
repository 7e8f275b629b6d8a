/**
 * A tiny IOS-like device on ssh2's Server, for shell-mode transport tests (until and beside the lab):
 * password and keyboard-interactive login, a PTY shell that echoes input, `R1#` prompt, paging with
 * ` --More-- ` erased by backspaces, `[confirm]` dialogs, `% Invalid input` errors, ANSI colour,
 * slow and hanging commands, session drops, and knobs for the failure cases.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel } from 'ssh2';
import { generateEd25519 } from '../../src/lab/hostkey.js';

const { Server, utils } = ssh2;

export interface FakeDeviceOptions {
  hostname?: string;
  user?: string;
  password?: string;
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
  /** Lines per page when paging is on. */
  pageLines?: number;
  /** Host key (OpenSSH private key text); generated when absent. */
  hostKey?: string;
}

export interface FakeDevice {
  host: '127.0.0.1';
  port: number;
  /** `ssh-ed25519 AAAA...` */
  hostKeyLine: string;
  hostKeyPrivate: string;
  /** Commands received, in order, across sessions. */
  commands: string[];
  /** Answers given to dialogs (`y`, `\n`, `^C`). */
  answers: string[];
  logins: number;
  dropSessions(): void;
  close(): Promise<void>;
}

export function generateHostKey(): { privateKey: string; publicLine: string } {
  const k = generateEd25519(); // (ssh2 sometimes generates a key it cannot read back)
  return { privateKey: k.private, publicLine: k.public.trim().split(/\s+/).slice(0, 2).join(' ') };
}

const LONG = Array.from(
  { length: 60 },
  (_, i) => `line ${String(i + 1).padStart(2, '0')} of the long output`,
);

export async function startFakeDevice(o: FakeDeviceOptions = {}): Promise<FakeDevice> {
  const hostname = o.hostname ?? 'R1';
  const user = o.user ?? 'admin';
  const password = o.password ?? 'cisco123';
  const key = o.hostKey ? { privateKey: o.hostKey, publicLine: pubFromPriv(o.hostKey) } : generateHostKey();
  const conns = new Set<Connection>();
  const dev: FakeDevice = {
    host: '127.0.0.1',
    port: 0,
    hostKeyLine: key.publicLine,
    hostKeyPrivate: key.privateKey,
    commands: [],
    answers: [],
    logins: 0,
    dropSessions: () => {
      for (const c of conns) c.end();
    },
    close: () => Promise.resolve(),
  };

  const server = new Server({ hostKeys: [key.privateKey] }, (client) => {
    conns.add(client);
    client.on('close', () => conns.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (o.hangAuth) return;
      if (ctx.username !== user) return ctx.reject(['password', 'keyboard-interactive']);
      if (ctx.method === 'password')
        return ctx.password === password ? ctx.accept() : ctx.reject(['password', 'keyboard-interactive']);
      if (ctx.method === 'keyboard-interactive') {
        return ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) =>
          answers[0] === password ? ctx.accept() : ctx.reject(['password', 'keyboard-interactive']),
        );
      }
      ctx.reject(['password', 'keyboard-interactive']);
    });
    client.on('ready', () => {
      dev.logins++;
      client.on('session', (accept) => {
        const session = accept();
        session.on('pty', (ok) => ok?.());
        session.on('shell', (ok) => shell(ok(), o, hostname, dev));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dev.port = (server.address() as { port: number }).port;
  dev.close = () =>
    new Promise<void>((resolve) => {
      dev.dropSessions();
      server.close(() => resolve());
    });
  return dev;
}

function pubFromPriv(priv: string): string {
  const k = utils.parseKey(priv);
  if (k instanceof Error) throw k;
  const parsed = Array.isArray(k) ? k[0]! : k;
  return `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
}

function shell(stream: ServerChannel, o: FakeDeviceOptions, hostname: string, dev: FakeDevice): void {
  let paging = true;
  let configMode = o.configModeAtLogin ?? false;
  let line = '';
  /** A pending question: the next keystroke answers it. */
  let question: ((key: string) => void) | undefined;
  let pager: (() => void) | undefined;
  let busy = false;
  const pageLines = o.pageLines ?? 23;
  const prompt = (): string => `${hostname}${configMode ? '(config)' : ''}#`;
  const write = (s: string): void => {
    if (stream.writable) stream.write(s);
  };
  const showPrompt = (): void => {
    busy = false;
    write(`\r\n${prompt()}`);
  };

  const printLines = (lines: string[], done: () => void): void => {
    let i = 0;
    const next = (): void => {
      let shown = 0;
      while (i < lines.length) {
        write(`${lines[i++]}\r\n`);
        shown++;
        if (paging && shown >= pageLines && i < lines.length) {
          write(' --More-- ');
          pager = () => {
            write('\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b');
            next();
          };
          return;
        }
      }
      done();
    };
    next();
  };

  const confirm = (text: string, onYes: () => void): void => {
    write(text);
    question = (k) => {
      dev.answers.push(k === '\x03' ? '^C' : k === '\r' || k === '\n' ? '\\n' : k);
      if (k === '\x03') {
        write('^C');
        return showPrompt();
      }
      write('\r\n');
      if (k === '\r' || k === '\n' || k === 'y') onYes();
      else showPrompt();
    };
  };

  const exec = (cmd: string): void => {
    dev.commands.push(cmd);
    busy = true;
    const c = cmd.trim();
    if (c === '') return showPrompt();
    if (c === 'terminal length 0') {
      if (o.refuseTerminalLength) {
        write("                ^\r\n% Invalid input detected at '^' marker.\r\n");
      } else paging = false;
      return showPrompt();
    }
    if (c === 'screen-length 0') {
      paging = false;
      return showPrompt();
    }
    if (c === 'terminal width 0') return showPrompt();
    if (c === 'show long') return printLines(LONG, showPrompt);
    if (c === 'show version')
      return printLines(
        [`${hostname} uptime is 1 week`, 'Cisco IOS XE Software, Version 17.9.4a'],
        showPrompt,
      );
    if (c === 'show color') {
      write('\x1b[1mbold\x1b[0m and \x1b[32mgreen\x1b[0m\r\n');
      return showPrompt();
    }
    if (c === 'show fake-prompt') {
      write('a line that looks like a prompt:\r\nR9#');
      setTimeout(() => {
        write('\r\nmore after it\r\n');
        showPrompt();
      }, 50);
      return;
    }
    if (c === 'clear counters') {
      return confirm('Clear "show interface" counters on all interfaces [confirm]', () => {
        write('cleared\r\n');
        showPrompt();
      });
    }
    if (c === 'copy running-config startup-config') {
      write('Destination filename [startup-config]? ');
      question = (k) => {
        dev.answers.push(k === '\r' || k === '\n' ? '\\n' : k);
        if (k === '\x03') {
          write('^C');
          return showPrompt();
        }
        if (k !== '\r' && k !== '\n') return;
        write('\r\nBuilding configuration...\r\n[OK]\r\n');
        showPrompt();
      };
      return;
    }
    if (c.startsWith('reload')) return confirm('Proceed with reload? [confirm]', () => showPrompt());
    if (c === 'show slow') {
      let n = 0;
      const t = setInterval(() => {
        write(`slow ${++n}\r\n`);
        if (n === 5) {
          clearInterval(t);
          showPrompt();
        }
      }, 60);
      return;
    }
    if (c.startsWith('show hang')) {
      write('starting...\r\n');
      question = (k) => {
        if (k === '\x03') {
          write('^C');
          showPrompt();
        }
      };
      return;
    }
    if (c === 'show forever') {
      const t = setInterval(() => write('tick\r\n'), 30);
      question = (k) => {
        if (k === '\x03') {
          clearInterval(t);
          write('^C');
          showPrompt();
        }
      };
      return;
    }
    if (c === 'drop') {
      stream.close();
      return;
    }
    if (c === 'end') {
      configMode = false;
      return showPrompt();
    }
    write(
      `${' '.repeat(prompt().length + c.indexOf(' ') + 1)}^\r\n% Invalid input detected at '^' marker.\r\n`,
    );
    showPrompt();
  };

  stream.on('data', (d: Buffer) => {
    for (const k of d.toString('utf8')) {
      if (pager) {
        const p = pager;
        pager = undefined;
        if (k === ' ') p();
        continue;
      }
      if (question) {
        const q = question;
        question = undefined;
        q(k);
        continue;
      }
      if (busy) continue;
      if (k === '\r' || k === '\n') {
        if (k === '\n' && line === '' && lastWasCr) {
          lastWasCr = false;
          continue;
        }
        lastWasCr = k === '\r';
        const cmd = line;
        line = '';
        write('\r\n');
        if (o.noPrompt) continue;
        exec(cmd);
      } else if (k === '\x03') {
        line = '';
        showPrompt();
      } else {
        line += k;
        write(k);
      }
    }
  });
  let lastWasCr = false;
  write('\r\n\r\nUser Access Verification banner: authorised use only #\r\n');
  if (!o.promptOnEnter && !o.noPrompt) write(`\r\n${prompt()}`);
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
