import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { runHost, type HostResult } from '../../src/engine/executor.js';
import type { Value } from '../../src/expr/types.js';
import type { Scenario } from '../../src/lab/topology.js';
import { getProfile } from '../../src/platforms/index.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { resolveVars } from '../../src/runbook/vars.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { labDevice, type LabDeviceOptions } from './lab-device.js';

const RUNBOOK = new URL('../../runbooks/recover-inv-spi.yaml', import.meta.url).pathname;

async function recover(opts: LabDeviceOptions & { vars?: string[]; mode?: 'exec' | 'dry-run' }) {
  const runbook = await loadRunbook(RUNBOOK);
  const lab = labDevice(opts);
  const transport = new MemoryTransport({ profile: getProfile(runbook.platform), device: lab.device });
  const events: EngineEvent[] = [];
  const vars: Record<string, Value> = resolveVars(runbook, opts.vars ?? []);
  const result: HostResult = await runHost({
    runbook,
    host: { name: 'edge1', address: '127.0.0.1', port: 22, platform: runbook.platform },
    transport,
    vars,
    mode: opts.mode ?? 'exec',
    approve: async () => true,
    emit: (e) => events.push(e),
    sleep: lab.sleep,
    reconnectDelaysMs: [100],
  });
  return { result, lab, events, transport };
}

describe('recover-inv-spi over the in-memory lab device', () => {
  it.each<[Scenario, string[]]>([
    ['classic', ['clear crypto sa peer 10.40.40.1']],
    ['sdwan', ['request platform software sdwan security ipsec-rekey']],
    ['sdwan-cleared', ['request platform software sdwan port_hop biz-internet']],
    ['mixed', ['clear crypto sa peer 10.40.40.1', 'request platform software sdwan security ipsec-rekey']],
    ['healthy', []],
  ])('%s', async (scenario, commands) => {
    const { result, lab } = await recover({ scenario });
    console.log(scenario, result.message, lab.stateChanging());
    expect(result.outcome).toBe('ok');
    expect(lab.stateChanging()).toEqual(commands);
    expect(lab.state().peers.every((p) => p.sa === 'ok' && (p.bfd ?? 'up') === 'up')).toBe(true);
  });
});
