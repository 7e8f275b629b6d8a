/**
 * Which workers run a host: the inventory var `runbook_worker_group` (like AWX instance groups:
 * workers near the devices serve their region's group), `default` when unset.
 */
import type { Target } from '../fleet/target.js';
import { checkGroup, DEFAULT_GROUP } from './boss.js';

export function workerGroupOf(t: Target): string {
  const v = t.inventory?.vars.runbook_worker_group;
  if (v === undefined || v === null) return DEFAULT_GROUP;
  const where = t.inventory
    ? `${t.inventory.pos.file}:${t.inventory.pos.line}:${t.inventory.pos.col}`
    : t.name;
  return checkGroup(String(v), `${where}: host ${t.name}: runbook_worker_group`);
}
