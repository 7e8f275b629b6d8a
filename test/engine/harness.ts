/** Run a runbook model against a MemoryTransport and keep every event, for executor tests. */
import type { EngineEvent } from '../../src/engine/events.js';
import { runHost, type ExecutorOptions, type HostResult } from '../../src/engine/executor.js';
import type { Value } from '../../src/expr/types.js';
import { getProfile } from '../../src/platforms/index.js';
import type { Runbook } from '../../src/runbook/model.js';
import { resolveVars } from '../../src/runbook/vars.js';
import {
  MemoryTransport,
  type DeviceFn,
  type DeviceScript,
  type MemoryTransportOptions,
} from '../../src/transport/memory.js';

export interface Ran {
  result: HostResult;
  events: EngineEvent[];
  transport: MemoryTransport;
  /** Delays the executor slept for, in order. */
  slept: number[];
  of<K extends EngineEvent['kind']>(kind: K): Extract<EngineEvent, { kind: K }>[];
  /** The step-end event of a key. */
  end(key: string): Extract<EngineEvent, { kind: 'step-end' }>;
}

export type RunOpts = Partial<Omit<ExecutorOptions, 'runbook' | 'transport' | 'emit' | 'host'>> & {
  transport?: Omit<MemoryTransportOptions, 'profile' | 'device'>;
  vars?: Record<string, Value>;
};

export async function run(
  runbook: Runbook,
  device: DeviceFn | DeviceScript,
  opts: RunOpts = {},
): Promise<Ran> {
  const { transport: topts, ...rest } = opts;
  const transport = new MemoryTransport({ profile: getProfile(runbook.platform), device, ...topts });
  const events: EngineEvent[] = [];
  const slept: number[] = [];
  // defaults of the runbook's vars, as resolveVars gives them, under the vars the test sets
  const defaults = resolveVars(
    { ...runbook, vars: runbook.vars.map((v) => ({ ...v, required: false })) },
    [],
  );
  const result = await runHost({
    runbook,
    host: { name: 'r1', address: '127.0.0.1', port: 2222, platform: runbook.platform },
    transport,
    mode: 'exec',
    approve: async () => true,
    emit: (e) => events.push(e),
    sleep: async (ms) => {
      slept.push(ms);
    },
    reconnectDelaysMs: [10, 20, 30],
    ...rest,
    vars: { ...defaults, ...opts.vars },
  });
  const of = <K extends EngineEvent['kind']>(kind: K) =>
    events.filter((e): e is Extract<EngineEvent, { kind: K }> => e.kind === kind);
  return {
    result,
    events,
    transport,
    slept,
    of,
    end(key) {
      const e = of('step-end').find((x) => x.key === key);
      if (!e)
        throw new Error(
          `no step-end for ${key}; ends: ${of('step-end')
            .map((x) => x.key)
            .join(', ')}`,
        );
      return e;
    },
  };
}
