/**
 * What the operations layer runs on: configuration, a state store, the drivers, a transport per
 * node, host keys and a clock, all given by the front end (the CLI's session, a server, a test).
 * Nothing in `src/ops` opens a file, a connection or a database of its own accord.
 */
import type { DriverRegistry } from '../../providers/registry.js';
import type { NodeSpec, Transport } from '../../providers/types.js';
import type { ConfiguredNode, DroverConfig } from '../config/types.js';
import type { Clock, HealthProbe } from '../deploy/apply.js';
import type { Group, Job } from '../generated/jobspec.js';
import type { StateSnapshot } from '../state/types.js';
import type { StateStore } from '../state/store.js';
import type { TemplateReaders } from '../deploy/templates.js';
import type { PinnedHostKey } from '../state/types.js';

export interface EngineContext {
  config: DroverConfig;
  nodes: ReadonlyMap<string, ConfiguredNode>;
  store: StateStore;
  drivers: DriverRegistry;
  transport(node: NodeSpec): Transport;
  /** Host keys pinned in state, by node (read before any connection). */
  pins: Map<string, PinnedHostKey>;
  /** Host keys met for the first time in this run, to be pinned in state. */
  newPins: Map<string, PinnedHostKey>;
  clock: Clock;
  /**
   * The machine running drover, whose engines the images of docker and podman tasks are copied
   * from to nodes that lack them (`images { ship }`). Absent: images are never copied.
   */
  imageSource?: Transport;
  /** The drover that computes plans (recorded in them). */
  droverVersion: string;
  /** What templates read besides the task's environment (Variables, services), from a state. */
  templateReaders?: (state: StateSnapshot) => TemplateReaders;
  /**
   * How an allocation's health beyond its task states is watched while a gate is open. Absent:
   * the group's service checks, run through the node's transport.
   */
  health?: (
    allocId: string,
    group: Group,
    job: Job,
    state: () => StateSnapshot,
  ) => HealthProbe | undefined;
}

/** A problem with what the user asked for: shown as it is, without a stack. */
export class OperationError extends Error {}
