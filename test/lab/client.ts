/**
 * A plain ssh2 client for driving the lab in tests (deliberately not the engine's transport):
 * exec a command, or open an interactive shell and wait for text.
 */
import ssh2 from 'ssh2';
import type { LabRouter } from '../../src/lab/index.js';

const { Client } = ssh2;
type ClientT = InstanceType<typeof Client>;

export interface Login {
  username?: string;
  password?: string;
  privateKey?: string;
}

export function connect(r: Pick<LabRouter, 'host' | 'port'>, login: Login = {}): Promise<ClientT> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once('ready', () => resolve(c));
    // errors after login (the lab closing, a dropped session) surface as 'close'
    c.on('error', reject);
    c.connect({
      host: r.host,
      port: r.port,
      username: login.username ?? 'admin',
      ...(login.privateKey ? { privateKey: login.privateKey } : { password: login.password ?? 'admin' }),
      readyTimeout: 10_000,
    });
  });
}

/** `ssh host 'command'`: stdout and exit status; `stdin` is written then closed. */
export async function execOnce(
  r: Pick<LabRouter, 'host' | 'port'>,
  command: string,
  stdin?: string,
): Promise<{ out: string; code: number | null }> {
  const c = await connect(r);
  try {
    return await new Promise((resolve, reject) => {
      c.exec(command, (err, ch) => {
        if (err) return reject(err);
        let out = '';
        let code: number | null = null;
        ch.on('data', (d: Buffer) => (out += d.toString()));
        ch.on('exit', (n: number | null) => (code = n));
        ch.on('close', () => resolve({ out, code }));
        if (stdin !== undefined) ch.end(stdin);
      });
    });
  } finally {
    c.end();
  }
}

export class Shell {
  buf = '';
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly client: ClientT,
    readonly ch: ssh2.ClientChannel,
  ) {
    ch.on('data', (d: Buffer) => {
      this.buf += d.toString();
      this.wake();
    });
    ch.on('close', () => {
      this.closed = true;
      this.wake();
    });
    client.on('error', () => {
      this.closed = true;
      this.wake();
    });
    client.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(r: Pick<LabRouter, 'host' | 'port'>, login: Login = {}): Promise<Shell> {
    const c = await connect(r, login);
    const ch = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
      c.shell({ term: 'vt100', rows: 24, cols: 200 }, (err, ch) => (err ? reject(err) : resolve(ch))),
    );
    const sh = new Shell(c, ch);
    // `>`: a router with an enable secret starts at user EXEC
    await sh.until(/[#>]$/);
    sh.buf = '';
    return sh;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait until the buffer matches; returns and consumes the buffer. */
  async until(re: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.buf)) {
      if (this.closed) throw new Error(`session closed before ${re}; got: ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; got: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const out = this.buf;
    this.buf = '';
    return out;
  }

  /** Wait for the session to end (closed by the device or dropped). */
  async gone(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('session still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  write(data: string): void {
    this.ch.write(data);
  }

  /** Send a command line; returns the text up to and including the next prompt, with CRs removed. */
  async run(line: string, prompt = /[\w-]+(\(config\))?#$/): Promise<string> {
    this.write(`${line}\r`);
    const raw = await this.until(prompt);
    return raw.replace(/\r/g, '');
  }

  /** Output of a command: echo line and trailing prompt removed. */
  async cmd(line: string): Promise<string> {
    const text = await this.run(line);
    const lines = text.split('\n');
    return lines.slice(1, -1).join('\n');
  }

  close(): void {
    this.client.end();
  }
}
