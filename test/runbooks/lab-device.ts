/**
 * The lab's emulated edge as an in-memory device: each command runs through the lab's own CLI
 * session (parser, renderers, recovery semantics) on a fake clock, so runbook runs over the
 * MemoryTransport are deterministic and fast. `confirm` makes state-changing commands raise a
 * `[confirm]` prompt the step's dialog must answer (as the MemoryTransport simulates prompts).
 */
import { invSpiBehaviour } from '../../src/lab/inv-spi-behaviour.js';
import { CliSession } from '../../src/lab/session.js';
import { Router, type RouterState } from '../../src/lab/state.js';
import type { Scenario } from '../../src/lab/topology.js';
import type { DeviceFn, DeviceReply } from '../../src/transport/memory.js';

export interface LabDeviceOptions {
  scenario: Scenario;
  confirm?: boolean;
  bfdDelayMs?: number;
  /** `clear sdwan control connections` drops the session. */
  dropOnControlClear?: boolean;
}

export interface LabDevice {
  device: DeviceFn;
  /** Commands the device ran, with the lab's state-changing flag. */
  audit: { command: string; stateChanging: boolean }[];
  stateChanging(): string[];
  state(): RouterState;
  /** The executor's sleep: advances the fake clock. */
  sleep(ms: number): Promise<void>;
  advance(ms: number): void;
}

export function labDevice(opts: LabDeviceOptions): LabDevice {
  let now = Date.UTC(2025, 0, 10, 12, 0, 0);
  const bfdDelayMs = opts.bfdDelayMs ?? 3000;
  const router = new Router({ name: 'edge1', scenario: opts.scenario, index: 0, bfdDelayMs, now });
  const settings = {
    confirm: false,
    pager: false,
    refuseTerminalLength: false,
    dropOnControlClear: opts.dropOnControlClear ?? false,
    bfdDelayMs,
  };
  const audit: LabDevice['audit'] = [];
  const behaviour = invSpiBehaviour({ hostname: 'edge1', device: settings, router: () => router });

  const device: DeviceFn = (command) => {
    let out = '';
    let dropped = false;
    const session = new CliSession({
      behaviour,
      interactive: false,
      io: { write: (t) => (out += t), close: () => undefined, drop: () => (dropped = true) },
      audit: (e) => audit.push({ command: e.command, stateChanging: e.stateChanging }),
      clock: () => now,
    });
    session.exec(command);
    // every command takes 20 ms of device time
    now += 20;
    const reply: DeviceReply = { output: out.replace(/\r\n/g, '\n') };
    const last = audit.at(-1);
    if (opts.confirm && last?.command === command && last.stateChanging)
      reply.prompts = [`${command} [confirm]`];
    if (dropped) reply.disconnect = true;
    return reply;
  };

  return {
    device,
    audit,
    stateChanging: () => audit.filter((a) => a.stateChanging).map((a) => a.command),
    state: () => router.snapshot(now),
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}
