/**
 * Templates at plan time: every template with inline `data` of every allocation the plan starts
 * or keeps is rendered with the environment that allocation has (or will have), so a missing
 * Variable, `mustEnv`, or a template on a node drover cannot write files to is a plan error, not
 * an apply failure. For kept allocations the render's sha256 is compared with the one recorded
 * when the file was written: a difference is a template change the plan shows and apply acts on
 * (change_mode). A `source` template is on the host and is rendered at apply only.
 */
import type { Driver, NodeSpec, Transport } from '../../providers/types.js';
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
  NormalizedTask as Task,
} from '../generated/normalized-job.js';
import type { JobPlan } from '../generated/plan.js';
import { decodeStoredJob } from '../jobspec/stored.js';
import { recordedJob } from '../scheduler/from-state.js';
import { recordedGroup } from './alloc-tasks.js';
import type { StateSnapshot } from '../state/types.js';
import { placementOf, taskContext } from './apply.js';
import type { PlacementStep } from './steps.js';
import { bindAddress } from './from-plan.js';
import type { NodeFacts } from './taskenv.js';
import { sha256Hex } from '../plan/hash.js';
import { renderTemplateText, templateTarget, type TemplateReaders } from './templates.js';

export type TemplateChange = NonNullable<JobPlan['templates']>[number];

export interface TemplatePlanInput {
  state: StateSnapshot;
  nodes: ReadonlyMap<string, NodeSpec>;
  transport(node: NodeSpec): Transport;
  driver(name: string): Driver | undefined;
  facts(node: NodeSpec): NodeFacts;
  readers: TemplateReaders;
}

export interface TemplatePlan {
  /** Why a template cannot be rendered, one line each, naming the allocation, task and template. */
  errors: string[];
  /** Template changes of kept allocations, by job id. */
  changes: Map<string, TemplateChange[]>;
}

/** Renders the templates of every allocation each job plan starts or keeps. */
export function planTemplates(jobs: readonly JobPlan[], input: TemplatePlanInput): TemplatePlan {
  const out: TemplatePlan = { errors: [], changes: new Map() };
  for (const j of jobs) {
    if (j.type === 'destroy') continue;
    const version = j.to_version ?? j.from_version ?? 0;
    const job = j.payload ? decodeStoredJob(j.payload) : recordedJob(input.state, j.id, version);
    if (!job || !hasTemplates(job)) continue;
    const ref = {
      jobId: j.id,
      version,
      job,
      ...(j.payload?.launch ? { launch: j.payload.launch } : {}),
    };
    const leaving = new Set(
      j.groups.flatMap((g) => [
        ...g.stops.map((s) => s.alloc_id),
        ...g.inplace,
        ...g.placements.flatMap((p) => (p.replaces ? [p.replaces] : [])),
      ]),
    );
    for (const g of j.groups) {
      const group = job.group.find((x) => x.name === g.name);
      if (!group) continue;
      for (const p of g.placements) {
        const host_ip = bindAddress(input.nodes.get(p.node));
        renderAlloc(
          {
            allocId: p.alloc_id,
            name: p.name,
            index: p.index,
            node: p.node,
            ports: p.ports.map((port) => ({ ...port, host_ip })),
            canary: p.canary,
          },
          group,
          ref,
          input,
          out,
        );
      }
    }
    const changes: TemplateChange[] = [];
    for (const a of Object.values(input.state.allocations)) {
      if (a.job !== j.id || a.desired_status !== 'run' || leaving.has(a.id)) continue;
      if (a.client_status !== 'running' && a.client_status !== 'pending') continue;
      const { job: kept, group } = recordedGroup(input.state, a);
      if (!kept || !group) continue;
      const keptRef = { jobId: a.job, version: a.version, job: kept };
      const rendered = renderAlloc(placementOf(a), group, keptRef, input, out);
      for (const r of rendered) {
        const before = a.template_hashes?.[r.task]?.[r.template.destination ?? ''];
        // A file written before drover recorded hashes, or rendered once only, is left alone.
        if (before === undefined || before === r.sha256 || r.template.once) continue;
        changes.push({
          alloc_id: a.id,
          alloc_name: a.name,
          node: a.node,
          task: r.task,
          destination: r.template.destination ?? '',
          change_mode: r.template.change_mode,
          ...(r.template.change_mode === 'signal' && r.template.change_signal
            ? { change_signal: r.template.change_signal }
            : {}),
          splay_ms: r.template.splay,
        });
      }
    }
    if (changes.length) out.changes.set(j.id, changes);
  }
  return out;
}

function hasTemplates(job: Job): boolean {
  return job.group.some((g) => g.task.some((t) => (t.template ?? []).length > 0));
}

interface PlanRender {
  task: string;
  template: NonNullable<Task['template']>[number];
  sha256: string;
}

/** The inline templates of one allocation's tasks, rendered; failures go to `out.errors`. */
function renderAlloc(
  p: PlacementStep,
  group: Group,
  job: Parameters<typeof taskContext>[3],
  input: TemplatePlanInput,
  out: TemplatePlan,
): PlanRender[] {
  const rendered: PlanRender[] = [];
  const node = input.nodes.get(p.node);
  if (!node) return rendered;
  for (const task of group.task) {
    const templates = task.template ?? [];
    if (templates.length === 0) continue;
    const where = `${p.name} task "${task.name}"`;
    const driver = input.driver(task.driver);
    if (!driver) continue;
    const transport = input.transport(node);
    if (!transport.shell) {
      out.errors.push(
        `${where}: node "${node.name}" has no shell (docker transport), so drover cannot write the task's templates: not built yet; use the ssh or local transport for tasks with templates`,
      );
      continue;
    }
    const ctx = taskContext(p, group, task, job, node, transport, driver, {
      state: input.state,
      facts: (n) => input.facts(n),
    });
    for (const t of templates) {
      try {
        templateTarget(ctx, t);
        // A source is read on the host at apply; its render is known only then.
        if (!t.data) continue;
        const content = renderTemplateText(t, t.data, { env: ctx.env, ...input.readers });
        rendered.push({ task: task.name, template: t, sha256: sha256Hex(content) });
      } catch (err) {
        out.errors.push(`${where}: ${(err as Error).message}`);
      }
    }
  }
  return rendered;
}
