/**
 * One emulated device's behaviour from a device model: the model's engine, with the INV_SPI
 * plug-in behind it when the model names one. The lab's built-in scenarios are models too: a
 * hostname and the plug-in, no commands of their own (scenarioModel).
 */
import type { DeviceBehaviour } from './behaviour.js';
import type { DeviceSettings } from './commands.js';
import { ModelEngine, type DeviceModel } from './device-model.js';
import { invSpiBehaviour, lazyRouter } from './inv-spi-behaviour.js';
import type { Router } from './state.js';
import type { Scenario } from './topology.js';

export interface EmulatedDeviceOptions {
  /** Hostname (prompt) of this instance; default the model's. */
  hostname?: string;
  /** Position in the lab (per-router addresses and PRNG seed of the plug-in). */
  index?: number;
  /** The clock the plug-in's counters read (virtual time in `runbook test`). */
  now?: () => number;
  /** Plug-in settings that the lab's flags decide (confirm, pager, refuse terminal length...). */
  settings?: Partial<DeviceSettings>;
}

export function scenarioModel(
  hostname: string,
  scenario: Scenario,
  o: { confirm?: boolean; bfdDelayMs?: number; pager?: boolean } = {},
): DeviceModel {
  const { confirm = false, bfdDelayMs = 3000, pager = true } = o;
  return {
    hostname,
    platform: 'cisco-iosxe-sdwan',
    prompts: { user: `${hostname}>`, exec: `${hostname}#`, config: `${hostname}(config)#` },
    pager,
    abbreviations: true,
    state: {},
    commands: [],
    plugin: { kind: 'inv-spi', scenario, confirm, bfdDelayMs },
  };
}

/** A model with another hostname (a lab serving one model `--count N` times names them apart). */
export function renamed(model: DeviceModel, hostname: string): DeviceModel {
  if (hostname === model.hostname) return model;
  const swap = (p: string): string =>
    p.startsWith(model.hostname) ? hostname + p.slice(model.hostname.length) : p;
  return {
    ...model,
    hostname,
    prompts: {
      user: swap(model.prompts.user),
      exec: swap(model.prompts.exec),
      config: swap(model.prompts.config),
    },
  };
}

export interface EmulatedDevice {
  behaviour: ModelEngine;
  /** The plug-in's router state, when the model has the INV_SPI plug-in. */
  router?: () => Router;
}

export function emulatedDevice(model: DeviceModel, o: EmulatedDeviceOptions = {}): EmulatedDevice {
  const m = o.hostname ? renamed(model, o.hostname) : model;
  let fallback: DeviceBehaviour | undefined;
  let router: (() => Router) | undefined;
  if (m.plugin) {
    const p = m.plugin;
    const settings: DeviceSettings = {
      confirm: p.confirm,
      pager: m.pager,
      refuseTerminalLength: false,
      dropOnControlClear: false,
      bfdDelayMs: p.bfdDelayMs,
      ...o.settings,
    };
    const now = o.now ?? Date.now;
    router = lazyRouter({
      name: m.hostname,
      scenario: p.scenario,
      index: o.index ?? 0,
      bfdDelayMs: settings.bfdDelayMs,
      now,
    });
    fallback = invSpiBehaviour({ hostname: m.hostname, device: settings, router });
  }
  const secret = o.settings?.enableSecret;
  const enable =
    secret === undefined ? undefined : { secret, failure: o.settings?.enableFailure ?? 'bad-secrets' };
  const behaviour = new ModelEngine(m, { ...(fallback ? { fallback } : {}), ...(enable ? { enable } : {}) });
  return router ? { behaviour, router } : { behaviour };
}
