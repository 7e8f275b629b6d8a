/**
 * `runbook lab`: serve emulated IOS XE / SD-WAN edges on loopback until SIGINT or SIGTERM, then
 * close cleanly and exit 0. Prints, per router, its address, credentials, host-key fingerprint and
 * a ready `ssh` command line.
 */
import { Option, type Command } from 'commander';
import { RunbookError } from '../errors.js';
import type { Lab, LabOptions } from '../lab/index.js';
import type { LabSyslog } from '../lab/syslog.js';
import { SCENARIOS, type Scenario } from '../lab/topology.js';
import { action } from './output.js';

interface LabFlags {
  scenario: string;
  count: string;
  port: string;
  bind: string;
  stateDir: string;
  user: string;
  password: string;
  confirm?: boolean;
  pager: boolean;
  refuseTerminalLength?: boolean;
  dropOnControlClear?: boolean;
  bfdDelay: string;
  device?: string;
  addressPerRouter?: boolean;
  syslog?: string;
  syslogInterval?: string;
  enableSecret?: string;
  enableAaa?: boolean;
}

export function register(program: Command): void {
  program
    .command('lab')
    .description('Serve emulated Cisco IOS XE Catalyst SD-WAN edges over SSH on loopback (until Ctrl-C)')
    .option(
      '--scenario <s>',
      `failure scenario, or a comma-separated list cycled over the routers: ${SCENARIOS.join(', ')}`,
      'mixed',
    )
    .option('--count <n>', 'number of routers', '1')
    .option('--port <p>', 'first port; routers listen on port, port+1, ... (0 = ephemeral)', '2222')
    .option('--bind <addr>', 'loopback address to listen on (127.0.0.0/8 or ::1)', '127.0.0.1')
    .option('--state-dir <dir>', 'where the host key is kept and audit logs are written', '.runbook/lab')
    .option('--user <u>', 'login user', 'admin')
    .option('--password <p>', 'login password', 'admin')
    .option('--confirm', 'clear/request commands ask [confirm]')
    .option('--no-pager', 'never paginate output with --More--')
    .option(
      '--refuse-terminal-length',
      'refuse `terminal length` (clients must fall back to `screen-length 0`)',
    )
    .option('--drop-on-control-clear', '`clear sdwan control connections` drops the SSH session')
    .option('--bfd-delay <ms>', 'delay before BFD comes up after a fix, in ms', '3000')
    .addOption(
      new Option(
        '--device <file>',
        'serve this mock device model or cassette (YAML/JSON, see docs/testing.md) instead of the scenarios',
      ).conflicts('scenario'),
    )
    .option(
      '--address-per-router',
      'each router on its own loopback address (--bind, +1, +2, ...), all on --port',
    )
    .option(
      '--syslog <url>',
      'send each router’s INV_SPI log lines as syslog to udp://ADDR:PORT or tcp://ADDR:PORT (loopback)',
    )
    .option('--syslog-interval <seconds>', 'repeat a broken peer’s syslog line every SECONDS', '30')
    .option(
      '--enable-secret <s>',
      'sessions start at privilege 1 (edge1>) and `enable` asks for this secret (wrong: % Bad secrets)',
    )
    .option(
      '--enable-aaa',
      'with --enable-secret: refuse a wrong secret at once with % Access denied, as AAA does',
    )
    .action(action(async (flags: LabFlags) => labCommand(flags)));
}

function int(flag: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new RunbookError('E_USAGE', `${flag} ${value}: not a whole number`, { hint: `e.g. ${flag} 2` });
  return Number(value);
}

export function labOptions(flags: LabFlags): LabOptions {
  const scenarios = flags.scenario.split(',').map((s) => s.trim()) as Scenario[];
  for (const s of scenarios) {
    if (!SCENARIOS.includes(s)) {
      throw new RunbookError('E_USAGE', `--scenario ${s}: unknown scenario`, {
        hint: `use one of: ${SCENARIOS.join(', ')}`,
      });
    }
  }
  return {
    scenario: scenarios.length === 1 ? scenarios[0]! : scenarios,
    count: int('--count', flags.count),
    port: int('--port', flags.port),
    bind: flags.bind,
    ...(flags.addressPerRouter ? { addressPerRouter: true } : {}),
    stateDir: flags.stateDir,
    user: flags.user,
    password: flags.password,
    device: {
      confirm: flags.confirm ?? false,
      pager: flags.pager,
      refuseTerminalLength: flags.refuseTerminalLength ?? false,
      dropOnControlClear: flags.dropOnControlClear ?? false,
      bfdDelayMs: int('--bfd-delay', flags.bfdDelay),
      ...(flags.enableSecret !== undefined ? { enableSecret: flags.enableSecret } : {}),
      enableFailure: flags.enableAaa ? 'access-denied' : 'bad-secrets',
    },
  };
}

function describe(lab: Lab, user: string, password: string, enableSecret: string | undefined): string {
  const lines = [`runbook lab: ${lab.routers.length} router(s); host key ${lab.routers[0]!.fingerprint}`, ''];
  for (const r of lab.routers) {
    const host = r.host.includes(':') ? `[${r.host}]` : r.host;
    lines.push(
      `${r.name}  ${host} port ${r.port}  ${r.device ? `device ${r.device}` : `scenario ${r.scenario}`}  user ${user} password ${password}${enableSecret !== undefined ? ` enable secret ${enableSecret}` : ''}  fingerprint ${r.fingerprint}`,
      `    ssh -p ${r.port} ${user}@${r.host}`,
    );
  }
  lines.push('', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}

async function labCommand(flags: LabFlags): Promise<number> {
  const opts = labOptions(flags);
  if (flags.device) {
    const { loadDeviceModel } = await import('../lab/device-model-load.js');
    opts.model = loadDeviceModel(flags.device);
  }
  const { startLab } = await import('../lab/index.js');
  // imported before anything is printed: a signal right after "Press Ctrl-C" finds its handler
  const startLabSyslog = flags.syslog ? (await import('../lab/syslog.js')).startLabSyslog : undefined;
  const lab = await startLab(opts);
  let syslog: LabSyslog | undefined;
  try {
    syslog =
      flags.syslog && startLabSyslog
        ? startLabSyslog(lab.routers, {
            target: flags.syslog,
            everyMs: int('--syslog-interval', flags.syslogInterval ?? '30') * 1000,
          })
        : undefined;
  } catch (err) {
    await lab.close();
    throw err;
  }
  process.stdout.write(describe(lab, opts.user!, opts.password!, opts.device?.enableSecret));
  if (syslog)
    process.stdout.write(
      `syslog: INV_SPI lines to ${flags.syslog} every ${flags.syslogInterval ?? '30'}s per broken peer\n`,
    );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await syslog?.close();
  await lab.close();
  process.stdout.write('runbook lab: stopped\n');
  return 0;
}
