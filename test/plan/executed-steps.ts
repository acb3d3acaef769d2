/**
 * "A rollout's executed steps equal the plan's": lays the progress events of an apply (each
 * tagged with the plan step it belongs to) beside the plan and lists every disagreement. Used
 * on the golden cases (mock hosts) and on the real CLI's `apply -json` stream.
 */
import type { ProgressEvent } from '../../src/deploy/apply.js';
import type { Plan, RolloutStep } from '../../src/generated/plan.js';

type AllocEvent = Extract<ProgressEvent, { kind: 'alloc' }>;

/** Steps that start allocations, and those that stop them. */
const STARTS = new Set<RolloutStep['kind']>(['start', 'canary', 'batch', 'window']);
const STOPS = new Set<RolloutStep['kind']>(['batch', 'window', 'promote']);

/** Where an event says it ran, as text for messages. */
function where(ev: ProgressEvent): string {
  const s = ev.step;
  if (!s) return 'no plan step';
  return s.part === 'rollout'
    ? `${s.job}/${s.group} step ${s.index} (${s.kind})`
    : `${s.part}${'job' in s ? ` of ${s.job}${'group' in s && s.group ? `/${s.group}` : ''}` : ''}`;
}

function describe(ev: AllocEvent): string {
  return `${ev.name} ${ev.alloc.slice(0, 8)} ${ev.status} under ${where(ev)}`;
}

/**
 * Every disagreement between what ran and what the plan says: an allocation started or stopped
 * outside the plan step that names it (or under none), a step that did not do all it names,
 * steps out of the plan's order within a group, an old allocation not stopped before its
 * replacement started, an allocation started on another node than planned. Empty when the
 * apply ran exactly the plan.
 */
export function executionProblems(plan: Plan, events: readonly ProgressEvent[]): string[] {
  const problems: string[] = [];
  const rollouts = new Map<string, RolloutStep[]>();
  const planned = new Map<string, { node: string }>();
  const groupStops = new Map<string, Set<string>>();
  for (const j of plan.jobs) {
    for (const g of j.groups) {
      const replaced = new Set(g.placements.flatMap((p) => (p.replaces ? [p.replaces] : [])));
      groupStops.set(
        `${j.id}/${g.name}`,
        new Set(g.stops.map((s) => s.alloc_id).filter((id) => !replaced.has(id))),
      );
      for (const p of g.placements) planned.set(p.alloc_id, { node: p.node });
    }
    for (const g of j.rollout?.groups ?? []) rollouts.set(`${j.id}/${g.name}`, g.steps);
  }
  const retry = new Set(plan.retry_stops.map((s) => s.alloc_id));

  // Job events (a promotion, a result) carry a rollout step only when the plan has it.
  for (const ev of events) {
    const s = ev.step;
    if (ev.kind !== 'job' || s?.part !== 'rollout') continue;
    if (rollouts.get(`${s.job}/${s.group}`)?.[s.index - 1]?.kind !== s.kind)
      problems.push(`${ev.job} ${ev.status} under ${where(ev)}: the plan has no such step`);
  }

  const allocEvents = events.filter((e): e is AllocEvent => e.kind === 'alloc');
  // Per group: the highest step index seen so far, and each step's events.
  const reached = new Map<string, number>();
  const seen = new Map<string, AllocEvent[]>();
  const firstAt = (alloc: string, status: string): number =>
    allocEvents.findIndex((e) => e.alloc === alloc && e.status === status);

  for (const ev of allocEvents) {
    const s = ev.step;
    if (!s) {
      problems.push(`${describe(ev)}: the event names no plan step`);
      continue;
    }
    if (s.part === 'retry_stops') {
      if (!retry.has(ev.alloc)) problems.push(`${describe(ev)}: not in the plan's retry_stops`);
      continue;
    }
    if (s.part === 'stops') {
      if (!groupStops.get(`${s.job}/${s.group ?? ''}`)?.has(ev.alloc))
        problems.push(`${describe(ev)}: not among the group's planned stops`);
      continue;
    }
    if (s.part !== 'rollout') {
      problems.push(`${describe(ev)}: allocations change only in stops and rollout steps`);
      continue;
    }
    const key = `${s.job}/${s.group}`;
    const steps = rollouts.get(key);
    const step = steps?.[s.index - 1];
    if (!step || step.kind !== s.kind) {
      problems.push(`${describe(ev)}: the plan has no such step`);
      continue;
    }
    if (s.index < (reached.get(key) ?? 0))
      problems.push(`${describe(ev)}: after step ${reached.get(key)} of the group already ran`);
    reached.set(key, Math.max(reached.get(key) ?? 0, s.index));
    seen.set(`${key}#${s.index}`, [...(seen.get(`${key}#${s.index}`) ?? []), ev]);
    const starts = step.kind === 'gate' ? startedBefore(steps, s.index) : step.allocs;
    switch (ev.status) {
      case 'starting':
      case 'running':
        if (!STARTS.has(step.kind) || !step.allocs.includes(ev.alloc))
          problems.push(`${describe(ev)}: the step does not start it`);
        else if (planned.get(ev.alloc)?.node !== ev.node)
          problems.push(`${describe(ev)}: planned on ${planned.get(ev.alloc)?.node ?? '?'}`);
        break;
      case 'stopping':
      case 'stopped':
        if (!STOPS.has(step.kind) || !step.replaces.includes(ev.alloc))
          problems.push(`${describe(ev)}: the step does not stop it`);
        break;
      case 'healthy':
        if (!['gate', 'window', 'verify'].includes(step.kind) || !starts.includes(ev.alloc))
          problems.push(`${describe(ev)}: the step does not gate it`);
        break;
      default:
        problems.push(`${describe(ev)}: a rollout that went as planned has no such event`);
    }
  }

  // Each step that ran did all it names; a group stops early only to wait for promotion.
  for (const [key, steps] of rollouts) {
    const last = reached.get(key) ?? 0;
    for (const [i, step] of steps.entries()) {
      const index = i + 1;
      const evs = seen.get(`${key}#${index}`) ?? [];
      const has = (alloc: string, status: string) =>
        evs.some((e) => e.alloc === alloc && e.status === status);
      if (index > last) {
        const waiting = steps.slice(last, index).some((x) => x.kind === 'promote');
        if (!waiting && step.kind !== 'stagger')
          problems.push(`${key} step ${index} (${step.kind}) did not run`);
        continue;
      }
      if (STARTS.has(step.kind))
        for (const a of step.allocs)
          if (!has(a, 'starting')) problems.push(`${key} step ${index} did not start ${a}`);
      if (STOPS.has(step.kind))
        for (const a of step.replaces)
          if (!has(a, 'stopped')) problems.push(`${key} step ${index} did not stop ${a}`);
      if (step.kind === 'gate' || step.kind === 'verify' || step.kind === 'window') {
        const gated = step.kind === 'gate' ? startedBefore(steps, index) : step.allocs;
        for (const a of gated)
          if (!has(a, 'healthy')) problems.push(`${key} step ${index} did not see ${a} healthy`);
      }
      // Replacements stop the old allocation first, then start the new one.
      if (step.kind === 'window' || step.kind === 'batch')
        step.allocs.forEach((a, k) => {
          const old = step.replaces[k];
          if (old && firstAt(old, 'stopped') > firstAt(a, 'starting'))
            problems.push(`${key} step ${index} started ${a} before ${old} stopped`);
        });
    }
  }
  return problems;
}

/** What the gate at `index` (1-based) waits on: the allocations the step before it started. */
function startedBefore(steps: readonly RolloutStep[], index: number): string[] {
  for (let i = index - 2; i >= 0; i--) {
    const s = steps[i]!;
    if (s.kind === 'gate') return [];
    if (STARTS.has(s.kind)) return s.allocs;
  }
  return [];
}
