/**
 * `runbook exec --lab [scenario]`: an emulated edge started in this process, pinned in a
 * known_hosts file of its own (strict checking still applies), closed when the run ends.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { startLab, type Scenario } from '../lab/index.js';
import { SCENARIOS } from '../lab/topology.js';
import type { PlatformName } from '../platforms/types.js';
import type { Target } from '../fleet/target.js';

export interface EmbeddedLab {
  password: string;
  knownHostsFile: string;
  targets(platform: PlatformName): Target[];
  close(): Promise<void>;
}

export async function startEmbeddedLab(flag: string | boolean, stateDir: string): Promise<EmbeddedLab> {
  const scenario = (typeof flag === 'string' ? flag : 'mixed') as Scenario;
  if (!SCENARIOS.includes(scenario)) {
    throw new RunbookError('E_USAGE', `--lab ${String(flag)}: unknown scenario`, {
      hint: `use one of: ${SCENARIOS.join(', ')}`,
    });
  }
  const dir = join(stateDir, 'lab');
  mkdirSync(dir, { recursive: true });
  const password = 'admin';
  const lab = await startLab({ scenario, count: 1, port: 0, stateDir: dir, user: 'admin', password });
  const knownHostsFile = join(dir, 'known_hosts.embedded');
  writeFileSync(knownHostsFile, lab.routers.map((r) => `[${r.host}]:${r.port} ${r.hostKey}\n`).join(''), {
    mode: 0o600,
  });
  return {
    password,
    knownHostsFile,
    targets: (platform) =>
      lab.routers.map((r) => ({
        name: r.name,
        address: r.host,
        port: r.port,
        platform,
        user: 'admin',
        lockName: `${r.name}@${r.host}_${r.port}`,
      })),
    close: () => lab.close(),
  };
}
