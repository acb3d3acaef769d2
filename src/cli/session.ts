/**
 * The CLI's edge of the operations layer: reads drover.hcl and builds the engine's context
 * (state store, drivers, one transport per node opened on first use and closed at the end).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDriverRegistry, createTransport, defaultDrivers } from '../../providers/registry.js';
import type { Transport } from '../../providers/types.js';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../deploy/apply.js';
import { Diagnostics } from '../diag/diagnostic.js';
import type { EngineContext } from '../ops/context.js';
import { packageRoot } from '../paths.js';
import { createStateStore, stderrWarning } from './state-store.js';
import type { StateStore } from '../state/store.js';
import type { PinnedHostKey } from '../state/types.js';
import { loadKeyring, type Keyring, type KeyringOptions } from '../state/variables-keyring.js';
import type { DroverConfig } from '../config/types.js';
import { variableReader } from '../state/variables.js';
import { serviceCatalog } from '../state/services.js';
import type { VariableReader } from '../template/context.js';

export interface Session extends EngineContext {
  store: StateStore;
  /** The keys that open Variables, read once as the session opens, or why they cannot be. */
  keyring: Keyring | Error;
  close(): Promise<void>;
}

export async function openSession(
  configPath: string | undefined,
  diags: Diagnostics,
): Promise<Session | undefined> {
  const config = loadConfig(configPath, diags);
  if (!config) return undefined;
  const drivers = createDriverRegistry(await defaultDrivers());
  const transports = new Map<string, Transport>();
  const store = createStateStore(config.state, { warn: stderrWarning });
  // Templates read Variables with the keyring; one that cannot be read makes nomadVar say why.
  const [pins, keyring] = await Promise.all([
    pinnedKeys(store),
    loadKeyring(keyringOptions(config)).catch((err: Error) => err),
  ]);
  const newPins = new Map<string, PinnedHostKey>();
  const imageSource = config.images?.ship === false ? undefined : thisMachine();
  return {
    pins,
    newPins,
    keyring,
    config,
    nodes: new Map(config.nodes.map((n) => [n.name, n])),
    store,
    drivers,
    clock: systemClock,
    droverVersion: droverVersion(),
    templateReaders: (state) => ({
      variables: keyring instanceof Error ? unreadable(keyring) : variableReader(state, keyring),
      services: serviceCatalog(state),
    }),
    ...(imageSource ? { imageSource } : {}),
    transport(node) {
      let t = transports.get(node.name);
      if (!t) {
        const pinned = pins.get(node.name);
        t = createTransport(node, {
          drivers: drivers.all(),
          ...(pinned ? { pinnedKey: pinned } : {}),
          onNewHostKey: (key) =>
            newPins.set(node.name, { ...key, pinned_at: new Date().toISOString() }),
        });
        transports.set(node.name, t);
      }
      return t;
    },
    async close() {
      await Promise.allSettled(
        [...transports.values(), ...(imageSource ? [imageSource] : [])].map((t) => t.close()),
      );
      await store.close();
    },
  };
}

/** Where the keys that seal Variables are: the environment, else drover.hcl's keyring file. */
export function keyringOptions(config: DroverConfig): KeyringOptions {
  return {
    env: process.env,
    ...(config.variablesKeyring !== undefined ? { file: config.variablesKeyring } : {}),
  };
}

/** Variables behind a keyring that could not be loaded: every read says why. */
function unreadable(err: Error): VariableReader {
  const fail = (): never => {
    throw err;
  };
  return { get: fail, list: fail };
}

/** The machine drover runs on, as the place images are copied from (its Docker and podman engines). */
function thisMachine(): Transport {
  return createTransport({
    name: 'this machine',
    transport: 'local',
    datacenter: '',
    meta: {},
    alloc_root: '',
  });
}

/**
 * The host keys pinned in state, so that every connection of every command is held to them.
 * A state that cannot be read pins nothing here: the command reading it reports why.
 */
async function pinnedKeys(store: StateStore): Promise<Map<string, PinnedHostKey>> {
  const pins = new Map<string, PinnedHostKey>();
  try {
    for (const n of Object.values((await store.read()).nodes))
      if (n.host_key) pins.set(n.name, n.host_key);
  } catch {
    // Reported by whoever reads the state for real.
  }
  return pins;
}

export function droverVersion(): string {
  return (
    JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;
}
