/**
 * The shipped recover-inv-spi runbook end to end: executor + SSH transport (interactive shell,
 * password auth, strict known_hosts) against the lab emulator on loopback, one run per scenario and
 * per device variant. Each asserts the router's final state and the exact state-changing commands
 * the router received (its audit log).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { runHost } from '../../src/engine/executor.js';
import {
  startLab,
  type DeviceOptions,
  type Lab,
  type LabRouter,
  type Scenario,
} from '../../src/lab/index.js';
import { getProfile } from '../../src/platforms/index.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { resolveVars } from '../../src/runbook/vars.js';
import { createSshTransport } from '../../src/transport/ssh.js';
import { tempDir } from '../helpers/sshd.js';

const RUNBOOK = new URL('../../runbooks/recover-inv-spi.yaml', import.meta.url).pathname;
const REKEY = 'request platform software sdwan security ipsec-rekey';
const BFD_DELAY_MS = 300;

// tests run concurrently: labs are closed when the file is done
const labs: Lab[] = [];
afterAll(async () => {
  await Promise.all(labs.splice(0).map((l) => l.close()));
});

async function lab(scenario: Scenario, device: DeviceOptions = {}): Promise<LabRouter> {
  const l = await startLab({
    scenario,
    port: 0,
    user: 'admin',
    password: 'lab-pass',
    device: { bfdDelayMs: BFD_DELAY_MS, ...device },
  });
  labs.push(l);
  return l.routers[0]!;
}

export function knownHosts(router: LabRouter): string {
  const file = join(tempDir('runbook-inv-spi-'), 'known_hosts');
  writeFileSync(file, `[127.0.0.1]:${router.port} ${router.hostKey}\n`);
  return file;
}

async function recover(router: LabRouter, opts: { vars?: string[]; mode?: 'exec' | 'dry-run' } = {}) {
  const runbook = await loadRunbook(RUNBOOK);
  const host = { name: router.name, address: '127.0.0.1', port: router.port, platform: runbook.platform };
  const transport = createSshTransport({
    target: host,
    profile: getProfile(runbook.platform),
    user: 'admin',
    password: 'lab-pass',
    agent: false,
    sshConfigFile: false,
    knownHostsFile: knownHosts(router),
    hostKeyPolicy: 'strict',
  });
  const events: EngineEvent[] = [];
  const result = await runHost({
    runbook,
    host,
    transport,
    vars: resolveVars(runbook, opts.vars ?? []),
    mode: opts.mode ?? 'exec',
    approve: async () => true,
    emit: (e) => events.push(e),
    reconnectDelaysMs: [200, 500, 1000],
  });
  return { result, events };
}

const stateChanging = (r: LabRouter) =>
  r
    .audit()
    .filter((a) => a.stateChanging)
    .map((a) => a.command);
const allUp = (r: LabRouter) => r.state().peers.map((p) => `${p.peer} ${p.sa} ${p.bfd ?? 'up'}`);
const UP = ['10.40.40.1 ok up', '10.20.20.1 ok up', '10.20.21.1 ok up', '10.20.30.1 ok up'];

describe.concurrent('recover-inv-spi over SSH against the lab, per scenario', () => {
  it.each<[Scenario, string[]]>([
    ['classic', ['clear crypto sa peer 10.40.40.1']],
    ['sdwan', [REKEY]],
    ['sdwan-cleared', ['request platform software sdwan port_hop biz-internet']],
    ['healthy', []],
    ['mixed', [REKEY, 'clear crypto sa peer 10.40.40.1']],
  ])('%s: recovers every tunnel with exactly %j', async (scenario, commands) => {
    const router = await lab(scenario);
    const { result } = await recover(router);
    expect(result.outcome, result.message).toBe('ok');
    expect(stateChanging(router)).toEqual(commands);
    expect(allUp(router)).toEqual(UP);
    // the QFP invalid-SPI drop counter no longer grows
    const drops = router.state().qfpInvalidSpiDrops;
    await new Promise((r) => setTimeout(r, 100));
    expect(router.state().qfpInvalidSpiDrops).toBe(drops);
  });
});

describe.concurrent('recover-inv-spi over SSH against device variants', () => {
  it('confirm dialogs: every clear/request asks [confirm] and is answered', async () => {
    const router = await lab('mixed', { confirm: true });
    const { result } = await recover(router);
    expect(result.outcome, result.message).toBe('ok');
    expect(stateChanging(router)).toEqual([REKEY, 'clear crypto sa peer 10.40.40.1']);
    expect(router.audit().filter((a) => a.outcome === 'aborted')).toEqual([]);
    expect(allUp(router)).toEqual(UP);
  });

  it('pager on and terminal length 0 refused: screen-length 0, the log and tables read whole', async () => {
    const router = await lab('mixed', { pager: true, refuseTerminalLength: true });
    const { result } = await recover(router);
    expect(result.outcome, result.message).toBe('ok');
    const commands = router.audit().map((a) => a.command);
    expect(commands.slice(0, 2)).toEqual(['terminal length 0', 'screen-length 0']);
    expect(stateChanging(router)).toEqual([REKEY, 'clear crypto sa peer 10.40.40.1']);
    expect(allUp(router)).toEqual(UP);
  });

  it('pager on (the default): output longer than a page is read whole', async () => {
    const router = await lab('sdwan-cleared', { pager: true });
    const { result } = await recover(router);
    expect(result.outcome, result.message).toBe('ok');
    expect(stateChanging(router)).toEqual(['request platform software sdwan port_hop biz-internet']);
    expect(router.state().portHopped['biz-internet']).toBe(true);
    expect(allUp(router)).toEqual(UP);
  });

  it('session dropped by clear sdwan control connections: reconnects and verifies', async () => {
    const router = await lab('sdwan-cleared', { dropOnControlClear: true });
    const { result, events } = await recover(router, { vars: ['escalation=control'] });
    expect(result.outcome, result.message).toBe('ok');
    expect(stateChanging(router)).toEqual(['clear sdwan control connections']);
    expect(events.some((e) => e.kind === 'reconnecting')).toBe(true);
    expect(new Set(router.audit().map((a) => a.session)).size).toBe(2);
    expect(allUp(router)).toEqual(UP);
  });
});

describe.concurrent('recover-inv-spi --dry-run over SSH, per scenario', () => {
  it.each<[Scenario, string]>([
    ['classic', 'clear crypto sa peer 10.40.40.1'],
    ['sdwan', REKEY],
    ['sdwan-cleared', 'request platform software sdwan port_hop biz-internet'],
    ['healthy', ''],
    ['mixed', REKEY],
  ])(
    '%s: sends nothing that changes state; names the first command %j with impact and evidence',
    async (scenario, first) => {
      const router = await lab(scenario);
      const before = router.state().peers.map((p) => p.sa);
      const { result } = await recover(router, { mode: 'dry-run' });
      expect(result.outcome, result.message).toBe('ok');
      expect(stateChanging(router)).toEqual([]);
      expect(router.state().peers.map((p) => p.sa)).toEqual(before);
      if (first === '') {
        expect(result.wouldRun).toEqual([]);
        return;
      }
      expect(result.wouldRun[0]!.command).toBe(first);
      for (const w of result.wouldRun) {
        expect(w.impact).not.toBe('');
        expect(
          w.evidence.flatMap((e) => e.lines ?? []).some((l) => l.includes('%CRYPTO-4-RECVD_PKT_INV_SPI')),
        ).toBe(true);
      }
    },
  );
});
