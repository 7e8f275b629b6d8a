/**
 * A hostile IOS-like device on ssh2's Server: it misbehaves on purpose so tests can prove, from the
 * device's own log, that runbook sends nothing it did not mean to send. Login lands at `edge1#`;
 * every line typed and every key pressed while a command runs is logged (`log`), in order.
 *
 * Commands (anything else is `% Invalid input`):
 * - `terminal length 0`, `terminal width 0`, `show version`: as a real device;
 * - `show fake-prompt`: output with `edge1#` at the end of one SSH packet, more output in the next;
 * - `show pager-text`: output whose lines hold ` --More-- ` as text (paging is off);
 * - `show mode-change`: output, then the prompt comes back as `edge1(config)#` (config mode);
 * - `clear twice`: asks `[confirm]`, and once answered asks `[confirm]` again;
 * - `show echo <text>`: prints `echo: <text>` (a device that echoes what it was given);
 * - `show secret-echo`: prints `password is <password>` (the login password);
 * - `show huge <n>`: prints n MB of short lines as fast as it can, then the prompt;
 * - `show endless`: prints lines forever, until Ctrl-C;
 * - `show stall`: prints one line and then nothing, until Ctrl-C;
 * - `show redos`: prints `aaaa...a!` (a line made to make a backtracking regex explode).
 */
import ssh2 from 'ssh2';
import type { Connection, ServerChannel } from 'ssh2';
import { generateEd25519 } from '../../src/lab/hostkey.js';

function generateHostKey(): { privateKey: string; publicLine: string } {
  const k = generateEd25519(); // (ssh2 sometimes generates a key it cannot read back: this retries)
  return { privateKey: k.private, publicLine: k.public.trim().split(/\s+/).slice(0, 2).join(' ') };
}

const { Server } = ssh2;

export interface HostileDevice {
  host: '127.0.0.1';
  port: number;
  /** `ssh-ed25519 AAAA...` */
  hostKeyLine: string;
  hostname: string;
  password: string;
  /**
   * What the device received, in order: `line: <text>` for a line typed at the prompt, `key: <k>`
   * for a key pressed while a command ran (`^C`, `y`, `\n`, ` `), across sessions.
   */
  log: string[];
  /** Lines typed at the prompt only. */
  lines(): string[];
  close(): Promise<void>;
}

export interface HostileOptions {
  hostname?: string;
  password?: string;
}

const ESC: Record<string, string> = { '\x03': '^C', '\r': '\\n', '\n': '\\n' };

export async function startHostileDevice(o: HostileOptions = {}): Promise<HostileDevice> {
  const hostname = o.hostname ?? 'edge1';
  const password = o.password ?? 'hostile-pw';
  const key = generateHostKey();
  const conns = new Set<Connection>();
  const dev: HostileDevice = {
    host: '127.0.0.1',
    port: 0,
    hostKeyLine: key.publicLine,
    hostname,
    password,
    log: [],
    lines: () => dev.log.filter((l) => l.startsWith('line: ')).map((l) => l.slice(6)),
    close: () => Promise.resolve(),
  };
  const server = new Server({ hostKeys: [key.privateKey] }, (client) => {
    conns.add(client);
    client.on('close', () => conns.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && ctx.password === password) return ctx.accept();
      if (ctx.method === 'keyboard-interactive')
        return ctx.prompt([{ prompt: 'Password: ', echo: false }], (a) =>
          a[0] === password ? ctx.accept() : ctx.reject(['password', 'keyboard-interactive']),
        );
      ctx.reject(['password', 'keyboard-interactive']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('pty', (ok) => ok?.());
        session.on('shell', (ok) => shell(ok(), dev));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dev.port = (server.address() as { port: number }).port;
  dev.close = () =>
    new Promise<void>((resolve) => {
      for (const c of conns) c.end();
      server.close(() => resolve());
    });
  return dev;
}

function shell(stream: ServerChannel, dev: HostileDevice): void {
  let config = false;
  let line = '';
  let lastWasCr = false;
  /** While a command runs, keys go here (after being logged). */
  let onKey: ((k: string) => void) | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  stream.on('close', () => {
    for (const t of timers) clearTimeout(t);
  });
  const write = (s: string): boolean => (stream.writable ? stream.write(s) : false);
  const prompt = (): void => {
    onKey = undefined;
    write(`\r\n${dev.hostname}${config ? '(config)' : ''}#`);
  };
  /** Ctrl-C ends the running command; other keys are ignored. */
  const untilCtrlC = (stop: () => void = () => undefined): void => {
    onKey = (k) => {
      if (k !== '\x03') return;
      stop();
      write('^C');
      prompt();
    };
  };

  const exec = (cmd: string): void => {
    onKey = () => undefined;
    const c = cmd.trim();
    if (c === '' || c === 'terminal length 0' || c === 'terminal width 0') return prompt();
    if (c === 'show version') {
      write(`${dev.hostname} uptime is 3 days\r\nCisco IOS XE Software, Version 17.9.4a\r\n`);
      return prompt();
    }
    if (c === 'show fake-prompt') {
      // two SSH packets: the first ends with the prompt text
      write(`first part\r\n${dev.hostname}#`);
      write('\r\nsecond part\r\n');
      return later(30, prompt);
    }
    if (c === 'show pager-text') {
      write('log: --More-- is only text here\r\n --More-- \r\nend of text\r\n');
      return prompt();
    }
    if (c === 'show mode-change') {
      write('entering configuration mode behind your back\r\n');
      config = true;
      return prompt();
    }
    if (c === 'clear twice') {
      const ask = (n: number): void => {
        write('Clear everything? [confirm]');
        onKey = (k) => {
          if (k === '\x03') {
            write('^C');
            return prompt();
          }
          write('\r\n');
          if (n === 1) ask(2);
          else {
            write('cleared twice\r\n');
            prompt();
          }
        };
      };
      return ask(1);
    }
    if (c.startsWith('show echo ')) {
      write(`echo: ${c.slice('show echo '.length)}\r\n`);
      return prompt();
    }
    if (c === 'show secret-echo') {
      write(`password is ${dev.password}\r\n`);
      return prompt();
    }
    const huge = /^show huge (\d+)$/.exec(c);
    if (huge) {
      let left = Number(huge[1]) * 1024 * 1024;
      const block = 'x'.repeat(99) + '\r\n';
      const chunk = block.repeat(300);
      let stopped = false;
      untilCtrlC(() => (stopped = true));
      const pump = (): void => {
        while (!stopped && left > 0) {
          left -= chunk.length;
          if (!write(chunk)) return void stream.once('drain', pump);
        }
        if (!stopped) prompt();
      };
      return pump();
    }
    if (c === 'show endless') {
      let stopped = false;
      untilCtrlC(() => (stopped = true));
      const chunk = 'endless output line\r\n'.repeat(200);
      const pump = (): void => {
        while (!stopped) if (!write(chunk)) return void stream.once('drain', pump);
      };
      return pump();
    }
    if (c === 'show stall') {
      write('working...\r\n');
      return untilCtrlC();
    }
    if (c === 'show redos') {
      write(`${'a'.repeat(40)}!\r\n`);
      return prompt();
    }
    write(`${' '.repeat(c.indexOf(' ') + 8)}^\r\n% Invalid input detected at '^' marker.\r\n`);
    prompt();
  };

  stream.on('data', (d: Buffer) => {
    for (const k of d.toString('utf8')) {
      if (onKey) {
        dev.log.push(`key: ${ESC[k] ?? k}`);
        onKey(k);
        continue;
      }
      if (k === '\r' || k === '\n') {
        if (k === '\n' && line === '' && lastWasCr) {
          lastWasCr = false;
          continue;
        }
        lastWasCr = k === '\r';
        const cmd = line;
        line = '';
        dev.log.push(`line: ${cmd}`);
        write('\r\n');
        exec(cmd);
      } else if (k === '\x03') {
        dev.log.push('key: ^C');
        line = '';
        prompt();
      } else {
        line += k;
        write(k);
      }
    }
  });
  write('\r\nauthorised use only\r\n');
  prompt();
}
