/** One host a run acts on, with its resolved connection settings (from --host, an inventory or the lab). */
import type { PlatformName } from '../platforms/types.js';
import type { InventoryHost } from './inventory.js';

export interface Target {
  name: string;
  address: string;
  port: number;
  platform: PlatformName;
  user?: string;
  /** Name of the host lock when it differs from `name` (an embedded lab router is private to its run). */
  lockName?: string;
  /** The inventory entry, when the target came from one. */
  inventory?: InventoryHost;
}
