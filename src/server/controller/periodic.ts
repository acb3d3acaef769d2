/**
 * Periodic launches, as Nomad's periodic dispatcher decides them (`nomad/periodic.go`): each
 * enabled periodic job launches a child at each time its crons name; a launch whose time has
 * passed is made once, never once per missed time; with `prohibit_overlap` a launch is skipped
 * while a child still runs. The last launch is derived from state, from the children's
 * `periodic-<unix seconds>` ids (or the version's submit time when there is none), so a new
 * leader launches once at most when a launch was missed. Launch times skipped (overlap) are
 * remembered by the caller (`considered`): a later pass does not launch them late. Pure.
 */
import type { NormalizedJob as Job } from '../../generated/normalized-job.js';
import { nextLaunch } from '../../jobspec/cron.js';
import { decodeStoredJob } from '../../jobspec/stored.js';
import { childrenOf, launchOf } from '../../ops/launch.js';
import type { StateSnapshot } from '../../state/types.js';

export interface PeriodicDecision {
  parent: string;
  kind: 'launch' | 'skip';
  /** The launch time this decision is about (ms). */
  at: number;
  reason: string;
}

export interface PeriodicPlan {
  decisions: PeriodicDecision[];
  /** The next launch time of any periodic job after `now`. */
  nextAt?: number;
}

/** A launch more than this late was missed (the leader was away), and says so. */
const ON_TIME_MS = 5_000;

export function periodicDecisions(
  state: StateSnapshot,
  now: number,
  considered: ReadonlyMap<string, number> = new Map(),
): PeriodicPlan {
  const decisions: PeriodicDecision[] = [];
  let nextAt: number | undefined;
  for (const id of Object.keys(state.jobs).sort()) {
    const job = periodicParent(state, id);
    if (!job?.periodic) continue;
    const last = Math.max(lastLaunch(state, id), considered.get(id) ?? -Infinity);
    const due = nextLaunch(job.periodic, new Date(last))?.getTime();
    const upcoming = nextLaunch(job.periodic, new Date(now))?.getTime();
    if (upcoming !== undefined)
      nextAt = nextAt === undefined ? upcoming : Math.min(nextAt, upcoming);
    if (due === undefined || due > now) continue;
    const slot = latestSlot(job, due, now);
    const running = job.periodic.prohibit_overlap ? runningChild(state, id) : undefined;
    const when = new Date(slot).toISOString();
    if (running) {
      decisions.push({
        parent: id,
        kind: 'skip',
        at: slot,
        reason: `launch of ${when} skipped: prohibit_overlap and child "${running}" still runs`,
      });
      continue;
    }
    decisions.push({
      parent: id,
      kind: 'launch',
      at: slot,
      reason:
        now - slot > ON_TIME_MS
          ? `launch of ${when} was missed: launched once now (no catch-up of missed launches)`
          : `launch time ${when}`,
    });
  }
  return { decisions, ...(nextAt !== undefined ? { nextAt } : {}) };
}

/** The latest launch time at or before `now`, starting from the first one due. */
function latestSlot(job: Job, first: number, now: number): number {
  let slot = first;
  // Bounded: an every-second cron missed for a day is not walked slot by slot.
  for (let i = 0; i < 1000; i++) {
    const next = nextLaunch(job.periodic!, new Date(slot))?.getTime();
    if (next === undefined || next > now) return slot;
    slot = next;
  }
  return now;
}

/** The job's latest version when it is a periodic parent that launches (not stopped, not parameterized). */
function periodicParent(state: StateSnapshot, id: string): Job | undefined {
  const js = state.jobs[id];
  const v = js?.versions[js.versions.length - 1];
  if (!js || !v || js.stopped) return undefined;
  try {
    const job = decodeStoredJob(v);
    return job.periodic && !job.parameterized && job.periodic.enabled !== false ? job : undefined;
  } catch {
    return undefined;
  }
}

/** When the job last launched: its latest periodic child's time, else its latest version's submission. */
export function lastLaunch(state: StateSnapshot, parent: string): number {
  const js = state.jobs[parent]!;
  const submitted = Date.parse(js.versions[js.versions.length - 1]!.submitted_at);
  let last = Number.isFinite(submitted) ? submitted : 0;
  for (const child of childrenOf(state, parent)) {
    if (launchOf(state, child)?.kind !== 'periodic') continue;
    const m = /\/periodic-(\d+)$/.exec(child);
    if (m) last = Math.max(last, Number(m[1]) * 1000);
  }
  return last;
}

/** A child of `parent` that has an allocation meant to run and not finished, if any. */
export function runningChild(state: StateSnapshot, parent: string): string | undefined {
  const children = new Set(childrenOf(state, parent).filter((c) => !state.jobs[c]?.stopped));
  for (const a of Object.values(state.allocations))
    if (
      children.has(a.job) &&
      a.desired_status === 'run' &&
      (a.client_status === 'pending' || a.client_status === 'running')
    )
      return a.job;
  return undefined;
}
