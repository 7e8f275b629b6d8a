/**
 * `runbook lab` as a library: SSH servers on loopback emulating Cisco IOS XE Catalyst SD-WAN edges
 * with the %CRYPTO-4-RECVD_PKT_INV_SPI failure modes of DOMAIN.md. Each router has its own port,
 * state (built lazily on first use) and audit log; all share one host key.
 */
import { isIP } from 'node:net';
import ssh2, { type ParsedKey } from 'ssh2';
import { RunbookError } from '../errors.js';
import { AuditSink, type AuditEntry } from './audit.js';
import type { DeviceSettings } from './commands.js';
import type { DeviceModel, StateValue } from './device-model.js';
import { emulatedDevice, renamed, scenarioModel } from './device.js';
import { loadOrCreateHostKey } from './hostkey.js';
import { serveRouter, type RouterServer } from './server.js';
import type { RouterState } from './state.js';
import { SCENARIOS, type Scenario } from './topology.js';

export type { AuditEntry } from './audit.js';
export type { RouterState } from './state.js';
export type { Scenario } from './topology.js';

export interface DeviceOptions {
  /** clear/request commands ask `[confirm]` (Enter or y runs, n aborts). Default false. */
  confirm?: boolean;
  /** Paginate long output with ` --More-- ` until `terminal length 0` / `screen-length 0`. Default true. */
  pager?: boolean;
  /** The image refuses `terminal length` with % Invalid input (`screen-length 0` then works). Default false. */
  refuseTerminalLength?: boolean;
  /** `clear sdwan control connections` drops the SSH session. Default false. */
  dropOnControlClear?: boolean;
  /** Delay before BFD (and control/OMP sessions) come up after a fix or flap, in ms. Default 3000. */
  bfdDelayMs?: number;
  /** Hostname (the prompt); with several routers, the router number is appended. Default `edge<N>`. */
  hostname?: string;
  /**
   * Sessions start at privilege 1 (`edge1>`, only a few `show` commands work) and `enable` asks for
   * this secret, as IOS does for a user without privilege 15. Default: none (sessions start at `#`).
   */
  enableSecret?: string;
  /** A wrong enable secret: `bad-secrets` (three tries, then `% Bad secrets`; default) or `access-denied` (AAA: `% Access denied`). */
  enableFailure?: 'bad-secrets' | 'access-denied';
}

export interface LabOptions {
  /** Per router, cycled over the routers. Default 'mixed'. */
  scenario?: Scenario | Scenario[];
  /** Number of routers. Default 1. */
  count?: number;
  /** First port; routers listen on port, port+1, ...; 0 = an ephemeral port per router. Default 2222. */
  port?: number;
  /** Loopback address to bind (127.0.0.0/8 or ::1). Default 127.0.0.1. */
  bind?: string;
  /**
   * Each router on its own IPv4 loopback address: router i binds `bind` + i (127.0.0.1, .2, ...),
   * like routers with their own management addresses (syslog from each one's own source address).
   */
  addressPerRouter?: boolean;
  /** Host key kept here (generated once); audit logs written to `<stateDir>/audit/<router>.jsonl`. */
  stateDir?: string;
  /** Login accepted by every router. Default admin / admin. */
  user?: string;
  password?: string;
  /** OpenSSH public key lines accepted for public-key auth. */
  authorizedKeys?: string[];
  device?: DeviceOptions;
  /**
   * Serve this mock device model (or cassette) instead of the INV_SPI scenarios; with several
   * routers, the router number is appended to its hostname. The `device` options apply to its
   * INV_SPI plug-in, if it has one.
   */
  model?: DeviceModel;
  /** Never answer a login (authentication timeouts in tests). */
  hangAuth?: boolean;
}

export interface LabRouter {
  name: string;
  host: string;
  port: number;
  /** The INV_SPI scenario; absent for a mock device model without the plug-in. */
  scenario?: Scenario;
  /** The model file served, when it came from one (`runbook lab --device`). */
  device?: string;
  /** `SHA256:...` like OpenSSH prints it. */
  fingerprint: string;
  /** `ssh-ed25519 AAAA...`, for a known_hosts line. */
  hostKey: string;
  /** Every non-empty line received, oldest first. */
  audit(): AuditEntry[];
  /** The INV_SPI router state (throws E_USAGE for a model without the plug-in). */
  state(): RouterState;
  /** A mock device model's state values (`state:` of the model, changed by `set`). */
  modelState(): Record<string, StateValue>;
  /** Drop every open SSH connection to this router. */
  dropSessions(): void;
}

export interface Lab {
  routers: LabRouter[];
  close(): Promise<void>;
}

const DEFAULT_PORT = 2222;
const HOSTNAME = /^[A-Za-z][\w-]{0,62}$/;

export function isLoopback(addr: string): boolean {
  if (isIP(addr) === 4) return addr.startsWith('127.');
  if (isIP(addr) === 6) return addr === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(addr);
  return false;
}

function usage(message: string, hint: string): RunbookError {
  return new RunbookError('E_USAGE', message, { hint });
}

function checkOptions(opts: LabOptions): {
  scenarios: Scenario[];
  count: number;
  port: number;
  bind: string;
} {
  const scenarios = opts.scenario === undefined ? ['mixed' as const] : [opts.scenario].flat();
  for (const s of scenarios) {
    if (!SCENARIOS.includes(s))
      throw usage(`unknown lab scenario '${s}'`, `use one of: ${SCENARIOS.join(', ')}`);
  }
  if (scenarios.length === 0) throw usage('no lab scenario given', `use one of: ${SCENARIOS.join(', ')}`);
  const count = opts.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 10_000)
    throw usage(`lab router count ${count} is out of range`, 'use a whole number from 1 to 10000');
  const port = opts.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || (port > 0 && port + count - 1 > 65_535)) {
    throw usage(
      `lab port ${port} with ${count} routers is out of range`,
      'use a first port so that port + count - 1 <= 65535, or 0 for ephemeral ports',
    );
  }
  const bind = opts.bind ?? '127.0.0.1';
  if (!isLoopback(bind)) {
    throw usage(
      `the lab only listens on loopback, not on '${bind}'`,
      'use --bind 127.0.0.1 (any 127.x.y.z) or ::1',
    );
  }
  const h = opts.device?.hostname;
  if (h !== undefined && !HOSTNAME.test(h))
    throw usage(
      `lab hostname '${h}' is not a valid IOS hostname`,
      'use letters, digits and hyphens, starting with a letter',
    );
  if (opts.device?.bfdDelayMs !== undefined && !(opts.device.bfdDelayMs >= 0))
    throw usage('the BFD delay must be 0 ms or more', 'e.g. --bfd-delay 3000');
  if (opts.device?.enableSecret !== undefined && !/^[\x21-\x7e]{1,64}$/.test(opts.device.enableSecret))
    throw usage(
      'the lab enable secret must be 1 to 64 printable characters without spaces',
      'e.g. --enable-secret Lab-En4ble',
    );
  if (opts.user === '' || opts.password === '')
    throw usage('the lab user and password must not be empty', 'e.g. --user admin --password admin');
  if (opts.addressPerRouter && (isIP(bind) !== 4 || !isLoopback(routerAddress(bind, count - 1))))
    throw usage(
      `${count} routers on their own addresses from ${bind} leave 127.0.0.0/8`,
      'use an IPv4 loopback --bind with room for every router, e.g. 127.0.0.1',
    );
  return { scenarios, count, port, bind };
}

/** `base` + i as an IPv4 address (127.0.0.255 + 1 = 127.0.1.0). */
function routerAddress(base: string, i: number): string {
  const n = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + i;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function parseAuthorizedKeys(lines: string[]): ParsedKey[] {
  return lines
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line, i) => {
      const parsed = ssh2.utils.parseKey(line);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!key || key instanceof Error) {
        throw usage(
          `authorized key #${i + 1} is not an OpenSSH public key line (${line.slice(0, 30)}...)`,
          "give lines like 'ssh-ed25519 AAAA... comment'",
        );
      }
      return key;
    });
}

function portInUse(err: unknown, bind: string, port: number): RunbookError | unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return usage(
      `port ${port} on ${bind} is already in use`,
      'choose another first port with --port, or stop the process using it',
    );
  if (code === 'EADDRNOTAVAIL')
    return usage(`address ${bind} is not available on this machine`, 'use --bind 127.0.0.1');
  if (code === 'EACCES') return usage(`not allowed to listen on port ${port}`, 'use a port above 1023');
  return err;
}

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const { scenarios, count, port, bind } = checkOptions(opts);
  const device: DeviceSettings = {
    confirm: opts.device?.confirm ?? false,
    pager: opts.device?.pager ?? true,
    refuseTerminalLength: opts.device?.refuseTerminalLength ?? false,
    dropOnControlClear: opts.device?.dropOnControlClear ?? false,
    bfdDelayMs: opts.device?.bfdDelayMs ?? 3000,
    ...(opts.device?.enableSecret !== undefined ? { enableSecret: opts.device.enableSecret } : {}),
    enableFailure: opts.device?.enableFailure ?? 'bad-secrets',
  };
  const credentials = {
    user: opts.user ?? 'admin',
    password: opts.password ?? 'admin',
    authorizedKeys: parseAuthorizedKeys(opts.authorizedKeys ?? []),
  };
  const hostKey = loadOrCreateHostKey(opts.stateDir);
  const sink = new AuditSink(opts.stateDir);
  const servers: RouterServer[] = [];
  const routers: LabRouter[] = [];
  const base = opts.device?.hostname;

  try {
    for (let i = 0; i < count; i++) {
      const stem = base ?? (opts.model ? undefined : 'edge');
      const one = count === 1 && base !== undefined;
      const name =
        stem === undefined
          ? count === 1
            ? undefined
            : `${opts.model!.hostname}${i + 1}`
          : one
            ? stem
            : `${stem}${i + 1}`;
      const scenario = opts.model ? opts.model.plugin?.scenario : scenarios[i % scenarios.length]!;
      const model = opts.model
        ? {
            ...(name === undefined ? opts.model : renamed(opts.model, name)),
            pager: device.pager && opts.model.pager,
          }
        : scenarioModel(name!, scenario!, device);
      const dev = emulatedDevice(model, { index: i, settings: device });
      const routerName = model.hostname;
      const log: AuditEntry[] = [];
      const want = port === 0 ? 0 : opts.addressPerRouter ? port : port + i;
      const addr = opts.addressPerRouter ? routerAddress(bind, i) : bind;
      const server = await serveRouter({
        hostname: routerName,
        bind: addr,
        port: want,
        hostKey: hostKey.privateKey,
        credentials,
        behaviour: dev.behaviour,
        ...(opts.hangAuth ? { hangAuth: true } : {}),
        audit: (e) => {
          const entry: AuditEntry = {
            at: new Date(e.at).toISOString(),
            router: routerName,
            session: e.session,
            command: e.command,
            stateChanging: e.stateChanging,
            outcome: e.outcome,
            ...(e.answers ? { answers: e.answers } : {}),
          };
          log.push(entry);
          sink.write(entry);
        },
      }).catch((err: unknown) => {
        throw portInUse(err, addr, want);
      });
      servers.push(server);
      const router: LabRouter = {
        name: routerName,
        host: addr,
        port: server.port,
        fingerprint: hostKey.fingerprint,
        hostKey: hostKey.publicLine,
        audit: () => log.slice(),
        state: () => {
          if (!dev.router)
            throw usage(`${routerName} has no INV_SPI state`, 'use modelState() for a mock device');
          return dev.router().snapshot(Date.now());
        },
        modelState: () => ({ ...dev.behaviour.state }),
        dropSessions: () => server.dropAll(),
      };
      if (scenario) router.scenario = scenario;
      if (opts.model?.file) router.device = opts.model.file;
      routers.push(router);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }

  let closed = false;
  return {
    routers,
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(servers.map((s) => s.close()));
      sink.flush();
    },
  };
}
