/**
 * The SSH transport: one connection per host for a whole run (through ProxyJump hops when the ssh
 * config says so), keepalives, and either an interactive PTY shell (profile.session = 'shell') or one
 * exec channel per command ('exec'). `reconnect()` drops everything and opens again. Secrets (the
 * password, passphrase, typed answers and `secrets`) never appear in errors or transcripts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import type { PlatformProfile } from '../platforms/types.js';
import { identityCandidates } from './auth.js';
import {
  connectHop,
  forwardTo,
  hostLabel,
  type ConnectContext,
  type HopSpec,
  type SshClient,
} from './connect.js';
import { runExec } from './exec.js';
import type { HostKeyPolicy } from './hostkey.js';
import { raisePrivilege, type PrivilegeOptions } from './privilege.js';
import { ShellSession } from './shell.js';
import { expandPath, localUser, resolveHostConfig } from './sshconfig.js';
import { DEFAULT_TIMEOUTS, type Timeouts } from './timeouts.js';
import type { TranscriptWriter } from './transcript.js';
import type { CommandResult, RunOptions, TargetHost, Transport } from './types.js';

export type { HostKeyPolicy } from './hostkey.js';
export type { PrivilegeOptions } from './privilege.js';
export type { Timeouts } from './timeouts.js';

export interface SshOptions {
  target: TargetHost;
  profile: PlatformProfile;
  /** Login user; else target.user, else ssh config User, else $USER. */
  user?: string;
  /** Device password (from --password-env VAR). Never sent to jump hosts. */
  password?: string;
  /** Asks a person: password (--ask-pass), keyboard-interactive prompts, key passphrases. */
  askPassword?: (prompt: string) => Promise<string>;
  /** Private key files (--identity), tried before ssh config IdentityFile entries. */
  identityFiles?: string[];
  /** Passphrase of encrypted identity files. */
  passphrase?: string;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; false for none. */
  agent?: string | false;
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Default strict. */
  hostKeyPolicy?: HostKeyPolicy;
  /** Default ~/.ssh/config (missing is fine); false reads none; a path is `-F FILE` (must exist). */
  sshConfigFile?: string | false;
  timeouts?: Partial<Timeouts>;
  /** SSH keepalive interval (ms); three unanswered keepalives drop the connection. Default 15 s. */
  keepaliveMs?: number;
  /** Lines sent and received; the caller opens it, `close()` closes it. */
  transcript?: TranscriptWriter;
  /** Redacted from transcripts and error messages (the password, passphrase and enable secret are added). */
  secrets?: string[];
  /** Raising privilege after login on shell platforms with a privilege profile (`enable`). */
  privilege?: PrivilegeOptions;
}

const DEFAULT_KEEPALIVE_MS = 15_000;
const DEFAULT_KEYS = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'];

interface Plan {
  label: string;
  hops: HopSpec[];
  /**
   * Host-key settings per hop (jump hosts first, the target last): flags first, then that host's
   * own ssh config (UserKnownHostsFile, StrictHostKeyChecking), then the defaults.
   */
  hostKeys: { knownHostsFile: string; policy: HostKeyPolicy }[];
}

class SshTransport implements Transport {
  readonly profile: PlatformProfile;
  private clients: SshClient[] = [];
  private shell: ShellSession | undefined;
  private connected = false;
  private readonly closeListeners = new Set<() => void>();
  private readonly closedClients = new WeakSet<SshClient>();
  readonly secrets: string[];
  private readonly timeouts: Timeouts;
  private readonly ctx: ConnectContext;
  private label: string;

  constructor(private readonly o: SshOptions) {
    this.profile = o.profile;
    this.secrets = [
      ...(o.secrets ?? []),
      ...(o.password ? [o.password] : []),
      ...(o.passphrase ? [o.passphrase] : []),
      ...(o.privilege?.secret ? [o.privilege.secret] : []),
    ];
    o.transcript?.addSecrets(this.secrets);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
    this.label = hostLabel(o.target.name, o.target.address, o.target.port);
    this.ctx = {
      knownHostsFile: o.knownHostsFile ?? join(homedir(), '.ssh', 'known_hosts'),
      policy: o.hostKeyPolicy ?? 'strict',
      timeouts: this.timeouts,
      keepaliveMs: o.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
      secrets: this.secrets,
    };
  }

  async open(): Promise<void> {
    if (this.connected) return;
    const plan = this.plan();
    this.label = plan.label;
    const clients: SshClient[] = [];
    try {
      let sock;
      for (const [i, hop] of plan.hops.entries()) {
        if (i > 0)
          sock = await forwardTo(
            clients[i - 1]!,
            plan.hops[i - 1]!.label,
            hop.host,
            hop.port,
            this.timeouts.connectMs,
          );
        clients.push(await connectHop(hop, { ...this.ctx, ...plan.hostKeys[i]! }, sock));
      }
    } catch (e) {
      for (const c of clients.reverse()) c.end();
      this.o.transcript?.addSecrets(this.secrets);
      this.o.transcript?.note(`connection failed: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
    this.o.transcript?.addSecrets(this.secrets);
    this.clients = clients;
    this.connected = true;
    for (const c of clients) c.once('close', () => this.closedClients.add(c));
    const client = clients[clients.length - 1]!;
    client.on('close', () => this.dropped(client));
    this.o.transcript?.note(
      `connected to ${plan.label} as ${plan.hops[plan.hops.length - 1]!.auth.user}${
        plan.hops.length > 1
          ? ` via ${plan.hops
              .slice(0, -1)
              .map((h) => h.label)
              .join(' -> ')}`
          : ''
      }`,
    );
    if (this.profile.session === 'shell') {
      try {
        this.shell = await this.openShell(client);
      } catch (e) {
        await this.teardown();
        throw e;
      }
    }
  }

  async run(command: string, opts: RunOptions = {}): Promise<CommandResult> {
    if (this.profile.session === 'shell') {
      if (!this.shell) throw this.notConnected(command, opts.stepId);
      return this.shell.run(command, opts);
    }
    if (!this.connected) throw this.notConnected(command, opts.stepId);
    return runExec(
      {
        client: this.clients[this.clients.length - 1]!,
        label: this.label,
        timeouts: this.timeouts,
        secrets: this.secrets,
        ...(this.o.transcript ? { transcript: this.o.transcript } : {}),
        isClosed: () => !this.connected,
        onClose: (cb) => {
          this.closeListeners.add(cb);
          return () => this.closeListeners.delete(cb);
        },
      },
      command,
      opts,
    );
  }

  async reconnect(): Promise<void> {
    this.o.transcript?.note('reconnecting');
    await this.teardown();
    await this.open();
  }

  /** Ends the session and closes the transcript (writing its last partial line). */
  async close(): Promise<void> {
    await this.teardown();
    this.o.transcript?.close();
  }

  private async teardown(): Promise<void> {
    const clients = this.clients.filter((c) => !this.closedClients.has(c));
    this.clients = [];
    this.shell?.close();
    this.shell = undefined;
    this.connected = false;
    await Promise.all(
      clients.reverse().map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 2_000);
            c.once('close', () => {
              clearTimeout(t);
              resolve();
            });
            c.end();
          }),
      ),
    );
  }

  private dropped(client: SshClient): void {
    if (this.clients[this.clients.length - 1] !== client) return;
    this.connected = false;
    this.o.transcript?.note('connection closed');
    this.shell?.onClose();
    for (const cb of [...this.closeListeners]) cb();
  }

  private openShell(client: SshClient): Promise<ShellSession> {
    return new Promise((resolve, reject) => {
      client.shell({ term: 'vt100', cols: 511, rows: 24 }, (err, channel) => {
        if (err) {
          reject(
            new RunbookError('E_CONNECT', `${this.label} refused an interactive shell: ${err.message}`, {
              hint: 'the platform profile expects an interactive CLI; check the platform of this host',
            }),
          );
          return;
        }
        const o = {
          profile: this.profile,
          label: this.label,
          timeouts: this.timeouts,
          secrets: this.secrets,
          ...(this.o.transcript ? { transcript: this.o.transcript } : {}),
        };
        ShellSession.open(channel, o)
          .then(async (shell) => {
            try {
              await raisePrivilege(shell, {
                ...o,
                ...(this.o.privilege ? { privilege: this.o.privilege } : {}),
              });
            } catch (e) {
              shell.close();
              throw e;
            }
            return shell;
          })
          .then(resolve, reject);
      });
    });
  }

  private notConnected(command: string, stepId: string | undefined): RunbookError {
    return new RunbookError(
      'E_DISCONNECTED',
      `not connected to ${this.label}${stepId ? ` (step ${stepId})` : ''}: cannot run ${JSON.stringify(command)}`,
      {
        hint: 'the session dropped earlier; resume the run once the host is reachable',
      },
    );
  }

  /** Resolves ssh config for the target and every ProxyJump hop. */
  private plan(): Plan {
    const t = this.o.target;
    const file = this.o.sshConfigFile;
    const hc = resolveHostConfig(t.address, file);
    const host = hc.hostName ?? t.address;
    const port = t.port !== 22 ? t.port : (hc.port ?? 22);
    const user = this.o.user ?? t.user ?? hc.user ?? localUser();
    const agentSock = this.o.agent === false ? undefined : (this.o.agent ?? process.env.SSH_AUTH_SOCK);
    const keys = (fromConfig: string[], ctx: { host: string; port: number; user: string }): string[] =>
      identityCandidates({
        explicit: (this.o.identityFiles ?? []).map((f) => expandPath(f, ctx)),
        fromConfig: fromConfig.map((f) => expandPath(f, ctx)),
        defaults: DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)),
      });
    const hostKeys: Plan['hostKeys'] = [];
    const keysOf = (c: typeof hc, ctx: { host: string; port: number; user: string }): void => {
      hostKeys.push({
        knownHostsFile:
          this.o.knownHostsFile ??
          (c.userKnownHostsFile
            ? expandPath(c.userKnownHostsFile, ctx)
            : join(homedir(), '.ssh', 'known_hosts')),
        policy: this.o.hostKeyPolicy ?? c.strictHostKeyChecking ?? 'strict',
      });
    };
    const hops: HopSpec[] = hc.proxyJump.map((j) => {
      const jc = resolveHostConfig(j.host, file);
      const jh = jc.hostName ?? j.host;
      const jp = j.port ?? jc.port ?? 22;
      const ju = j.user ?? jc.user ?? localUser();
      keysOf(jc, { host: jh, port: jp, user: ju });
      return {
        label: hostLabel(j.host, jh, jp),
        host: jh,
        port: jp,
        auth: {
          user: ju,
          identityFiles: keys(jc.identityFiles, { host: jh, port: jp, user: ju }),
          ...(agentSock && !jc.identitiesOnly ? { agent: agentSock } : {}),
          ...(this.o.passphrase !== undefined ? { passphrase: this.o.passphrase } : {}),
          ...(this.o.askPassword ? { askPassword: this.o.askPassword } : {}),
        },
      };
    });
    const label = hostLabel(t.name, host, port);
    hops.push({
      label,
      host,
      port,
      auth: {
        user,
        identityFiles: keys(hc.identityFiles, { host, port, user }),
        ...(agentSock && !hc.identitiesOnly ? { agent: agentSock } : {}),
        ...(this.o.password !== undefined ? { password: this.o.password } : {}),
        ...(this.o.passphrase !== undefined ? { passphrase: this.o.passphrase } : {}),
        ...(this.o.askPassword ? { askPassword: this.o.askPassword } : {}),
      },
    });
    keysOf(hc, { host, port, user });
    return { label, hops, hostKeys };
  }
}

/** A Transport speaking SSH to `opts.target`, in shell or exec mode per `opts.profile.session`. */
export function createSshTransport(opts: SshOptions): Transport {
  return new SshTransport(opts);
}
