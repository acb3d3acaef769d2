/**
 * A harness for deployment logic tests: a temp-dir state store, one node running the `mock`
 * driver, and a virtual clock shared by the executor and the driver, so a rollout of minutes
 * takes milliseconds and every run is the same. Each `apply` is one drover process: it reads
 * the stored state, refreshes it against the (mock) host, plans, and applies, as
 * `drover apply` does; it can be "killed" at its N-th state write.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Clock, HealthProbe, JobOutcome, ProgressEvent } from '../../src/deploy/apply.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type { Plan } from '../../src/generated/plan.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import type { DesiredJob } from '../../src/plan/compute.js';
import {
  executePlan,
  makePlan,
  observe,
  planHasChanges,
  recordRefresh,
  type EngineContext,
  type Observed,
} from '../../src/ops/index.js';
import { createDriverRegistry } from '../../providers/registry.js';
import { LocalStateStore } from '../../src/state/local.js';
import type { StateStore } from '../../src/state/store.js';
import type {
  Allocation,
  DriverHandle,
  NodeFingerprint,
  StateSnapshot,
} from '../../src/state/types.js';
import { MockDriver, asMockHandle } from '../../providers/drivers/mock.js';
import type {
  Driver,
  ExecOptions,
  LogOptions,
  NodeSpec,
  TaskContext,
  TaskStatus,
  Transport,
} from '../../providers/types.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const NODE = 'n1';

// ---------------------------------------------------------------------------------------------
// Virtual time

/**
 * A clock whose sleeps end as soon as nothing else can happen: time jumps to the earliest
 * sleeper's deadline once no state write is in flight (the only real I/O here), so concurrent
 * waits see time advance by the longest of them, not their sum, and runs are deterministic.
 */
export class VirtualClock implements Clock {
  constructor(private t = T0) {}

  private sleepers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;
  private busy = 0;
  private scheduled = false;

  now = (): number => this.t;

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, wake });
      this.schedule();
    });
  }

  /** Marks real I/O in flight: time stands still until it settles. */
  async track<T>(work: Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await work;
    } finally {
      this.busy--;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs once every pending promise continuation has run.
    setImmediate(() => {
      this.scheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    if (this.busy > 0 || this.sleepers.length === 0) return;
    this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.t = Math.max(this.t, this.sleepers[0]!.at);
    const due = this.sleepers.filter((s) => s.at <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.wake();
  }
}

// ---------------------------------------------------------------------------------------------
// Jobs from HCL

export type HclValue = string | number | boolean;

export interface GroupOptions {
  name?: string;
  count?: number;
  /** Attributes of the group's `update` block. */
  update?: Record<string, HclValue>;
  /** The mock task's `config`. */
  config?: Record<string, HclValue>;
  /** The task's env RELEASE: changing it is a destructive update. */
  release?: string;
}

function attrs(values: Record<string, HclValue>, indent: string): string {
  return Object.entries(values)
    .map(([k, v]) => `${indent}${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}\n`)
    .join('');
}

function groupHcl(g: GroupOptions): string {
  return [
    `  group "${g.name ?? 'app'}" {\n`,
    `    count = ${g.count ?? 1}\n`,
    `    update {\n${attrs({ health_check: 'task_states', ...g.update }, '      ')}    }\n`,
    `    task "srv" {\n`,
    `      driver = "mock"\n`,
    `      config {\n${attrs(g.config ?? {}, '        ')}      }\n`,
    `      env {\n        RELEASE = "${g.release ?? 'v1'}"\n      }\n`,
    `      resources {\n        cpu    = 100\n        memory = 64\n      }\n`,
    `    }\n`,
    `  }\n`,
  ].join('');
}

/** The HCL source of a service job with the given groups of one mock task each. */
export function jobSource(id: string, groups: GroupOptions[]): string {
  return `job "${id}" {\n  datacenters = ["dc1"]\n${groups.map(groupHcl).join('')}}\n`;
}

/** A job as `drover apply job.hcl` wants it; throws on jobspec errors (a broken test). */
export function desiredJob(source: string, id: string): DesiredJob {
  const d = new Diagnostics();
  const filename = `${id}.hcl`;
  const loaded = loadJobSource(
    source,
    filename,
    { inputs: { vars: [], varFiles: [], env: {} } },
    d,
  );
  if (!loaded)
    throw new Error(`job ${id} does not load: ${d.items.map((x) => x.summary).join('; ')}`);
  return {
    kind: 'run',
    id,
    job: loaded.job,
    submitted: loaded.submitted,
    source,
    filename,
  };
}

export function webJob(groups: GroupOptions | GroupOptions[], id = 'web'): DesiredJob {
  return desiredJob(jobSource(id, Array.isArray(groups) ? groups : [groups]), id);
}

// ---------------------------------------------------------------------------------------------
// The host

/** The mock driver does no I/O: a transport with no capabilities that fingerprints as a mock host. */
export function noIoTransport(
  node: NodeSpec,
  fingerprint: NodeFingerprint = nodeState().fingerprint!,
): Transport {
  // No capabilities: any shell, Docker or TCP use by the mock driver is a harness bug.
  return {
    node,
    hostAddress: () => '127.0.0.1',
    // The host as fingerprinted: the mock driver detected.
    fingerprint: () => Promise.resolve(fingerprint),
    close: () => Promise.resolve(),
  };
}

/** A mock host: its name, and what its fingerprint says besides the defaults. */
export interface MockNode {
  name: string;
  /** Fingerprinted attributes over the defaults (`kernel.name` linux, `driver.mock`). */
  attributes?: Record<string, string>;
  /** Fingerprinted resources over the defaults (64000 MHz, 65536 MB). */
  resources?: { cpu?: number; memory?: number };
}

/** The state's record of the node: fingerprinted, the mock driver detected. */
function nodeState(node: MockNode = { name: NODE }): StateSnapshot['nodes'][string] {
  return {
    name: node.name,
    inventory: { transport: 'local', datacenter: 'dc1' },
    eligibility: 'eligible',
    fingerprint: {
      fingerprinted_at: new Date(T0).toISOString(),
      attributes: { 'kernel.name': 'linux', 'driver.mock': '1', ...node.attributes },
      resources: { cpu: 64_000, memory: 65_536, ...node.resources },
      drivers: { mock: { detected: true, healthy: true } },
    },
  };
}

export const nodeSpec: NodeSpec = {
  name: NODE,
  transport: 'local',
  datacenter: 'dc1',
  meta: {},
  alloc_root: '/nonexistent/drover-mock-allocs',
};

export interface WorldOptions {
  /** The hosts (default: one, `n1`). */
  nodes?: MockNode[];
  /** The state's lineage (default: random, as a new state file's); fixed, ids are reproducible. */
  lineage?: string;
}

// ---------------------------------------------------------------------------------------------
// One drover process

/** Thrown by the store write a process is "killed" at. */
export class Killed extends Error {
  constructor(n: number) {
    super(`drover was killed at state write ${n}`);
  }
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * What one drover process sees: the store, the driver and the clock, all of which go dead at
 * once when the process is killed (its writes fail, it touches the host no more, it sleeps
 * forever), while the host and the state file live on.
 */
class Process {
  writes = 0;
  killed = false;
  readonly store: StateStore;
  readonly driver: Driver;
  readonly clock: Clock;

  constructor(world: World, opts: ApplyOptions) {
    const base = world.store;
    const kill = opts.killAtWrite;
    this.store = {
      read: () => base.read(),
      write: (next, serial) => {
        if (this.killed) return Promise.reject(new Killed(this.writes));
        this.writes++;
        if (kill !== undefined && this.writes >= kill) {
          this.killed = true;
          return Promise.reject(new Killed(this.writes));
        }
        return world.clock.track(base.write(next, serial));
      },
      lock: (info, o) => base.lock(info, o),
      forceUnlock: (id) => base.forceUnlock(id),
      currentLock: () => base.currentLock(),
      snapshotSave: (f) => base.snapshotSave(f),
      snapshotRestore: (f, o) => base.snapshotRestore(f, o),
      replace: (snap, o) => base.replace(snap, o),
      describe: () => base.describe(),
      close: () => base.close(),
    };
    const host = world.host;
    const alive = <T>(f: () => Promise<T>): Promise<T> => (this.killed ? never<T>() : f());
    const startDelay = opts.startDelayMs ?? 0;
    this.driver = {
      name: host.name,
      capabilities: () => host.capabilities(),
      validateConfig: (c) => host.validateConfig(c),
      classifyChange: (p, n) => host.classifyChange(p, n),
      detect: (t) => host.detect(t),
      start: async (ctx: TaskContext): Promise<DriverHandle> => {
        // A slow start (an image pull) takes virtual time.
        if (startDelay > 0) await this.clock.sleep(startDelay);
        if (opts.killAtStart?.(ctx)) {
          this.killed = true;
          return Promise.reject(new Killed(this.writes));
        }
        const refusal = opts.failStart?.(ctx);
        if (refusal !== undefined) return alive(() => Promise.reject(new Error(refusal)));
        const handle = await alive(() => host.start(ctx));
        world.handles.set(asMockHandle(handle).id, handle);
        return handle;
      },
      stop: (h, t, o) => alive(() => host.stop(h, t, o)),
      inspect: (h, t): Promise<TaskStatus> => alive(() => host.inspect(h, t)),
      signal: (h, t, sig) => alive(() => host.signal(h, t, sig)),
      recover: (r, t) => alive(() => host.recover(r, t)),
      logs: (h, t, o: LogOptions): Readable => host.logs(h, t, o),
      exec: (h, t, argv, o: ExecOptions) => alive(() => host.exec(h, t, argv, o)),
    };
    this.clock = {
      now: world.clock.now,
      sleep: (ms) => (this.killed ? never() : world.clock.sleep(ms)),
    };
  }
}

export interface ApplyOptions {
  /** The process dies at its N-th state write (that write fails, nothing runs after it). */
  killAtWrite?: number;
  /** The process dies as it is about to start this task (its start never reaches the host). */
  killAtStart?: (ctx: TaskContext) => boolean;
  /** Every task start takes this long (virtual ms) before the task runs. */
  startDelayMs?: number;
  /** A host error for some starts (an image that does not pull): the message, or undefined. */
  failStart?: (ctx: TaskContext) => string | undefined;
  /**
   * Health beyond task states, standing in for service checks: an allocation is healthy once
   * the mock driver's `checkHealthy` holds for each of its tasks (`healthy_after`, `fail_health`).
   */
  mockChecks?: boolean;
  /** On a failed deployment of a job with auto_revert, roll the last stable version out, as `executePlan` does. */
  autoRevert?: boolean;
  pollMs?: number;
  /** As the CLI: a plan that changes nothing is not executed (refresh findings are recorded). */
  skipEmpty?: boolean;
  /** As `apply -detach`: return once the first allocations started. */
  detach?: boolean;
}

export interface ApplyRun {
  /** Absent when the process was killed before it planned. */
  plan?: Plan;
  /** False when `skipEmpty` left a plan that changes nothing unexecuted. */
  executed?: boolean;
  outcomes: JobOutcome[];
  /** The rollback `autoRevert` did, if any. */
  revert?: { toVersion: number; outcome: JobOutcome };
  /** Set when the process was killed: the error applyJob ended with. */
  killed?: Error;
  writes: number;
  startedAt: number;
  endedAt: number;
}

export interface TimedEvent {
  at: number;
  ev: ProgressEvent;
}

// ---------------------------------------------------------------------------------------------
// The world: state file, host, clock

export class World {
  readonly clock: VirtualClock;
  /** The host: tasks it runs outlive any one drover process. */
  readonly host: MockDriver;
  readonly dir = mkdtempSync(join(tmpdir(), 'drover-deploy-'));
  readonly store = new LocalStateStore({ path: join(this.dir, 'state.json') });
  readonly nodes: ReadonlyMap<string, NodeSpec>;
  private readonly mockNodes: readonly MockNode[];
  readonly events: TimedEvent[] = [];
  /** Every task the host started, by handle id (what `docker ps -a` would list). */
  readonly handles = new Map<string, DriverHandle>();
  private ids = 0;

  /** Deterministic ids for allocations and deployments, in the order they are made. */
  newId = (): string => `00000000-0000-4000-8000-${String(++this.ids).padStart(12, '0')}`;

  private constructor(start = T0, nodes: readonly MockNode[] = [{ name: NODE }]) {
    this.clock = new VirtualClock(start);
    this.host = new MockDriver({ now: this.clock.now });
    this.mockNodes = nodes;
    this.nodes = new Map(nodes.map((n) => [n.name, { ...nodeSpec, name: n.name }]));
  }

  static async create(opts: WorldOptions = {}): Promise<World> {
    const w = new World(T0, opts.nodes);
    const s = await w.store.read();
    const nodes = Object.fromEntries(w.mockNodes.map((n) => [n.name, nodeState(n)]));
    await w.store.write(
      { ...s, ...(opts.lineage ? { lineage: opts.lineage } : {}), nodes },
      s.serial,
    );
    return w;
  }

  /**
   * A copy of this world at this moment: the state file, the host's tasks, the clock and the
   * id counter. The mock driver keeps stops in memory, so only a host that stopped nothing copies.
   */
  fork(): World {
    if (this.host.events().some((e) => e.kind === 'stop'))
      throw new Error('fork: the host stopped tasks, which a new mock driver cannot know');
    const w = new World(this.clock.now(), this.mockNodes);
    copyFileSync(this.store.path, w.store.path);
    for (const [id, h] of this.handles) {
      w.handles.set(id, h);
      w.host.adopt(h);
    }
    w.ids = this.ids;
    return w;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  read(): Promise<StateSnapshot> {
    return this.store.read();
  }

  /**
   * One `drover apply`, through the real operations layer: observe (fingerprint, refresh), plan
   * the desired jobs, execute the plan (with auto-revert). A killed process resolves with
   * `killed`.
   */
  apply(desired: DesiredJob[], opts: ApplyOptions = {}): Promise<ApplyRun> {
    return this.operate((ctx, observed) => makePlan(ctx, observed, desired), opts);
  }

  /**
   * One drover command that plans with `build` (any of the operations layer's builders) and
   * executes the plan, as `drover apply` does for job files.
   */
  async operate(
    build: (ctx: EngineContext, observed: Observed) => Plan,
    opts: ApplyOptions = {},
  ): Promise<ApplyRun> {
    const proc = new Process(this, opts);
    const startedAt = this.clock.now();
    const ctx = this.engine(proc, opts);
    let plan: Plan | undefined;
    try {
      const observed = await observe(ctx, true, { locked: true });
      plan = build(ctx, observed);
      if (opts.skipEmpty && !planHasChanges(plan)) {
        await recordRefresh(ctx, observed);
        const at = this.clock.now();
        return { plan, outcomes: [], executed: false, writes: proc.writes, startedAt, endedAt: at };
      }
      const result = await executePlan(
        ctx,
        plan,
        observed,
        (ev) => this.events.push({ at: this.clock.now(), ev }),
        opts.detach ? { detach: true } : {},
      );
      const revert = result.outcomes.find((r) => r.revert && 'outcome' in r.revert)?.revert;
      return {
        plan,
        outcomes: result.outcomes.map((r) => r.outcome),
        ...(revert && 'outcome' in revert
          ? { revert: { toVersion: revert.toVersion, outcome: revert.outcome } }
          : {}),
        writes: proc.writes,
        startedAt,
        endedAt: this.clock.now(),
      };
    } catch (err) {
      if (!proc.killed) throw err;
      return {
        ...(plan ? { plan } : {}),
        outcomes: [],
        killed: err as Error,
        writes: proc.writes,
        startedAt,
        endedAt: this.clock.now(),
      };
    }
  }

  /** The engine's context for one process: its store, driver and clock, the mock nodes. */
  engine(proc: Process, opts: ApplyOptions = {}): EngineContext {
    const nodes = [...this.nodes.values()].map((n) => ({
      ...n,
      reserved: { cpu: 0, memory: 0, disk: 0, ports: [] },
    }));
    const fingerprints = new Map(this.mockNodes.map((n) => [n.name, nodeState(n).fingerprint!]));
    return {
      config: {
        state: { backend: 'local', path: this.store.path },
        scheduler: 'binpack',
        nodes,
      },
      nodes: new Map(nodes.map((n) => [n.name, n])),
      store: proc.store,
      drivers: createDriverRegistry([proc.driver]),
      transport: (n) => noIoTransport(n, fingerprints.get(n.name)),
      pins: new Map(),
      newPins: new Map(),
      clock: proc.clock,
      droverVersion: 'test',
      ...(opts.mockChecks
        ? {
            health: (id: string, _g: unknown, _j: unknown, state: () => StateSnapshot) =>
              this.mockProbe(state, id),
          }
        : { health: () => undefined }),
    };
  }

  private mockProbe(state: () => StateSnapshot, allocId: string): HealthProbe {
    const passing = (): boolean => {
      const handles = Object.values(state().allocations[allocId]?.driver_handles ?? {});
      return handles.length > 0 && handles.every((h) => this.host.checkHealthy(h));
    };
    return {
      poll: () => (passing() ? 'healthy' : 'pending'),
      detail: () => 'mock check is not passing',
      stop: () => Promise.resolve(),
    };
  }

  // ------------------------------------------------------------------------------------------
  // What runs on the host

  /** Tasks the host runs now (started, neither stopped nor exited), by handle id. */
  async runningOnHost(): Promise<{ id: string; alloc: string; task: string }[]> {
    const out: { id: string; alloc: string; task: string }[] = [];
    for (const [id, h] of this.handles) {
      const st = await this.host.inspect(h, noIoTransport(nodeSpec));
      const m = asMockHandle(h);
      if (st.state === 'running') out.push({ id, alloc: m.alloc_id, task: m.task });
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Looking at state

export function allocsOf(s: StateSnapshot, job: string): Allocation[] {
  return Object.values(s.allocations)
    .filter((a) => a.job === job)
    .sort((a, b) => a.index - b.index || a.created_at.localeCompare(b.created_at));
}

/** Allocations meant to run and running. */
export function running(s: StateSnapshot, job: string): Allocation[] {
  return allocsOf(s, job).filter(
    (a) => a.desired_status === 'run' && a.client_status === 'running',
  );
}

export function deploymentsOf(
  s: StateSnapshot,
  job: string,
): StateSnapshot['deployments'][string][] {
  return Object.values(s.deployments)
    .filter((d) => d.job === job)
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}
