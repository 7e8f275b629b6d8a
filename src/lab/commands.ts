/**
 * The emulated edge's command set: syntax, whether a command changes state, its `[confirm]` dialog,
 * and what it prints or does. Terminal effects (page length, modes, exit, drop) are returned to the
 * session, which owns them.
 */
import type { CommandOutcome } from './behaviour.js';
import { define, newTree, type Node } from './parser.js';
import {
  showCryptoIpsecSa,
  showCryptoSession,
  showIkev2Sa,
  showIsakmpSa,
  showQfpDrops,
} from './render-crypto.js';
import {
  showBfdSessions,
  showControlConnections,
  showLocalProperties,
  showOmpPeers,
} from './render-sdwan.js';
import { showClock, showLogging, showVersion } from './render-system.js';
import type { Router } from './state.js';
import { COLORS } from './topology.js';

/** Device behaviour options with defaults filled (see DeviceOptions in index.ts). */
export interface DeviceSettings {
  confirm: boolean;
  pager: boolean;
  refuseTerminalLength: boolean;
  dropOnControlClear: boolean;
  bfdDelayMs: number;
  /** Sessions start at privilege 1 (`name>`) and `enable` asks for this secret; absent: start at `name#`. */
  enableSecret?: string;
  /** How a wrong enable secret is refused: three tries then `% Bad secrets` (local, the default), or `% Access denied` (AAA). */
  enableFailure?: 'bad-secrets' | 'access-denied';
}

export interface CommandContext {
  router: Router;
  now: number;
  device: DeviceSettings;
}

export interface CommandSpec {
  /** Changes device state: flagged in the audit log. */
  stateChanging: boolean;
  /** `[confirm]` dialog: asked when the device option `confirm` is on, or always when `always`. */
  confirm?: { prompt: (args: Record<string, string>) => string; always?: boolean };
  run(ctx: CommandContext, args: Record<string, string>): CommandOutcome;
}

const show = (render: (r: Router, now: number) => string): CommandSpec => ({
  stateChanging: false,
  run: ({ router, now }) => ({ output: render(router, now) }),
});

const action = (prompt: (a: Record<string, string>) => string, run: CommandSpec['run']): CommandSpec => ({
  stateChanging: true,
  confirm: { prompt },
  run,
});

const nothing: CommandOutcome = {};

function execTree(refuseTerminalLength: boolean): Node<CommandSpec> {
  const t = newTree<CommandSpec>();
  const enums = { color: COLORS };
  const def = (syntax: string, spec: CommandSpec): void => define(t, syntax, spec, enums);

  def('show logging', show(showLogging));
  def(
    'show clock',
    show((_r, now) => showClock(now)),
  );
  def('show version', show(showVersion));
  def(
    'show platform hardware qfp active feature ipsec datapath drops',
    show((r, now) => showQfpDrops(r, now, false)),
  );
  def(
    'show platform hardware qfp active feature ipsec datapath drops all',
    show((r, now) => showQfpDrops(r, now, true)),
  );
  def('show platform hardware qfp active feature ipsec datapath drops clear', {
    stateChanging: true,
    run: ({ router, now }) => {
      const output = showQfpDrops(router, now, false);
      router.clearQfp(now);
      return { output };
    },
  });
  def('show crypto ipsec sa', show(showCryptoIpsecSa));
  def('show crypto ipsec sa detail', show(showCryptoIpsecSa));
  def('show crypto ipsec sa peer <peer:ipv4>', {
    stateChanging: false,
    run: ({ router, now }, a) => ({ output: showCryptoIpsecSa(router, now, a.peer) }),
  });
  def(
    'show crypto session',
    show((r) => showCryptoSession(r)),
  );
  def(
    'show crypto session detail',
    show((r) => showCryptoSession(r)),
  );
  def('show crypto ikev2 sa', show(showIkev2Sa));
  def(
    'show crypto isakmp sa',
    show(() => showIsakmpSa()),
  );
  def('show sdwan bfd sessions', show(showBfdSessions));
  def('show sdwan control connections', show(showControlConnections));
  def('show sdwan control local-properties', show(showLocalProperties));
  def('show sdwan omp peers', show(showOmpPeers));

  if (!refuseTerminalLength) {
    def('terminal length <n:uint:0-512>', {
      stateChanging: false,
      run: (_c, a) => ({ pageLength: Number(a.n) }),
    });
  }
  def('terminal width <n:uint:0-512>', { stateChanging: false, run: (_c, a) => ({ width: Number(a.n) }) });
  def('screen-length <n:uint:0-512>', {
    stateChanging: false,
    run: (_c, a) => ({ pageLength: Number(a.n) }),
  });

  def(
    'clear crypto sa',
    action(
      () => 'Clear all crypto SAs',
      ({ router, now }) => (router.clearCryptoSa(undefined, now), nothing),
    ),
  );
  def(
    'clear crypto sa peer <peer:ipv4>',
    action(
      (a) => `Clear crypto SAs for peer ${a.peer}`,
      ({ router, now }, a) => (router.clearCryptoSa(a.peer, now), nothing),
    ),
  );
  def(
    'request platform software sdwan security ipsec-rekey',
    action(
      () => 'Rekey all SD-WAN IPsec tunnels',
      ({ router, now }) => (router.rekey(now), nothing),
    ),
  );
  const hop = action(
    (a) => `Port hop TLOC color ${a.color}`,
    ({ router, now }, a) => (router.portHop(a.color!, now), nothing),
  );
  def('request platform software sdwan port_hop <color:enum>', hop);
  def('request platform software sdwan port_hop color <color:enum>', hop);
  def(
    'clear sdwan omp all',
    action(
      () => 'Clear all OMP peers',
      ({ router, now }) => (router.clearOmp(now), nothing),
    ),
  );
  def(
    'clear sdwan control connections',
    action(
      () => 'Clear all control connections',
      ({ router, now, device }) => {
        router.clearControl(now);
        return device.dropOnControlClear ? { drop: true } : nothing;
      },
    ),
  );
  def('clear logging', {
    stateChanging: true,
    confirm: { prompt: () => 'Clear logging buffer', always: true },
    run: ({ router, now }) => (router.clearLogging(now), nothing),
  });

  const enterConfig: CommandSpec = {
    stateChanging: false,
    run: () => ({
      mode: 'config',
      output: 'Enter configuration commands, one per line.  End with CNTL/Z.\n',
    }),
  };
  def('configure terminal', enterConfig);
  def('config-transaction', enterConfig);
  const exit: CommandSpec = { stateChanging: false, run: () => ({ exit: true }) };
  def('exit', exit);
  def('logout', exit);
  def('quit', exit);
  def('enable', { stateChanging: false, run: () => nothing });
  def('disable', { stateChanging: false, run: () => ({ mode: 'user' }) });
  return t;
}

/** Privilege 1 (user EXEC): a few harmless commands and `enable`; the rest is `% Invalid input`. */
function userTree(refuseTerminalLength: boolean): Node<CommandSpec> {
  const t = newTree<CommandSpec>();
  define(
    t,
    'show clock',
    show((_r, now) => showClock(now)),
  );
  define(t, 'show version', show(showVersion));
  if (!refuseTerminalLength) {
    define(t, 'terminal length <n:uint:0-512>', {
      stateChanging: false,
      run: (_c, a) => ({ pageLength: Number(a.n) }),
    });
  }
  define(t, 'terminal width <n:uint:0-512>', {
    stateChanging: false,
    run: (_c, a) => ({ width: Number(a.n) }),
  });
  define(t, 'screen-length <n:uint:0-512>', {
    stateChanging: false,
    run: (_c, a) => ({ pageLength: Number(a.n) }),
  });
  const exit: CommandSpec = { stateChanging: false, run: () => ({ exit: true }) };
  define(t, 'exit', exit);
  define(t, 'logout', exit);
  define(t, 'enable', { stateChanging: false, run: () => ({ escalate: true }) });
  return t;
}

function configTree(): Node<CommandSpec> {
  const t = newTree<CommandSpec>();
  const leave: CommandSpec = { stateChanging: false, run: () => ({ mode: 'exec' }) };
  define(t, 'end', leave);
  define(t, 'exit', leave);
  return t;
}

const TREES = {
  plain: execTree(false),
  refusing: execTree(true),
  config: configTree(),
  user: userTree(false),
  userRefusing: userTree(true),
};

export function commandTree(mode: 'user' | 'exec' | 'config', device: DeviceSettings): Node<CommandSpec> {
  if (mode === 'config') return TREES.config;
  if (mode === 'user') return device.refuseTerminalLength ? TREES.userRefusing : TREES.user;
  return device.refuseTerminalLength ? TREES.refusing : TREES.plain;
}
