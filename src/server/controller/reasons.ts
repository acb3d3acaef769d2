/**
 * Why the leader runs a plan, in words for its log and events: what the plan for one recorded
 * job does (replace lost or failed allocations, continue a deployment, heal drift) and when the
 * next reschedule a plan had to wait for falls due. Pure.
 */
import type { JobPlan, Plan } from '../../generated/plan.js';

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** One line per thing the plan does for `job`, for the log and the event. */
export function planReasons(plan: Plan, job: string): string[] {
  const out: string[] = [];
  if (plan.retry_stops.length)
    out.push(`${plural(plan.retry_stops.length, 'stop')} that did not reach a host retried`);
  const jp = plan.jobs.find((j) => j.id === job);
  if (!jp) return out;
  const stops = jp.groups.flatMap((g) => g.stops);
  const lost = stops.filter((s) => s.client_status === 'lost');
  if (lost.length)
    out.push(
      `${plural(lost.length, 'lost allocation')} replaced (${[...new Set(lost.map((s) => s.reason))].join('; ')})`,
    );
  const placements = jp.groups.flatMap((g) => g.placements);
  const rescheduled = placements.filter((p) => p.reschedule);
  for (const p of rescheduled) {
    const r = p.reschedule!;
    out.push(
      `${p.name} rescheduled on ${p.node} (attempt ${r.attempt}${r.attempts ? ` of ${r.attempts}` : ''}, delay ${r.delay_ms} ms)`,
    );
  }
  const drifted = stops.filter((s) => s.reason.startsWith('drifted'));
  if (drifted.length) out.push(`${plural(drifted.length, 'drifted allocation')} replaced`);
  const exited = stops.filter(
    (s) =>
      s.client_status === 'complete' ||
      (s.client_status === 'failed' && !rescheduled.some((p) => p.replaces === s.alloc_id)),
  );
  if (exited.length) out.push(`${plural(exited.length, 'ended allocation')} replaced`);
  if (jp.deployment?.resumed) out.push(`deployment ${jp.deployment.id.slice(0, 8)} continued`);
  else if (jp.deployment) out.push(`deployment ${jp.deployment.id.slice(0, 8)} started`);
  if (jp.type !== 'none' && jp.new_version)
    out.push(`job version ${jp.to_version ?? '?'} recorded`);
  const placedOther = placements.length - rescheduled.length - lost.length;
  if (!out.length && placedOther > 0) out.push(`${plural(placedOther, 'allocation')} placed`);
  if (!out.length && jp.templates?.length)
    out.push(`${plural(jp.templates.length, 'template')} re-rendered`);
  if (!out.length) out.push(`${jp.type} (${describeCounts(jp)})`);
  return out;
}

function describeCounts(jp: JobPlan): string {
  const c = { create: 0, destroy: 0, update: 0 };
  for (const g of jp.groups) {
    c.create += g.counts.create;
    c.destroy += g.counts.destroy;
    c.update += g.counts.in_place_update + g.counts.create_destroy_update;
  }
  return `${c.create} to create, ${c.update} to update, ${c.destroy} to destroy`;
}

/** The earliest reschedule a plan waits for (ms), with the allocation it is for. */
export function nextReschedule(
  plan: Plan,
): { at: number; alloc: string; name: string } | undefined {
  let next: { at: number; alloc: string; name: string } | undefined;
  for (const j of plan.jobs)
    for (const g of j.groups)
      for (const w of g.reschedule_waits ?? []) {
        if (w.status !== 'due' || !w.due_at) continue;
        const at = Date.parse(w.due_at);
        if (!next || at < next.at) next = { at, alloc: w.alloc_id, name: w.name };
      }
  return next;
}
