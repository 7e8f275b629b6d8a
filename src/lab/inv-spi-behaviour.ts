/**
 * The INV_SPI plug-in: the lab's built-in edge (commands.ts, state.ts) as a DeviceBehaviour. Its
 * counters, BFD and control sessions are computed from the clock at read time, so the same router
 * runs in real time over SSH and on a virtual clock in `runbook test`.
 */
import type { DeviceBehaviour, Resolution } from './behaviour.js';
import { commandTree, type DeviceSettings } from './commands.js';
import { filterOutput, parseFilter, type Filter } from './filter.js';
import { parse, tokenize } from './parser.js';
import { Router } from './state.js';
import type { Scenario } from './topology.js';

export interface InvSpiOptions {
  hostname: string;
  device: DeviceSettings;
  /** The router's state, built on first use. */
  router(): Router;
}

export function invSpiBehaviour(o: InvSpiOptions): DeviceBehaviour {
  const secret = o.device.enableSecret;
  return {
    pager: o.device.pager,
    enable: secret === undefined ? undefined : { secret, failure: o.device.enableFailure ?? 'bad-secrets' },
    prompt: (mode) =>
      mode === 'config' ? `${o.hostname}(config)#` : mode === 'user' ? `${o.hostname}>` : `${o.hostname}#`,
    resolve(mode, line): Resolution {
      const pipe = line.indexOf('|');
      const cmdText = pipe >= 0 ? line.slice(0, pipe) : line;
      const parsed = parse(commandTree(mode, o.device), tokenize(cmdText));
      if (parsed.kind !== 'ok') {
        return { kind: 'error', error: parsed.kind, offset: parsed.kind === 'invalid' ? parsed.offset : 0 };
      }
      let filter: Filter | undefined;
      if (pipe >= 0) {
        const f = parseFilter(line.slice(pipe + 1));
        if (typeof f === 'number') return { kind: 'error', error: 'invalid', offset: pipe + 1 + f };
        filter = f;
      }
      const spec = parsed.command;
      const c = spec.confirm;
      return {
        kind: 'command',
        stateChanging: spec.stateChanging,
        dialogs: c && (c.always || o.device.confirm) ? [`${c.prompt(parsed.args)} [confirm]`] : [],
        run: (now) => {
          const out = spec.run({ router: o.router(), now, device: o.device }, parsed.args);
          if (filter && out.output !== undefined) return { ...out, output: filterOutput(out.output, filter) };
          return out;
        },
      };
    },
  };
}

/** A lazily built router for a scenario (the lab's per-router state). */
export function lazyRouter(o: {
  name: string;
  scenario: Scenario;
  index: number;
  bfdDelayMs: number;
  now: () => number;
}): () => Router {
  let router: Router | undefined;
  return () =>
    (router ??= new Router({
      name: o.name,
      scenario: o.scenario,
      index: o.index,
      bfdDelayMs: o.bfdDelayMs,
      now: o.now(),
    }));
}
