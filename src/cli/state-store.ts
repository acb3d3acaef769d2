/** Builds the state store drover.hcl's `state` block asks for (the edge chooses the backend). */
import { driverConfigCheck } from '../../providers/config-validators.js';
import type { StateSettings } from '../config/types.js';
import { LocalStateStore } from '../state/local.js';
import { PostgresStateStore } from '../state/postgres/store.js';
import type { StateStore } from '../state/store.js';

export interface StoreOptions {
  /** Where a store's warnings go (a dead holder's lock taken over): the command's stderr. */
  warn?: (message: string) => void;
}

export function createStateStore(settings: StateSettings, opts: StoreOptions = {}): StateStore {
  const warn = opts.warn ? { warn: opts.warn } : {};
  if (settings.backend === 'postgres') {
    return new PostgresStateStore({
      ...(settings.url !== undefined ? { url: settings.url } : {}),
      ...(settings.schema !== undefined ? { schema: settings.schema } : {}),
      ...(settings.lockMode !== undefined ? { lockMode: settings.lockMode } : {}),
      ...warn,
    });
  }
  return new LocalStateStore({ path: settings.path, drivers: driverConfigCheck, ...warn });
}

/** How commands print a store's warning. */
export function stderrWarning(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
