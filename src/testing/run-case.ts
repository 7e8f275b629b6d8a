/**
 * One test case, offline: per host, the executor's runHost over an in-process transport (a mock
 * device model or the INV_SPI plug-in through the MemoryTransport, or a cassette replayed strictly
 * by the ReplayTransport), on a virtual clock, then the case's expectations. A cassette replayed
 * strictly also fails the case at its first divergence (with the step and its file:line), and
 * when the run ends differently from the recording.
 */
import { formatPos, RunbookError, type SourcePos } from '../errors.js';
import type { HostResult } from '../engine/executor.js';
import { runHost } from '../engine/executor.js';
import { scenarioModel, emulatedDevice } from '../lab/device.js';
import type { DeviceModel } from '../lab/device-model.js';
import { loadDeviceModel } from '../lab/device-model-load.js';
import { getProfile } from '../platforms/index.js';
import { maskSecrets } from '../redact.js';
import type { Runbook, Step } from '../runbook/model.js';
import { loadRunbook } from '../runbook/load.js';
import { resolveVars } from '../runbook/vars.js';
import { MemoryTransport, type DeviceFn } from '../transport/memory.js';
import { describeDivergence, modelDevice, ReplayTransport } from '../transport/replay.js';
import type { Transport } from '../transport/types.js';
import { VirtualClock } from './clock.js';
import { checkExpectations } from './expect.js';
import type { DeviceSpec, Expectations, TestCase } from './suite.js';

/** Device time one command takes. */
const COMMAND_MS = 20;

export interface CaseResult {
  name: string;
  pos: SourcePos;
  passed: boolean;
  /** Why it failed, one line each, prefixed by the host when the case has several. */
  failures: string[];
  /** Wall-clock ms. */
  durationMs: number;
  /** Device time that passed (the runbook's waits, skipped). */
  virtualMs: number;
}

/** Loaded runbooks and device files, shared by the cases of one `runbook test`. */
export class Loader {
  private readonly runbooks = new Map<string, Promise<Runbook>>();
  private readonly devices = new Map<string, DeviceModel>();

  runbook(file: string): Promise<Runbook> {
    let r = this.runbooks.get(file);
    if (!r) this.runbooks.set(file, (r = loadRunbook(file)));
    return r;
  }

  device(file: string): DeviceModel {
    let d = this.devices.get(file);
    if (!d) this.devices.set(file, (d = loadDeviceModel(file)));
    return d;
  }
}

export async function runCase(c: TestCase, loader: Loader): Promise<CaseResult> {
  const started = Date.now();
  const clock = new VirtualClock();
  const t0 = clock.now();
  const failures: string[] = [];
  const runbook = await loader.runbook(c.runbook);
  const vars = resolveVars(runbook, c.vars);
  const secrets = runbook.vars
    .filter((d) => d.secret)
    .map((d) => vars[d.name])
    .filter((v): v is string => typeof v === 'string');
  const several = c.hosts.length > 1;
  for (const h of c.hosts) {
    const device = hostDevice(h.device, loader, clock, runbook, secrets);
    const name = h.name ?? device.hostname;
    const say = (line: string): number => failures.push(several ? `${name}: ${line}` : line);
    let result: HostResult;
    try {
      result = await runHost({
        runbook,
        host: { name, address: '127.0.0.1', port: 22, platform: runbook.platform },
        transport: device.transport,
        vars,
        mode: c.dryRun ? 'dry-run' : 'exec',
        ...approver(c.approve),
        emit: () => undefined,
        sleep: clock.sleep,
        ...(c.startAt !== undefined ? { startAt: c.startAt } : {}),
      });
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      say(`${err.code}: ${err.message}`);
      continue;
    }
    const divergence = device.replay?.finish();
    if (divergence) {
      const step = divergence.stepId ? findStep(runbook.steps, divergence.stepId) : undefined;
      const where = step ? ` at step ${step.id} (${formatPos(step.pos)})` : '';
      say(`replay diverged${where}: ${describeDivergence(divergence)}`);
    }
    const expect: Expectations = { ...h.expect };
    if (device.recordedOutcome && expect.outcome === undefined && !divergence) {
      expect.outcome = device.recordedOutcome as NonNullable<Expectations['outcome']>;
    }
    for (const f of checkExpectations(expect, result, device.sent())) say(f);
  }
  return {
    name: c.name,
    pos: c.pos,
    passed: failures.length === 0,
    failures,
    durationMs: Date.now() - started,
    virtualMs: clock.since(t0),
  };
}

interface HostDevice {
  hostname: string;
  transport: Transport;
  /** Every command the device received (secrets masked). */
  sent(): string[];
  replay?: ReplayTransport;
  recordedOutcome?: string;
}

function hostDevice(
  spec: DeviceSpec,
  loader: Loader,
  clock: VirtualClock,
  runbook: Runbook,
  secrets: string[],
): HostDevice {
  const profile = getProfile(runbook.platform);
  let model: DeviceModel;
  let settings = {};
  if (spec.kind === 'lab') {
    model = scenarioModel(spec.hostname, spec.scenario, {
      confirm: spec.confirm,
      bfdDelayMs: spec.bfdDelayMs,
      pager: false,
    });
    settings = { dropOnControlClear: spec.dropOnControlClear };
  } else {
    model = loader.device(spec.file);
    if (model.interactions && spec.replay === 'strict') {
      const replay = new ReplayTransport({ profile, interactions: model.interactions, secrets });
      const out: HostDevice = {
        hostname: model.hostname,
        transport: replay,
        sent: () => replay.sent,
        replay,
      };
      if (model.outcome) out.recordedOutcome = model.outcome.status;
      return out;
    }
  }
  const { behaviour } = emulatedDevice(model, { now: clock.now, settings });
  const answer = modelDevice(behaviour, clock.now);
  const timed: DeviceFn = (command, session) => {
    const reply = answer(command, session);
    clock.advance(COMMAND_MS);
    return reply;
  };
  const memory = new MemoryTransport({ profile, device: timed });
  return {
    hostname: model.hostname,
    transport: memory,
    // shown in failure messages: secret vars masked, as everywhere else
    sent: () => memory.sent.map((c) => maskSecrets(c, secrets)),
  };
}

function approver(a: TestCase['approve']): { approve?: (req: { stepId: string }) => Promise<boolean> } {
  if (a === 'none') return {};
  if (a === 'all') return { approve: async () => true };
  const ok = new Set(a);
  return { approve: async (req) => ok.has(req.stepId) };
}

/** The step with this id anywhere in the tree. */
export function findStep(steps: readonly Step[], id: string): Step | undefined {
  for (const s of steps) {
    if (s.id === id) return s;
    const children: Step[] =
      s.kind === 'group' ? s.steps : s.kind === 'choose' ? s.branches.flatMap((b) => b.steps) : [];
    const recovery = s.onFailure.kind === 'steps' ? s.onFailure.steps : [];
    const hit = findStep([...children, ...recovery], id);
    if (hit) return hit;
  }
  return undefined;
}
