/**
 * The SSH side of one emulated router: a TCP listener on loopback whose sockets are handed to an
 * ssh2 Server. Password, keyboard-interactive and public-key auth; `shell` (with or without a PTY)
 * and `exec` channels each get a CliSession. Dropping a session destroys its TCP socket, as a
 * transport flap would.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import ssh2, { type AuthContext, type Connection, type ParsedKey, type ServerChannel } from 'ssh2';
import type { DeviceBehaviour } from './behaviour.js';
import { CliSession, type AuditOutcome } from './session.js';

const { Server } = ssh2;

/** IOS XE announces itself like this; some clients key behaviour off it. */
const IDENT = 'SSH-2.0-Cisco-1.25';

export interface Credentials {
  user: string;
  password: string;
  authorizedKeys: ParsedKey[];
}

export interface RouterServerOptions {
  hostname: string;
  bind: string;
  port: number;
  hostKey: string;
  credentials: Credentials;
  /** What the device knows (prompts, commands, state); shared by every session of this router. */
  behaviour: DeviceBehaviour;
  audit(entry: {
    at: number;
    session: number;
    command: string;
    stateChanging: boolean;
    outcome: AuditOutcome;
    answers?: string[];
  }): void;
  /** Never answer a login (a device that hangs in authentication, for timeout tests). */
  hangAuth?: boolean;
}

export interface RouterServer {
  port: number;
  /** Destroy every open connection. */
  dropAll(): void;
  close(): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  const h = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

function authenticate(ctx: AuthContext, creds: Credentials): void {
  const userOk = sameSecret(ctx.username, creds.user);
  const methods: ('password' | 'publickey' | 'keyboard-interactive')[] = [
    'publickey',
    'keyboard-interactive',
    'password',
  ];
  if (ctx.method === 'password') {
    if (userOk && sameSecret(ctx.password, creds.password)) ctx.accept();
    else ctx.reject(methods);
  } else if (ctx.method === 'keyboard-interactive') {
    ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => {
      if (userOk && sameSecret(answers[0] ?? '', creds.password)) ctx.accept();
      else ctx.reject(methods);
    });
  } else if (ctx.method === 'publickey') {
    const key = creds.authorizedKeys.find(
      (k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data),
    );
    if (!userOk || !key) ctx.reject(methods);
    else if (!ctx.signature) ctx.accept();
    else if (ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) ctx.accept();
    else ctx.reject(methods);
  } else {
    ctx.reject(methods);
  }
}

export async function serveRouter(o: RouterServerOptions): Promise<RouterServer> {
  const sockets = new Set<Socket>();
  /** Remote port -> socket, to find the socket of an ssh2 connection. */
  const byPeer = new Map<string, Socket>();
  let sessions = 0;

  const ssh = new Server({ hostKeys: [o.hostKey], ident: IDENT }, (client: Connection, info) => {
    const socket = byPeer.get(`${info.ip}:${info.port}`);
    client.on('error', () => socket?.destroy());
    client.on('authentication', (ctx) => {
      if (!o.hangAuth) authenticate(ctx, o.credentials);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const s = acceptSession();
        // IOS behaves the same with or without a PTY; window size is ignored (no wrapping)
        s.on('pty', (accept) => accept?.());
        s.on('window-change', (accept) => accept?.());
        s.on('env', (accept) => accept?.());
        const open = (channel: ServerChannel, interactive: boolean): CliSession => {
          const id = ++sessions;
          let closed = false;
          const session = new CliSession({
            behaviour: o.behaviour,
            interactive,
            audit: (e) => o.audit({ ...e, session: id }),
            io: {
              write: (text) => {
                if (!closed) channel.write(text);
              },
              close: (exitCode) => {
                if (closed) return;
                closed = true;
                channel.exit(exitCode ?? 0);
                channel.end();
              },
              drop: () => {
                closed = true;
                socket?.destroy();
              },
            },
          });
          channel.on('data', (d: Buffer) => session.input(d.toString('utf8')));
          channel.on('error', () => undefined);
          // end of the client's input: like a shell reading EOF, the session ends
          const finish = (): void => {
            session.end();
            if (!closed) {
              closed = true;
              channel.exit(0);
              channel.end();
            }
          };
          channel.on('end', finish);
          channel.on('close', () => {
            closed = true;
            session.end();
          });
          return session;
        };
        s.on('shell', (accept) => {
          open(accept(), true).start();
        });
        s.on('exec', (accept, _reject, info) => {
          open(accept(), false).exec(info.command);
        });
      });
    });
  });
  ssh.on('error', () => undefined);

  const net: NetServer = createServer((socket) => {
    // IOS sends without Nagle's algorithm unless `service nagle` is configured; with it, each
    // command's echo/output/prompt writes would wait ~40 ms for the client's delayed ACK.
    socket.setNoDelay(true);
    sockets.add(socket);
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    byPeer.set(key, socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      byPeer.delete(key);
    });
    ssh.injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(o.port, o.bind, () => {
      net.off('error', reject);
      resolve();
    });
  });
  const address = net.address();
  const port = typeof address === 'object' && address ? address.port : o.port;

  return {
    port,
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        net.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
