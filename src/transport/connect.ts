/**
 * One SSH connection (one hop): TCP (or a forwarded stream from the previous hop), key exchange with
 * host key verification, authentication. Connect and auth timeouts are separate timers; ssh2's own
 * readyTimeout is off. Resolves with a logged-in ssh2 Client, or rejects with a RunbookError:
 * E_CONNECT, E_TIMEOUT (phase connect/auth), E_HOSTKEY_UNKNOWN/CHANGED, E_AUTH.
 */
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as ClientT, ConnectConfig } from 'ssh2';
import { RunbookError } from '../errors.js';
import { authError, makeAuthHandler, newAuthRecord, type AuthConfig } from './auth.js';
import { verifyHostKey, type HostKeyPolicy } from './hostkey.js';
import { knownKeyTypes, readKnownHosts } from './knownhosts.js';
import { quoteTail, redact, WireTail } from './redact.js';
import { timeoutError, type Timeouts } from './timeouts.js';

const { Client } = ssh2;
export type SshClient = ClientT;

export interface HopSpec {
  /** Shown in messages, e.g. `r1 (127.0.0.1:2222)`. */
  label: string;
  host: string;
  port: number;
  auth: AuthConfig;
}

export interface ConnectContext {
  knownHostsFile: string;
  policy: HostKeyPolicy;
  timeouts: Pick<Timeouts, 'connectMs' | 'authMs'>;
  keepaliveMs: number;
  /** Redacted from every message; secrets typed during auth are appended. */
  secrets: string[];
}

/** Host key algorithms ssh2 offers, by the key type known_hosts records for them. */
const ALGOS_BY_KEY_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export function hostLabel(name: string, host: string, port: number): string {
  const where = `${host}:${port}`;
  return name === host || name === where || name === `[${host}]:${port}` ? where : `${name} (${where})`;
}

function connectError(label: string, err: NodeJS.ErrnoException, secrets: string[]): RunbookError {
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: 'no such host name',
    EAI_AGAIN: 'the host name could not be resolved',
    ECONNRESET: 'connection reset by the server',
  };
  return new RunbookError(
    'E_CONNECT',
    redact(`cannot connect to ${label}: ${why[err.code ?? ''] ?? err.message}`, secrets),
    {
      hint: 'check the address and port (--port, ssh config Port), that SSH is enabled on the host, and that no firewall is in the way',
    },
  );
}

/** Connects one hop; `sock` is the stream forwarded by the previous hop, if any. */
export function connectHop(spec: HopSpec, ctx: ConnectContext, sock?: Duplex): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const tail = new WireTail();
    const rec = newAuthRecord();
    const client = new Client();
    const stream: Duplex = sock ?? netConnect({ host: spec.host, port: spec.port });
    let phase: 'connect' | 'auth' = 'connect';
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const secrets = (): string[] => [...ctx.secrets, ...rec.secrets];

    const fail = (err: RunbookError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.secrets.push(...rec.secrets);
      client.end();
      stream.destroy();
      reject(err);
    };
    const arm = (): void => {
      clearTimeout(timer);
      const ms = phase === 'connect' ? ctx.timeouts.connectMs : ctx.timeouts.authMs;
      const waitingFor =
        phase === 'connect' ? 'the SSH server greeting and host key' : 'the server to accept the login';
      timer = setTimeout(
        () =>
          fail(
            timeoutError({
              phase,
              ms,
              label: spec.label,
              waitingFor,
              lastBytes: '',
              described: tail.describe((t) => quoteTail(t, secrets())),
              secrets: secrets(),
            }),
          ),
        ms,
      );
    };

    const known = knownKeyTypes(readKnownHosts(ctx.knownHostsFile), spec.host, spec.port);
    const prefer = known.flatMap((t) => ALGOS_BY_KEY_TYPE[t] ?? []);
    const config: ConnectConfig = {
      sock: stream as ConnectConfig['sock'],
      username: spec.auth.user,
      readyTimeout: 0,
      keepaliveInterval: ctx.keepaliveMs,
      keepaliveCountMax: 3,
      ...(prefer.length > 0 ? { algorithms: { serverHostKey: { prepend: prefer } as never } } : {}),
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        try {
          verifyHostKey({
            file: ctx.knownHostsFile,
            policy: ctx.policy,
            host: spec.host,
            port: spec.port,
            label: spec.label,
            key,
          });
        } catch (e) {
          fail(e as RunbookError);
          verify(false);
          return;
        }
        phase = 'auth';
        arm();
        verify(true);
      },
      authHandler: makeAuthHandler(
        { ...spec.auth, onAsk: (asking) => (asking ? clearTimeout(timer) : arm()) },
        rec,
      ),
    };

    stream.on('data', (d: Buffer) => tail.push(d));
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.secrets.push(...rec.secrets);
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (
        err.level === 'client-authentication' &&
        /all configured authentication methods failed/i.test(err.message)
      ) {
        fail(authError(spec.label, spec.auth.user, rec));
      } else if (err.level === 'agent') {
        rec.notes.push(
          `ssh-agent ${spec.auth.agent ?? ''} could not be used (${redact(err.message, secrets())})`,
        );
      } else if (err.level === 'client-authentication') {
        rec.notes.push(redact(err.message, secrets()));
      } else {
        fail(connectError(spec.label, err, secrets()));
      }
    });
    client.on('close', () => {
      fail(
        new RunbookError(
          'E_CONNECT',
          `${spec.label} closed the connection during ${phase === 'connect' ? 'key exchange' : 'authentication'}; last bytes received: ${tail.describe((t) => quoteTail(t, secrets()))}`,
          {
            hint:
              phase === 'connect'
                ? 'check that the port leads to an SSH server and that it accepts our key exchange algorithms'
                : 'the server may limit login attempts or sessions; check its logs',
          },
        ),
      );
    });

    arm();
    if (sock) {
      client.connect(config);
    } else {
      stream.once('error', (e: NodeJS.ErrnoException) => fail(connectError(spec.label, e, secrets())));
      stream.once('connect', () => client.connect(config));
    }
  });
}

/** Opens a direct-tcpip channel through `via` to host:port (the next hop's `sock`). */
export function forwardTo(
  via: SshClient,
  viaLabel: string,
  host: string,
  port: number,
  ms: number,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new RunbookError(
          'E_TIMEOUT',
          `connect timeout: jump host ${viaLabel} did not open a channel to ${host}:${port} within ${ms} ms`,
          {
            hint: 'check that the jump host can reach the next hop',
          },
        ),
      );
    }, ms);
    via.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
      clearTimeout(timer);
      if (err) {
        reject(
          new RunbookError(
            'E_CONNECT',
            `jump host ${viaLabel} could not connect to ${host}:${port}: ${err.message}`,
            {
              hint: 'check the ProxyJump chain and that the jump host may forward TCP (AllowTcpForwarding)',
            },
          ),
        );
      } else resolve(ch);
    });
  });
}
