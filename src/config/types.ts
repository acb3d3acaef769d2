/**
 * drover's configuration as the rest of drover uses it: every default filled in, every local
 * path absolute. The file's own shape (optional everything) is `ConfigFile`, generated from
 * schemas/config.schema.json.
 */
import type { NodeSpec } from './node-spec.js';
import type { RangeIndex } from '../jobspec/ranges.js';
import type { HookSpec } from './hooks.js';

export type SchedulerAlgorithm = 'binpack' | 'spread';

/** Resources of a node kept back from allocations. */
export interface ReservedResources {
  /** MHz. */
  cpu: number;
  /** MB. */
  memory: number;
  /** MB. */
  disk: number;
  /** Host ports no allocation may use, ascending, each once. */
  ports: number[];
}

/** A node of the inventory: the provider contract's NodeSpec plus what only the core uses. */
export interface ConfiguredNode extends NodeSpec {
  /** ProxyJump-style `[user@]host[:port]` an ssh node is reached through. */
  bastion?: string;
  reserved: ReservedResources;
}

export interface StateSettings {
  backend: 'local' | 'postgres';
  /**
   * The local backend's state file, absolute; filled for postgres too, as where
   * `drover state migrate -to local` writes by default.
   */
  path: string;
  /** postgres://USER@HOST:PORT/DATABASE, never with a password; absent: the PG* variables. */
  url?: string;
  /** The PostgreSQL schema of drover's tables (default `drover`). */
  schema?: string;
  /** How the postgres lock dies with its holder: a session advisory lock (default), or a lease. */
  lockMode?: 'session' | 'lease';
}

/** How many distinct people must approve a planfile, and whether its author counts. */
export interface ApprovalRule {
  required: number;
  allowSelf: boolean;
}

export interface DroverConfig {
  /** The absolute path of the file read; undefined for the embedded default. */
  file?: string;
  state: StateSettings;
  /** The Variables keyring file named by a `variables` block, absolute (DROVER_KEYRING wins). */
  variablesKeyring?: string;
  scheduler: SchedulerAlgorithm;
  /**
   * `images { ship }`: copy images of docker and podman tasks that a node lacks and an engine
   * on this machine has (absent: true).
   */
  images?: { ship: boolean };
  /** drover.hcl's `hook` blocks, in file order (absent: none). */
  hooks?: HookSpec[];
  /** `stack { atomic }`: every apply is all or nothing, as with `apply -atomic` (absent: false). */
  atomic?: boolean;
  /** `approvals { required, allow_self }`: what `apply PLANFILE` asks of a plan (absent: none). */
  approvals?: ApprovalRule;
  /**
   * `stack { prune }`: a plan of a directory stops the jobs recorded from files of it that are
   * gone or no longer define them (absent: true).
   */
  prune?: boolean;
  /** drover.hcl's `server { … }` block, defaults filled in (absent: no block written). */
  server?: ServerSettings;
  /** In the order of the file's node blocks: `nodes[i]` was written at JSON pointer `/node/i`. */
  nodes: ConfiguredNode[];
  /** Where each value of the file was written (`/node/0/address`); absent for the embedded default. */
  ranges?: RangeIndex;
}

/** What the defaults depend on about the machine drover runs on; injectable for tests. */
export interface HostFacts {
  /** The directory a missing ./drover.hcl is looked for in, and relative paths of the default resolve against. */
  cwd: string;
  home: string;
  /** The user running drover: the default SSH user. */
  username: string;
  /** Whether drover runs as root: where local nodes keep allocations by default. */
  isRoot: boolean;
}

/** drover.hcl's `server` block as the server uses it: every default filled in, durations in ms. */
export interface ServerSettings {
  /** Bind address of the HTTP API (default 127.0.0.1). */
  address: string;
  /** Port of the HTTP API (default 4646; 0 = any free port, for tests). */
  port: number;
  /** This server's name in `/v1/agent/self` and leader records (default: the host name). */
  name: string;
  /** Nomad's region and datacenter reported by the API (default `global`, `dc1`). */
  region: string;
  datacenter: string;
  /** Replace drifted allocations without anyone running apply (default false; a job may opt in with meta `drover.self_heal = "true"`). */
  selfHeal: boolean;
  /** How often the leader runs a reconcile pass besides change events (default 10 s). */
  reconcileIntervalMs: number;
  /** How often each node's transport is checked (default 10 s). */
  nodeCheckIntervalMs: number;
  /** A node that has not answered for this long is `down` (default 30 s). */
  nodeGraceMs: number;
  /** The leader lease: held this long without renewal, then another server may take it (default 15 s). */
  leaseTtlMs: number;
  /** Terminal allocations, evaluations and deployments older than this are collected (default 4 h). */
  gcThresholdMs: number;
  /** Server log lines as JSON (default false: text). `drover server -log-json` sets it too. */
  logJson: boolean;
  acl: { enabled: boolean };
  /** Absent: plain HTTP. Paths absolute. */
  tls?: { cert: string; key: string; ca?: string; verifyClient: boolean };
  /** Where the built web UI is served from (not in drover.hcl; tests set it). Absent: the package's dist/ui. */
  uiDir?: string;
}
