/**
 * One reconcile pass of the leader, inside one server write (state lock held, fleet observed):
 * node health → garbage collection → periodic launches → each recorded job planned again and
 * its plan executed when it changes anything (lost and failed allocations replaced, reschedules
 * that fell due, detached deployments carried on as `drover apply` carries them on, drift healed
 * where opted in). Every decision is logged with its reason and recorded as an event: plans
 * record theirs as they execute; decisions without a plan get a `server.*` event. Returns when
 * the next pass is due for a delayed follow-up (a reschedule delay, a launch time, a grace
 * period or lost_after running out).
 */
import { METRICS } from '../metrics/names.js';
import { removeAllocDirs } from '../../../providers/alloc-dirs.js';
import { allocDirOf } from '../../deploy/alloc-tasks.js';
import type { ProgressEvent } from '../../deploy/apply.js';
import { hookOf, isSidecar } from '../../deploy/lifecycle.js';
import { StateRecorder, type StateEvent } from '../../deploy/recorder.js';
import type { Plan } from '../../generated/plan.js';
import { launchKind } from '../../jobspec/launch.js';
import { decodeStoredJob } from '../../jobspec/stored.js';
import { detectDrift } from '../../ops/drift.js';
import { recordObserved } from '../../ops/observe.js';
import type { EngineContext } from '../../ops/context.js';
import {
  executePlan,
  makePlan,
  planCollectGarbage,
  planHasChanges,
  planPeriodicForce,
  recordedDesired,
  type Garbage,
  type Observed,
} from '../../ops/index.js';
import { driftedAllocations } from '../../plan/drift.js';
import type { StateSnapshot } from '../../state/types.js';
import type { ServerContext } from '../types.js';
import { disconnectView } from './disconnect.js';
import { described, isEmpty, selectGarbage } from './gc.js';
import type { NodeHealth } from './node-health.js';
import { periodicDecisions } from './periodic.js';
import { nextReschedule, planReasons } from './reasons.js';

/** What the controller remembers between passes (lost with leadership; state holds the rest). */
export interface ControllerMemory {
  health: NodeHealth;
  /** Periodic launch times skipped (prohibit_overlap), by parent: not launched late. */
  considered: Map<string, number>;
  /** Decisions already logged that a later pass would repeat (held allocations, drift not healed). */
  said: Set<string>;
}

export interface PassOptions {
  /** Look for drift (each task inspected on its host): on timer passes, not on every wake. */
  checkDrift: boolean;
}

export interface PassResult {
  /** When a delayed follow-up falls due (ms), if one does. */
  nextAt?: number;
  /** Plans executed. */
  executed: number;
}

export function actorOf(ctx: ServerContext): string {
  return `server:${ctx.settings.name}`;
}

export async function runPass(
  ctx: ServerContext,
  memory: ControllerMemory,
  opts: PassOptions,
): Promise<PassResult> {
  const who = actorOf(ctx);
  return ctx.write({ name: who }, 'server reconcile', (engine, observed) =>
    new Pass(ctx, engine, memory, who, observed).run(opts),
  );
}

class Pass {
  private readonly now: number;
  private obs: Observed;
  private nextAt: number | undefined;
  private executed = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly engine: EngineContext,
    private readonly memory: ControllerMemory,
    private readonly who: string,
    observed: Observed,
  ) {
    this.now = engine.clock.now();
    this.obs = observed;
  }

  async run(opts: PassOptions): Promise<PassResult> {
    await this.nodeHealth();
    await this.collectGarbage();
    await this.launchPeriodic();
    await this.reconcileJobs(opts.checkDrift);
    await this.recordRefresh();
    return {
      ...(this.nextAt !== undefined ? { nextAt: this.nextAt } : {}),
      executed: this.executed,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Node health and disconnects

  private async nodeHealth(): Promise<void> {
    const names = [...this.engine.nodes.keys()];
    const failing = new Map(this.obs.down.map((d) => [d.node, d.reason]));
    // A host that answered the fingerprint but not the look at its allocations did not answer.
    for (const d of this.obs.drift)
      if (d.to === 'lost' && d.reason.startsWith(`node "${d.node}" did not answer`))
        failing.set(d.node, failing.get(d.node) ?? d.reason);
    for (const n of names) this.memory.health.record(n, !failing.has(n), this.now, failing.get(n));
    const events: StateEvent[] = [];
    for (const t of this.memory.health.transitions(names, this.now)) {
      this.decide(`node ${t.node} is ${t.to}: ${t.reason}`, t.to === 'down' ? 'warn' : 'info');
      events.push({
        what: `server.node.${t.to}`,
        detail: `node ${t.node} is ${t.to}: ${t.reason}`,
      });
    }
    const view = this.view(this.obs);
    for (const d of view.decisions) {
      const key = `${d.kind}:${d.alloc}`;
      if (this.memory.said.has(key)) continue;
      this.memory.said.add(key);
      this.decide(d.reason);
      events.push({
        what: `server.alloc.${d.kind === 'held' ? 'unknown' : 'reconnect'}`,
        alloc: d.alloc,
        detail: d.reason,
      });
    }
    this.due(this.memory.health.nextDownAt(names, this.now));
    this.due(view.nextAt);
    this.obs = view.observed;
    await this.record(events);
  }

  /** The observation as the plans see it: unreachable nodes judged by grace and `disconnect`. */
  private view(o: Observed) {
    return disconnectView(o, (n) => this.memory.health.condition(n, this.now), this.now);
  }

  // -------------------------------------------------------------------------------------------
  // Garbage collection

  private async collectGarbage(): Promise<void> {
    const selected = selectGarbage(this.obs.stored, this.now, this.ctx.settings.gcThresholdMs);
    if (isEmpty(selected)) return;
    const garbage = await this.removeDirectories(selected);
    if (isEmpty(garbage)) return;
    this.decide(`garbage collection: ${garbage.description}`);
    await this.execute(planCollectGarbage(this.engine, this.obs, garbage), 'garbage collection');
  }

  /**
   * Removes the directories of the collected allocations from their hosts first (those a plan
   * has not collected yet); an allocation whose host does not answer stays for a later pass.
   */
  private async removeDirectories(g: Garbage): Promise<Garbage> {
    const state = this.obs.stored;
    const byNode = new Map<string, string[]>();
    for (const id of g.allocations) {
      const a = state.allocations[id]!;
      if (a.collected || !this.engine.nodes.has(a.node)) continue;
      byNode.set(a.node, [...(byNode.get(a.node) ?? []), id]);
    }
    const kept = new Set<string>();
    await Promise.all(
      [...byNode].map(async ([name, ids]) => {
        const node = this.engine.nodes.get(name)!;
        if (this.memory.health.condition(name, this.now).kind !== 'up') {
          ids.forEach((id) => kept.add(id));
          return;
        }
        try {
          await removeAllocDirs(
            this.engine.transport(node),
            ids.map((id) => allocDirOf(state, node, id)),
          );
        } catch (err) {
          this.decide(`garbage collection: node ${name}: ${(err as Error).message}`, 'warn');
          ids.forEach((id) => kept.add(id));
        }
      }),
    );
    if (kept.size === 0) return g;
    const allocations = g.allocations.filter((id) => !kept.has(id));
    // A child job goes only with all its allocations.
    const jobs = g.jobs.filter((j) => ![...kept].some((id) => state.allocations[id]?.job === j));
    return described(
      {
        allocations: allocations.filter((id) => {
          const job = state.allocations[id]!.job;
          return !g.jobs.includes(job) || jobs.includes(job);
        }),
        deployments: g.deployments.filter((d) => {
          const job = state.deployments[d]!.job;
          return !g.jobs.includes(job) || jobs.includes(job);
        }),
        jobs,
      },
      this.ctx.settings.gcThresholdMs,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Periodic launches

  private async launchPeriodic(): Promise<void> {
    // The refreshed state: a child that ended since the last write no longer overlaps.
    const { decisions, nextAt } = periodicDecisions(
      this.obs.state,
      this.now,
      this.memory.considered,
    );
    this.due(nextAt);
    const events: StateEvent[] = [];
    for (const d of decisions) {
      this.decide(`periodic job ${d.parent}: ${d.reason}`);
      if (d.kind === 'skip') {
        this.memory.considered.set(d.parent, d.at);
        events.push({ what: 'server.periodic.skip', job: d.parent, detail: d.reason });
        continue;
      }
      this.memory.considered.delete(d.parent);
      await this.record(events.splice(0));
      try {
        const plan = planPeriodicForce(this.engine, this.obs, d.parent);
        await this.execute(plan, `periodic launch of ${d.parent}`, {
          detach: detachable(plan),
        });
      } catch (err) {
        this.decide(`periodic job ${d.parent}: launch failed: ${(err as Error).message}`, 'error');
      }
    }
    await this.record(events);
  }

  // -------------------------------------------------------------------------------------------
  // Jobs: reschedules, lost allocations, deployments, drift

  private async reconcileJobs(checkDrift: boolean): Promise<void> {
    const drifted = checkDrift ? await this.drift() : new Map<string, string>();
    for (const id of reconcilableJobs(this.obs.stored)) {
      let plan: Plan;
      const heal = new Map(
        [...drifted].filter(([alloc]) => this.obs.stored.allocations[alloc]?.job === id),
      );
      try {
        plan = makePlan(this.engine, this.obs, [recordedDesired(this.obs.stored, id)], {
          ...(heal.size ? { drifted: heal } : {}),
        });
      } catch (err) {
        const key = `plan:${id}:${(err as Error).message}`;
        if (!this.memory.said.has(key)) {
          this.memory.said.add(key);
          this.decide(`job ${id}: cannot plan: ${(err as Error).message}`, 'error');
        }
        continue;
      }
      const waiting = nextReschedule(plan);
      if (waiting) {
        this.due(waiting.at);
        const key = `wait:${waiting.alloc}:${waiting.at}`;
        if (!this.memory.said.has(key)) {
          this.memory.said.add(key);
          const why = `${waiting.name} is rescheduled at ${new Date(waiting.at).toISOString()} (reschedule delay)`;
          this.decide(`job ${id}: ${why}`);
          await this.record([
            { what: 'server.reschedule.wait', job: id, alloc: waiting.alloc, detail: why },
          ]);
        }
      }
      if (!actionable(plan)) continue;
      if (waitsForPromotion(plan, id, this.obs.stored)) {
        const key = `promote:${plan.jobs[0]?.deployment?.id ?? id}`;
        if (!this.memory.said.has(key)) {
          this.memory.said.add(key);
          this.decide(`job ${id}: canaries wait for promotion (drover promote ${id})`);
        }
        continue;
      }
      this.decide(`job ${id}: ${planReasons(plan, id).join('; ')}`);
      await this.execute(plan, `job ${id}`);
    }
  }

  /**
   * Drifted allocations, by id with why, of the jobs that opted into self-heal (drover.hcl
   * `server { self_heal = true }`, or job meta `drover.self_heal = "true"`); drift of the others
   * is only logged, once per allocation and reason.
   */
  private async drift(): Promise<Map<string, string>> {
    const state = this.obs.stored;
    let report;
    try {
      report = await detectDrift(this.engine, this.obs);
    } catch (err) {
      this.decide(`drift not checked: ${(err as Error).message}`, 'warn');
      return new Map();
    }
    const out = new Map<string, string>();
    for (const [alloc, why] of driftedAllocations(report)) {
      const a = state.allocations[alloc];
      if (!a) continue;
      if (this.ctx.settings.selfHeal || selfHeals(state, a.job)) out.set(alloc, why);
      else {
        const key = `drift:${alloc}:${why}`;
        if (this.memory.said.has(key)) continue;
        this.memory.said.add(key);
        this.decide(
          `job ${a.job}: ${a.name} (${alloc.slice(0, 8)}) ${why}; not replaced (self-heal is off: drover.hcl server { self_heal = true } or job meta drover.self_heal = "true")`,
          'warn',
        );
        await this.record([{ what: 'server.drift', job: a.job, alloc, detail: why }]);
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Shared

  private async execute(plan: Plan, what: string, opts: { detach?: boolean } = {}): Promise<void> {
    const progress = (ev: ProgressEvent) => {
      if (ev.kind === 'job')
        this.ctx.log.info(
          `${what}${what.endsWith(ev.job) ? '' : ` (${ev.job})`}: ${ev.status}${ev.detail ? `: ${ev.detail}` : ''}`,
        );
    };
    const started = Date.now();
    try {
      const result = await executePlan(this.engine, plan, this.obs, progress, {
        actor: this.who,
        ...(opts.detach ? { detach: true } : {}),
      });
      this.executed++;
      for (const r of result.outcomes)
        if (!r.outcome.ok)
          this.decide(
            `${what}: ${r.job}: ${r.outcome.result}: ${r.outcome.description ?? ''}`,
            'warn',
          );
      this.obs = this.view(nextObserved(result.state, this.obs)).observed;
    } catch (err) {
      this.decide(`${what}: failed: ${(err as Error).message}`, 'error');
      // What was written is what the next plan is computed against.
      const state = await this.engine.store.read();
      this.obs = this.view(nextObserved(state, this.obs)).observed;
    } finally {
      this.ctx.metrics.sample(METRICS.schedulingLatency, Date.now() - started);
    }
  }

  /**
   * What refresh saw (a task that ended, a container gone) is recorded even when no plan ran,
   * as `drover apply` records it when it has nothing to do: later passes and readers see it.
   */
  private async recordRefresh(): Promise<void> {
    if (this.obs.drift.length === 0) return;
    const recorder = this.recorder();
    await recordObserved(recorder, this.obs);
    await recorder.flush();
    this.obs = nextObserved(recorder.state, this.obs);
  }

  private recorder(): StateRecorder {
    return new StateRecorder(
      this.engine.store,
      this.obs.stored,
      () => new Date(this.engine.clock.now()),
      this.who,
    );
  }

  /** Appends `server.*` events through the engine's recorder, as the server acting. */
  private async record(events: readonly StateEvent[]): Promise<void> {
    if (events.length === 0) return;
    const recorder = this.recorder();
    for (const e of events) recorder.defer((s) => s, e);
    await recorder.flush();
    const stored = recorder.state;
    this.obs = {
      ...this.obs,
      stored,
      state: { ...this.obs.state, serial: stored.serial, events: stored.events },
    };
  }

  private decide(message: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.ctx.log[level](message, { component: 'controller' });
  }

  private due(at: number | undefined): void {
    if (at !== undefined && (this.nextAt === undefined || at < this.nextAt)) this.nextAt = at;
  }
}

/** After a plan ran: the state it left, with the nodes found down still down. */
function nextObserved(state: StateSnapshot, prior: Observed): Observed {
  return { stored: state, state, drift: [], down: prior.down };
}

/** Recorded jobs the leader keeps as recorded: not stopped, not a periodic or parameterized parent. */
export function reconcilableJobs(state: StateSnapshot): string[] {
  return Object.keys(state.jobs)
    .sort()
    .filter((id) => {
      const js = state.jobs[id]!;
      const v = js.versions[js.versions.length - 1];
      if (js.stopped || !v) return false;
      try {
        return !launchKind(decodeStoredJob(v));
      } catch {
        return false;
      }
    });
}

/**
 * Whether running the plan would do anything on the hosts or in state: a plan whose only news
 * is allocations that cannot be placed (no node fits) is not run again every pass.
 */
export function actionable(plan: Plan): boolean {
  if (!planHasChanges(plan)) return false;
  if (plan.changes.length || plan.retry_stops.length) return true;
  return plan.jobs.some(
    (j) =>
      j.new_version ||
      (j.templates?.length ?? 0) > 0 ||
      j.deployment !== null ||
      j.groups.some((g) => g.placements.length || g.stops.length || g.inplace.length),
  );
}

/**
 * A deployment whose canaries are all placed and healthy and that waits for someone to promote
 * them (a group without auto_promote): its plan would only open the promotion gate again, every
 * pass. Read from state: the plan carries it on (resumed), nothing else changes.
 */
export function waitsForPromotion(plan: Plan, job: string, state: StateSnapshot): boolean {
  const jp = plan.jobs.find((j) => j.id === job);
  const d = jp?.deployment?.resumed ? state.deployments[jp.deployment.id] : undefined;
  if (!d || plan.changes.length || plan.retry_stops.length) return false;
  const v = state.jobs[job]?.versions.find((x) => x.version === d.version);
  if (!v) return false;
  const groups = decodeStoredJob(v).group;
  const waiting = Object.entries(d.groups).filter(([, g]) => g.desired_canaries > 0 && !g.promoted);
  return (
    waiting.length > 0 &&
    waiting.every(
      ([name, g]) =>
        groups.find((x) => x.name === name)?.update?.auto_promote !== true &&
        g.placed_canaries.length >= g.desired_canaries &&
        g.placed_canaries.every((id) => state.allocations[id]?.health?.healthy === true),
    )
  );
}

function selfHeals(state: StateSnapshot, job: string): boolean {
  const js = state.jobs[job];
  const v = js?.versions[js.versions.length - 1];
  const meta = (v?.job as { meta?: Record<string, unknown> } | undefined)?.meta;
  return meta?.['drover.self_heal'] === 'true';
}

/**
 * A launch returns once its allocations started (the child runs on; later passes see it end),
 * but for a child with sidecars or poststop tasks: those apply must see through itself.
 */
function detachable(plan: Plan): boolean {
  return plan.jobs.every((j) => {
    const job = j.payload ? decodeStoredJob(j.payload) : undefined;
    return !(job?.group ?? []).some((g) =>
      g.task.some((t) => isSidecar(t) || hookOf(t) === 'poststop'),
    );
  });
}
