/**
 * A plan for people, in the spirit of `nomad job plan` (the annotated job diff, the scheduler
 * dry-run) and `terraform plan` (one summary line to approve). Unlike Nomad it prints the whole
 * rollout, not only its first step. Deterministic: no dates, sorted where order means nothing.
 */
import { SENSITIVE_TEXT } from '../jobspec/sensitive.js';
import type {
  Annotation,
  JobSchedule,
  DiffType,
  FieldDiff,
  GroupDiff,
  GroupPlan,
  JobPlan,
  JobPrune,
  ObjectDiff,
  Placement,
  Plan,
  PlacementFailure,
  PlanWarning,
  RolloutStep,
  StateChange,
  TaskDiff,
  UpdateCounts,
} from '../generated/plan.js';
import { plainStyler, type Styler } from '../diag/render.js';
import { formatDuration, MILLISECOND } from '../jobspec/duration.js';
import { naturalCompare } from './diff.js';
import { unplacedAllocations } from './unplaced.js';
import { renderImageTransfers } from './images.js';
import { renderPlanHooks } from './hooks.js';
import { renderOrder } from './render-order.js';
import { redactPlan } from './redact.js';
import { DRIFTED } from './drift.js';
import { describePrune } from './prune.js';

/** The diagnostics styler, plus colours for what is added, deleted, edited and kept in place. */
export interface PlanStyler extends Styler {
  added?: (s: string) => string;
  deleted?: (s: string) => string;
  edited?: (s: string) => string;
  inPlace?: (s: string) => string;
}

export interface RenderTextOptions {
  color?: PlanStyler;
  /** Show unchanged fields and unchanged jobs, and expand added and deleted groups and tasks. */
  verbose?: boolean;
}

interface Ctx {
  s: Required<PlanStyler>;
  verbose: boolean;
  /** When the plan was made (ms), for "due in …". */
  at?: number;
}

export function renderPlanText(plan: Plan, opts: RenderTextOptions = {}): string {
  const ctx: Ctx = {
    s: fullStyler(opts.color ?? plainStyler),
    verbose: opts.verbose ?? false,
    at: Date.parse(plan.created_at),
  };
  const out: string[] = [];
  if (plan.changes.length > 0) out.push(...renderChanges(plan.changes), '');
  if (plan.retry_stops.length > 0)
    out.push(
      'Stops an earlier apply could not finish (their hosts answer now):',
      ...plan.retry_stops.map((x) => `  stop  ${short(x.alloc_id)}  ${x.name}  on ${x.node}`),
      '',
    );
  // An image named from a sensitive variable reads `(sensitive)`, as in the job's diff.
  if (plan.images?.length) out.push(...renderImageTransfers(redactPlan(plan).images), '');
  if (plan.hooks?.length) out.push(...renderPlanHooks(plan.hooks), '');
  const jobs = [...plan.jobs].sort((a, b) => naturalCompare(a.id, b.id));
  for (const job of jobs) {
    if (job.prune) continue; // shown last, as apply stops them
    if (
      job.type === 'none' &&
      !ctx.verbose &&
      !job.groups.some((g) => g.reschedule_waits?.length) &&
      !job.templates?.length
    ) {
      // Nomad's plan prints the next periodic launch whether or not the job changed.
      if (job.schedule)
        out.push(
          ctx.s.bold(`Job: ${JSON.stringify(job.id)} (unchanged)`),
          ...renderSchedule(job.id, job.schedule),
          '',
        );
      continue;
    }
    out.push(...renderJob(job, ctx), '');
  }
  if (plan.order?.length) out.push(...renderOrder(plan.order), '');
  for (const job of plan.jobs) if (job.prune) out.push(...renderPruned(job, job.prune, ctx), '');
  if (plan.warnings.length > 0) out.push(...renderWarnings(plan.warnings, ctx), '');
  out.push(...renderSummary(plan, jobs, ctx));
  out.push(`Plan hash: ${plan.hash}`);
  return out.join('\n') + '\n';
}

/** Just the diff of a job (for `job history -p`): no counts, placements or rollout. */
export function renderJobDiffText(
  id: string,
  diff: JobPlan['diff'],
  opts: RenderTextOptions = {},
): string {
  const ctx: Ctx = { s: fullStyler(opts.color ?? plainStyler), verbose: opts.verbose ?? false };
  const job: JobPlan = {
    id,
    type: 'update',
    from_version: null,
    to_version: null,
    new_version: false,
    purge: false,
    deployment: null,
    diff,
    groups: [],
    rollout: null,
    payload: null,
  };
  return renderJobDiff(job, ctx).join('\n') + '\n';
}

/** Fills the colours a plain diagnostics styler lacks: deleted is red, edited yellow. */
function fullStyler(s: PlanStyler): Required<PlanStyler> {
  const same = (x: string): string => x;
  return {
    error: (x) => s.error(x),
    warning: (x) => s.warning(x),
    bold: (x) => s.bold(x),
    dim: (x) => s.dim(x),
    added: s.added ?? same,
    deleted: s.deleted ?? ((x) => s.error(x)),
    edited: s.edited ?? ((x) => s.warning(x)),
    inPlace: s.inPlace ?? same,
  };
}

// ---------------------------------------------------------------------------------------------
// One job

/** State changes the plan records first: `Node "n1": eligibility → ineligible, drain → true`. */
function renderChanges(changes: readonly StateChange[]): string[] {
  return [
    'Changes to state:',
    ...changes.map((c) => {
      switch (c.kind) {
        case 'node': {
          const what = [
            c.eligibility ? `eligibility → ${c.eligibility}` : '',
            c.drain !== undefined ? `drain → ${c.drain}` : '',
            c.ignore_system_jobs ? 'system jobs stay' : '',
          ].filter(Boolean);
          return `  ~ Node ${JSON.stringify(c.node)}: ${what.join(', ')}`;
        }
        case 'promote':
          return `  ~ Deployment ${short(c.deployment ?? '')} of job ${JSON.stringify(c.job)}: promote ${(c.groups ?? []).map((g) => `group ${JSON.stringify(g)}`).join(', ')}`;
        case 'fail':
          return `  ~ Deployment ${short(c.deployment ?? '')} of job ${JSON.stringify(c.job)}: mark failed`;
        case 'gc':
          return `  - Garbage: ${[
            ...(c.jobs ?? []).map((j) => `job ${JSON.stringify(j)}`),
            ...(c.deployments ?? []).map((d) => `deployment ${short(d)}`),
            ...(c.allocations ?? []).map((a) => `allocation ${short(a)}`),
          ].join(', ')}`;
      }
    }),
  ];
}

/**
 * A job whose file left the planned directory: one line that says which file and what stops,
 * then its allocations (the diff of a whole job being deleted says nothing more).
 */
function renderPruned(job: JobPlan, prune: JobPrune, ctx: Ctx): string[] {
  const stops = job.groups.flatMap((g) => g.stops);
  const nodes = [...new Set(stops.map((s) => s.node))].sort(naturalCompare);
  const what =
    stops.length === 0
      ? 'stop it (no allocations run)'
      : `stop ${stops.length === 1 ? '1 allocation' : `${stops.length} allocations`} on ${nodes.join(', ')}`;
  const out = [
    `${ctx.s.deleted('-')} ${ctx.s.bold(`job ${JSON.stringify(job.id)}`)} (${describePrune(prune)}): ${what}`,
  ];
  const allocs = renderAllocations(job, ctx);
  if (allocs.length > 0) out.push(...allocs.map((l) => `  ${l}`));
  if (job.collect?.length) out.push(...renderCollect(job.collect).map((l) => `  ${l}`));
  return out;
}

function renderJob(job: JobPlan, ctx: Ctx): string[] {
  const out = renderJobDiff(job, ctx);
  if (job.purge) out.push('  (purge: the job, its history and its allocations are forgotten)');
  if (job.schedule) out.push('', ...renderSchedule(job.id, job.schedule));
  else if (job.type === 'create' || job.type === 'update') out.push('', ...renderDryRun(job, ctx));
  const allocs = renderAllocations(job, ctx);
  if (allocs.length > 0) out.push('', ...allocs);
  const waits = renderRescheduleWaits(job, ctx);
  if (waits.length > 0) out.push('', ...waits);
  if (job.templates?.length) out.push('', ...renderTemplateChanges(job.templates, ctx));
  if (job.rollout) out.push('', ...renderRollout(job, ctx));
  if (job.collect?.length) out.push('', ...renderCollect(job.collect));
  return out;
}

/**
 * Templates of kept allocations whose render changed, and what apply does about each; never
 * their content (it may hold secrets).
 */
function renderTemplateChanges(changes: NonNullable<JobPlan['templates']>, ctx: Ctx): string[] {
  const does = (c: (typeof changes)[number]): string =>
    c.change_mode === 'restart'
      ? `restart task ${JSON.stringify(c.task)}`
      : c.change_mode === 'signal'
        ? `signal ${c.change_signal ?? ''} to task ${JSON.stringify(c.task)}`
        : c.change_mode === 'script'
          ? `run the change script in task ${JSON.stringify(c.task)}`
          : 'none: the file only';
  return changes.map(
    (c) =>
      `  ${ctx.s.edited('~')} template ${JSON.stringify(c.destination)} (changes: ${does(c)}) in ${short(c.alloc_id)} ${c.alloc_name} on ${c.node}`,
  );
}

/** Allocation GC: one line per node (the newest stopped allocations keep their directories). */
function renderCollect(collect: NonNullable<JobPlan['collect']>): string[] {
  return collect.map(
    (c) =>
      `  remove directories of ${c.alloc_ids.length} old allocation${c.alloc_ids.length === 1 ? '' : 's'} on node ${c.node} (${c.alloc_ids.map(short).join(', ')})`,
  );
}

function renderJobDiff(job: JobPlan, ctx: Ctx): string[] {
  const d = job.diff;
  const [marker] = markerOf(d.type, ctx);
  const out = [`${marker}${ctx.s.bold(`Job: ${JSON.stringify(job.id)}`)}`];
  const groups = [...d.groups].sort((a, b) => naturalCompare(a.name, b.name));
  const markerWidth = Math.max(
    widestMarker(d.fields, d.objects, ctx),
    ...groups.map((g) => markerOf(g.type, ctx)[1]),
  );
  if (d.type === 'Edited' || ctx.verbose) {
    out.push(...renderMembers(d.fields, d.objects, 0, markerWidth, ctx));
  }
  const counts = new Map(job.groups.map((g) => [g.name, g.counts]));
  for (const g of groups) out.push(...renderGroupDiff(g, counts.get(g.name), markerWidth, ctx));
  // A group the job diff leaves out (its job did not change) still says what the plan does to it,
  // e.g. replacing an allocation that died: Nomad lists every group with its counts.
  const inDiff = new Set(groups.map((g) => g.name));
  const acting = job.groups
    .filter((g) => !inDiff.has(g.name) && changesAllocations(g.counts))
    .sort((a, b) => naturalCompare(a.name, b.name));
  for (const g of acting)
    out.push(
      `${pad(markerWidth)}${ctx.s.bold(`Task Group: ${JSON.stringify(g.name)}`)} (${renderCounts(g.counts, ctx)})`,
    );
  return out;
}

function changesAllocations(c: UpdateCounts): boolean {
  return (Object.keys(c) as (keyof UpdateCounts)[]).some((k) => k !== 'ignore' && c[k] > 0);
}

function renderGroupDiff(
  g: GroupDiff,
  counts: UpdateCounts | undefined,
  markerWidth: number,
  ctx: Ctx,
): string[] {
  const [marker, len] = markerOf(g.type, ctx);
  const head = `${marker}${pad(markerWidth - len)}${ctx.s.bold(`Task Group: ${JSON.stringify(g.name)}`)}`;
  const updates = counts ? renderCounts(counts, ctx) : '';
  const out = [updates ? `${head} (${updates})` : head];
  const indent = markerWidth - len + 2;
  const tasks = [...g.tasks].sort((a, b) => naturalCompare(a.name, b.name));
  const inner = Math.max(
    widestMarker(g.fields, g.objects, ctx),
    ...tasks.map((t) => markerOf(t.type, ctx)[1]),
  );
  if (g.type === 'Edited' || ctx.verbose) {
    out.push(...renderMembers(g.fields, g.objects, indent, inner, ctx));
  }
  for (const t of tasks) out.push(...renderTaskDiff(t, indent, inner, ctx));
  return out;
}

function renderTaskDiff(t: TaskDiff, indent: number, markerWidth: number, ctx: Ctx): string[] {
  const [marker, len] = markerOf(t.type, ctx);
  let head = `${pad(indent)}${marker}${pad(markerWidth - len)}${ctx.s.bold(`Task: ${JSON.stringify(t.name)}`)}`;
  if (t.annotations.length > 0) head += ` (${renderAnnotations(t.annotations, ctx)})`;
  if (t.type === 'None') return [head];
  if ((t.type === 'Added' || t.type === 'Deleted') && !ctx.verbose) return [head];
  const inner = widestMarker(t.fields, t.objects, ctx);
  return [head, ...renderMembers(t.fields, t.objects, indent + 2, inner, ctx)];
}

/** Fields then objects at one level, markers and values aligned in columns like Nomad's. */
function renderMembers(
  fields: readonly FieldDiff[],
  objects: readonly ObjectDiff[],
  indent: number,
  markerWidth: number,
  ctx: Ctx,
  keyFields = false,
): string[] {
  const shown = fields.filter((f) => showField(f, ctx, keyFields));
  const nameWidth = Math.max(0, ...shown.map((f) => f.name.length));
  const out: string[] = [];
  for (const f of shown) {
    const [marker, len] = markerOf(f.type, ctx);
    let line = `${pad(indent)}${marker}${pad(markerWidth - len)}${f.name}: ${pad(nameWidth - f.name.length)}`;
    line += renderValue(f);
    if (f.annotations.length > 0) line += ` (${renderAnnotations(f.annotations, ctx)})`;
    out.push(line);
  }
  for (const o of objects) {
    if (o.type === 'None' && !ctx.verbose) continue;
    out.push(...renderObject(o, indent, markerWidth, ctx));
  }
  return out;
}

/** Unchanged fields show in verbose mode, and inside an edited block when they name it. */
function showField(f: FieldDiff, ctx: Ctx, keyFields: boolean): boolean {
  if (f.type !== 'None' || ctx.verbose) return true;
  return keyFields && KEY_FIELDS.has(f.name);
}

const KEY_FIELDS = new Set(['Name', 'Port', 'Type']);

function renderObject(o: ObjectDiff, indent: number, markerWidth: number, ctx: Ctx): string[] {
  const [marker, len] = markerOf(o.type, ctx);
  const keyPad = markerWidth - len;
  let head = `${pad(indent)}${marker}${pad(keyPad)}${o.name} {`;
  if (o.annotations.length > 0) head += ` (${renderAnnotations(o.annotations, ctx)})`;
  const inner = widestMarker(o.fields, o.objects, ctx);
  const body = renderMembers(
    o.fields,
    o.objects,
    indent + keyPad + 2,
    inner,
    ctx,
    o.type === 'Edited',
  );
  // The brace closes under the line that opened it: its marker, or its name when it has none
  // (Nomad puts it under the name, right of the markers inside the block).
  return [head, ...body, `${pad(indent + (len === 0 ? keyPad : 0))}}`];
}

function renderValue(f: FieldDiff): string {
  // A sensitive value reads bare, as Terraform's `(sensitive value)` does.
  const q = (v: string | null): string => (v === SENSITIVE_TEXT ? v : JSON.stringify(v ?? ''));
  switch (f.type) {
    case 'Added':
      return q(f.new);
    case 'Deleted':
      return q(f.old);
    case 'Edited':
      return `${q(f.old)} => ${q(f.new)}`;
    default:
      return q(f.new ?? f.old);
  }
}

function widestMarker(
  fields: readonly FieldDiff[],
  objects: readonly ObjectDiff[],
  ctx: Ctx,
): number {
  return Math.max(0, ...[...fields, ...objects].map((d) => markerOf(d.type, ctx)[1]));
}

/** The coloured marker and its printed width: `+ `, `- `, `+/- ` or nothing. */
function markerOf(type: DiffType, ctx: Ctx): [string, number] {
  switch (type) {
    case 'Added':
      return [`${ctx.s.added('+')} `, 2];
    case 'Deleted':
      return [`${ctx.s.deleted('-')} `, 2];
    case 'Edited':
      return [`${ctx.s.edited('+/-')} `, 4];
    default:
      return ['', 0];
  }
}

function renderAnnotations(as: readonly Annotation[], ctx: Ctx): string {
  return as
    .map((a) => {
      switch (a) {
        case 'forces create':
          return ctx.s.added(a);
        case 'forces destroy':
          return ctx.s.deleted(a);
        case 'forces in-place update':
          return ctx.s.inPlace(a);
        default:
          return ctx.s.edited(a);
      }
    })
    .join(', ');
}

/** Nomad's update names, in its (alphabetical) order: `1 create, 2 create/destroy update`. */
function renderCounts(c: UpdateCounts, ctx: Ctx): string {
  const parts: Array<[string, number, (s: string) => string]> = [
    ['canary', c.canary, ctx.s.edited],
    ['create', c.create, ctx.s.added],
    ['create/destroy update', c.create_destroy_update, ctx.s.edited],
    ['destroy', c.destroy, ctx.s.deleted],
    ['ignore', c.ignore, (s) => s],
    ['in-place update', c.in_place_update, ctx.s.inPlace],
    ['migrate', c.migrate, (s) => s],
  ];
  return parts
    .filter(([, n]) => n > 0)
    .map(([name, n, color]) => color(`${n} ${name}`))
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// Scheduler dry-run, allocations, rollout

function renderDryRun(job: JobPlan, ctx: Ctx): string[] {
  const out = [ctx.s.bold('Scheduler dry-run:')];
  const failed = job.groups
    .filter((g): g is GroupPlan & { failures: PlacementFailure } => g.failures !== null)
    .sort((a, b) => naturalCompare(a.name, b.name));
  if (failed.length === 0) {
    out.push(ctx.s.added('- All tasks successfully allocated.'));
    return [...out, ...renderFiltered(job)];
  }
  const system = job.payload?.job.type === 'system' || job.payload?.job.type === 'sysbatch';
  out.push(
    ctx.s.warning(
      system
        ? '- WARNING: Failed to place allocations on all nodes.'
        : '- WARNING: Failed to place all allocations.',
    ),
  );
  for (const g of failed) {
    const f = g.failures;
    const noun = f.count === 1 ? 'allocation' : 'allocations';
    out.push(`  Task Group ${JSON.stringify(g.name)} (failed to place ${f.count} ${noun}):`);
    out.push(`    ${f.reason}`);
    out.push(...renderMetrics(f, '    '));
  }
  return [...out, ...renderFiltered(job)];
}

/** System jobs: the nodes each group skips, and why (not failures, as in Nomad). */
function renderFiltered(job: JobPlan): string[] {
  const out: string[] = [];
  for (const g of job.groups) {
    const nodes = g.filtered_nodes ?? [];
    if (nodes.length === 0) continue;
    const n = `${nodes.length} ${nodes.length === 1 ? 'node' : 'nodes'}`;
    out.push(
      `- Task Group ${JSON.stringify(g.name)}: ${n} filtered, the group does not run there:`,
    );
    for (const f of nodes) out.push(`    ${f.node}: ${f.reason}`);
  }
  return out;
}

/** A periodic or parameterized job runs nothing itself; the plan says what launches it (Nomad's "Next periodic launch"). */
export function renderSchedule(id: string, s: JobSchedule): string[] {
  const quoted = /^[\w./-]+$/.test(id) ? id : JSON.stringify(id);
  if (s.kind === 'parameterized')
    return [
      `Parameterized job: nothing runs now; each \`drover job dispatch ${quoted}\` launches a child job.`,
    ];
  const next = !s.enabled
    ? 'none (disabled: enabled = false)'
    : s.next_launch
      ? `${s.next_launch} (${s.time_zone})`
      : 'none (no time matches its crons)';
  return [
    `Periodic job: nothing runs now; next launch ${next}.`,
    `  Launched on schedule by \`drover server\` (not built yet), or now with \`drover job periodic force ${quoted}\`.`,
    `  crons = ${JSON.stringify(s.crons)}${s.prohibit_overlap ? ', prohibit_overlap = true' : ''}`,
  ];
}

/** Nomad's formatAllocMetrics, in drover's words. */
function renderMetrics(f: PlacementFailure, indent: string): string[] {
  const m = f.metrics;
  const out: string[] = [];
  const nodes = (n: number): string => `${n} ${n === 1 ? 'node' : 'nodes'}`;
  if (m.nodes_evaluated === 0) out.push(`${indent}* No nodes were eligible for evaluation`);
  for (const [c, n] of sortedEntries(m.constraint_filtered))
    out.push(`${indent}* Constraint ${JSON.stringify(c)}: ${nodes(n)} excluded by filter`);
  if (m.nodes_exhausted > 0)
    out.push(`${indent}* Resources exhausted on ${nodes(m.nodes_exhausted)}`);
  for (const [d, n] of sortedEntries(m.dimension_exhausted))
    out.push(`${indent}* Dimension ${JSON.stringify(d)} exhausted on ${nodes(n)}`);
  return out;
}

function sortedEntries(o: { [k: string]: number | undefined }): Array<[string, number]> {
  return Object.entries(o)
    .filter((e): e is [string, number] => e[1] !== undefined)
    .sort(([a], [b]) => naturalCompare(a, b));
}

/**
 * One line per allocation the plan touches. A stop that a placement replaces is shown on the
 * placement's line (`replaces …`), so every allocation appears once. Replacing an allocation
 * that is already gone (lost, failed) creates one and destroys nothing: the line says why the
 * old one is gone, and is coloured as a create.
 */
function renderAllocations(job: JobPlan, ctx: Ctx): string[] {
  const rows: Array<{ verb: string; color: (s: string) => string; cells: string[] }> = [];
  const groups = [...job.groups].sort((a, b) => naturalCompare(a.name, b.name));
  const replaced = new Set(groups.flatMap((g) => g.placements.flatMap((p) => p.replaces ?? [])));
  const stops = new Map(groups.flatMap((g) => g.stops.map((s) => [s.alloc_id, s] as const)));
  for (const g of groups) {
    for (const p of sortPlacements(g.placements)) {
      const gone = p.replaces ? stops.get(p.replaces) : undefined;
      const verb = p.canary ? 'canary' : p.replaces ? 'replace' : 'create';
      const color = p.canary || (p.replaces && !gone?.client_status) ? ctx.s.edited : ctx.s.added;
      const replaces = !p.replaces
        ? ''
        : gone?.client_status || gone?.reason.startsWith(DRIFTED)
          ? `replaces ${short(p.replaces)} (${gone.reason})`
          : `replaces ${short(p.replaces)}`;
      const detail = [renderPorts(p), replaces, p.reschedule ? renderAttempt(p.reschedule) : '']
        .filter((x) => x)
        .join(', ');
      rows.push({ verb, color, cells: [short(p.alloc_id), p.name, `on ${p.node}`, detail] });
    }
    for (const id of [...g.inplace].sort())
      rows.push({ verb: 'in-place', color: ctx.s.inPlace, cells: [short(id)] });
    const unreplaced = g.stops
      .filter((s) => !replaced.has(s.alloc_id))
      .sort((a, b) => naturalCompare(a.name, b.name) || naturalCompare(a.alloc_id, b.alloc_id));
    for (const s of unreplaced)
      rows.push({
        verb: 'stop',
        color: ctx.s.deleted,
        cells: [short(s.alloc_id), s.name, `on ${s.node}`, s.reason],
      });
  }
  if (rows.length === 0) return [];
  const verbWidth = Math.max(...rows.map((r) => r.verb.length));
  const width = (i: number): number => Math.max(...rows.map((r) => r.cells[i]?.length ?? 0));
  const widths = [width(0), width(1), width(2)];
  const out = [ctx.s.bold('Allocations:')];
  for (const r of rows) {
    const cells = r.cells.map((c, i) => (i < r.cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c));
    out.push(`  ${[r.color(r.verb.padEnd(verbWidth)), ...cells].join('  ')}`.trimEnd());
  }
  return out;
}

/** `reschedule attempt 2 of 3, delay 30s`. */
function renderAttempt(r: NonNullable<Placement['reschedule']>): string {
  const of = r.attempts !== undefined ? ` of ${r.attempts}` : '';
  return `reschedule attempt ${r.attempt}${of}, delay ${formatMs(r.delay_ms)}`;
}

/**
 * Failed allocations the plan does not replace: "replacement for web[1] due at 14:03:20 (in 25s;
 * reschedule delay 30s, attempt 2 of 3)", or that their attempts are used up.
 */
function renderRescheduleWaits(job: JobPlan, ctx: Ctx): string[] {
  const waits = job.groups.flatMap((g) => g.reschedule_waits ?? []);
  if (waits.length === 0) return [];
  const out = [ctx.s.bold('Failed allocations not replaced by this plan:')];
  for (const w of [...waits].sort((a, b) => naturalCompare(a.name, b.name))) {
    const head = `  ${short(w.alloc_id)}  ${w.name}  on ${w.node}:`;
    if (w.status === 'due') {
      const due = Date.parse(w.due_at ?? '');
      const of = w.attempts !== undefined ? ` of ${w.attempts}` : '';
      const wait = Math.max(0, Math.ceil((due - (ctx.at ?? due)) / 1000) * 1000);
      out.push(
        `${head} replacement due at ${clockTime(due)} (in ${formatMs(wait)}; reschedule delay ${formatMs(w.delay_ms)}, attempt ${w.attempt}${of})`,
      );
    } else {
      const why =
        (w.attempts ?? 0) === 0
          ? 'the reschedule policy allows no attempts'
          : `${w.attempt} of ${w.attempts} reschedule attempts within ${formatMs(w.interval_ms ?? 0)} used`;
      out.push(ctx.s.warning(`${head} not rescheduled: ${why}; the job is failed`));
    }
  }
  return out;
}

/** `14:03:20` (UTC), as a plan is read the moment it is made. */
function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function sortPlacements(ps: readonly Placement[]): Placement[] {
  return [...ps].sort(
    (a, b) =>
      Number(b.canary) - Number(a.canary) ||
      a.index - b.index ||
      naturalCompare(a.alloc_id, b.alloc_id),
  );
}

function renderPorts(p: Placement): string {
  if (p.ports.length === 0) return '';
  const ports = [...p.ports]
    .sort((a, b) => naturalCompare(a.label, b.label))
    .map(
      (x) => `${x.label} ${x.value}${x.to !== undefined && x.to !== x.value ? `->${x.to}` : ''}`,
    );
  return `ports ${ports.join(', ')}`;
}

function renderRollout(job: JobPlan, ctx: Ctx): string[] {
  const rollout = job.rollout;
  if (!rollout) return [];
  const names = new Map<string, string>();
  for (const g of job.groups) {
    for (const p of g.placements) names.set(p.alloc_id, p.name);
    for (const s of g.stops) names.set(s.alloc_id, s.name);
    for (const p of g.reschedules ?? []) names.set(p.alloc_id, p.name);
  }
  const reschedules = new Map(
    job.groups.flatMap((g) => (g.reschedules ?? []).map((p) => [p.alloc_id, p] as const)),
  );
  const out = [ctx.s.bold(`Rollout (at least ${formatMs(rollout.min_duration_ms)}):`)];
  const groups = [...rollout.groups].sort((a, b) => naturalCompare(a.name, b.name));
  for (const g of groups) {
    // With several groups rolling out side by side, each has its own least time.
    const least = groups.length > 1 ? ` (at least ${formatMs(g.min_duration_ms)})` : '';
    out.push(`  Task Group ${JSON.stringify(g.name)}${least}:`);
    const kindWidth = Math.max(0, ...g.steps.map((s) => s.kind.length));
    const numWidth = String(g.steps.length).length;
    g.steps.forEach((step, i) => {
      const n = `${i + 1}.`.padStart(numWidth + 1);
      out.push(
        `    ${n} ${step.kind.padEnd(kindWidth)}  ${renderStep(step, names, reschedules)}`.trimEnd(),
      );
    });
  }
  return out;
}

/**
 * What a step does, in the order apply does it: `start web.web[0] 04981db5`, `wait for
 * promotion, then stop web.web[0] 42098ff4`, `stop web.web[1] 2ddd2111, then start …`.
 */
function renderStep(
  step: RolloutStep,
  names: ReadonlyMap<string, string>,
  reschedules: ReadonlyMap<string, Placement>,
): string {
  const one = (id: string): string => (names.has(id) ? `${names.get(id)} ${short(id)}` : short(id));
  const list = (ids: readonly string[]): string => ids.map(one).join(', ');
  const least = step.min_duration_ms > 0 ? ` (at least ${formatMs(step.min_duration_ms)})` : '';
  switch (step.kind) {
    case 'verify':
      return `wait for ${list(step.allocs)} (started by an interrupted apply) to pass ${step.gate ?? 'their health checks'}`;
    case 'start':
    case 'canary':
      return `start ${list(step.allocs)}`;
    case 'gate':
    case 'stagger':
      return `wait for ${step.gate ?? 'health'}`;
    case 'promote':
      return `wait for ${step.gate ?? 'promotion'}${step.replaces.length ? `, then stop ${list(step.replaces)}` : ''}`;
    case 'batch':
      return `stop ${list(step.replaces)}, then start ${list(step.allocs)}${least}`;
    case 'window': {
      const pairs = step.allocs.map(
        (id, i) => `${one(id)} replaces ${short(step.replaces[i] ?? '')}`,
      );
      return [
        `${step.allocs.length} replacement${step.allocs.length === 1 ? '' : 's'}, ${step.parallel ?? 1} at a time${least}: each stops the old allocation, starts the new one and waits for ${step.gate ?? 'health'}; the next starts as soon as one is healthy`,
        ...pairs.map((p) => `           ${p}`),
      ].join('\n');
    }
    case 'reschedule': {
      const lines = step.allocs.map((id, i) => {
        const p = reschedules.get(id);
        const attempt = p?.reschedule ? `; ${renderAttempt(p.reschedule)}` : '';
        return `           ${one(id)} on ${p?.node ?? '?'} replaces ${short(step.replaces[i] ?? '')} if that fails (${formatMs(step.delays_ms?.[i] ?? 0)} after${attempt})`;
      });
      return [
        'an allocation that fails is replaced as the reschedule policy allows:',
        ...lines,
      ].join('\n');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Warnings and the summary

function renderWarnings(ws: readonly PlanWarning[], ctx: Ctx): string[] {
  const sorted = [...ws].sort(
    (a, b) =>
      naturalCompare(a.job ?? '', b.job ?? '') ||
      naturalCompare(a.group ?? '', b.group ?? '') ||
      naturalCompare(a.task ?? '', b.task ?? '') ||
      naturalCompare(a.summary, b.summary),
  );
  const out = [ctx.s.warning('Warnings:')];
  for (const w of sorted) {
    const where = [
      w.job !== undefined ? `job ${JSON.stringify(w.job)}` : '',
      w.group !== undefined ? `group ${JSON.stringify(w.group)}` : '',
      w.task !== undefined ? `task ${JSON.stringify(w.task)}` : '',
    ].filter((x) => x);
    out.push(`- ${w.summary}${where.length > 0 ? ` (${where.join(', ')})` : ''}`);
    for (const line of w.detail.split('\n')) if (line) out.push(`    ${line}`);
  }
  return out;
}

function renderSummary(plan: Plan, jobs: readonly JobPlan[], ctx: Ctx): string[] {
  const rewrites = jobs.reduce((n, j) => n + (j.templates?.length ?? 0), 0);
  const rewriteLine = `${rewrites === 1 ? '1 template' : `${rewrites} templates`} to rewrite.`;
  if (rewrites > 0 && jobs.every((j) => j.type === 'none'))
    return [ctx.s.bold(`Plan: ${rewriteLine}`)];
  const changed = jobs.filter((j) => j.type !== 'none');
  const unchanged = jobs.length - changed.length;
  const jobsWord = (n: number): string => (n === 1 ? '1 job' : `${n} jobs`);
  if (changed.length === 0 && (plan.changes.length > 0 || plan.retry_stops.length > 0))
    return [
      ctx.s.bold(
        `Plan: ${[
          plan.changes.length ? `${plan.changes.length} to change in state` : '',
          plan.retry_stops.length ? `${plan.retry_stops.length} to stop again` : '',
        ]
          .filter(Boolean)
          .join(', ')}; no job changes.`,
      ),
    ];
  if (changed.length === 0 && jobs.length === 0) return [ctx.s.bold('No changes.')];
  if (changed.length === 0) {
    // A failed allocation waiting out its reschedule delay: the job is not "up to date".
    const due = jobs.flatMap((j) =>
      j.groups.flatMap((g) => g.reschedule_waits ?? []).filter((w) => w.status === 'due'),
    );
    if (due.length > 0) {
      const first = Math.min(...due.map((w) => Date.parse(w.due_at ?? '')));
      const n = due.length === 1 ? '1 replacement' : `${due.length} replacements`;
      return [
        ctx.s.bold(
          `No changes now. ${n} of failed allocations due from ${clockTime(first)}: plan or apply again then.`,
        ),
      ];
    }
    const failed = jobs.filter((j) =>
      j.groups.some((g) => g.reschedule_waits?.some((w) => w.status === 'exhausted')),
    );
    if (failed.length > 0)
      return [
        ctx.s.bold(
          `No changes. ${failed.map((j) => `Job ${JSON.stringify(j.id)}`).join(', ')} ${failed.length === 1 ? 'has' : 'have'} failed allocations that are not rescheduled any more.`,
        ),
      ];
    const which =
      jobs.length === 1 ? `Job ${JSON.stringify(jobs[0]!.id)} is` : `${jobsWord(jobs.length)} are`;
    return [ctx.s.bold(`No changes. ${which} up to date.`)];
  }
  const sum = (k: keyof UpdateCounts): number =>
    jobs.reduce((n, j) => n + j.groups.reduce((m, g) => m + g.counts[k], 0), 0);
  const parts = [
    `${sum('create')} to create`,
    `${sum('in_place_update')} to update in place`,
    `${sum('create_destroy_update') + sum('canary')} to replace`,
    `${sum('destroy')} to destroy`,
  ];
  const migrate = sum('migrate');
  if (migrate > 0) parts.push(`${migrate} to migrate`);
  const pruned = jobs.filter((j) => j.prune).length;
  if (pruned > 0) parts.push(`${pruned === 1 ? '1 job' : `${pruned} jobs`} to prune`);
  const out = [ctx.s.bold(`Plan: ${parts.join(', ')}.`)];
  const failed = unplacedAllocations(jobs);
  if (failed > 0)
    out.push(
      ctx.s.warning(`${failed} ${failed === 1 ? 'allocation' : 'allocations'} cannot be placed.`),
    );
  const templates = changed.filter((j) => j.schedule).length;
  if (templates > 0)
    out.push(
      `${templates === 1 ? '1 periodic or parameterized job' : `${templates} periodic or parameterized jobs`} to record; they start nothing themselves.`,
    );
  if (rewrites > 0) out.push(rewriteLine);
  if (unchanged > 0) out.push(`${jobsWord(unchanged)} unchanged.`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function pad(n: number): string {
  return n > 0 ? ' '.repeat(n) : '';
}

/** Alloc ids are shown by their first 8 characters, as Nomad does. */
function short(id: string): string {
  return id.slice(0, 8);
}

/** Milliseconds as Go prints durations: `1m20s`, `10s`, `1.5s`, `250ms`. */
function formatMs(ms: number): string {
  return formatDuration(ms * MILLISECOND);
}
